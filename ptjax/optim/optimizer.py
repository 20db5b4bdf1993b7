"""torch.optim.Optimizer over JAX: param groups, state in torch's layout, one jitted optax update per group.

How a step runs
    For each param group, the parameters that have a gradient (``p._grad is not None``; the others are skipped
    as in torch) are gathered into lists together with their grads and their per-parameter state (torch's keys:
    ``exp_avg``, ``momentum_buffer`` ...). One cached ``jax.jit`` function, keyed by the optimizer class and the
    group's structural flags (``maximize``, ``nesterov``, ``amsgrad``, ``weight_decay != 0`` ...), applies an
    ``optax`` ``GradientTransformation`` chain that reproduces torch's update rule over the whole group and
    returns the new parameters and state; they are written back in place (``Tensor._write``), so state tensors
    handed out by ``state_dict()`` alias the optimizer's state exactly like torch's do.

    Hyper-parameters (``lr``, betas, ``weight_decay`` ...) are dynamic arguments of the jitted function:
    editing ``group['lr']`` between steps (lr schedulers) takes effect on the next step without recompiling.
    Lazy state (torch creates it on a parameter's first step) is made by the rule's own ``init`` in a small
    jitted call first, so the first step runs the same compiled update as the later ones. A new program is
    compiled per group structure (shapes/dtypes, which parameters have grads) and per flags; on XLA:CPU the
    compile time grows with the number of parameters (roughly 6 small kernels per parameter for Adam).
    Parameter and state arrays are not donated: user views (``detach()``, ``.data``) may still hold them.
    Differences from torch: ``step`` counters live on their parameter's device (torch keeps them on the CPU
    unless capturable/fused), since one jitted call needs all its arrays on one device.

Subclasses validate their arguments with ``_check_lr`` / ``_check_nonnegative`` / ``_check_fused`` (torch's
messages), list in ``_group_defaults`` the group keys ``__setstate__`` fills in for older checkpoints, and
describe their rule with:
    ``_flags(group)``        the static flags, a NamedTuple of the optimizer's (hashable: part of the cache key)
    ``_hyper(group)``        dict of Python floats (dynamic arguments)
    ``_state_keys(group)``   the torch state keys the rule reads/writes (``None``: touch no state)
    ``_fills_state(flags)``  whether missing state is initialized before the update (default True)
    ``_links(flags, hyper)`` (list of optax transformations, index of the stateful one or None)
    ``_to_core(flags, states, params, link)`` / ``_from_core(flags, core_state)``: torch layout <-> its state
    ``_pre_update(flags, hyper, params)``: optional in-place-style change to params before the chain (AdamW)
"""
from __future__ import annotations

import functools
import warnings
from collections import OrderedDict, defaultdict
from copy import deepcopy
from itertools import chain

import jax
import jax.numpy as jnp
import optax

from .._stats import STATS
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton class representing a required parameter for an Optimizer."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_JIT_CACHE: dict = {}
_LABELS = {"eps": "epsilon"}  # torch's word for a hyper-parameter in its messages, where it is not the name


def _invalid(v, nan_ok):
    """torch writes its range checks two ways: ``not 0.0 <= v`` (NaN is invalid; most optimizers) and ``v < 0.0``
    (NaN passes; SGD). ``nan_ok`` picks the second."""
    return v < 0.0 if nan_ok else not 0.0 <= v


def _check_lr(lr, nan_ok=False):
    """torch's checks of ``lr``: a Tensor lr has one element, and lr >= 0."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if _invalid(lr, nan_ok):
        raise ValueError(f"Invalid learning rate: {lr}")


def _check_nonnegative(nan_ok=False, **values):
    """torch's ``Invalid <name> value: <v>`` for the first invalid one of ``values``, checked in order."""
    for name, v in values.items():
        if _invalid(v, nan_ok):
            raise ValueError(f"Invalid {_LABELS.get(name, name)} value: {v}")


def _check_betas(betas):
    """torch's ``Invalid beta parameter at index i`` unless ``0 <= beta < 1`` (Adam's family)."""
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_fused(fused, differentiable, foreach):
    """torch's checks of ``fused=True`` (accepted, and run as the one jitted update every optimizer uses)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    if module in (None, "builtins"):
        return type(obj).__qualname__
    return module + "." + type(obj).__qualname__


def _scalar(v):
    """A group hyper-parameter as a Python float (a 1-element Tensor lr is accepted, as in torch)."""
    if isinstance(v, Tensor):
        return float(v.item())
    return float(v)


def _scalar_dtype():
    """torch's ``_get_scalar_dtype()``: the dtype of the ``step`` counters (float64 iff the default is)."""
    from .. import _dtype as D
    return jnp.float64 if D.get_default_dtype() is D.float64 else jnp.float32


def _float64(x):
    return jnp.asarray(x).astype(jnp.float64)


def _lerp(start, end, weight):
    """torch.lerp with a scalar weight (weight cast to the tensor dtype; torch's two-sided formula)."""
    w = jnp.asarray(weight).astype(start.dtype)
    small = jnp.abs(w) < 0.5
    return jnp.where(small, start + w * (end - start), end - (end - start) * (1 - w))


# ---- complex parameters: torch runs the rules on view_as_real ---------------------------------------------------
def _as_real(x):
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


def _as_complex(x, dtype):
    return jax.lax.complex(x[..., 0], x[..., 1]).astype(dtype)


def _group_update(cls, flags, params, grads, states, hyper):
    """The pure function that ``jax.jit`` compiles once per (optimizer class, flags, group structure)."""
    STATS["optimizer_traces"] += 1
    cdtypes = [p.dtype if jnp.iscomplexobj(p) else None for p in params]
    if any(cdtypes):
        params = [_as_real(p) if c else p for p, c in zip(params, cdtypes)]
        grads = [_as_real(g) if c else g for g, c in zip(grads, cdtypes)]
        states = [{k: (_as_real(v) if jnp.iscomplexobj(v) else v) for k, v in s.items()} for s in states]
    params = cls._pre_update(flags, hyper, params)
    links, core = cls._links(flags, hyper)
    tx = optax.chain(*links)
    core_state = cls._to_core(flags, states, params, links[core]) if core is not None else None
    opt_state = tuple(core_state if i == core else link.init(params) for i, link in enumerate(links))
    updates, opt_state = tx.update(grads, opt_state, params)
    new_params = optax.apply_updates(params, updates)
    new_states = cls._from_core(flags, opt_state[core]) if core is not None else [{} for _ in params]
    if any(cdtypes):
        new_params = [_as_complex(p, c) if c else p for p, c in zip(new_params, cdtypes)]
        new_states = [{k: (_as_complex(v, c) if c and v.ndim == p.ndim and v.shape == p.shape else v)
                       for k, v in s.items()} for s, p, c in zip(new_states, params, cdtypes)]
    return new_params, new_states


def _jitted(cls, flags):
    key = (cls, flags)
    fn = _JIT_CACHE.get(key)
    if fn is None:
        # no donate_argnums: the old parameter/state arrays may still be referenced by user views (detach(), .data)
        fn = _JIT_CACHE[key] = jax.jit(functools.partial(_group_update, cls, flags))
    return fn


def _init_states(cls, flags, params, states, hyper):
    links, core = cls._links(flags, hyper)
    if core is None:
        return states
    return cls._from_core(flags, cls._to_core(flags, states, params, links[core]))


def _jitted_init(cls, flags):
    key = ("init", cls, flags)
    fn = _JIT_CACHE.get(key)
    if fn is None:
        fn = _JIT_CACHE[key] = jax.jit(functools.partial(_init_states, cls, flags))
    return fn


class _RemovableHandle:
    _next_id = 0

    def __init__(self, hooks_dict):
        self._hooks = hooks_dict
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class Optimizer:
    """Base class for all optimizers (torch.optim.Optimizer)."""

    #: group keys (and torch's defaults) that ``__setstate__`` adds to groups saved before torch had them
    _group_defaults: dict = {}
    #: whether the state has torch's ``step`` counters (``__setstate__`` turns saved numbers into 0-d tensors)
    _step_counters = False

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()

        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))

        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # ---- pickling / repr ---------------------------------------------------------------------------------------
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                     "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, default in self._group_defaults.items():
                group.setdefault(key, default)
        if self._step_counters:
            self._steps_to_tensors()

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n" + f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---- param groups ------------------------------------------------------------------------------------------
    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)

        tensors, names = [], []
        for param in param_group["params"]:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) == len(tensors):
                param_group["param_names"] = names
            else:
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will cause "
                          "an error; see github.com/pytorch/pytorch/issues/40967 for more information", stacklevel=3)

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                txt = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {txt} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients ---------------------------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    # ---- hooks -------------------------------------------------------------------------------------------------
    def _register(self, store, hook, prepend=False):
        handle = _RemovableHandle(store)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook):
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state dict --------------------------------------------------------------------------------------------
    def state_dict(self):
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": packed_state, "param_groups": param_groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            out = hook(self, sd)
            if out is not None:
                sd = out
        return sd

    @staticmethod
    def _process_value_according_to_param_policy(param, value, param_id, param_groups, key=None):
        fused = capturable = False
        for pg in param_groups:
            if param_id in pg["params"]:
                fused = pg.get("fused", False)
                capturable = pg.get("capturable", False)
                break
        if key == "step":
            if capturable or fused:
                from .. import _dtype as D
                return value.to(dtype=D.float32, device=param.device)
            # torch leaves a non-capturable step on the CPU; here it joins its parameter's device, since the group
            # update is one jitted call over arrays that must share a device
            return value.to(device=param.device)
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)

    def load_state_dict(self, state_dict):
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            out = hook(self, state_dict)
            if out is not None:
                state_dict = out

        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")

        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def _cast(param, value, param_id=None, param_groups=None, key=None):
            if isinstance(value, Tensor):
                return Optimizer._process_value_according_to_param_policy(param, value, param_id, param_groups, key)
            if isinstance(value, dict):
                return {k: _cast(param, v, param_id=param_id, param_groups=param_groups, key=k)
                        for k, v in value.items()}
            if isinstance(value, (list, tuple, set, frozenset)):
                return type(value)(_cast(param, v, param_id=param_id, param_groups=param_groups) for v in value)
            return value

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = _cast(param, v, param_id=k, param_groups=state_dict["param_groups"])
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    def _steps_to_tensors(self):
        """torch's __setstate__ for optimizers with a ``step`` counter: a number becomes a 0-d tensor."""
        from .._ops.creation import tensor
        from .. import _dtype as D
        sdt = D.float64 if D.get_default_dtype() is D.float64 else D.float32
        for group in self.param_groups:
            for p in group["params"]:
                st = self.state.get(p)
                if st and "step" in st and not isinstance(st["step"], Tensor):
                    st["step"] = tensor(float(st["step"]), dtype=sdt, device=p.device)

    # ---- stepping ----------------------------------------------------------------------------------------------
    def step(self, closure=None):
        if type(self)._links is Optimizer._links:
            raise NotImplementedError
        return self._with_step_hooks(self._step_groups, closure)

    def _with_step_hooks(self, run, closure):
        """``run(closure)`` between the step pre-hooks (which may replace the closure) and post-hooks."""
        args, kwargs = ((), {}) if closure is None else ((closure,), {})
        for hook in tuple(self._optimizer_step_pre_hooks.values()):
            out = hook(self, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {out}.")
                args, kwargs = out
                closure = args[0] if args else kwargs.get("closure")
        loss = run(closure)
        for hook in tuple(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return loss

    def _step_groups(self, closure):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._step_group(group)
        return loss

    def _step_group(self, group):
        keys = self._state_keys(group)
        state = self.state
        params, pvals, gvals, svals = [], [], [], []
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            if getattr(g, "is_sparse", False):
                raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
            params.append(p)
            pvals.append(p._value)
            gvals.append(g._value)
            if keys is None:
                svals.append({})
            else:
                st = state[p]
                svals.append({k: v._value for k, v in st.items() if k in keys and isinstance(v, Tensor)})
        if not params:
            return
        flags = self._flags(group)
        hyper = self._hyper(group)
        if keys is not None:
            todo = [i for i, s in enumerate(svals) if len(s) != len(keys)]
            if todo and self._fills_state(flags):
                # lazy state (torch creates it on a parameter's first step), made by the rule's own init in one
                # small jitted call, so that the first step runs the same compiled update as the later ones
                done = _jitted_init(type(self), flags)([pvals[i] for i in todo], [svals[i] for i in todo], hyper)
                for i, s in zip(todo, done):
                    svals[i] = s
                    st = state[params[i]]   # the state tensors exist before the update writes them, as in torch
                    for k in keys:          # (ptjax.compile makes them outside its trace: see _compile/patches.py)
                        if k in s and not isinstance(st.get(k), Tensor):
                            st[k] = Tensor._make(s[k])
        STATS["optimizer_steps"] += 1
        new_params, new_states = _jitted(type(self), flags)(pvals, gvals, svals, hyper)
        for p, v in zip(params, new_params):
            p._write(v)
        if keys is None:
            return
        for p, ns in zip(params, new_states):
            st = state[p]
            for k in keys:  # torch's key order
                v = ns.get(k)
                if v is None:
                    continue
                old = st.get(k)
                # state tensors keep their identity (torch updates them in place)
                if isinstance(old, Tensor) and old._value.shape == v.shape and old._data.dtype == v.dtype:
                    old._write(v)
                else:
                    st[k] = Tensor._make(v)

    # ---- the rule (subclasses) ---------------------------------------------------------------------------------
    def _flags(self, group):
        raise NotImplementedError

    def _hyper(self, group):
        return {}

    def _state_keys(self, group):
        return None

    def _fills_state(self, flags):
        """Whether missing state is created before the update (False: the rule itself handles "no state yet")."""
        return True

    @staticmethod
    def _links(flags, hyper):
        raise NotImplementedError

    @staticmethod
    def _to_core(flags, states, params, link):
        # custom transforms keep torch's layout (a list of per-parameter dicts): fill in what is not there yet
        return _merge_init(link.init(params), states)

    @staticmethod
    def _from_core(flags, core_state):
        return core_state

    @staticmethod
    def _pre_update(flags, hyper, params):
        return params


def _head_links(maximize, weight_decay):
    """torch's common prologue: ``grad = -grad`` if maximize, then L2 ``grad += weight_decay * param``."""
    links = []
    if maximize:
        links.append(optax.scale(-1.0))
    if weight_decay is not None:
        links.append(optax.add_decayed_weights(weight_decay))
    return links


def _merge_init(init_states, given):
    """Per-parameter torch state: entries the optimizer already holds override the freshly initialized ones."""
    return [{**init, **g} for init, g in zip(init_states, given)]
