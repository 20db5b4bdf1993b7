"""``torch.jit.save``/``load`` for ptjax: a traced program as a file that runs without the module's class.

The archive is a zip:

* ``program.bin`` — ``jax.export`` of the program ``(inputs, state) -> (outputs, new state)``, lowered for CPU and
  CUDA (StableHLO, versioned by JAX; ``jax.export.deserialize`` reads it);
* ``state/<i>.npy`` — each parameter, buffer or other captured tensor, in the program's input order;
* ``meta.json`` — names (``state_dict`` keys), which state the program writes (BatchNorm statistics, the random
  key), the input shapes and how the outputs nest;
* ``extra/<name>`` — ``_extra_files``.

Nothing is pickled: loading an archive runs no code from it.
"""
from __future__ import annotations

import io
import json
import zipfile

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.core import jaxpr_as_fun

from .._ops.random import default_generator
from .._tensor import Tensor
from ..nn.modules.module import Module
from ..nn.parameter import Parameter

FORMAT = "ptjax.jit/1"


def _platforms():
    platforms = ["cpu", "cuda"]
    here = jax.devices()[0].platform
    return tuple(platforms if here in ("cpu", "gpu", "cuda") else [here] + platforms)


def export_program(program, module):
    """The ``jax.export.Exported`` of a traced program (inputs: arguments, then state)."""
    if program.host_actions:
        raise RuntimeError("ptjax.jit: a function that steps an optimizer or a scheduler cannot be saved")
    specs = [jax.ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type) for a in program.closed.in_avals]
    fn = jax.jit(jaxpr_as_fun(program.closed))
    try:
        return jax.export.export(fn, platforms=_platforms())(*specs)
    except Exception:  # noqa: BLE001 - a platform without a lowering: export for this machine's only
        return jax.export.export(fn)(*specs)


def _state_entries(program, module):
    names = {}
    if module is not None:
        for n, p in module.named_parameters(remove_duplicate=False):
            names.setdefault(id(p), (n, "parameter"))
        for n, b in module.named_buffers(remove_duplicate=False):
            names.setdefault(id(b), (n, "buffer"))
    entries, arrays = [], []
    for i, slot in enumerate(program.slots):
        if slot.kind == "key":
            entries.append({"kind": "rng"})
            arrays.append(None)
            continue
        if slot.kind != "tensor":
            raise RuntimeError("ptjax.jit: a program that reads .grad cannot be saved")
        t = slot.tensor
        name, kind = names.get(id(t), (f"_captured{i}", "buffer"))
        entries.append({"kind": kind, "name": name, "requires_grad": bool(t._requires_grad)})
        arrays.append(np.asarray(t._value))
    return entries, arrays


def _encode_outputs(plan):
    leaves = jax.tree_util.tree_unflatten(plan["treedef"], list(range(len(plan["out_spec"]))))

    def enc(x):
        if isinstance(x, int) and not isinstance(x, bool):
            spec = plan["out_spec"][x]
            if spec[0] == "new":
                return {"out": spec[1]}
            if spec[0] == "item":
                return {"item": spec[1]}
            if spec[0] == "const" and (spec[1] is None or isinstance(spec[1], (bool, int, float, str))):
                return {"const": spec[1]}
            raise RuntimeError("ptjax.jit: only tensors, numbers and strings can be returned by a saved module")
        if isinstance(x, tuple):
            return {"tuple": [enc(v) for v in x]}
        if isinstance(x, list):
            return {"list": [enc(v) for v in x]}
        if isinstance(x, dict):
            return {"dict": [[k, enc(v)] for k, v in x.items()]}
        if x is None:
            return {"const": None}
        raise RuntimeError(f"ptjax.jit: cannot save an output of type {type(x).__name__}")
    return enc(leaves)


def save_archive(program, module, f, name, extra_files=None):
    plan = program.plan
    if plan["grads"] or plan["escapes"] or plan["arg_writes"]:
        raise RuntimeError("ptjax.jit: a program that sets .grad, writes its inputs or keeps new tensors in Python "
                           "state cannot be saved")
    exported = export_program(program, module)
    entries, arrays = _state_entries(program, module)
    index = {id(s): i for i, s in enumerate(program.slots)}
    avals = program.closed.in_avals[:program.n_args]
    meta = {"format": FORMAT, "name": name, "training": bool(module.training) if module is not None else False,
            "args": [[list(a.shape), str(a.dtype)] for a in avals], "state": entries,
            "writes": [[index[id(s)], i] for s, i in plan["slot_writes"]], "outputs": _encode_outputs(plan),
            "platforms": list(exported.platforms)}
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("meta.json", json.dumps(meta, indent=1))
        z.writestr("program.bin", bytes(exported.serialize()))
        for i, a in enumerate(arrays):
            if a is not None:
                buf = io.BytesIO()
                np.save(buf, a, allow_pickle=False)
                z.writestr(f"state/{i}.npy", buf.getvalue())
        for k, v in (extra_files or {}).items():
            z.writestr(f"extra/{k}", v if isinstance(v, bytes) else str(v).encode())


def load(f, map_location=None, _extra_files=None):
    """``torch.jit.load``: a :class:`RecursiveScriptModule` (no Python class of the original needed)."""
    with zipfile.ZipFile(f) as z:
        meta = json.loads(z.read("meta.json"))
        if meta.get("format") != FORMAT:
            raise RuntimeError(f"ptjax.jit.load: not a ptjax.jit archive (format {meta.get('format')!r})")
        exported = jax.export.deserialize(bytearray(z.read("program.bin")))
        arrays = [None if e["kind"] == "rng" else np.load(io.BytesIO(z.read(f"state/{i}.npy")), allow_pickle=False)
                  for i, e in enumerate(meta["state"])]
        if _extra_files is not None:
            for k in list(_extra_files):
                _extra_files[k] = z.read(f"extra/{k}")
    m = RecursiveScriptModule(meta, exported, arrays)
    if map_location is not None:
        m.to(map_location)
    return m


class RecursiveScriptModule(Module):
    """A module read by :func:`load` (``torch.jit.RecursiveScriptModule``): parameters and buffers under their
    ``state_dict`` names, ``forward`` runs the saved program."""

    def __init__(self, meta, exported, arrays):
        super().__init__()
        self.__dict__["_meta"] = meta
        self.__dict__["_exported"] = exported
        self.__dict__["original_name"] = meta["name"]
        for e, a in zip(meta["state"], arrays):
            if e["kind"] == "rng":
                continue
            *path, leaf = e["name"].split(".")
            owner = self
            for p in path:
                if p not in owner._modules:
                    owner.add_module(p, Module())
                owner = owner._modules[p]
            t = Tensor._make(jax.device_put(a))
            if e["kind"] == "parameter":
                owner.register_parameter(leaf, Parameter(t, requires_grad=e["requires_grad"]))
            else:
                owner.register_buffer(leaf, t)
        self.train(meta["training"])

    def _state_tensor(self, e):
        *path, leaf = e["name"].split(".")
        owner = self
        for p in path:
            owner = owner._modules[p]
        return owner._parameters[leaf] if e["kind"] == "parameter" else owner._buffers[leaf]

    def forward(self, *args):
        meta = self._meta
        if len(args) != len(meta["args"]):
            raise RuntimeError(f"forward() expected {len(meta['args'])} arguments, got {len(args)}")
        flat = []
        for i, (a, (shape, dtype)) in enumerate(zip(args, meta["args"])):
            v = a._value if isinstance(a, Tensor) else jnp.asarray(a)
            if list(v.shape) != shape or str(v.dtype) != dtype:
                raise RuntimeError(f"forward(): argument {i} has shape {list(v.shape)} and dtype {v.dtype}; this "
                                   f"saved program was traced for shape {shape} and dtype {dtype}")
            flat.append(v)
        state = [None if e["kind"] == "rng" else self._state_tensor(e) for e in meta["state"]]
        flat += [default_generator._key if t is None else t._value for t in state]
        outs = self._exported.call(*flat)
        for si, oi in meta["writes"]:
            if state[si] is None:
                default_generator._key = outs[oi]
            else:
                state[si]._write(outs[oi])
        return _decode(meta["outputs"], outs)

    def save(self, f, _extra_files=None):
        with zipfile.ZipFile(f, "w") as z:
            meta = dict(self._meta)
            z.writestr("meta.json", json.dumps(meta, indent=1))
            z.writestr("program.bin", bytes(self._exported.serialize()))
            for i, e in enumerate(meta["state"]):
                if e["kind"] != "rng":
                    buf = io.BytesIO()
                    np.save(buf, np.asarray(self._state_tensor(e)._value), allow_pickle=False)
                    z.writestr(f"state/{i}.npy", buf.getvalue())

    @property
    def code(self):
        return self._exported.mlir_module()

    def extra_repr(self):
        return f"original_name={self.original_name}"


def _decode(enc, outs):
    (kind, v), = enc.items()
    if kind == "out":
        return Tensor._make(outs[v])
    if kind == "item":
        return Tensor._make(outs[v]).item()
    if kind == "const":
        return v
    if kind == "tuple":
        return tuple(_decode(x, outs) for x in v)
    if kind == "list":
        return [_decode(x, outs) for x in v]
    return {k: _decode(x, outs) for k, x in v}
