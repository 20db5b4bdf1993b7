"""The op table: ``TABLE`` maps every torch name of an op to its :class:`Op`, an entry of plain data.

Every op is defined once, as a pure JAX function with torch's signature, and registered with :func:`op`::

    @op(tensors=("input", "other"), promote=BINARY, inplace=True)
    def add(input, other, *, alpha=1):
        return input + other * alpha if alpha != 1 else input + other

From that one entry come ``ptjax.add``, ``Tensor.add``, ``Tensor.add_`` and the autograd record (the Tensor methods
are installed from the table by ``ptjax/_methods.py`` when ptjax is imported). Parameters named in ``tensors`` are
*dynamic* (arrays, or Python scalars kept weakly typed); all others are *static* (hashable attributes like ``dim``
or ``alpha``) and select a :class:`Kernel`: the function with its static arguments and input casts fixed. Kernels
of composite ops are ``jax.jit``-compiled; a single ``jnp`` call is cheaper eagerly.
"""
from __future__ import annotations

import inspect
import numbers

import jax
import numpy as np

from .. import _dtype as D
from .. import _precision
from .._stats import STATS
from ..autograd.graph import PureKernel

# promotion rules: how an op picks the dtype its tensor inputs are cast to
SAME = "same"        # no casting: the op keeps its input's dtype
BINARY = "binary"    # torch.result_type of all tensor/scalar inputs
FLOAT = "float"      # as BINARY, then integers/bool become the default float (sin, true division, mean)
COMPARE = "compare"  # as BINARY for the inputs; the result is bool

_SCALAR_KIND = {bool: "b", int: "i", float: "f", complex: "c"}


def scalar_kind(v):
    k = _SCALAR_KIND.get(type(v))
    if k is None:
        if isinstance(v, (bool, np.bool_)):
            k = "b"
        elif isinstance(v, numbers.Integral):
            k = "i"
        elif isinstance(v, numbers.Real):
            k = "f"
        elif isinstance(v, numbers.Complex):
            k = "c"
    return k


class Kernel(PureKernel):
    """One op with its static arguments bound: ``fn(*dynamic)`` is pure JAX; ``call`` is what eager runs."""

    __slots__ = ("op", "key", "fn", "call", "grad_name", "_vjps")

    def __init__(self, op, key, fn, jit):
        self.op, self.key, self.fn = op, key, fn
        self.call = jax.jit(_counted(fn)) if jit else fn
        gn = op.grad_name
        self.grad_name = gn(key[1]) if callable(gn) else gn  # a name may depend on the static arguments
        self._vjps = {}


def _counted(fn):
    """``fn``, counting its traces (each is one compilation of the kernel) in ``STATS["kernel_compiles"]``."""
    def traced(*dyn):
        STATS["kernel_compiles"] += 1
        return fn(*dyn)
    return traced


class Op:
    """An op-table entry: the pure function and how to call it. Calling it dispatches: bind, promote, pick a kernel,
    run, wrap, record (``dispatch.call``)."""

    def __init__(self, fn, name, *, tensors, promote, jit, differentiable, grad_name, view, out_fn, check, keep,
                 eager, method, inplace, function, aliases):
        self.fn, self.name, self.aliases = fn, name, tuple(aliases)
        sig = inspect.signature(fn)
        self.params = tuple(sig.parameters.values())
        self.names = tuple(p.name for p in self.params)
        self.n_positional = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in self.params)
        self.var_pos = next((i for i, p in enumerate(self.params) if p.kind == p.VAR_POSITIONAL), None)
        self.defaults = tuple(() if p.kind == p.VAR_POSITIONAL else p.default for p in self.params)
        self.tensor_pos = tuple(i for i, n in enumerate(self.names) if n in tensors)
        self.keep_pos = tuple(i for i, n in enumerate(self.names) if n in keep)
        self.list_pos = tuple(i for i in self.tensor_pos if self.params[i].kind == inspect.Parameter.VAR_POSITIONAL
                              or n_is_list(self.names[i]))
        self.promote = promote
        self.jit = jit
        self.differentiable = differentiable
        if grad_name is None:  # torch's grad_fn class name: cross_entropy -> CrossEntropyBackward0
            grad_name = "".join(w.capitalize() for w in name.strip("_").split("_")) + "Backward0"
        self.grad_name = grad_name
        self.view = view        # fn(input Tensor, *static) -> (shape, stride, offset) per output, for view ops
        self.out_fn = out_fn    # optional: post-process the wrapped outputs (e.g. namedtuple for max(dim))
        self.check = check      # optional: validate the bound arguments first, raising torch's errors
        self.eager = eager or fn  # an eager-only forward: same values, cheaper to dispatch (gradients use fn)
        self.method = method    # install Tensor.<name> and Tensor.<alias> (a string: that one method name instead)
        self.inplace = inplace  # install Tensor.<name>_ (and Tensor.<alias>_)
        self.function = function  # ptjax.<name> (and ptjax.<alias>)
        self.functions = {}     # name or alias -> the public callable (set by register; ``front`` replaces them)
        self.front = None       # a Python function that is the public face, if any (see ``front``)
        self._kernels = {}

    @property
    def public(self):
        """The public callable (``ptjax.X``, ``Tensor.X``'s behaviour); its ``.op`` is this entry."""
        return self.functions[self.name]

    def __call__(self, *args, **kwargs):
        from .dispatch import call
        return call(self, args, kwargs)

    def __repr__(self):
        return f"<ptjax op {self.name}>"

    # -- binding ------------------------------------------------------------------------------------------------
    def bind(self, args, kwargs):
        if self.var_pos is not None and len(args) > self.var_pos:
            args = tuple(args[:self.var_pos]) + (tuple(args[self.var_pos:]),)
        elif len(args) > self.n_positional:
            raise TypeError(f"{self.name}() takes {self.n_positional} positional arguments but {len(args)} were given")
        vals = list(args) + list(self.defaults[len(args):])
        for k, v in kwargs.items():
            try:
                i = self.names.index(k)
            except ValueError:
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{k}'") from None
            if i < len(args):
                raise TypeError(f"{self.name}() got multiple values for argument '{k}'")
            vals[i] = v
        for i, v in enumerate(vals):
            if v is inspect.Parameter.empty:
                raise TypeError(f"{self.name}() missing required argument '{self.names[i]}'")
        return vals

    # -- kernels ------------------------------------------------------------------------------------------------
    def kernel(self, static, struct, cast):
        key = (static, struct, cast, _precision.KEY[0])  # a kernel per precision setting (see _precision.py)
        k = self._kernels.get(key)
        if k is None:
            k = self._kernels[key] = Kernel(self, (self.name,) + key, self._make_fn(static, struct, cast), self.jit)
        return k

    def _make_fn(self, static, struct, cast):
        fn, n, invoke = self.fn, len(self.names), self.invoke
        tensor_pos, list_pos = self.tensor_pos, self.list_pos
        cast_np = cast.np if cast is not None else None
        keep = self.keep_pos
        # dyn positions whose dtype a Python scalar may take: tensor inputs, not exempt ones (``keep``, e.g.
        # where's condition), and not other scalars (under jit a Python float arrives as a float64 tracer)
        dtype_dyn, j = [], 0
        for i, s in zip(tensor_pos, struct):
            w = 0 if s is None else s if i in list_pos else 1
            if i not in keep and (s == "t" or i in list_pos):
                dtype_dyn.extend(range(j, j + w))
            j += w

        def kernel_fn(*dyn):
            scalar_np = cast_np or next((dyn[k].dtype for k in dtype_dyn), None)
            it, st = iter(dyn), iter(static)
            full, si = [], iter(struct)
            for i in range(n):
                if i not in tensor_pos:
                    full.append(next(st))
                    continue
                s = next(si)
                if s is None:
                    full.append(None)
                elif i in list_pos:
                    full.append([_cast(next(it), cast_np) for _ in range(s)])
                elif s == "t":
                    full.append(_cast(next(it), None if i in keep else cast_np))
                else:  # a Python scalar takes the dtype the op computes in
                    v = next(it)
                    full.append(jax.numpy.asarray(v, scalar_np) if scalar_np is not None else v)
            return invoke(fn, full)

        return kernel_fn

    def invoke(self, fn, full):
        """Call ``fn`` (of this op's signature) with the bound values ``full``, in parameter order."""
        args, kw = [], {}
        for p, v in zip(self.params, full):
            if p.kind == p.VAR_POSITIONAL:
                args.extend(v)
            elif p.kind == p.KEYWORD_ONLY:
                kw[p.name] = v
            else:
                args.append(v)
        return fn(*args, **kw)


def n_is_list(name):
    return name in ("tensors", "indices_list")


def _cast(a, np_dtype):
    if np_dtype is None or a.dtype == np_dtype:
        return a
    return a.astype(np_dtype)


def compute_dtype(rule, tensors, scalars, skip=()):
    """The dtype tensor inputs are cast to, or None when no cast is needed."""
    if rule == SAME or not (tensors or scalars):
        return None
    dims, zero = [], []
    tensors = [t for t in tensors if id(t) not in skip] if skip else tensors
    for t in tensors:
        (dims if t.ndim else zero).append(t.dtype)
    r = D.result_type(dims, zero, scalars)
    if rule == FLOAT and not (r.is_floating_point or r.is_complex):
        r = D.get_default_dtype()
    if tensors and all(t.dtype is r for t in tensors):  # no tensor to cast: scalars still need r
        return None
    return r


def op(name=None, *, tensors=("input",), promote=SAME, jit=False, differentiable=True, grad_name=None,
       view=None, out_fn=None, check=None, keep=(), eager=None, method=True, inplace=False, function=True,
       aliases=()):
    """Register a pure JAX function as an op; ``aliases`` are torch's other names for the same op (one entry, one
    kernel cache: ``ptjax.concat.op is ptjax.cat.op``).

    Returns the public function (``ptjax.X``); the :class:`Op` is its ``.op`` attribute.
    """
    def deco(fn):
        o = Op(fn, name or fn.__name__, tensors=tensors, promote=promote, jit=jit, differentiable=differentiable,
               grad_name=grad_name, view=view, out_fn=out_fn, check=check, keep=keep, eager=eager, method=method,
               inplace=inplace, function=function, aliases=aliases)
        register(o)
        return o.public
    return deco


def front(entry):
    """Decorator: the decorated Python function becomes the public face (``ptjax.X`` and ``Tensor.X``) of the
    op-table entry ``entry`` (what :func:`op` returned), for torch functions whose signature is wider than the
    kernel's (overloads, ``repeat_interleave(repeats)``, nested ``dims`` lists)."""
    def deco(fn):
        o = entry.op
        fn.op = o
        o.front = fn
        o.functions = {n: fn for n in o.functions}
        if late_install is not None:
            late_install(o)
        return fn
    return deco


def register(o):
    """Enter ``o`` in the table under its name and aliases, with its public callables."""
    from .dispatch import prepare, public_function
    prepare(o)
    o.functions = {n: public_function(o, n) for n in (o.name, *o.aliases)}
    for n in o.functions:
        if n in TABLE:
            raise RuntimeError(f"op-table name {n!r} is taken by {TABLE[n].fn.__module__}.{TABLE[n].fn.__name__}")
        TABLE[n] = o
    if late_install is not None:
        late_install(o)


def entries():
    """Every Op once (``TABLE`` lists an op under each of its names)."""
    return list(dict.fromkeys(TABLE.values()))


TABLE: dict[str, Op] = {}
#: Set by ``ptjax/_methods.py`` once the Tensor methods are installed: gives an entry registered afterwards (in a
#: module imported later) its methods at once. Entry modules belong in ``ptjax/_ops/__init__.py``'s list.
late_install = None
