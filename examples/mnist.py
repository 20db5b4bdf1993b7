"""Train the classic MNIST CNN with ptjax — the PyTorch examples' recipe, line for line in torch's API.

    python examples/mnist.py --epochs 1          # ~98 % test accuracy
    python examples/mnist.py --epochs 3          # ~99 %

Beyond the PyTorch example's flags: ``--data DIR`` (where MNIST lives / is fetched to) and ``--compile``
(the training step and the evaluation step each become one XLA program with ``ptjax.compile``).
"""
import argparse
import os
import sys
import time

import ptjax as torch
import ptjax.nn as nn
import ptjax.nn.functional as F
import ptjax.optim as optim
from ptjax.optim.lr_scheduler import StepLR
from ptjax.utils.data import DataLoader
from ptjax.vision import datasets, transforms

try:
    from tqdm import tqdm
except ImportError:  # progress bar is optional
    tqdm = None


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


def train(args, model, device, train_loader, optimizer, epoch, step_fn):
    model.train()
    bar = tqdm(train_loader, desc=f"epoch {epoch}", unit="batch", leave=True, file=sys.stdout) if tqdm else None
    t0 = time.perf_counter()
    seen = 0
    for batch_idx, (data, target) in enumerate(bar or train_loader):
        data, target = data.to(device), target.to(device)
        loss = step_fn(data, target)
        seen += len(data)
        if batch_idx % args.log_interval == 0:
            value = loss.item()
            if bar is not None:
                bar.set_postfix(loss=f"{value:.4f}")
            else:
                print(f"Train Epoch: {epoch} [{seen}/{len(train_loader.dataset)} "
                      f"({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {value:.6f}")
            if args.dry_run:
                break
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - t0
    print(f"Epoch {epoch}: {elapsed:.1f} s, {seen / elapsed:.0f} samples/s, "
          f"{1000 * elapsed / max(1, batch_idx + 1):.1f} ms/step")


def test(model, device, test_loader, eval_fn):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            loss_sum, batch_correct = eval_fn(data, target)
            test_loss += loss_sum.item()
            correct += batch_correct.item()
    test_loss /= len(test_loader.dataset)
    accuracy = 100. * correct / len(test_loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} "
          f"({accuracy:.2f}%)\n")
    return test_loss, accuracy


def make_eval(model, compile_eval):
    def evaluate(data, target):
        output = model(data)
        loss_sum = F.nll_loss(output, target, reduction="sum")
        pred = output.argmax(dim=1, keepdim=True)
        return loss_sum, pred.eq(target.view_as(pred)).sum()
    return torch.compile(evaluate) if compile_eval else evaluate


def make_step(model, optimizer, compile_step):
    def step(data, target):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        return loss
    # compiled: zero_grad, forward, backward and the Adadelta update are one XLA program (the last, shorter batch
    # of an epoch compiles once more)
    return torch.compile(step) if compile_step else step


def main(argv=None):
    parser = argparse.ArgumentParser(description="ptjax MNIST Example")
    parser.add_argument("--batch-size", type=int, default=64, metavar="N",
                        help="input batch size for training (default: 64)")
    parser.add_argument("--test-batch-size", type=int, default=1000, metavar="N",
                        help="input batch size for testing (default: 1000)")
    parser.add_argument("--epochs", type=int, default=14, metavar="N",
                        help="number of epochs to train (default: 14)")
    parser.add_argument("--lr", type=float, default=1.0, metavar="LR", help="learning rate (default: 1.0)")
    parser.add_argument("--gamma", type=float, default=0.7, metavar="M",
                        help="Learning rate step gamma (default: 0.7)")
    parser.add_argument("--no-accel", action="store_true", help="disables accelerator")
    parser.add_argument("--dry-run", action="store_true", help="quickly check a single pass")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default: 1)")
    parser.add_argument("--log-interval", type=int, default=10, metavar="N",
                        help="how many batches to wait before logging training status")
    parser.add_argument("--save-model", action="store_true", help="For Saving the current Model")
    parser.add_argument("--data", default=os.environ.get("PTJAX_DATA", "../data"), metavar="DIR",
                        help="dataset directory (default: ../data, or $PTJAX_DATA)")
    parser.add_argument("--compile", action="store_true", help="compile the training step into one XLA program")
    args = parser.parse_args(argv)

    use_accel = not args.no_accel and torch.cuda.is_available()
    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_accel else "cpu")
    print(f"device: {device}")

    train_kwargs = {"batch_size": args.batch_size, "shuffle": True}
    test_kwargs = {"batch_size": args.test_batch_size}

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    dataset1 = datasets.MNIST(args.data, train=True, download=True, transform=transform)
    dataset2 = datasets.MNIST(args.data, train=False, transform=transform)
    train_loader = DataLoader(dataset1, **train_kwargs)
    test_loader = DataLoader(dataset2, **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)
    step_fn = make_step(model, optimizer, args.compile)
    eval_fn = make_eval(model, args.compile)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    accuracy = None
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch, step_fn)
        _, accuracy = test(model, device, test_loader, eval_fn)
        scheduler.step()
        if args.dry_run:
            break

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")
        print("saved mnist_cnn.pt")
    return accuracy


if __name__ == "__main__":
    main()
