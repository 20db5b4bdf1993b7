"""Part-of-speech tagging with an LSTM, word embeddings and a linear tag head; weights start from NumPy."""
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

from _report import numpy_init, report

training_data = [
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
    ("A cat saw the dog".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("That child read a book".split(), ["DET", "NN", "V", "DET", "NN"]),
]
word_to_ix = {}
for sent, _ in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
report("vocabulary", len(word_to_ix))

EMBEDDING_DIM = 8
HIDDEN_DIM = 8


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super().__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


model = numpy_init(LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix)), seed=1)
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.5)
report("param_shapes", [list(p.shape) for p in model.parameters()])

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    report("scores_before", tag_scores, rtol=1e-4, atol=1e-6)

epoch_losses = []
for _epoch in range(60):
    total = 0.0
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores = model(sentence_in)
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()
        total += loss.item()
    epoch_losses.append(total)
report("epoch_losses", epoch_losses[::10], rtol=2e-3)

with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    report("scores_after", tag_scores, rtol=5e-3, atol=1e-4)
    report("predicted_tags", tag_scores.argmax(dim=1))
