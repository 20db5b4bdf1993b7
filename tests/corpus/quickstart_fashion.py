"""Quickstart: a FashionMNIST-like classifier, train and test loops, saving and reloading the model.

The data set is generated: each of ten classes is a blurred 28x28 shape (bars, boxes, rings ...) plus noise, in a
Dataset that returns (image tensor of shape 1x28x28, label) pairs like torchvision's FashionMNIST with ToTensor.
"""
import os

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from _report import report

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def class_templates():
    yy, xx = np.mgrid[0:28, 0:28] / 27.0
    shapes = [
        (np.abs(yy - 0.5) < 0.15), (np.abs(xx - 0.5) < 0.15), (np.abs(yy - xx) < 0.1),
        (np.abs(yy + xx - 1) < 0.1), ((yy - 0.5) ** 2 + (xx - 0.5) ** 2 < 0.1),
        (np.abs((yy - 0.5) ** 2 + (xx - 0.5) ** 2 - 0.15) < 0.04), (yy < 0.3), (xx > 0.7),
        ((yy > 0.3) & (yy < 0.7) & (xx > 0.3) & (xx < 0.7)), ((yy + 0.5 * xx) % 0.4 < 0.2),
    ]
    return np.stack(shapes).astype(np.float32)


class SyntheticFashion(Dataset):
    def __init__(self, n, seed):
        rng = np.random.RandomState(seed)
        self.labels = rng.randint(0, 10, size=n)
        noise = rng.rand(n, 28, 28).astype(np.float32)
        self.images = np.clip(0.7 * class_templates()[self.labels] + 0.5 * noise, 0, 1)

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return torch.from_numpy(self.images[idx]).unsqueeze(0), int(self.labels[idx])


torch.manual_seed(0)
training_data = SyntheticFashion(1024, seed=0)
test_data = SyntheticFashion(256, seed=1)
batch_size = 64
train_dataloader = DataLoader(training_data, batch_size=batch_size, shuffle=True)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    report("batch_X", [list(X.shape), str(X.dtype)])
    report("batch_y", [list(y.shape), str(y.dtype)])
    break

device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64),
            nn.ReLU(),
            nn.Linear(64, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)
report("model_repr_lines", len(repr(model).splitlines()))
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=1e-1)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 8 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return test_loss, correct


first_loss, _ = test(test_dataloader, model, loss_fn)
epochs = 3
for t in range(epochs):
    print(f"Epoch {t + 1}\n-------------------------------")
    train(train_dataloader, model, loss_fn, optimizer)
    test_loss, accuracy = test(test_dataloader, model, loss_fn)
report("test_accuracy", accuracy, min=0.7)
report("loss_ratio", test_loss / first_loss, max=0.5)

torch.save(model.state_dict(), "model.pth")
report("saved", os.path.exists("model.pth"))
model2 = NeuralNetwork().to(device)
report("load_result", str(model2.load_state_dict(torch.load("model.pth", weights_only=True))))
model2.eval()
x, y = test_data[0][0], test_data[0][1]
with torch.no_grad():
    x = x.to(device)
    pred = model2(x)
    predicted, actual = CLASSES[pred[0].argmax(0)], CLASSES[y]
    print(f'Predicted: "{predicted}", Actual: "{actual}"')
    report("reloaded_agrees", bool(torch.equal(model(x), pred)))
