"""A word-level language model: batchified corpus, LSTM with tied embeddings, truncated BPTT with detached
hidden state, gradient clipping, manual SGD, perplexity. The text is generated from a tiny grammar."""
import math
import random
import time

import torch
import torch.nn as nn

from _report import numpy_init, report


class Dictionary:
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


def make_text(seed, n_sentences):
    pick = random.Random(seed)
    subjects, verbs, objects = ["the cat", "a dog", "my friend", "the teacher"], ["sees", "likes", "finds"], \
        ["the ball", "a book", "the garden", "some bread"]
    return [f"{pick.choice(subjects)} {pick.choice(verbs)} {pick.choice(objects)} <eos>" for _ in range(n_sentences)]


dictionary = Dictionary()


def tokenize(lines):
    ids = [dictionary.add_word(w) for line in lines for w in line.split()]
    return torch.tensor(ids, dtype=torch.int64)


train = tokenize(make_text(0, 215))  # 129 rows of 10: 16 whole bptt windows
valid = tokenize(make_text(1, 61))  # 73 rows of 5: 9 whole windows
ntokens = len(dictionary)
report("vocab", ntokens)
report("train_tokens", train.numel())


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


class RNNModel(nn.Module):
    def __init__(self, rnn_type, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, inp, hidden):
        emb = self.drop(self.encoder(inp))
        output, hidden = self.rnn(emb, hidden)
        decoded = self.decoder(self.drop(output)).view(-1, self.decoder.out_features)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


bptt, batch_size, eval_batch_size, clip, lr = 8, 10, 5, 0.5, 10.0
train_data, val_data = batchify(train, batch_size), batchify(valid, eval_batch_size)
report("batched_shape", train_data.shape)
model = numpy_init(RNNModel("LSTM", ntokens, 16, 16, 1, dropout=0.0, tie_weights=True), seed=3, scale=0.3)
report("tied", model.decoder.weight is model.encoder.weight)
report("n_parameters", sum(p.numel() for p in model.parameters()))
criterion = nn.NLLLoss()


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i:i + seq_len], source[i + 1:i + 1 + seq_len].view(-1)


def evaluate(data_source):
    model.eval()
    total_loss = 0.0
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train_epoch():
    model.train()
    hidden = model.init_hidden(batch_size)
    start = time.time()
    for _batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
    return time.time() - start


val_losses = [evaluate(val_data)]
for epoch in range(1, 3):
    elapsed = train_epoch()
    val_losses.append(evaluate(val_data))
    print(f"| end of epoch {epoch:3d} | time: {elapsed:5.2f}s | valid loss {val_losses[-1]:5.2f} | "
          f"valid ppl {math.exp(val_losses[-1]):8.2f}")
report("valid_losses", val_losses, rtol=2e-3)
report("perplexity_fell", math.exp(val_losses[-1]) / math.exp(val_losses[0]), max=0.5)

# generate a few words from the trained model
hidden = model.init_hidden(1)
inp = torch.tensor([[dictionary.word2idx["the"]]])
words = []
with torch.no_grad():
    for _ in range(8):
        output, hidden = model(inp, hidden)
        word_idx = output.argmax(dim=1)[0]
        inp.fill_(word_idx)
        words.append(dictionary.idx2word[word_idx])
report("greedy_words", words)
