"""Tensor: a stateful, torch-like handle on an immutable ``jax.Array``.

Storage and views
    A tensor either owns its storage (``_base is None``; ``_data`` is the array) or is a view of the tensor that
    does (``_base``), described like torch by ``(shape, stride, offset)`` into the base's flat, contiguous storage.
    A view caches its value (``_data``) together with the base's version it was computed at; when the base has
    been written since, the value is gathered again from the base. A write through a view scatters into the base.
    So ``.data``, ``detach()``, ``view``, slicing, ``transpose`` … alias their base exactly as in torch.

Host tensors
    A CPU tensor may hold its storage as a read-only NumPy array (``Tensor._from_host``): transforms and collation
    in a data pipeline build tensors that way, so a sample costs no JAX dispatch and a batch one transfer. Its
    metadata reads the array; ``_value`` (what every op reads) moves it into a CPU ``jax.Array`` on first use,
    and ``.to(device)`` puts it on the device directly. Nothing writes the array: it is read-only, and a write to
    the tensor replaces its storage.

Autograd
    Non-leaf tensors point at the :class:`~ptjax.autograd.graph.Node` that made them (``_grad_fn``, ``_out_idx``).

Methods
    Only storage, metadata, autograd state and conversions are written here. The ops (``add``, ``sum``, ``view`` …),
    the Python operators and ``backward`` are installed once by ``ptjax/_methods.py`` when ptjax is imported.
"""
from __future__ import annotations

import jax
import numpy as np

from . import _dtype as D
from . import _layout, _strides
from ._device import array_device, cpu_jax_device, device as _device_cls, to_jax_device
from ._size import Size
from .autograd.grad_mode import _Mode


class Tensor:
    """A torch.Tensor over a JAX array. See the module docstring for the storage/view model."""

    # class-level defaults keep construction to one attribute store in the common case
    _base = None            # the tensor owning the storage, for a view
    _view = None            # (shape, stride, offset) of a view
    _bver = 0               # base version the cached view value belongs to
    _version = 0            # bumped by every in-place write (on the storage owner)
    _grad_fn = None
    _out_idx = 0
    _requires_grad = False
    _diff_view = False      # a view made by a differentiable op (not detach/.data): writes through it are recorded
    _grad = None
    _hooks = None           # leaf gradient hooks
    _post_accumulate_hooks = None   # leaf hooks run after .grad is accumulated (backward)
    _retains_grad = False
    _pinned = False         # made by pin_memory()
    __array_priority__ = 1000
    __torch_function__ = None

    def __init__(self, *args, **kwargs):
        # torch.Tensor(data) / torch.Tensor(2, 3): legacy constructors, default float dtype
        from ._ops.creation import legacy_new
        t = legacy_new(D.get_default_dtype(), *args, **kwargs)
        self._data = t._data

    @classmethod
    def _make(cls, data):
        t = object.__new__(cls)
        t._data = data
        return t

    @classmethod
    def _from_host(cls, array: np.ndarray):
        """A host tensor over ``array`` (see the module docstring); the caller gives up writing to it."""
        D.from_numpy_dtype(array.dtype)
        array.flags.writeable = False
        return cls._make(array)

    def _host_array(self):
        """The NumPy storage of a host tensor that does not require grad, else None."""
        d = self._data
        return d if type(d) is np.ndarray and not self._requires_grad else None

    # ---- value & views ----------------------------------------------------------------------------------------
    @property
    def _value(self):
        b = self._base
        if b is not None and self._bver != b._version:
            self._refresh()
        d = self._data
        if type(d) is np.ndarray:  # a host tensor's storage moves into JAX on first use
            d = self._data = jax.device_put(d, cpu_jax_device())
        return d

    def _refresh(self):
        """Recompute a stale view from its base's storage (and re-link it into autograd, as torch does)."""
        b = self._base
        shape, stride, offset = self._spec()
        flat = b._data.reshape(-1)
        self._data = _gather(flat, shape, stride, offset)
        self._bver = b._version
        if self._diff_view and b._requires_grad and _Mode.enabled:
            from ._ops.dispatch import record_as_strided
            record_as_strided(self, b)

    def _make_view(self, data, spec, differentiable=True):
        """A new tensor viewing this one's storage with layout ``spec``."""
        root = self._base if self._base is not None else self
        t = Tensor._make(data)
        t._base, t._view, t._bver = root, spec, root._version
        t._diff_view = differentiable
        return t

    def _spec(self):
        if self._base is not None:
            if self._view is None:
                from ._ops.dispatch import lazy_spec
                return lazy_spec(self)
            return self._view
        shape = self._data.shape
        return (shape, _strides.contiguous_strides(shape), 0)

    def _write(self, new):
        """Replace this tensor's value with the array ``new`` (same shape and dtype), through views too."""
        b = self._base
        if b is None:
            self._data = new
            self._version += 1
            return
        shape, stride, offset = self._spec()
        b._data = _scatter(b._data, new, shape, stride, offset)
        b._version += 1
        self._data, self._bver = new, b._version

    # ---- metadata ---------------------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size._of(self._data.shape)

    def size(self, dim=None):
        s = self._data.shape
        if dim is None:
            return Size._of(s)
        return s[_wrap_dim(dim, len(s))]

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(np.prod(self._data.shape, dtype=np.int64))

    nelement = numel

    @property
    def dtype(self) -> D.dtype:
        return D._NP_TO_DTYPE[self._data.dtype]

    @property
    def device(self) -> _device_cls:
        return array_device(self._data)

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    is_cpu = property(lambda self: self.device.type == "cpu")
    is_sparse = False
    is_quantized = False
    is_meta = False
    layout = _layout.strided

    def get_device(self) -> int:
        d = self.device
        return -1 if d.type == "cpu" else d.index

    def stride(self, dim=None):
        st = self._spec()[1]
        return st if dim is None else st[_wrap_dim(dim, len(st))]

    def storage_offset(self) -> int:
        return self._spec()[2]

    def is_contiguous(self, memory_format=None) -> bool:
        shape, stride, _ = self._spec()
        return _strides.is_contiguous(shape, stride)

    def element_size(self) -> int:
        return self.dtype.itemsize

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def data_ptr(self) -> int:
        root = self._base if self._base is not None else self
        return id(root) + self.storage_offset() * self.element_size()

    def untyped_storage(self):
        return _StorageView(self._base if self._base is not None else self)

    @property
    def _version_counter(self):
        return (self._base if self._base is not None else self)._version

    # ---- autograd state ---------------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        requires_grad = bool(requires_grad)
        if self._grad_fn is not None and not requires_grad:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if requires_grad and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")  # torch's words
        self._requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self):
        if self._base is not None:
            self._value  # a stale view re-links into autograd first
        return self._grad_fn

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is not None:
            if not isinstance(g, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(g).__name__}")
            if g.shape != self.shape:
                raise RuntimeError("assigned grad has data of a different size")
            if g.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
        self._grad = g

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is not None and not self._retains_grad:
            self._grad_fn.retain(self._out_idx, self)
            self._retains_grad = True

    def register_hook(self, hook):
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            return self._grad_fn.add_tensor_hook(self._out_idx, hook)
        self._hooks = (self._hooks or []) + [hook]
        from .autograd.graph import _RemovableHandle
        return _RemovableHandle(lambda: self._hooks.remove(hook))

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs (under no_grad) after ``backward()`` has accumulated this leaf's ``.grad``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        self._post_accumulate_hooks = (self._post_accumulate_hooks or []) + [hook]
        from .autograd.graph import _RemovableHandle
        return _RemovableHandle(lambda: self._post_accumulate_hooks.remove(hook))

    def detach(self):
        return self._make_view(self._value, self._spec(), differentiable=False)

    def detach_(self):
        if self._base is not None and self._diff_view:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self._grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, new):
        if not isinstance(new, Tensor):
            raise TypeError(f"data must be a Tensor, not {type(new).__name__}")
        self._data = new._value
        self._base, self._view = None, None
        self._version += 1

    # ---- conversion -------------------------------------------------------------------------------------------
    def item(self):
        if self.numel() != 1:
            raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
        return _to_python(np.asarray(self._value).reshape(()))

    def tolist(self):
        a = np.asarray(self._value)
        if a.dtype == D.bfloat16.np or a.dtype == np.float16:
            a = a.astype(np.float32)
        return a.tolist()

    def numpy(self, *, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        dev = self.device
        if dev.type != "cpu" and not force:
            raise TypeError(f"can't convert {dev} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                            "host memory first.")
        return np.asarray(self._value)

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(self._value)
        return a.astype(dtype) if dtype is not None else a

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(np.asarray(self._value).reshape(()))

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(np.asarray(self._value).reshape(()))

    def __complex__(self):
        return complex(self._scalar("complex"))

    def _scalar(self, what):
        if self.numel() != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return np.asarray(self._value).reshape(())

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    __hash__ = object.__hash__  # identity, as torch's; at C speed (optimizer state and autograd maps key by it)

    def __contains__(self, element):
        return bool((self == element).any())

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        d = self.dtype
        show_dtype = d not in (D.get_default_dtype(), D.int64, D.bool) and not (
            d is D.complex64 and D.get_default_dtype() is D.float32)
        dev = self.device
        return tensor_repr(np.asarray(self._value), dtype_name=d.name, is_floating=d.is_floating_point,
                           is_complex=d.is_complex, show_dtype=show_dtype,
                           device=None if dev.type == "cpu" else str(dev),
                           requires_grad=self._requires_grad,
                           grad_fn=self._grad_fn.name().split("::")[-1] if self._grad_fn is not None else None)

    __str__ = __repr__

    def __format__(self, spec):
        if self.ndim == 0 and spec:
            return format(self.item(), spec)
        return object.__format__(repr(self), spec) if not spec else format(repr(self), spec)

    def __reduce_ex__(self, proto):
        # pickling a tensor (copy.deepcopy, multiprocessing workers): by value, torch-independent; it unpickles as
        # a host tensor, so a DataLoader worker that receives tensors starts no JAX backend for them
        d = self._data if type(self._data) is np.ndarray else np.asarray(self._value)
        return (_rebuild_from_numpy, (d, self._requires_grad))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        t = type(self)._make(self._value)
        if type(self) is not Tensor:
            t.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("_data", "_base", "_view", "_grad")})
        t._base = None
        t._view = None
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = t
        return t

    # ---- devices & dtypes -------------------------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """torch's ``to``. ``non_blocking`` is accepted: JAX transfers are asynchronous anyway."""
        dtype, dev, copy = _parse_to(*args, **kwargs)
        out = self
        if dtype is not None and dtype is not self.dtype:
            out = out.type(dtype)
        if dev is not None:
            jd = to_jax_device(dev)
            if _jax_device(out._data) != jd:
                host = out._host_array()
                if host is not None:  # one transfer, straight from the host array
                    out = Tensor._make(jax.device_put(host, jd))
                else:
                    from ._ops.dispatch import move_to_device
                    out = move_to_device(out, jd)
        if copy and out is self:
            out = self.clone()
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else _device_cls("cuda", device) if isinstance(device, int) else device)

    def type(self, dtype=None, non_blocking=False):
        """torch's legacy type names: ``torch.FloatTensor``, ``torch.cuda.FloatTensor`` for a CUDA tensor."""
        if dtype is None:
            return _type_name(self.dtype, self.is_cuda)
        if isinstance(dtype, str):
            cuda = dtype.startswith("torch.cuda.")
            dtype = {_type_name(d, cuda): d for d in D.ALL}[dtype]
            if cuda != self.is_cuda:
                return self.to("cuda" if cuda else "cpu").type(dtype)
        dtype = D.to_dtype(dtype)
        if dtype is self.dtype:
            return self
        from ._ops.dispatch import cast
        return cast(self, dtype)

    def float(self): return self.type(D.float32)
    def double(self): return self.type(D.float64)
    def half(self): return self.type(D.float16)
    def bfloat16(self): return self.type(D.bfloat16)
    def int(self): return self.type(D.int32)
    def long(self): return self.type(D.int64)
    def short(self): return self.type(D.int16)
    def char(self): return self.type(D.int8)
    def byte(self): return self.type(D.uint8)
    def bool(self): return self.type(D.bool)
    def cfloat(self): return self.type(D.complex64)
    def cdouble(self): return self.type(D.complex128)

    def type_as(self, other):
        return self.type(other.dtype)

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._ops.creation import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    def pin_memory(self, device=None):
        """torch's page-locked copy for fast transfers. ptjax: a host tensor (a NumPy copy, see the module
        docstring) flagged pinned, which ``.to('cuda', non_blocking=True)`` sends in one ``device_put``; the
        memory itself is ordinary (JAX stages transfers itself). Without an accelerator: torch's error."""
        from ._device import cuda_is_available
        if not cuda_is_available():
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if self._pinned:
            return self
        host = self._host_array()
        t = Tensor._from_host(host if host is not None else np.array(self.detach()._value))
        t._pinned = True
        return t

    def share_memory_(self):
        return self

    def is_pinned(self, device=None):
        return self._pinned

    def is_shared(self):
        return False


def _jax_device(a):
    """The JAX device holding ``a`` (the CPU for a host array; None for a traced value)."""
    if type(a) is np.ndarray:
        return cpu_jax_device()
    if isinstance(a, jax.core.Tracer):
        return None
    return next(iter(a.devices()))


def _type_name(d: D.dtype, cuda=False) -> str:
    """torch's legacy tensor type name of a dtype: ``torch.FloatTensor`` (``torch.cuda.FloatTensor`` on CUDA)."""
    return f"torch.{'cuda.' if cuda else ''}{D.SCALAR_TYPE_NAME[d.name]}Tensor"


def _rebuild_from_numpy(a, requires_grad):
    t = Tensor._from_host(a)
    t._requires_grad = requires_grad
    return t


class _StorageView:
    """Identity of a storage (for ``untyped_storage().data_ptr()`` comparisons)."""

    def __init__(self, root):
        self._root = root

    def data_ptr(self):
        return id(self._root)

    def size(self):
        return self._root.numel() * self._root.element_size()

    nbytes = size


def _to_python(a):
    if a.dtype == D.bfloat16.np or a.dtype == np.float16:
        return float(a)
    return a.item()


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _parse_to(*args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    flags = [a for a in args if isinstance(a, bool)]  # positional (non_blocking, copy)
    if len(flags) > 1:
        copy = flags[1]
    for a in args:
        if isinstance(a, bool):
            pass
        elif isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, _device_cls, int)):
            device = a
        elif a is None:
            pass
        else:
            dtype = D.to_dtype(a)
    return dtype, device, copy


@jax.jit
def _gather_flat(flat, idx):
    return flat[idx]


def _gather(flat, shape, stride, offset):
    idx = _strides.flat_indices(tuple(shape), tuple(stride), offset)
    return _gather_flat(flat, idx).reshape(shape)


@jax.jit
def _scatter_flat(flat, idx, values):
    return flat.at[idx].set(values)


def _scatter(base, new, shape, stride, offset):
    idx = _strides.flat_indices(tuple(shape), tuple(stride), offset)
    return _scatter_flat(base.reshape(-1), idx, new.reshape(-1).astype(base.dtype)).reshape(base.shape)
