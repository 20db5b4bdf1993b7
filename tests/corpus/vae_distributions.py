"""A variational autoencoder on binary 8x8 patterns, written with torch.distributions: a Normal posterior with
rsample (the reparameterization trick), a Bernoulli decoder with log_prob, and kl_divergence to the prior."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Bernoulli, Normal, kl_divergence
from torch.utils.data import DataLoader, TensorDataset

from _report import report

torch.manual_seed(0)
rng = np.random.RandomState(0)
prototypes = (rng.rand(4, 64) > 0.5).astype(np.float32)
picks = rng.randint(0, 4, 512)
flips = (rng.rand(512, 64) < 0.05).astype(np.float32)
data = torch.from_numpy(np.abs(prototypes[picks] - flips))
loader = DataLoader(TensorDataset(data), batch_size=64, shuffle=True)


class VAE(nn.Module):
    def __init__(self, latent=2):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc_mu = nn.Linear(32, latent)
        self.fc_logvar = nn.Linear(32, latent)
        self.fc3 = nn.Linear(latent, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z)))

    def forward(self, x):
        mu, logvar = self.encode(x)
        posterior = Normal(mu, torch.exp(0.5 * logvar))
        z = posterior.rsample()
        return self.decode(z), posterior


def loss_function(logits, x, posterior):
    recon = -Bernoulli(logits=logits).log_prob(x).sum()
    prior = Normal(torch.zeros_like(posterior.loc), torch.ones_like(posterior.scale))
    kld = kl_divergence(posterior, prior).sum()
    return recon + kld, recon, kld


# the library's pieces against their formulas
mu, logvar = torch.tensor([[0.5, -1.0]]), torch.tensor([[0.2, -0.3]])
q = Normal(mu, torch.exp(0.5 * logvar))
closed_form = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
report("kl_matches_formula", kl_divergence(q, Normal(0.0, 1.0)).sum(), rtol=1e-5)
report("kl_formula", closed_form, rtol=1e-5)
logits = torch.tensor([-2.0, 0.0, 3.0])
target = torch.tensor([0.0, 1.0, 1.0])
report("bernoulli_log_prob", Bernoulli(logits=logits).log_prob(target), rtol=1e-5)
report("bce_agrees", -F.binary_cross_entropy_with_logits(logits, target, reduction="none"), rtol=1e-5)
report("rsample_has_grad", q.rsample().requires_grad is False and Normal(mu.requires_grad_(), 1.0).rsample()
       .requires_grad)
report("sample_shape", Normal(torch.zeros(3), 1.0).sample((5,)).shape)

model = VAE()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
epoch_losses = []
for _epoch in range(15):
    model.train()
    train_loss = 0.0
    for (x,) in loader:
        optimizer.zero_grad()
        logits, posterior = model(x)
        loss, recon, kld = loss_function(logits, x, posterior)
        loss.backward()
        optimizer.step()
        train_loss += loss.item()
    epoch_losses.append(train_loss / len(loader.dataset))
print("per-sample loss by epoch", [round(v, 2) for v in epoch_losses])
report("loss_fell", epoch_losses[-1] / epoch_losses[0], max=0.6)
model.eval()
with torch.no_grad():
    logits, posterior = model(data[:64])
    recon_error = (torch.sigmoid(logits).round() != data[:64]).float().mean().item()
    samples = Bernoulli(logits=model.decode(torch.randn(16, 2))).sample()
report("reconstruction_error", recon_error, max=0.15)
report("samples_binary", bool(((samples == 0) | (samples == 1)).all()))
report("posterior_entropy_shape", posterior.entropy().shape)
