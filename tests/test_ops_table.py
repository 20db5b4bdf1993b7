"""Differential tests of the op table against real torch: for every op, several samples (broadcasting, empty and
0-d tensors, negative dims, integer/bool inputs), comparing forward values, dtypes and shapes, the method and
in-place forms, and gradients under a random cotangent (``torch.autograd.grad`` vs ``ptjax.autograd.grad``)."""
from __future__ import annotations

import operator

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _ops_harness import (DT, TL, Gen, OpInfo, Sample, check_forms, compare_grad,  # noqa: E402
                          op_cases)


pytestmark = pytest.mark.usefixtures("fast_compiles")


g = Gen(0)
f, i, b, pos, unit, nzi, distinct = g.f, g.i, g.b, g.pos, g.unit, g.nzi, g.distinct

OPS: list[OpInfo] = []


def add_op(*args, **kwargs):
    OPS.append(OpInfo(*args, **kwargs))


# ---- binary arithmetic -----------------------------------------------------------------------------------------

def binary_samples(ints=True, bools=False, rhs=None, full=True):
    """Broadcasting, 0-d, empty, Python scalars, and type promotion; ``full=False`` for ops whose promotion is
    the shared dispatch path already covered by ``add`` and ``div`` (every sample compiles kernels)."""
    rhs = rhs or f
    s = [Sample(f(3, 4), rhs(3, 4)),
         Sample(f(3, 4), rhs(4)),                       # broadcast a row
         Sample(f(2, 1, 4), rhs(3, 1)),                 # broadcast both ways
         Sample(f(), rhs(3, 4)),                        # 0-d with a tensor
         Sample(f(3, 4), 1.5),                          # Python scalar
         ]
    if full:
        s.append(Sample(f(0, 4), rhs(4)))               # empty
    if ints:
        s += [Sample(i(3, 4), nzi(3, 4)),
              Sample(i(4), 2.5)]                         # int tensor, float scalar → default float
        if full:
            s += [Sample(i(3, 4), np.array(2.5, np.float32)),   # int tensor, 0-d float tensor → float32
                  Sample(i(4), 3)]
    if bools:
        s += [Sample(b(3, 4), b(3, 4))]
    return s


for _name in ("add", "sub", "mul"):
    add_op(_name, binary_samples(bools=_name != "sub", full=_name == "add")
           + [Sample(f(3, 4), f(4), alpha=2)] * (_name != "mul"), grad_samples=3)
add_op("div", binary_samples(rhs=lambda *s: pos(*s) * np.where(g.b(*s), 1, -1).astype(np.float32))
       + [Sample(f(3, 4), pos(4), rounding_mode="floor"), Sample(f(3, 4), pos(3, 4), rounding_mode="trunc"),
          Sample(i(3, 4), nzi(4), rounding_mode="floor", name="i-floor"),
          Sample(i(3, 4), nzi(4), rounding_mode="trunc", name="i-trunc")], grad_samples=3)
add_op("true_divide", [Sample(f(3, 4), pos(4)), Sample(i(3, 4), nzi(3, 4))])
add_op("floor_divide", [Sample(f(3, 4), pos(4)), Sample(i(3, 4), nzi(3, 4)), Sample(i(4), 2)], grad=False)
add_op("remainder", [Sample(f(3, 4), pos(4)), Sample(f(3, 4), -1.5), Sample(i(3, 4), nzi(3, 4)), Sample(i(4), 3)])
add_op("fmod", [Sample(f(3, 4), pos(4)), Sample(i(3, 4), nzi(3, 4)), Sample(i(4), -3)])
add_op("pow", [Sample(pos(3, 4), f(3, 4)), Sample(pos(3, 4), 0.5), Sample(f(3, 4), 3), Sample(i(3, 4), 2),
               Sample(i(3, 4, lo=0), i(4, lo=0, hi=3)), Sample(pos(), f(4)), Sample(i(4), 0.5)], grad_samples=2)
add_op("atan2", [Sample(f(3, 4), f(3, 4)), Sample(f(3, 4), f(4)), Sample(i(4), i(4))])
for _name in ("maximum", "minimum", "fmax", "fmin"):
    add_op(_name, [Sample(distinct(3, 4), distinct(3, 4)), Sample(distinct(3, 4), distinct(4) + 0.1),
                   Sample(i(3, 4), i(3, 4)), Sample(distinct(2, 3), i(3))])
add_op("hypot", [Sample(f(3, 4), f(3, 4)), Sample(f(3, 4), f(4))])
add_op("logaddexp", [Sample(f(3, 4), f(3, 4)), Sample(f(3, 4), f(4))])
add_op("xlogy", [Sample(f(3, 4), pos(3, 4)), Sample(f(3, 4), pos(4)), Sample(f(3, 4), 2.0)])
add_op("copysign", [Sample(f(3, 4), f(3, 4)), Sample(f(3, 4), f(4)), Sample(i(4), f(4))])
add_op("lerp", [Sample(f(3, 4), f(3, 4), 0.3), Sample(f(3, 4), f(4), f(3, 4)), Sample(f(3, 4), f(3, 4), f(4))])
add_op("addcmul", [Sample(f(3, 4), f(3, 4), f(4)), Sample(f(3, 4), f(4), f(3, 1), value=0.5)])
add_op("addcdiv", [Sample(f(3, 4), f(3, 4), pos(4)), Sample(f(3, 4), f(4), pos(3, 1), value=-2)])

# ---- comparisons and logic -------------------------------------------------------------------------------------

for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    _ints = i(3, 4, lo=-2, hi=2)
    add_op(_name, [Sample(i(3, 4, lo=-2, hi=2), _ints), Sample(f(3, 4), f(4)), Sample(f(3, 4), 0.5),
                   Sample(i(3, 4), 0.5)]
           + [Sample(i(2, 3), f()), Sample(b(3), b(3)), Sample(f(0, 2), f(2))] * (_name in ("eq", "lt")))
for _name in ("logical_and", "logical_or", "logical_xor"):
    add_op(_name, [Sample(b(3, 4), b(4)), Sample(i(3, 4, lo=0, hi=2), f(4))])
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    add_op(_name, [Sample(b(3, 4), b(3, 4)), Sample(i(3, 4), i(3, 4)), Sample(i(3, 4), 6), Sample(b(4), True),
                   Sample(f(3), f(3), name="float-raises")], grad=False)
add_op("bitwise_not", [Sample(b(3, 4)), Sample(i(3, 4))], grad=False)
add_op("logical_not", [Sample(b(3, 4)), Sample(i(3, 4, lo=-1, hi=2)), Sample(f(4))])
for _name in ("isnan", "isinf", "isfinite", "signbit"):
    add_op(_name, [Sample(np.array([1.0, np.nan, np.inf, -np.inf, -0.0, -2.0], np.float32)), Sample(i(4))])
add_op("isclose", [Sample(f(3, 4), f(3, 4)), Sample(np.array([1.0, 1.0 + 1e-6, np.nan], np.float32),
                                                     np.array([1.0, 1.0, np.nan], np.float32), equal_nan=True)])
add_op("where", [Sample(b(3, 4), f(4), f(3, 1)), Sample(b(4), f(3, 4), 0.0), Sample(b(3, 4), i(3, 4), f(3, 4)),
                 Sample(b(3, 4), 1.0, 0.0), Sample(b(4), i(4), 2), Sample(b(), f(2), f())],
       method=False, grad_samples=2)
add_op("Tensor.where", [Sample(f(3, 4), b(3, 4), f(3, 4)), Sample(f(3, 4), b(4), 0.0)],
       fn=lambda lib, x, c, y: x.where(c, y), method=False, inplace=False)

# ---- unary -----------------------------------------------------------------------------------------------------


def unary_samples(gen=f, ints=True, full=True):
    """``full=False`` drops the 0-d and empty samples (the same dispatch path for every unary op)."""
    s = [Sample(gen(3, 4))] + ([Sample(gen()), Sample(gen(0, 3))] if full else [])
    if ints:
        s.append(Sample(i(2, 3, lo=1, hi=4)))
    return s


_ALIASES = ("negative", "absolute", "sgn", "clip", "swapaxes", "concat")  # another entry's function: no grad check
_FULL_UNARY = ("exp", "log", "sqrt", "sin", "sigmoid", "reciprocal", "abs", "neg", "floor")


for _name, _gen in [("exp", f), ("exp2", f), ("expm1", f), ("log", pos), ("log2", pos), ("log10", pos),
                    ("log1p", pos), ("sqrt", pos), ("rsqrt", pos), ("sin", f), ("cos", f), ("tan", unit),
                    ("asin", unit), ("acos", unit), ("atan", f), ("sinh", f), ("cosh", f), ("tanh", f),
                    ("asinh", f), ("acosh", lambda *s: pos(*s) + 1), ("atanh", unit), ("sigmoid", f), ("erf", f),
                    ("erfc", f), ("erfinv", unit), ("lgamma", pos), ("digamma", pos), ("reciprocal", pos)]:
    add_op(_name, unary_samples(_gen, full=_name in _FULL_UNARY), rtol=2e-4)
for _name in ("neg", "negative", "abs", "absolute", "square", "sign", "sgn"):
    add_op(_name, unary_samples(f, full=_name in _FULL_UNARY) + [Sample(i(3, 4))],
           grad=_name not in _ALIASES)
for _name in ("floor", "ceil", "trunc", "round"):
    add_op(_name, unary_samples(lambda *s: f(*s) * 3, full=_name in _FULL_UNARY)
           + [Sample(np.array([0.5, 1.5, 2.5, -0.5, -1.5], np.float32))])
add_op("frac", [Sample(f(3, 4) * 3), Sample(f())])
add_op("round", [Sample(f(3, 4) * 10, decimals=1), Sample(f(3, 4) * 1000, decimals=-2)])
add_op("relu", [Sample(f(3, 4)), Sample(i(4))])
add_op("clamp", [Sample(f(3, 4), -0.5, 0.5), Sample(f(3, 4), max=0.0), Sample(f(3, 4), f(4) - 1, f(3, 1) + 1),
                 Sample(i(3, 4), -2, 2), Sample(i(3, 4), 0.5),
                 Sample(f(3, 4), name="no-bounds-raises")])
add_op("clip", [Sample(f(3, 4), -0.5, 0.5), Sample(i(3, 4), max=1)], grad=False)
add_op("clamp_min", [Sample(f(3, 4), 0.2), Sample(f(3, 4), f(4))])
add_op("clamp_max", [Sample(f(3, 4), 0.2), Sample(i(3, 4), 1)])
add_op("nan_to_num", [Sample(np.array([1.0, np.nan, np.inf, -np.inf], np.float32)),
                      Sample(np.array([1.0, np.nan, np.inf, -np.inf], np.float32), nan=2.0, posinf=9.0)])
add_op("masked_fill", [Sample(f(3, 4), b(3, 4), 0.5), Sample(f(3, 4), b(4), -1.0), Sample(f(3, 4), b(3, 4), f()),
                       Sample(i(3, 4), b(3, 4), 7), Sample(f(3, 4), i(3, 4), 1.0, name="int-mask-raises")])

# ---- reductions ------------------------------------------------------------------------------------------------


def red_samples(gen=f, ints=True, empty=True):
    s = [Sample(gen(2, 3, 4)), Sample(gen(2, 3, 4), -1, keepdim=True), Sample(gen(2, 3, 4), (0, 2)),
         Sample(gen(), 0)]
    if empty:
        s.append(Sample(gen(0, 3), 1))
    if ints:
        s += [Sample(i(3, 4), 0), Sample(b(3, 4), name="bool")]
    return s


add_op("sum", grad_samples=3,
       samples=red_samples() + [Sample(f(0, 3)), Sample(i(3, 4), 1, dtype=DT("float64"), name="i-dtype")])
add_op("nansum", [Sample(np.array([[1.0, np.nan], [2.0, 3.0]], np.float32)), Sample(f(2, 3), 1)])
add_op("prod", [Sample(f(2, 3, 4)), Sample(f(2, 3, 4), -1, keepdim=True), Sample(f(), 0), Sample(i(3, 4), 0),
                Sample(b(3, 4)), Sample(f(0, 3), 1)])
add_op("mean", grad_samples=3, samples=red_samples(ints=False) + [Sample(f(0, 3)), Sample(i(3, 4), name="int-raises"),
                                          Sample(i(3, 4), 1, dtype=DT("float32"), name="int-dtype")])
add_op("nanmean", [Sample(np.array([[1.0, np.nan], [2.0, 3.0]], np.float32)), Sample(f(2, 3), 1)])
for _name in ("var", "std"):
    add_op(_name, [Sample(f(2, 3, 4)), Sample(f(2, 3, 4), -1, keepdim=True), Sample(f(2, 3, 4), (0, 2)),
                   Sample(f(3, 4), 1, correction=0), Sample(f(3, 4), False), Sample(i(3, 4), name="int-raises")]
           + [Sample(f(3, 4), 0, unbiased=False)] * (_name == "var"))
for _name in ("var_mean", "std_mean"):
    add_op(_name, [Sample(f(2, 3, 4)), Sample(f(2, 3, 4), 1, keepdim=True), Sample(f(3, 4), -1, correction=0)])
add_op("logsumexp", [Sample(f(2, 3, 4), -1, keepdim=True), Sample(f(2, 3, 4), (0, 2)), Sample(f(), 0),
                     Sample(i(3, 4), 1), Sample(f(0, 3), 1)])
for _name in ("softmax", "log_softmax"):  # torch.softmax / Tensor.softmax (nn.functional's in test_nn_functional)
    add_op(_name, [Sample(f(2, 3, 4), -1), Sample(f(3, 4), 0, dtype=DT("float64")), Sample(f(), 0)], inplace=False)
for _name in ("amax", "amin"):
    add_op(_name, [Sample(distinct(2, 3, 4)), Sample(distinct(2, 3, 4), (0, -1)),
                   Sample(distinct(2, 3, 4), -1, keepdim=True), Sample(i(3, 4), 0)])
for _name in ("argmax", "argmin"):
    add_op(_name, [Sample(distinct(2, 3, 4)), Sample(distinct(2, 3, 4), -1, True), Sample(i(3, 4), 0),
                   Sample(f(), 0), Sample(distinct(2, 3), keepdim=True)])
for _name in ("max", "min"):
    add_op(_name, [Sample(distinct(2, 3, 4)), Sample(distinct(2, 3, 4), -1, True),
                   Sample(distinct(2, 3, 4), dim=0, keepdim=False), Sample(i(3, 4)), Sample(i(3, 4), 1),
                   Sample(f(), 0), Sample(distinct(3, 4), distinct(4) + 0.1, name="binary"),
                   Sample(b(3, 4)), Sample(f(0, 3), name="empty-raises")], grad_samples=2)
add_op("median", [Sample(distinct(3, 5)), Sample(distinct(3, 4)), Sample(distinct(3, 4), 1),
                  Sample(distinct(3, 4), -2, keepdim=True), Sample(i(3, 4), 1, name="int-dim")])
for _name in ("all", "any"):
    add_op(_name, [Sample(b(3, 4)), Sample(b(3, 4), -1, keepdim=True), Sample(f(3, 4)),
                   Sample(i(3, 4, lo=0, hi=2), 0), Sample(b(0, 3), 1), Sample(b())])
add_op("count_nonzero", [Sample(i(3, 4, lo=0, hi=2)), Sample(f(3, 4), 1), Sample(b(3, 4), (0, 1))])
add_op("norm", [Sample(f(3, 4)), Sample(f(3, 4), 1), Sample(f(3, 4), float("inf")), Sample(f(3, 4), 2, 1),
                Sample(f(2, 3, 4), dim=-1, keepdim=True), Sample(f(3, 4), 3, dim=0), Sample(f(3, 4), p=0, dim=1),
                Sample(i(3, 4), name="int-raises")],
       inplace=False)
add_op("cumsum", [Sample(f(3, 4), -2), Sample(i(3, 4), 0), Sample(b(3, 4), 1), Sample(f(), 0),
                  Sample(i(3, 4), 1, dtype=DT("float32"), name="i-dtype")])
add_op("cumprod", [Sample(f(3, 4), 1), Sample(f(3, 4), -2), Sample(i(3, 4), 0)])
for _name in ("cummax", "cummin"):
    add_op(_name, [Sample(distinct(3, 4), 1), Sample(distinct(3, 4), -2), Sample(i(3, 4), 0)])
add_op("logcumsumexp", [Sample(f(3, 4), 1), Sample(f(3, 4), -2)])
add_op("sort", [Sample(distinct(3, 4)), Sample(distinct(3, 4), 0, True), Sample(i(3, 4), stable=True), Sample(f())])
add_op("argsort", [Sample(distinct(3, 4)), Sample(distinct(3, 4), 0, True), Sample(i(6), stable=True)])
add_op("topk", [Sample(distinct(3, 5), 2), Sample(distinct(3, 5), 2, 0), Sample(distinct(3, 5), 3, largest=False),
                Sample(distinct(3, 5), 6, name="k-too-big-raises")])
add_op("kthvalue", [Sample(distinct(3, 5), 2), Sample(distinct(3, 5), 1, 0), Sample(distinct(3, 5), 3, -1, True)])
add_op("aminmax", [Sample(distinct(3, 4)), Sample(distinct(3, 4), dim=1), Sample(i(3, 4), dim=0, keepdim=True)],
       fn=lambda lib, *a, **k: tuple(lib.aminmax(*a, **k)), method=False)

# ---- shape ops -------------------------------------------------------------------------------------------------

add_op("reshape", [Sample(f(3, 4), (4, 3)), Sample(f(3, 4), (-1,)), Sample(f(3, 4), (2, -1, 2)),
                   Sample(f(), (1, 1)), Sample(f(0, 4), (4, 0)), Sample(f(2, 3, 4).transpose(1, 0, 2), (6, 4)),
                   Sample(f(3, 4), (5, -1), name="bad-raises"), Sample(f(3, 4), (-1, -1), name="two-infer-raises")],
       inplace=False)
add_op("view", [Sample(f(3, 4), 12), Sample(f(3, 4), 2, 6), Sample(f(3, 4), (-1, 2)), Sample(f(), ()),
                Sample(f(0, 4), (-1, 2))],
       fn=lambda lib, x, *s: x.view(*s), method=False, inplace=False)
add_op("flatten", [Sample(f(2, 3, 4)), Sample(f(2, 3, 4), 1), Sample(f(2, 3, 4), 0, -2), Sample(f()),
                   Sample(f(0, 3))], inplace=False)
add_op("unflatten", [Sample(f(2, 12), 1, (3, 4)), Sample(f(2, 12), -1, (-1, 2))], inplace=False)
add_op("squeeze", [Sample(f(1, 3, 1, 4)), Sample(f(1, 3, 1, 4), -2), Sample(f(1, 3), 1),
                   Sample(f(1, 3, 1), (0, 2)), Sample(f(), 0)])
add_op("unsqueeze", [Sample(f(3, 4), 0), Sample(f(3, 4), -1), Sample(f(3, 4), 1), Sample(f(), 0),
                     Sample(f(3, 4), 3, name="range-raises")])
add_op("permute", [Sample(f(2, 3, 4), (2, 0, 1)), Sample(f(2, 3, 4), (-1, 0, 1)), Sample(f(2, 3), (1, 0)),
                   Sample(f(2, 3), (0,), name="wrong-len-raises")], inplace=False)
add_op("transpose", [Sample(f(2, 3, 4), 0, 2), Sample(f(2, 3, 4), -1, 1), Sample(f(3), 0, -1)])
add_op("swapaxes", [Sample(f(2, 3, 4), 0, -1)], grad=False)
add_op("t", [Sample(f(3, 4)), Sample(f(3)), Sample(f()), Sample(f(2, 3, 4), name="3d-raises")])
add_op("movedim", [Sample(f(2, 3, 4), 0, -1), Sample(f(2, 3, 4), (0, 1), (2, 0))], inplace=False)
add_op("expand", [Sample(f(3, 1), 3, 4), Sample(f(4), (2, 3, 4)), Sample(f(3, 1), -1, 5), Sample(f(), 2, 2),
                  Sample(f(3, 2), 3, 4, name="mismatch-raises")], fn=lambda lib, x, *s: x.expand(*s),
       method=False, inplace=False)
add_op("broadcast_to", [Sample(f(3, 1), (3, 4)), Sample(f(4), (2, 3, 4))], inplace=False)
add_op("narrow", [Sample(f(4, 5), 0, 1, 2), Sample(f(4, 5), -1, 2, 3), Sample(f(4, 5), 1, -2, 2),
                  Sample(f(4, 5), 1, 4, 2, name="out-of-range-raises")], inplace=False)
add_op("select", [Sample(f(3, 4), 0, 1), Sample(f(3, 4), -1, -1), Sample(f(3, 4), 1, 4, name="oob-raises")],
       inplace=False)
add_op("split", [Sample(f(5, 4), 2), Sample(f(5, 4), 2, 1), Sample(f(5, 4), [1, 4]), Sample(f(5, 4), [1, 3], -1),
                 Sample(f(5, 4), [1, 3], 0, name="bad-sizes-raises")],
       fn=lambda lib, *a, **k: tuple(lib.split(*a, **k)), method=False, inplace=False)
add_op("chunk", [Sample(f(5, 4), 2), Sample(f(5, 4), 3, 1), Sample(f(2, 4), 4)],
       fn=lambda lib, *a, **k: tuple(lib.chunk(*a, **k)), inplace=False)
add_op("tensor_split", [Sample(f(5, 4), 3), Sample(f(5, 4), [1, 3], 1)],
       fn=lambda lib, *a, **k: tuple(lib.tensor_split(*a, **k)), inplace=False)
add_op("unbind", [Sample(f(3, 4)), Sample(f(3, 4), 1), Sample(f(3, 4), -1)],
       fn=lambda lib, *a, **k: tuple(lib.unbind(*a, **k)), inplace=False)
add_op("diagonal", [Sample(f(3, 4)), Sample(f(3, 4), 1), Sample(f(2, 3, 4), 0, 1, 2), Sample(f(3, 4), -1, -1, -2)],
       inplace=False)
add_op("unfold", [Sample(f(7), 0, 3, 2), Sample(f(2, 6), 1, 2, 2)], fn=lambda lib, x, *a: x.unfold(*a),
       method=False, inplace=False)
add_op("clone", [Sample(f(3, 4)), Sample(i(3)), Sample(f())], inplace=False)
add_op("contiguous", [Sample(f(3, 4))], fn=lambda lib, x: x.t().contiguous(), method=False, inplace=False)
add_op("cat", [Sample(TL([f(2, 3), f(1, 3)])), Sample(TL([f(2, 3), f(2, 1)]), 1), Sample(TL([f(2, 3), f(2, 2)]), -1),
               Sample(TL([f(2, 3), i(2, 3)])), Sample(TL([f(2, 3), f(0)])), Sample(TL([f(0, 3), f(2, 3)])),
               Sample(TL([f(2, 3), f(2, 2)]), 0, name="mismatch-raises"), Sample(TL([f(), f()]), name="0d-raises")],
       method=False, inplace=False)
add_op("concat", [Sample(TL([f(2, 3), f(1, 3)]))], method=False, inplace=False, grad=False)
add_op("stack", [Sample(TL([f(2, 3), f(2, 3)])), Sample(TL([f(2, 3), f(2, 3)]), -1), Sample(TL([f(), f()])),
                 Sample(TL([i(2), f(2)])), Sample(TL([f(2), f(3)]), name="mismatch-raises")],
       method=False, inplace=False)
add_op("hstack", [Sample(TL([f(2, 3), f(2, 1)])), Sample(TL([f(2), f(3)]))], method=False, inplace=False)
add_op("vstack", [Sample(TL([f(2, 3), f(1, 3)])), Sample(TL([f(3), f(3)]))], method=False, inplace=False)
add_op("repeat", [Sample(f(2, 3), 2, 1), Sample(f(3), 2, 2), Sample(f(2, 3), (1, 1, 2)), Sample(f(), 3)],
       fn=lambda lib, x, *a: x.repeat(*a), method=False, inplace=False)
add_op("tile", [Sample(f(2, 3), (2,)), Sample(f(3), (2, 2))], inplace=False)
add_op("repeat_interleave", [Sample(f(2, 3), 2), Sample(f(2, 3), 2, 0), Sample(f(2, 3), i(3, lo=0, hi=3), 1)],
       inplace=False)
add_op("flip", [Sample(f(2, 3), (0,)), Sample(f(2, 3), (0, -1))], inplace=False)
add_op("roll", [Sample(f(2, 3), 1), Sample(f(2, 3), -1, 1), Sample(f(2, 3), (1, 2), (0, 1))], inplace=False)
add_op("tril", [Sample(f(3, 4)), Sample(f(3, 4), 1), Sample(f(2, 3, 3), -1)])
add_op("triu", [Sample(f(3, 4)), Sample(f(3, 4), -1)])
add_op("diag", [Sample(f(3)), Sample(f(3, 4)), Sample(f(3), 1), Sample(f(3, 4), -1)], inplace=False)
add_op("diag_embed", [Sample(f(2, 3)), Sample(f(3), 1)], inplace=False)

# ---- indexing ops ----------------------------------------------------------------------------------------------

add_op("index_select", [Sample(f(4, 3), 0, np.array([2, 0, 2])), Sample(f(4, 3), -1, np.array([1])),
                        Sample(f(4, 3), 1, np.array([], np.int64)), Sample(f(), 0, np.array([0])),
                        Sample(f(4, 3), 0, np.array([0.0]), name="float-index-raises")], inplace=False)
add_op("gather", [Sample(f(3, 4), 1, np.array([[0, 3], [1, 1], [2, 0]])), Sample(f(3, 4), 0, i(2, 4, lo=0, hi=3)),
                  Sample(f(3, 4), -1, i(3, 2, lo=0, hi=4))], inplace=False)
add_op("take_along_dim", [Sample(f(3, 4), i(3, 2, lo=0, hi=4), 1), Sample(f(3, 4), i(5, lo=0, hi=12))],
       inplace=False)
add_op("take", [Sample(f(3, 4), i(2, 3, lo=-12, hi=12))], inplace=False)
add_op("scatter", [Sample(f(3, 5), 1, np.array([[0, 1], [2, 3], [4, 0]]), f(3, 2)),
                   Sample(f(3, 5), 0, np.array([[0, 1, 2]]), f(2, 4), grad=False),
                   Sample(f(3, 5), -1, np.array([[0], [2]]), 1.5),
                   Sample(f(3, 5), 1, np.array([[0, 1], [2, 3]]), f(2, 2), reduce="add", name="reduce-add",
                          grad=False)],
       grad=True)
add_op("scatter_add", [Sample(f(3, 5), 1, np.array([[0, 0], [2, 3], [4, 0]]), f(3, 2)),
                       Sample(f(3, 5), 0, np.array([[0, 0, 2]]), f(2, 4), grad=False)])
add_op("scatter_reduce", [Sample(f(3, 5), 1, np.array([[0, 0], [2, 3], [4, 0]]), f(3, 2), "sum"),
                          Sample(f(3, 5), 1, np.array([[0, 0], [2, 3], [4, 0]]), f(3, 2), "amax",
                                 include_self=False),
                          Sample(f(3, 5), 1, np.array([[0, 0], [2, 3], [4, 0]]), f(3, 2), "mean"),
                          Sample(f(3, 5), 1, np.array([[0, 0], [2, 3], [4, 0]]), f(3, 2), "prod")], grad=False)
add_op("index_add", [Sample(f(4, 3), 0, np.array([0, 2, 0]), f(3, 3)), Sample(f(4, 3), 1, np.array([1]), f(4, 1),
                                                                            alpha=2)])
add_op("index_fill", [Sample(f(4, 3), 0, np.array([0, 2]), 1.5), Sample(f(4, 3), -1, np.array([1]), -1.0)])
add_op("index_copy", [Sample(f(4, 3), 0, np.array([3, 1]), f(2, 3))])
add_op("masked_select", [Sample(f(3, 4), b(3, 4)), Sample(f(3, 4), b(4)), Sample(i(3), b(3))], inplace=False)
add_op("masked_scatter", [Sample(f(3, 4), b(3, 4), f(3, 4))])
add_op("nonzero", [Sample(i(3, 4, lo=0, hi=2)), Sample(b(5)), Sample(f()), Sample(np.zeros((2, 0), np.float32))],
       inplace=False)
add_op("nonzero_tuple", [Sample(i(3, 4, lo=0, hi=2)), Sample(b(5))],
       fn=lambda lib, x: tuple(lib.nonzero(x, as_tuple=True)), method=False, inplace=False)
add_op("argwhere", [Sample(i(3, 4, lo=0, hi=2))], inplace=False)
add_op("unique", [Sample(i(8, lo=0, hi=4)), Sample(i(8, lo=0, hi=4), return_inverse=True, return_counts=True),
                  Sample(np.array([2.0, 1.0, 2.0], np.float32), return_counts=True)],
       fn=lambda lib, *a, **k: lib.unique(*a, **k), inplace=False, grad=False)

# ---- linear algebra --------------------------------------------------------------------------------------------

add_op("mm", [Sample(f(2, 3), f(3, 4)), Sample(f(0, 3), f(3, 2)), Sample(f(5, 10), f(3, 2), name="mismatch-raises"),
              Sample(f(2, 3), i(3, 2), name="dtype-raises")], inplace=False, message=True)
add_op("bmm", [Sample(f(2, 2, 3), f(2, 3, 4)), Sample(f(2, 2, 3), f(3, 3, 4), name="batch-raises")], inplace=False)
add_op("matmul", [Sample(f(2, 3), f(3, 4)), Sample(f(3), f(3)), Sample(f(3), f(3, 2)), Sample(f(2, 3), f(3)),
                  Sample(f(2, 1, 2, 3), f(3, 3, 2)), Sample(i(2, 3), i(3, 2)),
                  Sample(f(5, 10), f(3, 2), name="mismatch-raises"),
                  Sample(f(2, 4, 10), f(3, 2), name="3d-mismatch-raises"),
                  Sample(f(), f(3), name="0d-raises")], inplace=False, message=True, grad_samples=5)
add_op("dot", [Sample(f(3), f(3)), Sample(i(3), i(3))], inplace=False)
add_op("vdot", [Sample(f(3), f(3))], inplace=False)
add_op("mv", [Sample(f(2, 3), f(3))], inplace=False)
add_op("outer", [Sample(f(3), f(4)), Sample(i(2), i(3))], inplace=False)
add_op("addmm", [Sample(f(2, 4), f(2, 3), f(3, 4)), Sample(f(4), f(2, 3), f(3, 4), beta=0.5, alpha=2)])
add_op("addmv", [Sample(f(2), f(2, 3), f(3)), Sample(f(2), f(2, 3), f(3), beta=2, alpha=0.5)])
add_op("baddbmm", [Sample(f(2, 2, 4), f(2, 2, 3), f(2, 3, 4)), Sample(f(2, 4), f(2, 2, 3), f(2, 3, 4), alpha=0.5)])
add_op("addbmm", [Sample(f(2, 4), f(3, 2, 3), f(3, 3, 4))])
add_op("einsum", [Sample("ij,jk->ik", f(2, 3), f(3, 4)), Sample("bij,bjk->bik", TL([f(2, 2, 3), f(2, 3, 4)])),
                  Sample("ii->i", f(3, 3)), Sample("...j,j->...", f(2, 3, 4), f(4))], method=False, inplace=False)
add_op("tensordot", [Sample(f(2, 3, 4), f(3, 4, 5)), Sample(f(2, 3), f(3, 4), 1),
                     Sample(f(2, 3, 4), f(4, 3), ([1, 2], [1, 0]))], method=False, inplace=False)
add_op("cross", [Sample(f(2, 3), f(2, 3)), Sample(f(3, 2), f(3, 2), dim=0)], inplace=False)
add_op("kron", [Sample(f(2, 2), f(2, 3))], inplace=False)
add_op("trace", [Sample(f(3, 3)), Sample(f(2, 3))], inplace=False)
add_op("det", [Sample(f(3, 3) + 3 * np.eye(3, dtype=np.float32)), Sample(f(2, 2, 2) + 3 * np.eye(2, dtype=np.float32))],
       inplace=False, rtol=1e-3)
add_op("inverse", [Sample(f(3, 3) + 3 * np.eye(3, dtype=np.float32))], inplace=False, rtol=1e-3, atol=1e-4)
add_op("cdist", [Sample(f(3, 2), f(4, 2)), Sample(f(3, 2), f(4, 2), p=1.0)], method=False, inplace=False)

# ---- Python operators (forward, reflected and in-place) --------------------------------------------------------


def _iop(opfn):
    def f_(lib, x, y):
        x = x.clone() if not x.requires_grad else x * 1
        r = opfn(x, y)
        assert r is x
        return r
    return f_


_OPERATORS = [("add", operator.add, operator.iadd), ("sub", operator.sub, operator.isub),
              ("mul", operator.mul, operator.imul), ("truediv", operator.truediv, operator.itruediv),
              ("floordiv", operator.floordiv, operator.ifloordiv), ("mod", operator.mod, operator.imod),
              ("pow", operator.pow, operator.ipow)]
for _py, _opfn, _ifn in _OPERATORS:
    _grad = _py not in ("floordiv", "mod")
    _rhs = pos if _py in ("truediv", "floordiv", "mod") else f
    _lhs = pos if _py == "pow" else f
    # (the functional forms above cover broadcasting and promotion; here: the operator entry points, Python
    # scalars on either side, and in-place results; gradients where the operand order matters)
    add_op(f"__{_py}__", [Sample(_lhs(3, 4), _rhs(4)), Sample(_lhs(3, 4), 2), Sample(i(3, 4, lo=1), 2.5)],
           fn=lambda lib, x, y, _o=_opfn: _o(x, y), method=False, inplace=False, grad=False)
    add_op(f"__r{_py}__", [Sample(_rhs(3, 4), 1.5), Sample(i(3, 4, lo=1, hi=3), 3), Sample(i(3, 4, lo=1, hi=3), 2.5)],
           fn=lambda lib, x, y, _o=_opfn: _o(y, x), method=False, inplace=False,
           grad=_grad and _py in ("sub", "truediv", "pow"))
    add_op(f"__i{_py}__", [Sample(_lhs(3, 4), _rhs(4)), Sample(i(3, 4, lo=1), i(3, 4, lo=1, hi=3)),
                           Sample(i(3, 4, lo=1), 1.5, name="int-float-raises" if _py != "floordiv" else None),
                           Sample(_lhs(4), _rhs(3, 4), name="broadcast-out-raises")],
           fn=_iop(_ifn), method=False, inplace=False, grad=_grad and _py in ("add", "mul"))
for _py, _opfn, _ifn in [("and", operator.and_, operator.iand), ("or", operator.or_, operator.ior),
                         ("xor", operator.xor, operator.ixor)]:
    add_op(f"__{_py}__", [Sample(b(3, 4), b(3, 4)), Sample(i(3, 4), i(4)), Sample(b(4), True), Sample(i(4), 3)],
           fn=lambda lib, x, y, _o=_opfn: _o(x, y), method=False, inplace=False, grad=False)
    add_op(f"__r{_py}__", [Sample(i(4), 3), Sample(b(4), False)],
           fn=lambda lib, x, y, _o=_opfn: _o(y, x), method=False, inplace=False, grad=False)
    add_op(f"__i{_py}__", [Sample(b(3, 4), b(3, 4)), Sample(i(3, 4), 5)], fn=_iop(_ifn), method=False,
           inplace=False, grad=False)
for _py, _opfn in [("lt", operator.lt), ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge),
                   ("eq", operator.eq), ("ne", operator.ne)]:
    add_op(f"__{_py}__", [Sample(i(3, 4, lo=-1, hi=2), i(4, lo=-1, hi=2)), Sample(f(3, 4), 0.0), Sample(i(4), 0.5)],
           fn=lambda lib, x, y, _o=_opfn: _o(x, y), method=False, inplace=False, grad=False)
    add_op(f"__r{_py}__", [Sample(f(3, 4), 0.5)],
           fn=lambda lib, x, y, _o=_opfn: _o(y, x), method=False, inplace=False, grad=False)
add_op("__matmul__", [Sample(f(2, 3), f(3, 4)), Sample(f(3), f(3, 2))], fn=lambda lib, x, y: x @ y, method=False,
       inplace=False)
add_op("__neg__", [Sample(f(3, 4)), Sample(i(3))], fn=lambda lib, x: -x, method=False, inplace=False)
add_op("__pos__", [Sample(f(3, 4))], fn=lambda lib, x: +x, method=False, inplace=False)
add_op("__abs__", [Sample(f(3, 4)), Sample(i(3))], fn=lambda lib, x: abs(x), method=False, inplace=False)
add_op("__invert__", [Sample(b(3, 4)), Sample(i(3))], fn=lambda lib, x: ~x, method=False, inplace=False)
add_op("T", [Sample(f(3, 4)), Sample(f(2, 3, 4))], fn=lambda lib, x: x.T if x.ndim == 2 else x.permute(2, 1, 0),
       method=False, inplace=False)
add_op("mT", [Sample(f(2, 3, 4))], fn=lambda lib, x: x.mT, method=False, inplace=False)
add_op("type-conversions", [Sample(f(3, 4) * 3)], fn=lambda lib, x: (x.long(), x.int(), x.double(), x.bool(),
                                                                    x.to(lib.float64), x.half()),
       method=False, inplace=False)

# ---- in-place Tensor methods without a functional form ---------------------------------------------------------


def _on_copy(method):
    """``x.clone().<method>(...)``: returns the written tensor (which must be the one returned)."""
    def f_(lib, x, *a):
        y = x.clone()
        r = getattr(y, method)(*a)
        assert r is y
        return r
    return f_


add_op("zero_", [Sample(f(3, 4)), Sample(i(3)), Sample(b(2, 2))], fn=_on_copy("zero_"), method=False, inplace=False)
add_op("fill_", [Sample(f(3, 4), 2.5), Sample(i(3, 4), 2.7), Sample(b(3), 1), Sample(f(3, 4), f()),
                 Sample(f(3, 4), f(2), name="non-0d-raises")], fn=_on_copy("fill_"), method=False, inplace=False)
add_op("copy_", [Sample(f(3, 4), f(3, 4)), Sample(f(3, 4), f(4)), Sample(f(3, 4), i(3, 4)), Sample(i(3, 4), f(3, 4)),
                 Sample(f(3, 4), f(2, 4), name="shape-raises")], fn=_on_copy("copy_"), method=False, inplace=False)


# ---- the tests -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("info,sample", op_cases(OPS))
def test_op(info, sample):
    check_forms(info, sample)


@pytest.mark.parametrize("info,sample", op_cases(OPS, with_grad=True))
def test_grad(info, sample):
    compare_grad(info.fn, sample, info.rtol * 10, info.atol * 10)


def test_table_is_broad():
    """Every op in ptjax's op table that is a public torch function is covered by a sample here (or excused)."""
    from ptjax._ops.registry import TABLE
    from test_ops_breadth import OPS as BREADTH_OPS
    covered = {o.name for o in OPS + BREADTH_OPS}
    excused = {"_to_copy", "_device_put", "swapdims", "moveaxis", "concatenate", "ger", "clip", "relu"}
    # the torch-namespace ops of ptjax._ops; nn.functional's entries (registered once ptjax.nn is imported by any
    # test) have their differential tests in tests/test_nn_*.py
    public = {n for n, o in TABLE.items() if o.function and not n.startswith("_")
              and o.fn.__module__.startswith("ptjax._ops")
              and o.fn.__module__ not in ("ptjax._ops.fft", "ptjax._ops.special")  # in tests/test_fft_special.py
              and not o.fn.__module__.startswith("ptjax._ops.linalg_")}  # in tests/test_linalg.py
    missing = sorted(public - covered - excused)
    assert not missing, f"ops without differential samples: {missing}"
