"""nn.Transformer, TransformerDecoder(Layer) (and the encoder they share) against torch: torch's initial weights
loaded, then outputs and gradients with causal and padding masks, ``batch_first`` and ``norm_first``."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from _nn_helpers import assert_close, load_from_torch, same_error  # noqa: E402

pytestmark = [pytest.mark.usefixtures("fast_compiles"),
              pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
              pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")]
R = np.random.default_rng(3)


def randn(*shape):
    return R.standard_normal(shape).astype(np.float32)


def compare_module(make, inputs, masks):
    """Build with ``make(nn)`` in both libraries (torch's weights loaded into ptjax's), call ``module(*inputs,
    **masks)`` in train mode (dropout 0) and eval mode; compare outputs, input and parameter gradients."""
    t, p = make(torch.nn), make(pnn)
    assert repr(p) == repr(t)
    load_from_torch(p, t)
    for mode in ("train", "eval"):
        getattr(t, mode)(), getattr(p, mode)()
        tin = [torch.tensor(a, requires_grad=True) for a in inputs]
        pin = [ptjax.tensor(a, requires_grad=True) for a in inputs]
        to = t(*tin, **{k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()})
        po = p(*pin, **{k: ptjax.tensor(v) if isinstance(v, np.ndarray) else v for k, v in masks.items()})
        assert_close(po, to, rtol=1e-4, atol=1e-5, what=f"{mode} output")
        g = R.standard_normal(tuple(to.shape)).astype(np.float32)
        to.backward(torch.tensor(g))
        po.backward(ptjax.tensor(g))
        for i, (a, b) in enumerate(zip(pin, tin)):
            assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5, what=f"{mode} grad of input {i}")
        for (name, a), b in zip(p.named_parameters(), t.parameters()):
            assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-5, what=f"{mode} grad of {name}")
        t.zero_grad(), p.zero_grad()


def _padding(batch, length):
    m = np.zeros((batch, length), bool)
    m[0, -1] = True
    return m


CAUSAL = torch.nn.Transformer.generate_square_subsequent_mask(4).numpy()


@pytest.mark.parametrize("batch_first, norm_first", [(False, False), (True, True)])
def test_transformer(batch_first, norm_first):
    src, tgt = (randn(2, 5, 8), randn(2, 4, 8)) if batch_first else (randn(5, 2, 8), randn(4, 2, 8))
    compare_module(lambda nn: nn.Transformer(8, 2, 1, 2, 16, dropout=0.0, batch_first=batch_first,
                                             norm_first=norm_first),
                   [src, tgt], dict(tgt_mask=CAUSAL, tgt_key_padding_mask=_padding(2, 4).astype(np.float32) * -1e9,
                                    memory_key_padding_mask=_padding(2, 5).astype(np.float32) * -1e9))


def test_decoder_layer_and_decoder():
    tgt, mem = randn(4, 2, 8), randn(3, 2, 8)
    compare_module(lambda nn: nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation="gelu"), [tgt, mem],
                   dict(tgt_mask=CAUSAL, memory_key_padding_mask=_padding(2, 3), tgt_is_causal=True))
    compare_module(lambda nn: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, bias=False),
                                                    2, norm=nn.LayerNorm(8)),
                   [tgt, mem], dict(tgt_mask=CAUSAL == -np.inf, memory_mask=np.zeros((4, 3), np.float32)))


def test_transformer_checks_and_mask():
    np.testing.assert_array_equal(pnn.Transformer.generate_square_subsequent_mask(4).numpy(), CAUSAL)
    assert pnn.Transformer.generate_square_subsequent_mask(3, dtype=ptjax.float64).dtype == ptjax.float64
    t, p = torch.nn.Transformer(8, 2, 1, 1, 16), pnn.Transformer(8, 2, 1, 1, 16)
    same_error(lambda a, b: p(a, b), lambda a, b: t(a, b), randn(5, 2, 8), randn(4, 3, 8))
    same_error(lambda a, b: p(a, b), lambda a, b: t(a, b), randn(5, 2, 8), randn(4, 2, 6))
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        pnn.TransformerDecoderLayer(8, 2, activation="tanh")
