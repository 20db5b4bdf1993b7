"""ptjax.vision.utils (torchvision.utils): make_grid's layout, channel handling and normalization, checked
against the layout torchvision documents (torchvision is not the oracle here: its wheels need a matching torch),
and save_image's PNG, decoded here."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

import ptjax
from ptjax.vision import utils


def _batch(*shape):
    return np.random.default_rng(0).random(shape).astype(np.float32)


def test_grid_layout_and_padding():
    x = _batch(5, 3, 4, 4)
    g = utils.make_grid(ptjax.tensor(x), nrow=2, padding=2, pad_value=0.5).numpy()
    assert g.shape == (3, 3 * 6 + 2, 2 * 6 + 2)
    for k in range(5):
        row, col = divmod(k, 2)
        top, left = 2 + row * 6, 2 + col * 6
        np.testing.assert_array_equal(g[:, top:top + 4, left:left + 4], x[k])
    mask = np.ones(g.shape, bool)
    for k in range(5):
        row, col = divmod(k, 2)
        mask[:, 2 + row * 6:6 + row * 6, 2 + col * 6:6 + col * 6] = False
    assert np.all(g[mask] == 0.5)   # borders and the empty sixth slot


def test_channels_lists_and_single_images():
    gray = _batch(3, 1, 2, 2)
    g = utils.make_grid(ptjax.tensor(gray), nrow=3, padding=0).numpy()
    assert g.shape == (3, 2, 6) and np.array_equal(g[0], g[1]) and np.array_equal(g[1], g[2])
    np.testing.assert_array_equal(g[0, :, 2:4], gray[1, 0])
    listed = utils.make_grid([ptjax.tensor(im) for im in _batch(2, 3, 2, 2)], padding=1)
    assert tuple(listed.shape) == (3, 4, 7)
    assert tuple(utils.make_grid(ptjax.tensor(_batch(1, 3, 5, 6))).shape) == (3, 5, 6)   # one image: itself
    assert tuple(utils.make_grid(ptjax.tensor(_batch(5, 6))).shape) == (3, 5, 6)         # 2-D: gray to RGB


def test_normalize():
    x = _batch(2, 3, 3, 3) * 4 - 1
    both = utils.make_grid(ptjax.tensor(x), normalize=True, padding=0).numpy()
    np.testing.assert_allclose(both, np.concatenate(list((x - x.min()) / (x.max() - x.min())), axis=2), rtol=1e-6)
    each = utils.make_grid(ptjax.tensor(x), normalize=True, scale_each=True, padding=0).numpy()
    for k in range(2):
        np.testing.assert_allclose(each[:, :, 3 * k:3 * k + 3], (x[k] - x[k].min()) / (x[k].max() - x[k].min()),
                                   rtol=1e-6)
    ranged = utils.make_grid(ptjax.tensor(x), normalize=True, value_range=(0.0, 2.0), padding=0).numpy()
    np.testing.assert_allclose(ranged, np.concatenate(list(np.clip(x, 0, 2) / 2), axis=2), rtol=1e-6)
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(ptjax.tensor(x), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(x)


def _decode_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    channels = {0: 1, 2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, 1 + width * channels)
    assert depth == 8 and np.all(rows[:, 0] == 0)
    return rows[:, 1:].reshape(height, width, channels)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_png_writer_round_trip(channels):
    pixels = np.random.default_rng(channels).integers(0, 256, (5, 7, channels), dtype=np.uint8)
    np.testing.assert_array_equal(_decode_png(utils._png(pixels)), pixels)


def test_save_image_writes_the_grid_in_8_bits(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "PIL", None)   # the built-in PNG writer, Pillow or not
    x = _batch(4, 3, 5, 5)
    path = tmp_path / "grid.png"
    utils.save_image(ptjax.tensor(x), path, nrow=2)
    grid = utils.make_grid(ptjax.tensor(x), nrow=2).numpy()
    expected = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(_decode_png(path.read_bytes()), expected)
    with pytest.raises(ValueError, match="install Pillow"):
        utils.save_image(ptjax.tensor(x), tmp_path / "grid.jpg")
