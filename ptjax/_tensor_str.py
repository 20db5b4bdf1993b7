"""Text form of tensors: ``repr(t)`` / ``str(t)`` exactly as torch prints them.

Pure NumPy (no JAX, no torch).  :func:`tensor_repr` takes the tensor's values as a NumPy array plus a few
facts about the tensor (dtype name, device, autograd state) and returns the string torch would print.  It
mirrors torch's printing rules character for character:

* one notation and one column width for all elements of a tensor, chosen from its finite nonzero values:
  integer-valued floats print as ``1.``, others with ``precision`` decimals (``0.1000``), and scientific
  notation (``1.0000e-05``) is used when max/min > 1000, max > 1e8, or (non-integer values) min < 1e-4;
  ``sci_mode`` in the print options overrides the choice;
* complex numbers get separate formats for the real and the imaginary parts;
* rows wrap at ``linewidth``; n-d tensors nest brackets with one blank line per extra dimension between
  blocks;
* tensors with more than ``threshold`` elements are summarised with ``...`` keeping ``edgeitems`` items at
  each end of each dimension;
* suffixes follow the body in torch's order (device, size, dtype, grad_fn / requires_grad) and move to a new
  line when they would overflow ``linewidth``.

:func:`set_printoptions`, :func:`get_printoptions` and the :func:`printoptions` context manager hold the
options, with torch's defaults and profiles.
"""
from __future__ import annotations

import contextlib
import dataclasses
import math

import numpy as np

__all__ = ["tensor_repr", "set_printoptions", "get_printoptions", "printoptions"]


# ----------------------------------------------------------------------------------------------- options


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# profile name -> (precision, threshold, edgeitems, linewidth)
_PROFILES = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None,
                     sci_mode=None):
    """Set the printing options, like ``torch.set_printoptions``.

    A ``profile`` ('default', 'short' or 'full'; other names are ignored) first resets precision,
    threshold, edgeitems and linewidth; options given explicitly then override it; options left as ``None``
    keep their value.  ``sci_mode`` is always replaced: ``None`` means "choose automatically".
    """
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold,
         PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict:
    """The current options as a dict: precision, threshold, edgeitems, linewidth, sci_mode."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Context manager: ``set_printoptions(**kwargs)`` inside the block, the previous options after it."""
    saved = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**saved)


# -------------------------------------------------------------------------------------------- formatter


def _plain_text(value) -> str:
    """An integer or bool element as torch shows it (``7``, ``True``)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    return str(int(value))


class _Formatter:
    """One notation and one width shared by every element of a (summarised) array of real numbers."""

    def __init__(self, data: np.ndarray, floating: bool):
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if floating:
            self._fit_floats(data.ravel().astype(np.float64))
        else:
            self.width = max([1] + [len(_plain_text(v)) for v in data.ravel().tolist()])

    def _fit_floats(self, flat: np.ndarray) -> None:
        """Choose the notation from the finite nonzero values, then the width of their texts.  Without
        such values the integer notation stays, even when ``sci_mode`` is forced."""
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            return
        mags = np.abs(vals)
        lo, hi = float(mags.min()), float(mags.max())
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        wide = hi / lo > 1000.0 or hi > 1.0e8
        self.sci_mode = wide if self.int_mode else (wide or lo < 1.0e-4)
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode
        self.width = max(self.width, max(len(self._text(v)) for v in vals.tolist()))

    def _text(self, value: float) -> str:
        prec = PRINT_OPTS.precision
        if self.sci_mode:
            return f"{value:.{prec}e}"
        if self.int_mode:
            return f"{value:.0f}" + ("." if math.isfinite(value) else "")
        return f"{value:.{prec}f}"

    def format(self, value) -> str:
        """One element, right-aligned to the shared width (longer texts such as ``-inf`` overflow it)."""
        text = self._text(value) if self.floating else _plain_text(value)
        return text.rjust(self.width)


class _ComplexFormatter:
    """Formats complex elements as ``real`` followed by the signed imaginary part and ``j``."""

    def __init__(self, data: np.ndarray):
        self.real = _Formatter(data.real, floating=True)
        self.imag = _Formatter(data.imag, floating=True)
        self.width = self.real.width + self.imag.width + 1

    def format(self, value) -> str:
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag


# ----------------------------------------------------------------------------------------------- layout


def _edge_indices(n: int) -> np.ndarray:
    edge = PRINT_OPTS.edgeitems
    return np.r_[0:edge, n - edge:n]


def _summarized(values: np.ndarray) -> np.ndarray:
    """The elements that a summarised print shows: ``edgeitems`` at each end of every long dimension."""
    for axis, n in enumerate(values.shape):
        if n > 2 * PRINT_OPTS.edgeitems:
            values = np.take(values, _edge_indices(n), axis=axis)
    return values


def _row_items(values: np.ndarray, summarize: bool) -> list:
    """Indices of a dimension to print, with ``None`` where the ``...`` goes."""
    n = values.shape[0]
    if summarize and n > 2 * PRINT_OPTS.edgeitems:
        edge = PRINT_OPTS.edgeitems
        return list(range(edge)) + [None] + list(range(n - edge, n))
    return list(range(n))


def _vector_str(values: np.ndarray, indent: int, summarize: bool, formatter) -> str:
    """A 1-d row, wrapped so that each line holds as many ``width + 2`` wide items as fit."""
    item_len = formatter.width + 2
    per_line = max(1, (PRINT_OPTS.linewidth - indent) // item_len)
    items = [" ..." if i is None else formatter.format(values[i].item())
             for i in _row_items(values, summarize)]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(values: np.ndarray, indent: int, summarize: bool, formatter) -> str:
    """Brackets around the sub-tensors, separated by ``ndim - 1`` newlines."""
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, formatter)
    blocks = ["..." if i is None else _nested_str(values[i], indent + 1, summarize, formatter)
              for i in _row_items(values, summarize)]
    separator = "," + "\n" * (values.ndim - 1) + " " * (indent + 1)
    return "[" + separator.join(blocks) + "]"


def _as_printable(values: np.ndarray, is_floating: bool, is_complex: bool) -> np.ndarray:
    """float16 / bfloat16 / float32 widened to float64 (exactly), complex to complex128."""
    if is_complex:
        return values.astype(np.complex128)
    if is_floating:
        return values.astype(np.float64)
    return values


def _body_str(values: np.ndarray, indent: int, summarize: bool, is_floating: bool, is_complex: bool) -> str:
    values = _as_printable(values, is_floating, is_complex)
    shown = _summarized(values) if summarize else values
    if is_complex:
        formatter = _ComplexFormatter(shown)
    else:
        formatter = _Formatter(shown, floating=is_floating)
    return _nested_str(values, indent, summarize, formatter)


# --------------------------------------------------------------------------------------------- suffixes


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    """Append ``, suffix`` items and the closing parenthesis, starting a new line (indented under the
    opening bracket) for an item that would overflow ``linewidth``.  As in torch, the line that holds the
    body is counted two characters longer than it is."""
    parts = [text]
    line_len = len(text) - (text.rfind("\n") + 1) + 2
    for suffix in suffixes:
        if line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            line_len += len(suffix) + 2
    return "".join(parts) + ")"


def _autograd_suffix(requires_grad: bool, grad_fn: str | None) -> list:
    if grad_fn is not None:
        return [f"grad_fn=<{grad_fn}>"]
    return ["requires_grad=True"] if requires_grad else []


def tensor_repr(values: np.ndarray, *, dtype_name: str, is_floating: bool, is_complex: bool,
                show_dtype: bool, device: str | None = None, requires_grad: bool = False,
                grad_fn: str | None = None, prefix: str = "tensor(") -> str:
    """The string torch prints for a tensor holding ``values``.

    ``values``: the data as a NumPy array of any shape (0-d and empty included) and dtype (bool, ints,
    float16, bfloat16, float32/64, complex64/128).  ``is_floating`` is for real floating dtypes,
    ``is_complex`` for complex ones.  ``show_dtype``: whether the dtype differs from the default of its
    kind (default float dtype, int64, bool, default complex dtype); torch then appends
    ``dtype=torch.<dtype_name>``.  An empty tensor also shows its dtype when that is not the default float
    dtype (so int64, bool and complex empties show it too).  ``device`` (e.g. ``'cuda:0'``) is shown when
    given; ``grad_fn`` (a node name like ``'AddBackward0'``) replaces ``requires_grad=True``.
    """
    values = np.asarray(values)
    indent = len(prefix)
    dtype_suffix = f"dtype=torch.{dtype_name}"
    size_suffix = f"size={tuple(int(n) for n in values.shape)}"
    suffixes = [f"device='{device}'"] if device is not None else []
    summarize = values.size > PRINT_OPTS.threshold

    if values.size == 0:
        body = "[]"
        if values.ndim != 1:
            suffixes.append(size_suffix)
        if show_dtype or not (is_floating and not is_complex):
            suffixes.append(dtype_suffix)
    else:
        if PRINT_OPTS.edgeitems == 0:
            # torch shows the size whenever no edge items are kept; a summarised tensor then shows no
            # values at all (a 0-d one still shows its value).
            suffixes.append(size_suffix)
        if summarize and PRINT_OPTS.edgeitems == 0 and values.ndim > 0:
            body = "[...]"
        else:
            body = _body_str(values, indent, summarize, is_floating, is_complex)
        if show_dtype:
            suffixes.append(dtype_suffix)

    suffixes += _autograd_suffix(requires_grad, grad_fn)
    return _add_suffixes(prefix + body, suffixes, indent)
