"""torch.autograd.gradcheck / gradgradcheck: gradients from autograd against central finite differences.

For every input that requires grad and every element of it, ``(f(x + eps) - f(x - eps)) / (2 eps)`` gives a
column of the numerical Jacobian of each differentiable output; the analytical Jacobian comes from
``autograd.functional.jacobian`` (one backward per output element). Each block must satisfy
``allclose(analytical, numerical, rtol, atol)``; else ``GradcheckError`` with torch's message (both Jacobians
printed as (input numel x output numel) matrices), or ``False`` with ``raise_exception=False``.
``gradgradcheck`` runs the same check on the function ``inputs, grad_outputs -> autograd.grad(...,
create_graph=True)``.

Differences from torch: real inputs only (torch also checks complex ones through Wirtinger derivatives);
``fast_mode=True`` runs the full check (torch projects on random vectors); the extra checks torch can add
(``check_undefined_grad``, ``check_batched_grad``, ``check_forward_ad``, reentrancy within ``nondet_tol``) are
accepted and not run: ptjax's backward is deterministic and has no undefined-gradient or batched paths.
"""
from __future__ import annotations

import warnings

from .. import _dtype as D
from .grad_mode import no_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised by gradcheck and gradgradcheck when a check fails."""


def _tensor_inputs(inputs):
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def _is_tensor(x):
    from .._tensor import Tensor   # this module loads with the autograd package, before Tensor exists
    return isinstance(x, Tensor)


def _differentiable(inputs):
    idx = [i for i, x in enumerate(inputs) if _is_tensor(x) and x.requires_grad]
    if not idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    for i in idx:
        if inputs[i].dtype not in (D.float64, D.complex128):
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", stacklevel=3)
        if inputs[i].is_complex():
            raise NotImplementedError("ptjax's gradcheck checks real inputs only")
    return idx


def _outputs(func, args):
    out = func(*args)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _numerical(func, inputs, idx, outputs, keep, eps):
    """``blocks[o][j]``: d outputs[keep[o]] / d inputs[idx[j]] by central differences, shaped out.shape + in.shape.
    The perturbed inputs are leaves that require grad like the originals (``func`` may differentiate them)."""
    from .._ops.shape import stack

    def moved(x, step):
        with no_grad():
            return (x + step).requires_grad_(True)

    blocks = [[] for _ in keep]
    for j in idx:
        x = inputs[j].detach()
        columns = [[] for _ in keep]
        for k in range(x.numel()):
            bump = x.new_zeros(x.numel())
            bump[k] = eps
            bump = bump.view(x.shape)
            hi = _outputs(func, inputs[:j] + (moved(x, bump),) + inputs[j + 1:])
            lo = _outputs(func, inputs[:j] + (moved(x, -bump),) + inputs[j + 1:])
            with no_grad():
                for o, i_out in enumerate(keep):
                    columns[o].append(((hi[i_out] - lo[i_out]) / (2 * eps)).reshape(-1))
        for o, i_out in enumerate(keep):
            shape = tuple(outputs[i_out].shape) + tuple(x.shape)
            blocks[o].append(stack(columns[o], -1).reshape(shape) if columns[o] else x.new_zeros(shape))
    return blocks


def _analytical(func, inputs, idx, keep):
    from .functional import jacobian

    def of_differentiable(*diff):
        args = list(inputs)
        for j, d in zip(idx, diff):
            args[j] = d
        outs = _outputs(func, args)
        return tuple(outs[i] for i in keep)

    return jacobian(of_differentiable, tuple(inputs[j] for j in idx))


def _close(a, b, rtol, atol):
    """torch.allclose: ``|a - b| <= atol + rtol * |b|`` everywhere (NaN fails)."""
    return a.shape == b.shape and bool(((a - b).abs() <= atol + rtol * b.abs()).all())


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """True if the analytical gradients of ``func`` at ``inputs`` match finite differences (see the module)."""
    inputs = _tensor_inputs(inputs)
    idx = _differentiable(inputs)
    if not check_backward_ad:
        return True
    outputs = _outputs(func, inputs)
    keep = [i for i, o in enumerate(outputs) if _is_tensor(o) and o.requires_grad]
    if not keep:
        return True
    numerical = _numerical(func, inputs, idx, outputs, keep, eps)
    analytical = _analytical(func, inputs, idx, keep)
    for o, i_out in enumerate(keep):
        for j in range(len(idx)):
            a, n = analytical[o][j].detach(), numerical[o][j]
            if not _close(a.to(n.dtype), n, rtol, atol):
                if not raise_exception:
                    return False
                out_numel = outputs[i_out].numel()
                raise GradcheckError(f"Jacobian mismatch for output {o} with respect to input {j},\n"
                                     f"numerical:{n.reshape(out_numel, -1).t()}\n"
                                     f"analytical:{a.reshape(out_numel, -1).t()}\n")
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0, check_undefined_grad=True,
                  check_grad_dtypes=False, check_batched_grad=False, check_fwd_over_rev=False,
                  check_rev_over_rev=True, fast_mode=False, masked=False):
    """gradcheck of the first derivatives: ``(inputs, grad_outputs) -> grad(func(inputs), inputs, grad_outputs)``
    (random ``grad_outputs`` of the outputs' dtypes if not given)."""
    from . import grad
    from .._ops.random import randn
    inputs = _tensor_inputs(inputs)
    idx = _differentiable(inputs)
    outputs = _outputs(func, inputs)
    keep = [i for i, o in enumerate(outputs) if _is_tensor(o) and o.requires_grad]
    if grad_outputs is None:
        grad_outputs = tuple(randn(outputs[i].shape, dtype=outputs[i].dtype).requires_grad_(True) for i in keep)
    grad_outputs = _tensor_inputs(grad_outputs)
    n_in = len(inputs)

    def first_derivatives(*args):
        ins, gos = args[:n_in], args[n_in:]
        outs = _outputs(func, ins)
        grads = grad([outs[i] for i in keep], [ins[j] for j in idx], gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not check_rev_over_rev:
        return True
    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
