"""Time-sequence prediction: two stacked LSTMCells learn sine waves, trained by L-BFGS with a closure, then
predict the future by feeding their own outputs back. Double precision, waves and weights from NumPy."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from _report import numpy_init, report

T, L, N = 20, 40, 12
rng = np.random.RandomState(2)
x = np.array(range(L)) + rng.randint(-4 * T, 4 * T, N).reshape(N, 1)
waves = np.sin(x / 1.0 / T).astype("float64")
inp = torch.from_numpy(waves[3:, :-1])
target = torch.from_numpy(waves[3:, 1:])
test_input = torch.from_numpy(waves[:3, :-1])
test_target = torch.from_numpy(waves[:3, 1:])


class Sequence(nn.Module):
    def __init__(self, hidden=12):
        super().__init__()
        self.hidden = hidden
        self.lstm1 = nn.LSTMCell(1, hidden)
        self.lstm2 = nn.LSTMCell(hidden, hidden)
        self.linear = nn.Linear(hidden, 1)

    def forward(self, inp, future=0):
        outputs = []
        n = inp.size(0)
        h_t = torch.zeros(n, self.hidden, dtype=torch.double)
        c_t = torch.zeros(n, self.hidden, dtype=torch.double)
        h_t2 = torch.zeros(n, self.hidden, dtype=torch.double)
        c_t2 = torch.zeros(n, self.hidden, dtype=torch.double)
        for input_t in inp.split(1, dim=1):
            h_t, c_t = self.lstm1(input_t, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        for _ in range(future):
            h_t, c_t = self.lstm1(output, (h_t, c_t))
            h_t2, c_t2 = self.lstm2(h_t, (h_t2, c_t2))
            output = self.linear(h_t2)
            outputs += [output]
        return torch.cat(outputs, dim=1)


seq = numpy_init(Sequence(), seed=6).double()
report("param_dtype", next(seq.parameters()).dtype)
criterion = nn.MSELoss()
optimizer = optim.LBFGS(seq.parameters(), lr=0.8, max_iter=6)
step_losses = []
for i in range(3):
    def closure():
        optimizer.zero_grad()
        out = seq(inp)
        loss = criterion(out, target)
        loss.backward()
        return loss
    step_losses.append(optimizer.step(closure).item())
    with torch.no_grad():
        future = 10
        pred = seq(test_input, future=future)
        test_loss = criterion(pred[:, :-future], test_target)
    print(f"step {i} loss {step_losses[-1]:.6f} test loss {test_loss.item():.6f}")
report("closure_losses", step_losses, rtol=1e-3)
report("test_loss", test_loss.item(), rtol=1e-2)
report("test_loss_small", test_loss.item(), max=0.1)
report("prediction_shape", pred.shape)
report("lbfgs_state_keys", sorted(optimizer.state[optimizer.param_groups[0]["params"][0]].keys()))
