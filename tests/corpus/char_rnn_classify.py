"""Classifying names by language with a character-level RNN: one-hot letters, nn.RNN, a log-softmax head."""
import random
import string
import unicodedata

import torch
import torch.nn as nn

from _report import numpy_init, report

ALL_LETTERS = string.ascii_letters + " .,;'"
N_LETTERS = len(ALL_LETTERS)
NAMES = {
    "Italian": ["Rossi", "Bianchi", "Romano", "Colombo", "Ricci", "Marino"],
    "Japanese": ["Sato", "Suzuki", "Tanaka", "Ito", "Yamamoto", "Kato"],
    "Polish": ["Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kamiński", "Woźniak"],
    "Scottish": ["Smith", "Brown", "Wilson", "Campbell", "Stewart", "Murray"],
}
CATEGORIES = list(NAMES)


def unicode_to_ascii(s):
    return "".join(c for c in unicodedata.normalize("NFD", s)
                   if unicodedata.category(c) != "Mn" and c in ALL_LETTERS)


def line_to_tensor(line):
    tensor = torch.zeros(len(line), 1, N_LETTERS)
    for li, letter in enumerate(line):
        tensor[li][0][ALL_LETTERS.find(letter)] = 1
    return tensor


report("ascii", unicode_to_ascii("Wiśniewski Ślusàrski"))
report("one_hot", line_to_tensor("Jo").nonzero())


class CharRNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.rnn = nn.RNN(input_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, line_tensor):
        rnn_out, hidden = self.rnn(line_tensor)
        return self.softmax(self.h2o(hidden[0]))


rnn = numpy_init(CharRNN(N_LETTERS, 32, len(CATEGORIES)), seed=4)
criterion = nn.NLLLoss()
optimizer = torch.optim.SGD(rnn.parameters(), lr=0.1)
examples = [(unicode_to_ascii(n), CATEGORIES.index(c)) for c in CATEGORIES for n in NAMES[c]]
order = random.Random(0)


def category_from_output(output):
    top_n, top_i = output.topk(1)
    return top_i[0].item()


losses = []
for _epoch in range(5):
    order.shuffle(examples)
    total = 0.0
    for name, category in examples:
        output = rnn(line_to_tensor(name))
        loss = criterion(output, torch.tensor([category]))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(rnn.parameters(), 3)
        optimizer.step()
        total += loss.item()
    losses.append(total / len(examples))
report("epoch_losses", losses, rtol=5e-3)

confusion = torch.zeros(len(CATEGORIES), len(CATEGORIES))
rnn.eval()
with torch.no_grad():
    for name, category in examples:
        confusion[category][category_from_output(rnn(line_to_tensor(name)))] += 1
report("train_accuracy", (confusion.diag().sum() / confusion.sum()).item(), min=0.6)
report("confusion_total", confusion.sum())
for guess in ["Yoshida", "Moretti"]:
    with torch.no_grad():
        output = rnn(line_to_tensor(guess))
    values, indexes = output.topk(2, 1, True)
    print(guess, [(CATEGORIES[i], round(v, 2)) for v, i in zip(values[0].tolist(), indexes[0].tolist())])
