"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, batch_first, inter-layer dropout, LSTM proj_size)
and RNNCell, LSTMCell, GRUCell, with torch's parameter names, shapes, init and repr.

A whole ``RNN/LSTM/GRU`` call is ONE op-table kernel (:func:`_rnn_impl`): the input projections of a layer are one
matmul over all timesteps, the recurrence is a ``jax.lax.scan``, and autograd records a single node whose
backward is ``jax.vjp`` of the scan (not one node per timestep).
"""
from __future__ import annotations

import math
import numbers
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from ..._ops import creation as _creation
from ..._ops.registry import op
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence, _host_ints, _pack_sorted, _unpack_sorted
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _uniform_all(params, bound):
    """U(-bound, bound) for every parameter (torch's RNN init), drawn as ONE ``init.uniform_`` call over their total
    size: one compiled draw per module configuration instead of one per parameter shape."""
    params = [p for p in params if p.numel()]
    if not params:
        return
    flat = _creation.empty(sum(p.numel() for p in params), dtype=params[0].dtype, device=params[0].device)
    init.uniform_(flat, -bound, bound)
    a = np.asarray(flat._value)
    off = 0
    with no_grad():
        for p in params:
            n = p.numel()
            dev = next(iter(p._value.devices()))
            p._write(jax.device_put(a[off:off + n].reshape(tuple(p.shape)).copy(), dev))
            off += n


def _cell(mode, xi, h, c, w_hh, b_hh, w_hr):
    """One step given the precomputed input projection ``xi``: returns (h', c')."""
    gh = jnp.matmul(h, w_hh.T)
    if b_hh is not None:
        gh = gh + b_hh
    if mode == "LSTM":
        g = xi + gh
        i, f, gg, o = jnp.split(g, 4, axis=-1)
        i, f, gg, o = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jnp.tanh(gg), jax.nn.sigmoid(o)
        c2 = f * c + i * gg
        h2 = o * jnp.tanh(c2)
        if w_hr is not None:
            h2 = jnp.matmul(h2, w_hr.T)
        return h2, c2
    if mode == "GRU":
        xr, xz, xn = jnp.split(xi, 3, axis=-1)
        hr, hz, hn = jnp.split(gh, 3, axis=-1)
        r = jax.nn.sigmoid(xr + hr)
        z = jax.nn.sigmoid(xz + hz)
        n = jnp.tanh(xn + r * hn)
        return (1 - z) * n + z * h, c
    pre = xi + gh
    return (jnp.tanh(pre) if mode == "RNN_TANH" else jax.nn.relu(pre)), c


def _in_proj(x, w_ih, b_ih):
    y = jnp.matmul(x, w_ih.T)
    return y + b_ih if b_ih is not None else y


def _reverse_within(lengths, T):
    """(T, B) time indices reversing each sequence within its own length (padding steps stay in place); None when
    all sequences are full length, where a plain reversal does."""
    if lengths is None:
        return None
    t = jnp.arange(T)[:, None]
    return jnp.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)


def _time_gather(x, idx):
    return jnp.take_along_axis(x, idx.reshape(idx.shape + (1,) * (x.ndim - 2)), axis=0)


@op(tensors=("input", "hx", "cx", "rng", "lengths", "weights"), jit=True, method=False, function=False)
def _rnn_impl(input, hx, cx, rng, lengths, *weights, mode, num_layers, bidirectional, batch_first, dropout,
              training, has_bias, proj_size):
    """The full multi-layer recurrence. ``weights`` in torch's ``_flat_weights`` order. Returns
    ``(output, h_n)`` or, for LSTM, ``(output, h_n, c_n)``; ``hx``/``cx`` are ``(D*L, B, H)`` (batched form).

    ``lengths`` (B,), for packed sequences (time-major, padded): the state of a sequence stops changing after its
    last step, and the reverse direction starts at each sequence's own last step; outputs past the end are zero."""
    x = input
    if batch_first:
        x = jnp.swapaxes(x, 0, 1)                       # (T, B, I)
    T = x.shape[0]
    D = 2 if bidirectional else 1
    per = (4 if has_bias else 2) + (1 if proj_size else 0)
    lstm = mode == "LSTM"
    valid = None if lengths is None else jnp.arange(T)[:, None] < lengths[None, :]     # (T, B)
    rev = _reverse_within(lengths, T)
    h_out, c_out = [], []
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            w = weights[(layer * D + d) * per:(layer * D + d + 1) * per]
            w_ih, w_hh = w[0], w[1]
            b_ih, b_hh = (w[2], w[3]) if has_bias else (None, None)
            w_hr = w[-1] if proj_size else None
            k = layer * D + d
            h0 = hx[k]
            c0 = cx[k] if lstm else jnp.zeros((), x.dtype)
            if d == 0:
                seq = x
            else:
                seq = x[::-1] if rev is None else _time_gather(x, rev)
            xi = _in_proj(seq, w_ih, b_ih)              # (T, B, G*H): one matmul for all steps

            def step(carry, inputs, w_hh=w_hh, b_hh=b_hh, w_hr=w_hr):
                h, c = carry
                xt, keep = inputs
                h2, c2 = _cell(mode, xt, h, c, w_hh, b_hh, w_hr)
                if keep is None:
                    return (h2, c2), h2
                m = keep[:, None]
                h2 = jnp.where(m, h2, h)
                c2 = jnp.where(m, c2, c) if lstm else c2
                return (h2, c2), jnp.where(m, h2, jnp.zeros((), h2.dtype))

            (hT, cT), ys = jax.lax.scan(step, (h0, c0), (xi, valid))
            if d == 1:
                ys = ys[::-1] if rev is None else _time_gather(ys, rev)
            outs.append(ys)
            h_out.append(hT)
            c_out.append(cT)
        x = outs[0] if D == 1 else jnp.concatenate(outs, axis=-1)
        if dropout > 0 and training and layer < num_layers - 1:
            key = jax.random.fold_in(jax.random.wrap_key_data(rng), layer)
            keep = jax.random.bernoulli(key, 1.0 - dropout, x.shape)
            x = jnp.where(keep, x / (1.0 - dropout), jnp.zeros((), x.dtype)) if dropout < 1 else jnp.zeros_like(x)
    out = jnp.swapaxes(x, 0, 1) if batch_first else x
    h_n = jnp.stack(h_out)
    if lstm:
        return out, h_n, jnp.stack(c_out)
    return out, h_n


class RNNBase(Module):
    """Base of RNN/LSTM/GRU: parameters ``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` for LSTM with ``proj_size``), all U(-1/sqrt(H), 1/sqrt(H))."""

    __constants__ = ["mode", "input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
                     "bidirectional", "proj_size"]

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        real_hidden = proj_size if proj_size > 0 else hidden_size
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input_size = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                params = [("weight_ih_l{}{}", (gate_size, layer_input_size)),
                          ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    params += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    params += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = []
                for fmt, shape in params:
                    name = fmt.format(layer, suffix)
                    setattr(self, name, Parameter(_creation.empty(*shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """No-op (cuDNN weight packing has no equivalent here)."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        _uniform_all(list(self.parameters()), stdv)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- forward ----------------------------------------------------------------------------------------------
    def _run(self, input, hx, cx):
        """(output, [h_n(, c_n)]) for a Tensor or a PackedSequence ``input`` (then ``output`` is one too)."""
        packed = isinstance(input, PackedSequence)
        lengths = None
        if packed:
            batch_sizes = _host_ints(input.batch_sizes)
            x, host_lengths = _unpack_sorted(input.data, batch_sizes, len(batch_sizes), 0.0)
            lengths = Tensor._make(jnp.asarray(host_lengths))
            if input.sorted_indices is not None:   # the initial states follow the batch into packed order
                hx, cx = (h if h is None else h.index_select(1, input.sorted_indices) for h in (hx, cx))
        elif not isinstance(input, Tensor):
            raise TypeError(f"{type(self).__name__} expects a Tensor or a PackedSequence input, got "
                            f"{type(input).__name__}")
        else:
            x = input
        if x.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: Expected input to be 2D or 3D, got {x.dim()}D instead")
        batched = x.dim() == 3
        batch_first = bool(self.batch_first) and not packed   # packed data is time-major
        batch_dim = 0 if batch_first else 1
        D = 2 if self.bidirectional else 1
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if not batched:
            x = x.unsqueeze(batch_dim)
        if x.size(-1) != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{x.size(-1)}")
        B = x.size(batch_dim)
        shapes = [("hx", hx, (self.num_layers * D, B, real_hidden))]
        if self.mode == "LSTM":
            shapes.append(("cx", cx, (self.num_layers * D, B, self.hidden_size)))
        args = {}
        for name, t, shape in shapes:
            if t is None:
                t = _creation.zeros(*shape, dtype=x.dtype, device=x.device)
            else:
                if batched and t.dim() != 3:
                    raise RuntimeError(f"For batched 3-D input, hx and cx should also be 3-D but got "
                                       f"({t.dim()}-D) tensors")
                if not batched and t.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx and cx should also be 2-D but got "
                                       f"({t.dim()}-D) tensors")
                if not batched:
                    t = t.unsqueeze(1)
                if tuple(t.shape) != shape:
                    what = "hidden[0]" if self.mode == "LSTM" and name == "hx" else (
                        "hidden[1]" if name == "cx" else "hidden")
                    raise RuntimeError(f"Expected {what} size {shape}, got {list(t.shape)}")
            args[name] = t
        rng = None
        if self.dropout > 0 and self.training and self.num_layers > 1:
            from ..._ops.random import default_generator
            rng = Tensor._make(jax.random.key_data(default_generator.next_key()))
        res = _rnn_impl(x, args["hx"], args.get("cx"), rng, lengths, *self._flat_weights, mode=self.mode,
                        num_layers=self.num_layers, bidirectional=bool(self.bidirectional),
                        batch_first=batch_first, dropout=self.dropout if rng is not None else 0.0,
                        training=rng is not None,
                        has_bias=bool(self.bias), proj_size=int(self.proj_size))
        out, hs = res[0], list(res[1:])
        if packed:
            out = PackedSequence(_pack_sorted(out, host_lengths)[0], input.batch_sizes, input.sorted_indices,
                                 input.unsorted_indices)
            if input.unsorted_indices is not None:
                hs = [h.index_select(1, input.unsorted_indices) for h in hs]
        elif not batched:
            out = out.squeeze(batch_dim)
            hs = [h.squeeze(1) for h in hs]
        return out, hs


class RNN(RNNBase):
    """Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu)."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        out, (h,) = self._run(input, hx, None)
        return out, h


class LSTM(RNNBase):
    """Long short-term memory; gates ordered (input, forget, cell, output) as in torch."""

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input, hx=None):
        h0, c0 = (None, None) if hx is None else hx
        out, (h, c) = self._run(input, h0, c0)
        return out, (h, c)


class GRU(RNNBase):
    """Gated recurrent unit; gates ordered (reset, update, new) as in torch."""

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        out, (h,) = self._run(input, hx, None)
        return out, h


# ---- cells ---------------------------------------------------------------------------------------------------

@op(tensors=("input", "hx", "cx", "w_ih", "w_hh", "b_ih", "b_hh"), jit=True, method=False, function=False)
def _rnn_cell(input, hx, cx, w_ih, w_hh, b_ih, b_hh, mode):
    xi = _in_proj(input, w_ih, b_ih)
    h, c = _cell(mode, xi, hx, cx if cx is not None else jnp.zeros((), input.dtype), w_hh, b_hh, None)
    return (h, c) if mode == "LSTM" else h


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(_creation.empty(num_chunks * hidden_size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(_creation.empty(num_chunks * hidden_size, hidden_size, device=device,
                                                   dtype=dtype))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        _uniform_all(list(self.parameters()), stdv)

    def _step(self, mode, input, hx, cx):
        if input.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"{type(self).__name__}: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else input.unsqueeze(0)
        shape = (x.size(0), self.hidden_size)
        h = _creation.zeros(*shape, dtype=x.dtype, device=x.device) if hx is None else (
            hx if batched else hx.unsqueeze(0))
        c = None
        if mode == "LSTM":
            c = _creation.zeros(*shape, dtype=x.dtype, device=x.device) if cx is None else (
                cx if batched else cx.unsqueeze(0))
        res = _rnn_cell(x, h, c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh, mode)
        if not batched:
            res = tuple(r.squeeze(0) for r in res) if isinstance(res, tuple) else res.squeeze(0)
        return res


class RNNCell(RNNCellBase):
    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", input, hx, None)


class LSTMCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        h, c = (None, None) if hx is None else hx
        return self._step("LSTM", input, h, c)


class GRUCell(RNNCellBase):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", input, hx, None)
