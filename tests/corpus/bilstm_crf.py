"""Named-entity tagging with a bidirectional LSTM under a linear-chain CRF.

The partition function uses the forward algorithm (logsumexp over the previous tag), decoding is Viterbi with
Python loops, argmax and back-pointers. Weights start from NumPy, so scores and paths match across libraries.
"""
import torch
import torch.nn as nn
import torch.optim as optim

from _report import numpy_init, report

START, STOP = "<START>", "<STOP>"


def argmax(vec):
    _, idx = torch.max(vec, 1)
    return idx.item()


class BiLSTMCRF(nn.Module):
    def __init__(self, vocab_size, tag_to_ix, embedding_dim, hidden_dim):
        super().__init__()
        self.tag_to_ix = tag_to_ix
        self.tagset_size = len(tag_to_ix)
        self.word_embeds = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim // 2, num_layers=1, bidirectional=True)
        self.hidden2tag = nn.Linear(hidden_dim, self.tagset_size)
        # transitions[i, j]: the score of moving from tag j to tag i
        self.transitions = nn.Parameter(torch.randn(self.tagset_size, self.tagset_size))
        self.hidden_dim = hidden_dim

    def forbid_start_and_stop(self):
        with torch.no_grad():
            self.transitions.data[self.tag_to_ix[START], :] = -10000
            self.transitions.data[:, self.tag_to_ix[STOP]] = -10000

    def _lstm_features(self, sentence):
        embeds = self.word_embeds(sentence).view(len(sentence), 1, -1)
        zeros = torch.zeros(2, 1, self.hidden_dim // 2)
        lstm_out, _ = self.lstm(embeds, (zeros, zeros.clone()))
        return self.hidden2tag(lstm_out.view(len(sentence), self.hidden_dim))

    def _forward_alg(self, feats):
        alphas = torch.full((1, self.tagset_size), -10000.0)
        alphas[0][self.tag_to_ix[START]] = 0.0
        for feat in feats:
            # next[i] = logsumexp_j(alphas[j] + transitions[i, j]) + feat[i]
            next_tag_var = alphas + self.transitions
            alphas = (torch.logsumexp(next_tag_var, dim=1) + feat).view(1, -1)
        terminal = alphas + self.transitions[self.tag_to_ix[STOP]]
        return torch.logsumexp(terminal, dim=1)[0]

    def _score_sentence(self, feats, tags):
        score = torch.zeros(1)
        tags = torch.cat([torch.tensor([self.tag_to_ix[START]], dtype=torch.long), tags])
        for i, feat in enumerate(feats):
            score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
        return score + self.transitions[self.tag_to_ix[STOP], tags[-1]]

    def _viterbi_decode(self, feats):
        backpointers = []
        forward_var = torch.full((1, self.tagset_size), -10000.0)
        forward_var[0][self.tag_to_ix[START]] = 0
        for feat in feats:
            bptrs_t, viterbivars_t = [], []
            for next_tag in range(self.tagset_size):
                next_tag_var = forward_var + self.transitions[next_tag]
                best_tag_id = argmax(next_tag_var)
                bptrs_t.append(best_tag_id)
                viterbivars_t.append(next_tag_var[0][best_tag_id].view(1))
            forward_var = (torch.cat(viterbivars_t) + feat).view(1, -1)
            backpointers.append(bptrs_t)
        terminal_var = forward_var + self.transitions[self.tag_to_ix[STOP]]
        best_tag_id = argmax(terminal_var)
        path_score = terminal_var[0][best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id]
            best_path.append(best_tag_id)
        start = best_path.pop()
        assert start == self.tag_to_ix[START]
        best_path.reverse()
        return path_score, best_path

    def neg_log_likelihood(self, sentence, tags):
        feats = self._lstm_features(sentence)
        return self._forward_alg(feats) - self._score_sentence(feats, tags)

    def forward(self, sentence):
        return self._viterbi_decode(self._lstm_features(sentence))


training_data = [
    ("the wall street journal reported today that apple corporation made money".split(),
     "B I I I O O O B I O O".split()),
    ("georgia tech is a university in georgia".split(), "B I O O O O B".split()),
]
word_to_ix = {}
for sentence, _ in training_data:
    for word in sentence:
        word_to_ix.setdefault(word, len(word_to_ix))
tag_to_ix = {"B": 0, "I": 1, "O": 2, START: 3, STOP: 4}
ix_to_tag = {v: k for k, v in tag_to_ix.items()}

model = numpy_init(BiLSTMCRF(len(word_to_ix), tag_to_ix, embedding_dim=5, hidden_dim=4), seed=2, scale=0.5)
model.forbid_start_and_stop()
optimizer = optim.SGD(model.parameters(), lr=0.05, weight_decay=1e-4)


def prepare(seq, to_ix):
    return torch.tensor([to_ix[w] for w in seq], dtype=torch.long)


with torch.no_grad():
    precheck = prepare(training_data[0][0], word_to_ix)
    score, path = model(precheck)
    report("viterbi_before", path)
    report("viterbi_score_before", score, rtol=1e-4)
    report("nll_before", model.neg_log_likelihood(precheck, prepare(training_data[0][1], tag_to_ix)), rtol=1e-4)

losses = []
for _epoch in range(10):
    total = 0.0
    for sentence, tags in training_data:
        model.zero_grad()
        loss = model.neg_log_likelihood(prepare(sentence, word_to_ix), prepare(tags, tag_to_ix))
        loss.backward()
        optimizer.step()
        total += loss.item()
    losses.append(total)
report("losses", losses[::2], rtol=1e-3)

with torch.no_grad():
    score, path = model(precheck)
    report("viterbi_after", [ix_to_tag[i] for i in path])
    report("viterbi_score_after", score, rtol=1e-3)
    report("tags_right", sum(p == tag_to_ix[t] for p, t in zip(path, training_data[0][1])), min=6)
