"""A small GAN: a generator learns to turn noise into samples of a 1-D Gaussian N(3, 0.5^2) against an MLP
discriminator; BCELoss with real/fake labels, detached fakes for the discriminator step, two Adam optimizers."""
import torch
import torch.nn as nn
import torch.optim as optim

from _report import report

torch.manual_seed(1)
REAL_MEAN, REAL_STD, NZ, BATCH = 3.0, 0.5, 4, 64


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Linear") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.3)
        nn.init.constant_(m.bias.data, 0)


netG = nn.Sequential(nn.Linear(NZ, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
netD = nn.Sequential(nn.Linear(1, 16), nn.LeakyReLU(0.2, inplace=True), nn.Linear(16, 1), nn.Sigmoid())
netG.apply(weights_init)
netD.apply(weights_init)
report("bias_init_zero", [netG[0].bias.detach().abs().max().item(), netD[2].bias.detach().abs().max().item()])
criterion = nn.BCELoss()
fixed_noise = torch.randn(256, NZ)
real_label, fake_label = 1.0, 0.0
optimizerD = optim.Adam(netD.parameters(), lr=0.01, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.01, betas=(0.5, 0.999))

with torch.no_grad():
    start_gap = (netG(fixed_noise).mean() - REAL_MEAN).abs().item()
G_losses, D_losses = [], []
for _i in range(300):
    # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    real = REAL_MEAN + REAL_STD * torch.randn(BATCH, 1)
    label = torch.full((BATCH,), real_label, dtype=torch.float)
    errD_real = criterion(netD(real).view(-1), label)
    errD_real.backward()
    noise = torch.randn(BATCH, NZ)
    fake = netG(noise)
    label.fill_(fake_label)
    errD_fake = criterion(netD(fake.detach()).view(-1), label)
    errD_fake.backward()
    optimizerD.step()
    # (2) update G: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    errG = criterion(netD(fake).view(-1), label)
    errG.backward()
    optimizerG.step()
    G_losses.append(errG.item())
    D_losses.append((errD_real + errD_fake).item())

with torch.no_grad():
    samples = netG(fixed_noise).squeeze(1)
print(f"generated mean {samples.mean():.3f} std {samples.std():.3f}")
report("losses_finite", all(map(lambda v: v == v and abs(v) < 1e6, G_losses + D_losses)))
report("mean_gap_shrank", (samples.mean() - REAL_MEAN).abs().item() / start_gap, max=0.3)
report("generated_mean", samples.mean().item(), min=2.4, max=3.6)
report("discriminator_confused", torch.sigmoid(torch.logit(netD(samples.unsqueeze(1)).mean())).item(), min=0.2,
       max=0.8)
