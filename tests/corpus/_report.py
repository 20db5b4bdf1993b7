"""The corpus scripts' output protocol: one ``RESULT {json}`` line per reported quantity.

``report(name, value)`` with no keyword asks for the same value under ptjax as under torch (shapes, dtypes,
counts, strings). ``rtol``/``atol`` ask for values close to torch's; ``min``/``max`` ask for a value inside bounds
under both libraries (for results that depend on random draws). tests/test_corpus.py reads the lines back.
Nothing here imports torch, so the same file serves both libraries.
"""
import json

import numpy as np


def _plain(value):
    """Tensors, arrays, sizes, containers and dtypes as JSON-ready Python values."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return str(value)


def report(name, value, *, rtol=None, atol=None, min=None, max=None):  # noqa: A002 - the protocol's words
    spec = {"rtol": rtol, "atol": atol, "min": min, "max": max}
    line = {"name": name, "value": _plain(value), **{k: v for k, v in spec.items() if v is not None}}
    print("RESULT " + json.dumps(line), flush=True)


def numpy_init(module, seed=0, scale=None):
    """Overwrite every parameter of ``module`` with draws from NumPy, so that both libraries start alike.

    Each parameter gets uniform(-b, b) with b = ``scale`` or 1/sqrt(fan-in), fan-in taken from its shape.
    """
    rng = np.random.RandomState(seed)
    for p in module.parameters():
        shape = tuple(p.shape)
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else int(np.prod(shape))
        bound = scale if scale is not None else 1.0 / np.sqrt(fan_in)
        p.data = p.new_tensor(rng.uniform(-bound, bound, shape).astype(np.float32))
    return module
