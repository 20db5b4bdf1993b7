"""Text classification with nn.EmbeddingBag: token ids flattened with offsets, mean-pooled bags, a linear head,
trained by SGD with gradient clipping and a StepLR; plus an n-gram language model with nn.Embedding and cosine
similarity between learned word vectors."""
import random

import torch
import torch.nn as nn
import torch.nn.functional as F

from _report import numpy_init, report

POSITIVE = ["good", "great", "fine", "happy", "love", "nice"]
NEGATIVE = ["bad", "awful", "sad", "hate", "poor", "ugly"]
FILLER = ["the", "a", "movie", "was", "it", "very", "plot", "and"]
vocab = {w: i for i, w in enumerate(POSITIVE + NEGATIVE + FILLER)}
pick = random.Random(0)


def make_example():
    label = pick.randint(0, 1)
    words = pick.sample(FILLER, 3) + pick.sample(POSITIVE if label else NEGATIVE, 2)
    pick.shuffle(words)
    return label, words[:pick.randint(3, 5)] + [pick.choice(POSITIVE if label else NEGATIVE)]


data = [make_example() for _ in range(160)]


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for label, words in batch:
        label_list.append(label)
        ids = torch.tensor([vocab[w] for w in words], dtype=torch.int64)
        text_list.append(ids)
        offsets.append(ids.size(0))
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    return torch.tensor(label_list, dtype=torch.int64), torch.cat(text_list), offsets


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


bag = nn.EmbeddingBag(4, 2, mode="sum")
with torch.no_grad():
    bag.weight.copy_(torch.arange(8.0).view(4, 2))
report("bag_sum", bag(torch.tensor([0, 1, 3, 2]), torch.tensor([0, 3])))
report("bag_2d_max", nn.EmbeddingBag.from_pretrained(torch.arange(8.0).view(4, 2), mode="max")(
    torch.tensor([[0, 3], [1, 2]])))

model = numpy_init(TextClassificationModel(len(vocab), 8, 2), seed=0)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.5)
epoch_losses = []
for _epoch in range(4):
    total = 0.0
    for start in range(0, 128, 16):
        label, text, offsets = collate_batch(data[start:start + 16])
        optimizer.zero_grad()
        loss = criterion(model(text, offsets), label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total += loss.item()
    scheduler.step()
    epoch_losses.append(total / 8)
report("epoch_losses", epoch_losses, rtol=1e-3)
label, text, offsets = collate_batch(data[128:])
with torch.no_grad():
    accuracy = (model(text, offsets).argmax(1) == label).float().mean().item()
report("held_out_accuracy", accuracy, min=0.8)

# an n-gram language model with nn.Embedding, trained on a repeated phrase
sentence = "when forty winters shall besiege thy brow and dig deep trenches in thy beauty's field".split()
ngrams = [([sentence[i - j - 1] for j in range(2)], sentence[i]) for i in range(2, len(sentence))]
words = sorted(set(sentence))
word_to_ix = {w: i for i, w in enumerate(words)}


class NGramLanguageModeler(nn.Module):
    def __init__(self, vocab_size, embedding_dim, context_size):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear1 = nn.Linear(context_size * embedding_dim, 32)
        self.linear2 = nn.Linear(32, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).view((1, -1))
        out = F.relu(self.linear1(embeds))
        return F.log_softmax(self.linear2(out), dim=1)


ngram = numpy_init(NGramLanguageModeler(len(words), 6, 2), seed=3)
optimizer = torch.optim.SGD(ngram.parameters(), lr=0.05)
losses = []
for _epoch in range(6):
    total_loss = 0
    for context, target in ngrams:
        context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
        ngram.zero_grad()
        loss = F.nll_loss(ngram(context_idxs), torch.tensor([word_to_ix[target]], dtype=torch.long))
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    losses.append(total_loss)
report("ngram_losses", losses, rtol=1e-3)
vectors = ngram.embeddings.weight.detach()
cos = nn.CosineSimilarity(dim=1)
report("cosine_self", cos(vectors[:2], vectors[:2]), rtol=1e-6)
report("cosine_pair", F.cosine_similarity(vectors[word_to_ix["thy"]], vectors[word_to_ix["brow"]], dim=0), rtol=1e-3)
report("pairwise_distance", F.pairwise_distance(vectors[:1], vectors[1:2]), rtol=1e-3)
