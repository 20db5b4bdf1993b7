"""torch.signal.windows against torch: values, dtypes and shapes of every window (symmetric and periodic, the
edge lengths 0 and 1, the parameters), and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402

NAMES = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming", "hamming",
         "hann", "kaiser", "nuttall"]
PARAMS = {"general_cosine": [{"a": [0.5, 0.3, 0.2]}], "general_hamming": [{}, {"alpha": 0.6}],
          "gaussian": [{}, {"std": 0.7}], "kaiser": [{}, {"beta": 3.0}], "exponential": [{}, {"tau": 2.5}]}


def _cases(name):
    for params in PARAMS.get(name, [{}]):
        for sym in (True, False):
            yield params, sym
    if name == "exponential":
        yield {"center": 1.5}, False


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_window_matches_torch(name, dtype):
    for params, sym in _cases(name):
        for M in (0, 1, 2, 5, 8, 13):
            ref = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dtype), **params)
            got = getattr(ptjax.signal.windows, name)(M, sym=sym, dtype=getattr(ptjax, dtype), **params)
            assert str(got.dtype) == str(ref.dtype) and tuple(got.shape) == tuple(ref.shape)
            np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=0, atol=1e-6 if dtype == "float32" else 1e-12,
                                       err_msg=f"{name}({M}, sym={sym}, {params})")


def test_default_dtype():
    assert ptjax.signal.windows.hann(4).dtype is ptjax.float32


@pytest.mark.parametrize("call", [
    lambda m: m.signal.windows.hann(-1), lambda m: m.signal.windows.kaiser(-2),
    lambda m: m.signal.windows.gaussian(4, std=0), lambda m: m.signal.windows.hann(4, dtype=m.int64),
    lambda m: m.signal.windows.bartlett(4, dtype=m.float16), lambda m: m.signal.windows.exponential(4, center=1.0),
    lambda m: m.signal.windows.exponential(4, tau=0), lambda m: m.signal.windows.kaiser(4, beta=-1),
    lambda m: m.signal.windows.general_cosine(4, a=1), lambda m: m.signal.windows.hann(4, layout=m.sparse_coo)])
def test_errors_as_torch(call):
    with pytest.raises(Exception) as ref:
        call(torch)
    with pytest.raises(Exception) as got:
        call(ptjax)
    assert type(got.value) is type(ref.value) and str(got.value) == str(ref.value)
