"""Short-time Fourier transforms: ``stft`` and its inverse ``istft`` (the frame-wise FFTs are ``jnp.fft``'s)."""
from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np

from .registry import front, op

_PAD_MODES = {"reflect": "reflect", "constant": "constant", "replicate": "edge", "circular": "wrap"}


def _frame_positions(n_frames, n_fft, hop):
    """(n_frames, n_fft) indices of each frame's samples (static)."""
    return np.arange(n_frames)[:, None] * hop + np.arange(n_fft)[None, :]


def _padded_window(window, n_fft, win_length, dtype):
    """The window (ones when None) centred in ``n_fft`` samples."""
    w = jnp.ones(win_length, dtype) if window is None else window
    left = (n_fft - win_length) // 2
    return jnp.pad(w, (left, n_fft - win_length - left))


@op("stft", tensors=("input", "window"), jit=True, grad_name="StftBackward0")
def _stft(input, window, n_fft, hop_length, win_length, center, pad_mode, normalized, onesided, as_real):
    x = input if input.ndim == 2 else input[None]
    if center:
        x = jnp.pad(x, ((0, 0), (n_fft // 2, n_fft // 2)), mode=_PAD_MODES[pad_mode])
    real_dtype = jnp.real(x[:0]).dtype
    w = _padded_window(window, n_fft, win_length, real_dtype)
    n_frames = 1 + (x.shape[-1] - n_fft) // hop_length
    frames = x[:, _frame_positions(n_frames, n_fft, hop_length)] * w
    spec = jnp.fft.rfft(frames, axis=-1) if onesided else jnp.fft.fft(frames, axis=-1)
    if normalized:
        spec = spec * (n_fft ** -0.5)
    spec = jnp.swapaxes(spec, -1, -2)
    spec = spec if input.ndim == 2 else spec[0]
    return jnp.stack([spec.real, spec.imag], axis=-1) if as_real else spec


@front(_stft)
def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None, align_to_window=None):
    """The short-time Fourier transform of a 1-D signal or a batch of them: (…, n_fft // 2 + 1 or n_fft, frames)."""
    if return_complex is None and not input.is_complex() and not (window is not None and window.is_complex()):
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                           "require that return_complex=True in a future PyTorch release.")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, got {input.ndim}D")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if not 0 < win_length <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win_length}")
    if hop_length <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop_length}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win_length):
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                           f"window with size {list(window.shape)}")
    if pad_mode not in _PAD_MODES:
        raise RuntimeError(f"stft: unknown pad_mode '{pad_mode}'")
    length = input.shape[-1] + (2 * (n_fft // 2) if center else 0)
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    complex_input = input.is_complex() or (window is not None and window.is_complex())
    if onesided is None:
        onesided = not complex_input
    elif onesided and complex_input:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied,which is known to cause "
                      "spectral leakage. Other windows such as torch.hann_window or torch.hamming_window are "
                      "recommended to reduce spectral leakage.To suppress this warning and use a rectangular window, "
                      "explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    if return_complex is False:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.\nNote: you can "
                      "still call torch.view_as_real on the complex output to recover the old return format.",
                      UserWarning, stacklevel=2)
    return _stft(input, window, n_fft, hop_length, win_length, bool(center), pad_mode, bool(normalized),
                 bool(onesided), return_complex is False)


@op("istft", tensors=("input", "window"), jit=True, grad_name="IstftBackward0")
def _istft(input, window, n_fft, hop_length, win_length, center, normalized, onesided, length, return_complex):
    spec = input if input.ndim == 3 else input[None]
    if normalized:
        spec = spec * (n_fft ** 0.5)
    spec = jnp.swapaxes(spec, -1, -2)  # (batch, frames, freq)
    frames = jnp.fft.irfft(spec, n=n_fft, axis=-1) if onesided else jnp.fft.ifft(spec, axis=-1)
    if not onesided and not return_complex:
        frames = frames.real
    w = _padded_window(window, n_fft, win_length, jnp.real(spec[:0]).dtype)
    n_frames = spec.shape[1]
    pos = _frame_positions(n_frames, n_fft, hop_length)
    total = n_fft + hop_length * (n_frames - 1)
    signal = jnp.zeros((spec.shape[0], total), frames.dtype).at[:, pos].add(frames * w)
    envelope = jnp.zeros(total, w.dtype).at[pos].add(w * w)
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = start + length
    signal, envelope = signal[:, start:end], envelope[start:end]
    out = signal / envelope
    if length is not None and out.shape[1] < length:
        out = jnp.pad(out, ((0, 0), (0, length - out.shape[1])))
    return out if input.ndim == 3 else out[0]


@front(_istft)
def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False, onesided=None,
          length=None, return_complex=False):
    """The inverse of ``stft`` (overlap-add of the inverse FFTs, divided by the summed squared window)."""
    if not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, got {input.ndim}D")
    hop_length = n_fft // 4 if hop_length is None else hop_length
    win_length = n_fft if win_length is None else win_length
    if onesided is None:
        onesided = input.shape[-2] != n_fft
    if onesided and return_complex:
        raise RuntimeError("Cannot have onesided output if window or input is complex")
    if window is not None and (window.ndim != 1 or window.shape[0] != win_length):
        raise RuntimeError(f"istft: expected a 1D window tensor of size equal to win_length={win_length}, but got "
                           f"window with size {list(window.shape)}")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please provide the same window "
                      "used by stft to make the inversion lossless.To suppress this warning and use a rectangular "
                      "window, explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning, stacklevel=2)
    _check_overlap_add(window, n_fft, hop_length, win_length, input.shape[-1], center, length)
    return _istft(input, window, n_fft, hop_length, win_length, bool(center), bool(normalized), bool(onesided),
                  None if length is None else int(length), bool(return_complex))


def _check_overlap_add(window, n_fft, hop_length, win_length, n_frames, center, length):
    """torch's refusal when the summed squared window vanishes somewhere in the output (no inverse there)."""
    w = np.ones(win_length) if window is None else np.abs(np.asarray(window._value))
    left = (n_fft - win_length) // 2
    w = np.pad(w, (left, n_fft - win_length - left))
    total = n_fft + hop_length * (n_frames - 1)
    envelope = np.zeros(total)
    np.add.at(envelope, _frame_positions(n_frames, n_fft, hop_length), w * w)
    start = n_fft // 2 if center else 0
    end = total - n_fft // 2 if center else total
    if length is not None:
        end = min(start + length, total)
    if envelope[start:end].size and envelope[start:end].min() < 1e-11:
        raise RuntimeError("istft: window overlap add min: 1 (the squared window sums to zero at some output "
                           "samples: no inverse there)")

