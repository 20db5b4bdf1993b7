"""Sequence to sequence with additive (Bahdanau) attention: a GRU encoder and an attention decoder learn to
reverse short token sequences. Batched, batch_first, teacher forcing in training, greedy decoding after."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

from _report import numpy_init, report

SOS, EOS, VOCAB, MAX_LEN = 0, 1, 8, 4
rng = np.random.RandomState(5)
lengths = rng.randint(2, MAX_LEN, size=64)
pairs = []
for n in lengths:
    src = list(rng.randint(2, VOCAB, size=n))
    pairs.append((src, src[::-1]))


def to_batch(seqs):
    out = torch.full((len(seqs), MAX_LEN), EOS, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
    return out


src_all = to_batch([p[0] for p in pairs])
tgt_all = to_batch([p[1] for p in pairs])
report("batch_shape", src_all.shape)


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, inp):
        embedded = self.dropout(self.embedding(inp))
        return self.gru(embedded)


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS)
        decoder_hidden = encoder_hidden
        decoder_outputs, attentions = [], []
        for i in range(MAX_LEN):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(decoder_input, decoder_hidden,
                                                                             encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None:
                decoder_input = target_tensor[:, i].unsqueeze(1)  # teacher forcing
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = F.log_softmax(torch.cat(decoder_outputs, dim=1), dim=-1)
        return decoder_outputs, decoder_hidden, torch.cat(attentions, dim=1)

    def forward_step(self, inp, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(inp))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return self.out(output), hidden, attn_weights


hidden = 16
encoder = numpy_init(EncoderRNN(VOCAB, hidden, dropout_p=0.0), seed=10)
decoder = numpy_init(AttnDecoderRNN(hidden, VOCAB, dropout_p=0.0), seed=11)
enc_opt = optim.Adam(encoder.parameters(), lr=0.01)
dec_opt = optim.Adam(decoder.parameters(), lr=0.01)
criterion = nn.NLLLoss()
losses = []
for _epoch in range(7):
    for start in range(0, 64, 16):
        src, tgt = src_all[start:start + 16], tgt_all[start:start + 16]
        enc_opt.zero_grad()
        dec_opt.zero_grad()
        enc_out, enc_hidden = encoder(src)
        dec_out, _, _ = decoder(enc_out, enc_hidden, tgt)
        loss = criterion(dec_out.view(-1, dec_out.size(-1)), tgt.view(-1))
        loss.backward()
        enc_opt.step()
        dec_opt.step()
    losses.append(loss.item())
report("losses", losses[::2], rtol=5e-3)

encoder.eval()
decoder.eval()
with torch.no_grad():
    enc_out, enc_hidden = encoder(src_all)
    dec_out, _, attn = decoder(enc_out, enc_hidden)
    decoded = dec_out.argmax(-1)
report("attention_shape", attn.shape)
report("attention_rows_sum_to_one", torch.allclose(attn.sum(-1), torch.ones(64, MAX_LEN), atol=1e-5))
report("token_accuracy", (decoded == tgt_all).float().mean().item(), min=0.5)
report("first_decoded", decoded[0])
