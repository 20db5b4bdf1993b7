"""REINFORCE on a hand-written environment: walk a corridor of 6 cells to the goal at the right end. A small
policy network samples actions from a Categorical, returns are discounted and normalized, Adam does the rest."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

from _report import report


class Corridor:
    """Cells 0..length-1, start at 1; actions 0 = left (a wall at 0), 1 = right; reward 1 at the right end, -0.01
    per step otherwise; the episode ends at the goal or after max_steps."""

    def __init__(self, length=6, max_steps=20):
        self.length, self.max_steps = length, max_steps

    def reset(self):
        self.pos, self.steps = 1, 0
        return self.observe()

    def observe(self):
        obs = np.zeros(self.length, dtype=np.float32)
        obs[self.pos] = 1.0
        return obs

    def step(self, action):
        self.pos = self.pos + 1 if action == 1 else max(self.pos - 1, 0)
        self.steps += 1
        at_goal = self.pos == self.length - 1
        done = at_goal or self.steps >= self.max_steps
        return self.observe(), (1.0 if at_goal else -0.01), done


class Policy(nn.Module):
    def __init__(self, n_obs, n_actions):
        super().__init__()
        self.affine1 = nn.Linear(n_obs, 32)
        self.affine2 = nn.Linear(32, n_actions)
        self.saved_log_probs, self.rewards = [], []

    def forward(self, x):
        return F.softmax(self.affine2(F.relu(self.affine1(x))), dim=1)


torch.manual_seed(3)
env = Corridor()
policy = Policy(env.length, 2)
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
gamma = 0.95


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R, returns = 0, []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    policy_loss = [-log_prob * R for log_prob, R in zip(policy.saved_log_probs, returns)]
    optimizer.zero_grad()
    torch.cat(policy_loss).sum().backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


# the distribution itself, on fixed probabilities
probs = torch.tensor([0.1, 0.6, 0.3])
dist = Categorical(probs=probs)
report("log_prob", dist.log_prob(torch.tensor([0, 1, 2])), rtol=1e-6)
report("entropy", dist.entropy(), rtol=1e-6)
report("logits_normalized", Categorical(logits=torch.tensor([1.0, 2.0, 3.0])).probs, rtol=1e-6)
draws = dist.sample((4000,))
report("sample_frequency_error", (torch.bincount(draws, minlength=3) / 4000 - probs).abs().max(), max=0.03)

episode_rewards = []
for _i_episode in range(80):
    state, ep_reward = env.reset(), 0.0
    for _t in range(env.max_steps):
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
        if done:
            break
    episode_rewards.append(ep_reward)
    finish_episode()
print("first 10 episodes", np.mean(episode_rewards[:10]), "last 10", np.mean(episode_rewards[-10:]))
with torch.no_grad():
    p_right = policy(torch.from_numpy(np.eye(env.length, dtype=np.float32)))[1:-1, 1]
report("learned_to_go_right", p_right.mean().item(), min=0.6)
report("late_reward", float(np.mean(episode_rewards[-10:])), min=0.75)
