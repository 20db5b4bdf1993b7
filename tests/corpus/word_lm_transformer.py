"""A Transformer language model: sinusoidal positional encoding, a causal mask, nn.TransformerEncoder, Adam with
a StepLR schedule. Tokens follow a simple repeating pattern so the model can learn it in a few steps."""
import math

import numpy as np
import torch
from torch import nn

from _report import numpy_init, report


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=64):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, 1, d_model)
        pe[:, 0, 0::2] = torch.sin(position * div_term)
        pe[:, 0, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[:x.size(0)]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.5):
        super().__init__()
        self.model_type = "Transformer"
        self.pos_encoder = PositionalEncoding(d_model, dropout)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers, enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.linear = nn.Linear(d_model, ntoken)

    def forward(self, src, src_mask=None):
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, src_mask, is_causal=src_mask is not None)
        return self.linear(output)


ntokens, bptt, batch = 12, 8, 6
rng = np.random.RandomState(0)
starts = rng.randint(0, ntokens, size=batch)
stream = torch.from_numpy((starts[None, :] + 3 * np.arange(49)[:, None]) % ntokens)  # each column counts by 3
report("stream_shape", stream.shape)

mask = nn.Transformer.generate_square_subsequent_mask(bptt)
report("mask", mask)
report("mask_dtype", mask.dtype)
model = numpy_init(TransformerModel(ntokens, d_model=16, nhead=2, d_hid=32, nlayers=1, dropout=0.0), seed=8)
report("n_parameters", sum(p.numel() for p in model.parameters()))
report("pe_is_buffer", ["pos_encoder.pe" in dict(model.named_buffers()), "pos_encoder.pe" in model.state_dict()])
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.9)

losses, lrs = [], []
for _epoch in range(6):
    model.train()
    for i in range(0, stream.size(0) - 1, bptt):
        data, targets = stream[i:i + bptt], stream[i + 1:i + 1 + bptt].reshape(-1)
        output = model(data, mask[:len(data), :len(data)])
        loss = criterion(output.view(-1, ntokens), targets)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()
    losses.append(loss.item())
    lrs.append(scheduler.get_last_lr()[0])
    scheduler.step()
report("losses", losses[::2], rtol=5e-3)
report("lrs", lrs, rtol=1e-12)

model.eval()
with torch.no_grad():
    logits = model(stream[:bptt], mask)
    accuracy = (logits.argmax(-1)[:-1] == stream[1:bptt]).float().mean().item()
report("next_token_accuracy", accuracy, min=0.8)
