"""The forward-forward algorithm: each layer learns on its own to give high "goodness" (mean squared activation)
to positive data (an image with its true label written into the first pixels) and low goodness to negative data
(a wrong label), with no backpropagation between layers. Prediction picks the label of highest total goodness."""
import numpy as np
import torch
import torch.nn as nn
from torch.optim import Adam

from _report import report

torch.manual_seed(0)
rng = np.random.RandomState(0)
N_CLASSES, DIM = 4, 40
centers = rng.randn(N_CLASSES, DIM).astype(np.float32)
labels = rng.randint(0, N_CLASSES, 400)
points = centers[labels] + 0.6 * rng.randn(400, DIM).astype(np.float32)
x, y = torch.from_numpy(points), torch.from_numpy(labels)
x_tr, y_tr, x_te, y_te = x[:300], y[:300], x[300:], y[300:]


def overlay_y_on_x(x, y):
    x_ = x.clone()
    x_[:, :N_CLASSES] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=0.03)
        self.threshold = 2.0
        self.num_epochs = 60

    def forward(self, x):
        x_direction = x / (x.norm(2, 1, keepdim=True) + 1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train_layer(self, x_pos, x_neg):
        for _i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return self.forward(x_pos).detach(), self.forward(x_neg).detach(), loss.item()


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList([Layer(dims[d], dims[d + 1]) for d in range(len(dims) - 1)])

    def predict(self, x):
        goodness_per_label = []
        for label in range(N_CLASSES):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        return torch.cat(goodness_per_label, 1).argmax(1)

    def train_net(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        final = []
        for layer in self.layers:
            h_pos, h_neg, loss = layer.train_layer(h_pos, h_neg)
            final.append(loss)
        return final


x_marked = overlay_y_on_x(x_tr, y_tr)
report("overlay_first_row", x_marked[0, :N_CLASSES] > 0)
report("overlay_label_written", bool((x_marked[range(300), y_tr] == x_tr.max()).all()))
net = Net([DIM, 64, 64])
x_neg = overlay_y_on_x(x_tr, (y_tr + 1 + torch.randint(0, N_CLASSES - 1, (300,))) % N_CLASSES)
report("negative_labels_wrong", bool((x_neg[range(300), y_tr] == 0).all()))
layer_losses = net.train_net(x_marked, x_neg)
report("layer_losses", layer_losses, max=0.69)
train_acc = net.predict(x_tr).eq(y_tr).float().mean().item()
test_acc = net.predict(x_te).eq(y_te).float().mean().item()
print("train accuracy", train_acc, "test accuracy", test_acc)
report("train_accuracy", train_acc, min=0.7)
report("test_accuracy", test_acc, min=0.6)
