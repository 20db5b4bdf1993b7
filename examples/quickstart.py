"""The beginners' tutorial (../shared/seeds/000): tensors, autograd, a small net, training, save/load.

Runs unchanged but for the import: ``import ptjax as torch``.
"""
import ptjax as torch
import ptjax.nn as nn
import ptjax.optim as optim
from ptjax.utils.data import DataLoader, TensorDataset

data = [1, 2, 3, 4, 5]
tensor = torch.tensor(data)
print(tensor)

x = torch.tensor([2.0], requires_grad=True)
y = x ** 2 + 3 * x + 1
y.backward()
print(x.grad)


class SimpleNet(nn.Module):
    def __init__(self):
        super(SimpleNet, self).__init__()
        self.fc1 = nn.Linear(10, 5)
        self.fc2 = nn.Linear(5, 2)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = self.fc2(x)
        return x


net = SimpleNet()
print(net)

# a toy dataset (the tutorial leaves `dataloader` undefined)
dataloader = DataLoader(TensorDataset(torch.randn(64, 10), torch.randn(64, 2)), batch_size=8, shuffle=True)

criterion = nn.MSELoss()
optimizer = optim.SGD(net.parameters(), lr=0.01)
for epoch in range(10):
    running_loss = 0.0
    for inputs, labels in dataloader:
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f"Epoch {epoch+1} - Loss: {running_loss/len(dataloader)}")

torch.save(net.state_dict(), "model.pth")
model = SimpleNet()
model.load_state_dict(torch.load("model.pth"))
print("reloaded:", all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), model.state_dict().values())))
