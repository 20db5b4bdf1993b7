"""Signal processing with torch.fft: find the frequencies in a noisy two-tone signal, low-pass filter it in the
frequency domain, round-trip rfft/irfft and fft2/ifft2, shifts and frequency bins, and a gradient through |rfft|."""
import math

import numpy as np
import torch

from _report import report

fs, n = 64, 128
t = torch.arange(n) / fs
rng = np.random.RandomState(0)
noise = torch.from_numpy(0.3 * rng.randn(n).astype(np.float32))
signal = torch.sin(2 * math.pi * 5 * t) + 0.5 * torch.sin(2 * math.pi * 12 * t) + noise

spectrum = torch.fft.rfft(signal)
freqs = torch.fft.rfftfreq(n, d=1 / fs)
report("rfft_shape_dtype", [list(spectrum.shape), str(spectrum.dtype)])
report("freq_bins", freqs[:6])
peaks = torch.topk(spectrum.abs(), 2).indices
report("peak_frequencies", sorted(freqs[peaks].tolist()))
report("magnitudes", spectrum.abs()[[10, 24]], rtol=1e-4)
report("parseval", [signal.pow(2).sum().item(), (torch.fft.fft(signal).abs().pow(2).sum() / n).item()], rtol=1e-4)

lowpass = spectrum.clone()
lowpass[freqs > 8] = 0
filtered = torch.fft.irfft(lowpass, n=n)
report("filtered_dtype", filtered.dtype)
clean = torch.sin(2 * math.pi * 5 * t)
report("filter_error", (filtered - clean).pow(2).mean().item(), max=0.05)
report("noisy_error", (signal - clean).pow(2).mean().item(), min=0.1)
report("round_trip", torch.allclose(torch.fft.irfft(torch.fft.rfft(signal), n=n), signal, atol=1e-5))

full = torch.fft.fft(signal)
report("fft_symmetry", torch.allclose(full[1:n // 2].conj(), full.flip(0)[:n // 2 - 1], atol=1e-4))
report("fftfreq", torch.fft.fftfreq(8, d=0.5))
report("fftshift", torch.fft.fftshift(torch.arange(8)))
report("ifftshift", torch.fft.ifftshift(torch.fft.fftshift(torch.arange(7))))
img = torch.from_numpy(rng.randn(8, 8))
img_round = torch.fft.ifft2(torch.fft.fft2(img)).real
report("fft2_round_trip", torch.allclose(img_round, img))
report("fft2_dc", torch.fft.fft2(img)[0, 0].real, rtol=1e-10)
report("norm_ortho", torch.fft.rfft(torch.ones(4), norm="ortho").real, atol=1e-7)
report("complex_parts", [full[10].real.item(), full[10].imag.item(), full[10].angle().item()], rtol=1e-4, atol=1e-3)
report("hfft_ihfft", torch.fft.hfft(torch.fft.ihfft(torch.arange(6.0)), n=6), rtol=1e-5, atol=1e-6)
window = torch.hann_window(16)
report("hann_window", window, atol=1e-6)

w = signal.clone().requires_grad_()
torch.fft.rfft(w).abs().sum().backward()
report("rfft_grad", w.grad[:5], rtol=1e-3, atol=1e-4)
