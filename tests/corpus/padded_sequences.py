"""Variable-length batches for RNNs: pad_sequence, pack_padded_sequence into an LSTM, pad_packed_sequence back,
last real time step per sequence, masking a mean over padding, and pack_sequence with enforce_sorted."""
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence

from _report import numpy_init, report

rng = np.random.RandomState(0)
lengths = [5, 2, 4]
seqs = [torch.from_numpy(rng.randn(n, 3).astype(np.float32)) for n in lengths]
padded = pad_sequence(seqs, batch_first=True)
report("padded_shape", padded.shape)
report("padding_zero", padded[1, 2:].abs().sum().item())
report("padding_value", pad_sequence([torch.ones(1), torch.ones(3)], padding_value=-1))
report("time_major", pad_sequence(seqs).shape)

lstm = numpy_init(nn.LSTM(3, 4, batch_first=True, bidirectional=True), seed=1)
packed = pack_padded_sequence(padded, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
report("batch_sizes", packed.batch_sizes)
report("sorted_indices", packed.sorted_indices)
report("packed_data_shape", packed.data.shape)
out_packed, (h_n, c_n) = lstm(packed)
out, out_lengths = pad_packed_sequence(out_packed, batch_first=True)
report("unpacked_shape", out.shape)
report("out_lengths", out_lengths)
report("padded_outputs_zero", out[1, 2:].abs().sum().item())
report("h_n", h_n, rtol=1e-5, atol=1e-6)

# the final state of the forward direction equals the output at each sequence's last real step
last = out[torch.arange(3), torch.tensor(lengths) - 1, :4]
report("last_step_is_h_n", torch.allclose(last, h_n[0], atol=1e-6))
# running each sequence on its own gives the same outputs
alone = [lstm(s.unsqueeze(0))[0][0] for s in seqs]
report("matches_unbatched", all(torch.allclose(out[i, :n], alone[i], atol=1e-5) for i, n in enumerate(lengths)))

mask = torch.arange(padded.size(1))[None, :] < torch.tensor(lengths)[:, None]
mean = (out * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
report("masked_mean", mean, rtol=1e-5, atol=1e-6)
mean.sum().backward()
report("grad_reaches_weights", lstm.weight_ih_l0.grad.abs().sum().item() > 0)

packed2 = pack_sequence([torch.tensor([1.0, 2.0, 3.0]), torch.tensor([4.0, 5.0]), torch.tensor([6.0])])
report("pack_sequence_data", packed2.data)
report("pack_sequence_batch_sizes", packed2.batch_sizes)
try:
    pack_sequence([torch.tensor([1.0]), torch.tensor([1.0, 2.0])])
    sorted_error = None
except RuntimeError as exc:
    sorted_error = str(exc).split(".")[0]
report("enforce_sorted_error", sorted_error)
gru = numpy_init(nn.GRU(1, 2), seed=2)
gru_out, gru_h = gru(pack_sequence([torch.ones(3, 1), torch.ones(2, 1)]))
report("gru_packed_h", gru_h, rtol=1e-5)
