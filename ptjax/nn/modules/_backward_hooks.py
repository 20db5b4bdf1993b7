"""Full backward hooks of ``nn.Module``: identity ``autograd.Function``s around a call's inputs and outputs.

The output identity sees the gradients w.r.t. the outputs (and runs the backward pre-hooks); the input identity
sees the gradients w.r.t. the inputs and runs ``hook(module, grad_input, grad_output)``.
"""
from __future__ import annotations

from ..._tensor import Tensor
from ...autograd.function import Function


class _OutputIdentity(Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.state.on_grad_output(grads))


class _InputIdentity(Function):
    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.state.on_grad_input(grads))


class BackwardHookState:
    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.input_slots = []      # positions (in the tensor inputs) that went through the input identity
        self.inputs_need_grad = False

    def setup_inputs(self, args):
        tensor_pos = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensor_pos)
        need = [i for i in tensor_pos if args[i].requires_grad]
        if not need:
            return args
        self.inputs_need_grad = True
        self.input_slots = [tensor_pos.index(i) for i in need]
        outs = _InputIdentity.apply(self, *[args[i] for i in need])
        args = list(args)
        for i, o in zip(need, outs):
            args[i] = o
        return tuple(args)

    def setup_outputs(self, result):
        single = isinstance(result, Tensor)
        items = [result] if single else list(result) if isinstance(result, (tuple, list)) else None
        if items is None:
            return result
        pos = [i for i, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad]
        if not pos:
            return result
        outs = _OutputIdentity.apply(self, *[items[i] for i in pos])
        for i, o in zip(pos, outs):
            items[i] = o
        if single:
            return items[0]
        return type(result)(items) if isinstance(result, tuple) else items

    def on_grad_output(self, grads):
        grads = tuple(grads)
        for hook in self.module._backward_pre_hooks.values():
            res = hook(self.module, grads)
            if res is not None:
                grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        self.grad_output = grads
        if not self.inputs_need_grad and self.module._backward_hooks:
            self._run_hooks((None,) * max(self.n_inputs, 1))
        return grads

    def on_grad_input(self, grads):
        full = [None] * self.n_inputs
        for slot, g in zip(self.input_slots, grads):
            full[slot] = g
        new = self._run_hooks(tuple(full))
        return [new[slot] for slot in self.input_slots]

    def _run_hooks(self, grad_input):
        for hook in self.module._backward_hooks.values():
            res = hook(self.module, grad_input, self.grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(res)}, but "
                                       f"expected {len(grad_input)}")
                grad_input = res
        return grad_input
