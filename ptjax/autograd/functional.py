"""torch.autograd.functional: ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``vhp``, ``hvp`` of a Python function
of tensors, built on ``autograd.grad`` (reverse mode) with torch's signatures, result structures (a Tensor where
torch gives one, nested tuples otherwise), ``create_graph``/``strict`` semantics and error messages.

Forward-mode products (``jvp``, ``hvp``) use the double-backward trick as torch's do: the vector-Jacobian product
with a dummy cotangent ``u`` is linear in ``u``, so differentiating ``<vjp(u), v>`` with respect to ``u`` gives
``J v``. Differences from torch: ``vectorize=True`` is accepted and computes the same Jacobian row by row (torch
batches the rows with vmap); ``strategy="forward-mode"`` (which torch allows only with ``vectorize=True``) gives
the same Jacobian, computed in reverse mode.
"""
from __future__ import annotations

from .._tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---- argument handling -------------------------------------------------------------------------------------------
def _as_tuple(value, arg_name, fn_name):
    """``(was_a_tuple, tuple_of_tensors)``, with torch's TypeError for anything but a Tensor or tuple of them."""
    was_tuple = isinstance(value, tuple)
    items = value if was_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if was_tuple else f"given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"the {where} has type {type(item)}.")
    return was_tuple, items


def _unpack(result, was_tuple):
    return result if was_tuple else result[0]


def _unpack2(result, outer_was_tuple, inner_was_tuple):
    """A tuple (per output) of tuples (per input) reduced where the caller passed single tensors."""
    if not inner_was_tuple:
        result = tuple(row[0] for row in result)
    return _unpack(result, outer_was_tuple)


def _track(tensors, create_graph, need_graph=True):
    """Fresh differentiable aliases of the inputs (torch's: a view keeps the outer graph under create_graph)."""
    return tuple(t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
                 for t in tensors)


def _finish(tensors, create_graph):
    if create_graph:
        return tensors
    return tuple(_finish(t, False) if isinstance(t, tuple) else t.detach() for t in tensors)


def _check_v(v, like, like_was_tuple):
    if len(v) != len(like):
        if like_was_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(like)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.size() != b.size():
            prefix = f"Entry {i} in " if like_was_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.size()} but got {a.size()}.")


def _vector(v, like, like_was_tuple, fn_name, create_graph, missing_msg):
    """The ``v`` argument as a checked tuple; ``None`` allowed only where ``like`` is one single-element tensor."""
    if v is None:
        if len(like) != 1 or like[0].nelement() != 1:
            raise RuntimeError(missing_msg)
        return None
    v = _as_tuple(v, "v", fn_name)[1]
    v = _track(v, create_graph, need_graph=False)
    _check_v(v, like, like_was_tuple)
    return v


_REQUIRES_GRAD_MSG = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
               "in a differentiable manner from the input when running in strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
                   "function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect to "
                "input {i} is independent of the input. This is not allowed in strict mode. You should ensure that "
                "your function is twice differentiable and that the jacobian depends on the inputs (this would be "
                "violated by a linear function for example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
               "This is not allowed in strict mode. You should ensure that your function is thrice differentiable "
               "and that the hessian depends on the inputs.",
}


def _strict_requires_grad(tensors, kind, strict):
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_REQUIRES_GRAD_MSG[kind].format(i=i))


_INDEPENDENT_MSG = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
            "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in strict "
                  "mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
                   "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
                         "grad_jacobian. This is not allowed in strict mode as it prevents from using the double "
                         "backward trick to replace forward mode AD.",
}


def _zeros_for_missing(grads, like, strict, create_graph, stage):
    """None gradients (an input the outputs do not depend on) become zeros; strict mode raises instead."""
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT_MSG[stage].format(i=i))
            g = like[i].new_zeros(like[i].shape)
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. This is not "
                               "allowed in strict mode when create_graph=True.")
        out.append(g)
    return tuple(out)


def _grads(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``autograd.grad`` over the outputs that require grad (None per input where none does; unused -> None)."""
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else grad_outputs
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return _grad([o for o, _ in pairs], inputs, [g for _, g in pairs], retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


def _call(func, inputs, fn_name, strict):
    was_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    _strict_requires_grad(outputs, "outputs", strict)
    return was_tuple, outputs


def _scalar_output(outputs, was_tuple, fn_name):
    if was_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def _mode_after(create_graph):
    return set_grad_enabled(True if create_graph else is_grad_enabled())


# ---- the products --------------------------------------------------------------------------------------------------
def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _track(inputs, create_graph)
        out_tuple, outputs = _call(func, inputs, "vjp", strict)
        v = _vector(v, outputs, out_tuple, "vjp", create_graph,
                    "The vector v can only be None if the user-provided function returns a single Tensor with a "
                    "single element.")
    with _mode_after(create_graph):
        result = _zeros_for_missing(_grads(outputs, inputs, v, create_graph), inputs, strict, create_graph, "back")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(result, create_graph), in_tuple)


_INPUT_V_MSG = ("The vector v can only be None if the input to the user-provided function is a single Tensor with a "
                "single element.")


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)`` by the double-backward trick."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _track(inputs, create_graph)
        v = _vector(v, inputs, in_tuple, "jvp", create_graph, _INPUT_V_MSG)
        out_tuple, outputs = _call(func, inputs, "jvp", strict)
        dummies = tuple(o.new_zeros(o.shape).requires_grad_(True) for o in outputs)
        vjps = _grads(outputs, inputs, dummies, create_graph=True)   # linear in the dummies
        _strict_requires_grad(vjps, "grad_inputs", strict)
    with _mode_after(create_graph):
        result = _grads(vjps, dummies, v, create_graph)
        result = _zeros_for_missing(result, outputs, strict, create_graph, "back_trick")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(result, create_graph), out_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """``J[i][j] = d outputs[i] / d inputs[j]``, shaped ``outputs[i].shape + inputs[j].shape``."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                             'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                             'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` and '
                                      '`strategy="forward-mode"` are not supported together (yet). Please either '
                                      'set `create_graph=False` or `strategy="reverse-mode"`.')
        if strict:
            raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are '
                               'not supported together (yet). Please either set `strict=False` or '
                               '`strategy="reverse-mode"`.')
        if not vectorize:
            raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse Hessian is"
                                      "only implemented for `vectorize=True`.")
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _track(inputs, create_graph)
        out_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
                               "supported together. Please either set `strict=False` or `vectorize=False`.")
        rows = tuple(_jacobian_of(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
    return _unpack2(_finish(rows, create_graph), out_tuple, in_tuple)


def _jacobian_of(i, out, inputs, create_graph, strict):
    """The Jacobian blocks of one output: one backward per output element."""
    from .._ops.shape import stack
    flat = out.reshape(-1)
    blocks = [[] for _ in inputs]
    for k in range(out.nelement()):
        row = _grads((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
        for j, (g, inp) in enumerate(zip(row, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. This "
                                       "is not allowed in strict mode.")
                g = inp.new_zeros(inp.shape)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. This "
                                   "is not allowed in strict mode when create_graph=True.")
            blocks[j].append(g)
    return tuple(stack(b, 0).view(out.shape + inp.shape) if b else inp.new_zeros(out.shape + inp.shape)
                 for b, inp in zip(blocks, inputs))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Jacobian of the gradient of a scalar function: ``H[i][j]`` shaped ``inputs[i].shape + inputs[j].shape``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*args):
        out = func(*args)
        was_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _strict_requires_grad(outs, "outputs", strict)
        _scalar_output(outs, was_tuple, "hessian")
        return out.squeeze()

    def gradient(*args):
        jac = jacobian(scalar_func, args, create_graph=True)
        _strict_requires_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, tuple(inputs), create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return _unpack2(result, in_tuple, in_tuple)


def _scalar_grad(func, inputs, fn_name, strict):
    """``(outputs, gradient with a graph)`` of a scalar function, for the Hessian products."""
    out_tuple, outputs = _call(func, inputs, fn_name, strict)
    _scalar_output(outputs, out_tuple, fn_name)
    jac = _grads(outputs, inputs, create_graph=True)
    _strict_requires_grad(jac, "jacobian", strict)
    return out_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T H)`` of a scalar function."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
        inputs = _track(inputs, create_graph)
        v = _vector(v, inputs, in_tuple, "vhp", create_graph, _INPUT_V_MSG)
        out_tuple, outputs, jac = _scalar_grad(func, inputs, "vhp", strict)
    with _mode_after(create_graph):
        result = _zeros_for_missing(_grads(jac, inputs, v, create_graph), inputs, strict, create_graph, "double_back")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(result, create_graph), in_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)`` of a scalar function, by the double-backward trick."""
    with enable_grad():
        in_tuple, inputs = _as_tuple(inputs, "inputs", "hvp")
        inputs = _track(inputs, create_graph)
        v = _vector(v, inputs, in_tuple, "hvp", create_graph, _INPUT_V_MSG)
        out_tuple, outputs, jac = _scalar_grad(func, inputs, "hvp", strict)
        dummies = tuple(t.new_zeros(t.shape).requires_grad_(True) for t in inputs)
        double_back = _grads(jac, inputs, dummies, create_graph=True)
        _strict_requires_grad(jac, "hessian", strict)
    with _mode_after(create_graph):
        result = _grads(double_back, dummies, v, create_graph)
        result = _zeros_for_missing(result, inputs, strict, create_graph, "double_back_trick")
    return _unpack(_finish(outputs, create_graph), out_tuple), _unpack(_finish(result, create_graph), in_tuple)
