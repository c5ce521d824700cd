"""A PyTorch reference of our two speed benchmarks, to time them side by side.

Usage: python benchmarks/torch_reference.py [--benchmark train_step|plan_step|all]
         [--batch 50] [--length 50] [--steps 3] [--plan_batch_sizes 1,8]
         [--repeats 3] [--threads N] [--channels_last]
         [--horizon 12] [--iterations 10] [--candidates 1000] [--top_k 100]

It runs, in PyTorch (eager mode, float32, CPU), the same computation at the same
sizes as

* `benchmarks/train_step.py`: one world-model update on a `[B, L] = [50, 50]`
  chunk of 64x64x3 uint8 images and 6-dimensional actions: 5-bit preprocessing
  with dequantisation noise; conv encoder (32/64/128/256 filters, kernel 4,
  stride 2, ReLU) to 1024; RSSM filtering over L steps (GRU belief 200,
  stochastic state 30, hidden 200, std softplus + 0.1); conv decoder (dense
  1024, transposed convs 128/k5, 64/k5, 32/k6, 3/k6, stride 2) with a
  Normal(mean, 1) pixel likelihood; reward head 2 x 200 ReLU with Normal(mean,
  1); KL with 3 free nats; backward; global-norm clip 1000; Adam (lr 1e-3,
  eps 1e-4). Encoder and decoder see the `[B * L, ...]` flattened batch, as
  ours do. Reported: `seconds_per_update` (median of `--steps` timed updates
  after one warm-up; `_min` and `_all` as well, since train_step.py reports the
  minimum), process CPU seconds per update, peak RSS.
* `benchmarks/plan_step.py`: one planned action of `CemPolicy.action`: encode
  the B observations, one posterior step, then CEM with H=12, I=10, J=1000,
  K=100 over [H, A=6] action sequences (repeat the belief J times, sample from
  Normal(mean, std), clip to [-1, 1], roll the prior out H steps with sampled
  stochastic states, sum the reward-head means, refit mean/std to the top K),
  under `torch.no_grad()`, for each B in `--plan_batch_sizes`. Reported: seconds
  per action (median and min of `--repeats` after one warm-up), CPU seconds,
  and GFLOP/s from the analytic FLOP count of plan_step.py
  (`flop_per_candidate_step` is reimplemented below, because importing that
  module pulls in TensorFlow; 770,800 FLOPs per candidate-step for A=6).

Each benchmark (and each plan batch size) runs in a fresh subprocess, so its
peak RSS (`ru_maxrss`) is its own. Not part of the test suite.

Load matters more to PyTorch than to TensorFlow here: its OpenMP threads spin
while they wait, so with 2 threads and another process busy on one of the 2
cores, small ops wait for a descheduled thread (a small CEM took 0.89 s instead
of 0.02 s at load average 2). Time it on an idle machine, or pass `--threads 1`
or set `OMP_WAIT_POLICY=PASSIVE`; the JSON records the threads and that variable.

Known differences from our TensorFlow code (none changes the FLOPs):
* Layout is PyTorch's NCHW: observations are kept as uint8 `[B, L, 3, 64, 64]`
  (built from the same random numbers as train_step.py, then transposed before
  timing) and the decoder outputs `[..., 3, 64, 64]`. In memory the conv
  activations are NCHW by default (plain PyTorch); `--channels_last` stores the
  conv weights and the encoder's input channels-last (NHWC in memory, as
  TensorFlow's), which made the convolutions about 20% faster here.
* The decoder's first transposed convolution (1x1 -> 5x5) is a plain
  `nn.ConvTranspose2d`; ours computes it as one matmul.
* PyTorch's default initialisers (ours: Glorot uniform, zero bias); Adam adds eps
  to sqrt(v_hat) (Keras to sqrt(v) with the bias correction folded into the
  step size); the GRU is a two-matmul `GRUBlockCell` module (ours: Keras'
  `GRUCell` with `reset_after=False`, one kernel split in three).
* Random numbers come from PyTorch's generator, not from `tf.random`.

With our TF model's weights copied in (kernels transposed, embedding rows
permuted NHWC -> NCHW, GRU gates reordered), the embedding, decoder mean, prior
and posterior parameters, reward mean and KL agreed with ours to ~1e-6, and
both models have 5,293,220 parameters (the GRU and the reward head re-checked
the same way after the change to the original code's variants, 2026-11-30).

Install (a separate venv; never into the TensorFlow venv; pin the version, or
pip fetches a multi-GB CUDA build; the CPU wheel is on this machine's disk):

    python3.11 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 "numpy<2"
    /tmp/torchvenv/bin/python benchmarks/torch_reference.py
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from typing import NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

# Paper sizes, as in our WorldModel / RSSM / ConvEncoder / ConvDecoder defaults.
STOCH, DETER, HIDDEN, REWARD_UNITS = 30, 200, 200, (300, 300, 300)
IMAGE_SIZE, CHANNELS, BIT_DEPTH = 64, 3, 5
FREE_NATS, MIN_STDDEV = 3.0, 0.1
LEARNING_RATE, ADAM_EPSILON, GRAD_CLIP_NORM = 1e-3, 1e-4, 1000.0
ACTION_SIZE = 6  # cheetah
FIRST = 0  # tf_agents StepType.FIRST
# plan_step.py's CEM sizes and its nominal matmul rate of this 2-core CPU.
HORIZON, ITERATIONS, CANDIDATES, TOP_K = 12, 10, 1000, 100
NOMINAL_GFLOPS, NOMINAL_CORES = 160.0, 2


def flop_per_candidate_step(action_size):
  """Dense-layer FLOPs of one prior step plus the reward head for one candidate.

  The formula of `benchmarks/plan_step.py` (multiply-add = 2 FLOPs), copied here
  so that this script does not import TensorFlow.
  """
  s, d, h = STOCH, DETER, HIDDEN
  flops = 2 * (s + action_size) * h          # img_in
  flops += 2 * (h + d) * 3 * d               # GRU kernels
  flops += 2 * d * h + 2 * h * 2 * s         # img_hidden, img_out
  width = s + d
  for units in REWARD_UNITS:                 # reward head
    flops += 2 * width * units
    width = units
  flops += 2 * width * 1
  return flops


# ----------------------------------------------------------------------------
# The model.


class State(NamedTuple):
  """A latent state; every field is `[..., size]` (S for the first three, D)."""
  mean: torch.Tensor
  stddev: torch.Tensor
  stoch: torch.Tensor
  deter: torch.Tensor


def state_map(fn, *states):
  """Applies `fn` field by field to one or more `State`s."""
  return State(*(fn(*fields) for fields in zip(*states)))


class ConvEncoder(nn.Module):
  """Images `[..., 3, 64, 64]` -> embeddings `[..., 1024]`."""

  def __init__(self, filters=(32, 64, 128, 256), kernel_size=4,
               channels_last=False):
    super().__init__()
    self.memory_format = (torch.channels_last if channels_last
                          else torch.contiguous_format)
    channels = (CHANNELS,) + tuple(filters)
    self.convs = nn.ModuleList(
        nn.Conv2d(c_in, c_out, kernel_size, stride=2)
        for c_in, c_out in zip(channels[:-1], channels[1:]))
    size = IMAGE_SIZE
    for _ in filters:
      size = (size - kernel_size) // 2 + 1  # valid padding: 64 -> 31, 14, 6, 2
    self.embedding_size = size * size * filters[-1]

  def forward(self, images):
    """Args: float `[..., C, H, W]`. Returns `[..., E]`, flattened to `[N, ...]`."""
    leading = images.shape[:-3]
    x = images.reshape(-1, *images.shape[-3:])
    x = x.contiguous(memory_format=self.memory_format)
    for conv in self.convs:
      x = F.relu(conv(x))
    return x.reshape(*leading, self.embedding_size)


class ConvDecoder(nn.Module):
  """Features `[..., F]` -> image means `[..., 3, 64, 64]` (stddev 1)."""

  def __init__(self, feature_size, dense_units=1024, filters=(128, 64, 32),
               kernel_sizes=(5, 5, 6, 6)):
    super().__init__()
    self.dense = nn.Linear(feature_size, dense_units)
    channels = (dense_units,) + tuple(filters) + (CHANNELS,)
    self.deconvs = nn.ModuleList(
        nn.ConvTranspose2d(c_in, c_out, k, stride=2)  # 1 -> 5, 13, 30, 64
        for c_in, c_out, k in zip(channels[:-1], channels[1:], kernel_sizes))

  def forward(self, features):
    """Args: `[..., F]`. Returns means `[..., C, H, W]`, via `[N, ...]`."""
    leading = features.shape[:-1]
    x = self.dense(features.reshape(-1, features.shape[-1]))
    x = x[:, :, None, None]  # [N, 1024, 1, 1]
    for i, deconv in enumerate(self.deconvs):
      x = deconv(x)
      if i < len(self.deconvs) - 1:
        x = F.relu(x)
    return x.reshape(*leading, *x.shape[1:])


class DenseHead(nn.Module):
  """Features `[..., F]` -> scalar Normal means `[...]` (stddev 1)."""

  def __init__(self, feature_size, units=REWARD_UNITS):
    super().__init__()
    sizes = (feature_size,) + tuple(units)
    self.hidden = nn.ModuleList(
        nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
    self.out = nn.Linear(sizes[-1], 1)

  def forward(self, features):
    x = features
    for layer in self.hidden:
      x = F.relu(layer(x))
    return self.out(x).squeeze(-1)


class GRUBlockCell(nn.Module):
  """The original code's GRU, as our `RSSM`'s (`reset_after=False`, gate bias 1).

  `r, u = sigmoid(W_g [x, h] + 1)`, `c = tanh(W_c [x, r * h])`,
  `h' = u * h + (1 - u) * c`: the reset gate applies before the candidate's
  matmul, which `nn.GRUCell` (reset after, as Keras' default) cannot express.
  """

  def __init__(self, input_size, units):
    super().__init__()
    self.gates = nn.Linear(input_size + units, 2 * units)
    self.candidate = nn.Linear(input_size + units, units)
    with torch.no_grad():
      self.gates.bias.fill_(1.0)
      self.candidate.bias.zero_()

  def forward(self, x, h):
    reset, update = torch.sigmoid(self.gates(torch.cat([x, h], -1))).chunk(2, -1)
    candidate = torch.tanh(self.candidate(torch.cat([x, reset * h], -1)))
    return update * h + (1 - update) * candidate


class RSSM(nn.Module):
  """PlaNet's recurrent state-space model (paper Sec. 3), as our `RSSM`.

  Prior:     `h_t = GRU(h_{t-1}, relu(W [s_{t-1}, a_{t-1}]))`, then
             `p(s_t | h_t) = N(mean, softplus(.) + 0.1)` from a ReLU layer.
  Posterior: `q(s_t | h_t, e_t)` from a ReLU layer on `[h_t, e_t]`.
  """

  def __init__(self, action_size, embedding_size, stoch=STOCH, deter=DETER,
               hidden=HIDDEN):
    super().__init__()
    self.stoch, self.deter = stoch, deter
    self.img_in = nn.Linear(stoch + action_size, hidden)
    self.gru = GRUBlockCell(hidden, deter)
    self.img_hidden = nn.Linear(deter, hidden)
    self.img_out = nn.Linear(hidden, 2 * stoch)
    self.obs_hidden = nn.Linear(deter + embedding_size, hidden)
    self.obs_out = nn.Linear(hidden, 2 * stoch)

  def initial_state(self, batch_size):
    """Zeros `State` `[batch_size, ...]`."""
    zeros = lambda n: torch.zeros(batch_size, n)
    return State(zeros(self.stoch), zeros(self.stoch), zeros(self.stoch),
                 zeros(self.deter))

  @staticmethod
  def _gaussian(stats, deter, sample):
    """`stats [N, 2S]` -> `State` with `stddev = softplus + 0.1`, `stoch` drawn."""
    mean, raw_stddev = stats.chunk(2, dim=-1)
    stddev = F.softplus(raw_stddev) + MIN_STDDEV
    stoch = mean + stddev * torch.randn_like(mean) if sample else mean
    return State(mean, stddev, stoch, deter)

  def imagine_step(self, prev_state, prev_action, sample=True):
    """`State [N, ...]`, action `[N, A]` -> prior `State [N, ...]`."""
    x = F.relu(self.img_in(torch.cat([prev_state.stoch, prev_action], -1)))
    deter = self.gru(x, prev_state.deter)
    stats = self.img_out(F.relu(self.img_hidden(deter)))
    return self._gaussian(stats, deter, sample)

  def observe_step(self, prev_state, prev_action, embedding):
    """As `imagine_step`, plus embedding `[N, E]` -> `(posterior, prior)`."""
    prior = self.imagine_step(prev_state, prev_action)
    x = F.relu(self.obs_hidden(torch.cat([prior.deter, embedding], -1)))
    return self._gaussian(self.obs_out(x), prior.deter, True), prior

  def observe(self, embeddings, prev_actions, is_first):
    """Filters a sequence.

    Args:
      embeddings: `[B, T, E]`.
      prev_actions: `[B, T, A]`.
      is_first: bool `[B, T]`; state and action are zeroed before those steps.

    Returns:
      `(posteriors, priors)`, `State`s with fields `[B, T, ...]`.
    """
    zeros = self.initial_state(embeddings.shape[0])
    state, posteriors, priors = zeros, [], []
    for t in range(embeddings.shape[1]):
      first = is_first[:, t, None]
      state = state_map(lambda s, z: torch.where(first, z, s), state, zeros)
      action = torch.where(first, torch.zeros_like(prev_actions[:, t]),
                           prev_actions[:, t])
      state, prior = self.observe_step(state, action, embeddings[:, t])
      posteriors.append(state)
      priors.append(prior)
    stack = lambda *xs: torch.stack(xs, dim=1)
    return state_map(stack, *posteriors), state_map(stack, *priors)


def preprocess(images, noise):
  """uint8 `[...]` -> float32 in [-0.5, 0.5): 5 bits, + U(0, 1) or + 0.5 per bin."""
  x = (images >> (8 - BIT_DEPTH)).float()
  x = x + (torch.rand_like(x) if noise else 0.5)
  return x / 2 ** BIT_DEPTH - 0.5


def normal_log_prob(x, mean, stddev=1.0):
  """Elementwise log N(x; mean, stddev)."""
  return (-0.5 * ((x - mean) / stddev) ** 2
          - (0.5 * math.log(2 * math.pi) + math.log(stddev)))


def kl_divergence(q, p):
  """KL(N(q.mean, q.stddev) || N(p.mean, p.stddev)) summed over S: `[...]`."""
  ratio = (q.stddev / p.stddev) ** 2
  kl = 0.5 * (ratio + ((q.mean - p.mean) / p.stddev) ** 2 - 1 - torch.log(ratio))
  return kl.sum(-1)


def masked_mean(values, mask):
  return (values * mask).sum() / mask.sum().clamp(min=1.0)


class WorldModel(nn.Module):
  """Encoder, RSSM, decoder and reward head, and the negative ELBO.

  With `channels_last`, the conv weights (and so the conv activations) and the
  encoder's input are stored channels-last; the shapes stay NCHW.
  """

  def __init__(self, action_size=ACTION_SIZE, channels_last=False):
    super().__init__()
    self.encoder = ConvEncoder(channels_last=channels_last)
    self.rssm = RSSM(action_size, self.encoder.embedding_size)
    feature_size = STOCH + DETER
    self.decoder = ConvDecoder(feature_size)
    self.reward = DenseHead(feature_size)
    if channels_last:
      self.to(memory_format=torch.channels_last)  # only 4-D tensors change

  @staticmethod
  def features(state):
    """`[..., S + D]`: `cat(stoch, deter)`."""
    return torch.cat([state.stoch, state.deter], -1)

  def loss(self, observations, actions, rewards, step_types):
    """Negative ELBO of a chunk (as our `WorldModel.loss` without overshooting).

    Args:
      observations: uint8 `[B, T, C, H, W]`.
      actions: float `[B, T, A]`; `actions[:, t]` is taken after `o_t`.
      rewards: float `[B, T]`.
      step_types: int `[B, T]` (tf_agents `StepType`).

    Returns:
      `(loss, metrics)`: scalar, dict of scalars.
    """
    is_first = step_types == FIRST
    is_reset = is_first.clone()
    is_reset[:, 0] = True
    shift = lambda x: torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)
    prev_actions = torch.where(is_reset[..., None], 0.0, shift(actions))
    reward_target, mask = shift(rewards), 1.0 - is_reset.float()

    images = preprocess(observations, noise=True)
    posteriors, priors = self.rssm.observe(self.encoder(images), prev_actions,
                                           is_first)
    features = self.features(posteriors)  # [B, T, S + D]

    image_nll = -normal_log_prob(images, self.decoder(features)).sum(
        (-3, -2, -1)).mean()
    reward_mean = self.reward(features)
    reward_nll = -masked_mean(normal_log_prob(reward_target, reward_mean), mask)
    kl = kl_divergence(posteriors, priors)  # [B, T]
    kl_loss = torch.clamp(kl, min=FREE_NATS).mean()
    total = image_nll + reward_nll + kl_loss
    metrics = {
        'loss': total, 'image_nll': image_nll, 'reward_nll': reward_nll,
        'reward_mse': masked_mean((reward_mean - reward_target) ** 2, mask),
        'kl': kl.mean(), 'kl_loss': kl_loss}
    return total, {k: v.detach() for k, v in metrics.items()}


def update(model, optimizer, batch):
  """One Adam step on `model.loss(*batch)`; returns its metrics (+ grad_norm)."""
  optimizer.zero_grad(set_to_none=True)
  loss, metrics = model.loss(*batch)
  loss.backward()
  metrics['grad_norm'] = nn.utils.clip_grad_norm_(model.parameters(),
                                                  GRAD_CLIP_NORM)
  optimizer.step()
  return metrics


# ----------------------------------------------------------------------------
# Planning.


@torch.no_grad()
def cem(model, initial_state, action_size, horizon=HORIZON,
        iterations=ITERATIONS, candidates=CANDIDATES, top_k=TOP_K,
        minimum=-1.0, maximum=1.0):
  """The cross-entropy method over `[horizon, A]` action sequences.

  Args:
    model: a `WorldModel`; its RSSM prior is the transition, the reward head's
      mean the reward of the action that led into a state.
    initial_state: `State [B, ...]` to plan from.
    action_size: A.
    horizon, iterations, candidates, top_k: H, I, J, K.
    minimum, maximum: action bounds.

  Returns:
    `(plan [B, H, A], predicted_return [B])`: the final mean, and the mean
    return of the final top-K sequences.
  """
  batch = initial_state.deter.shape[0]
  # [B, ...] -> [B * J, ...]; candidate j of entry b at row b * J + j.
  start = state_map(lambda x: x.repeat_interleave(candidates, 0), initial_state)
  mean = torch.zeros(batch, horizon, action_size)
  stddev = torch.ones(batch, horizon, action_size)
  predicted_return = torch.zeros(batch)
  for _ in range(iterations):
    noise = torch.randn(batch, candidates, horizon, action_size)
    actions = (mean[:, None] + stddev[:, None] * noise).clamp(minimum, maximum)
    flat_actions = actions.reshape(-1, horizon, action_size)  # [B * J, H, A]
    state, returns = start, 0.0
    for t in range(horizon):
      state = model.rssm.imagine_step(state, flat_actions[:, t])
      returns = returns + model.reward(model.features(state))  # [B * J]
    elite_returns, index = returns.reshape(batch, candidates).topk(top_k, 1)
    elite = actions.gather(
        1, index[:, :, None, None].expand(-1, -1, horizon, action_size))
    mean = elite.mean(1)  # [B, H, A]
    stddev = elite.std(1, unbiased=False)  # population std, as tf.nn.moments
    predicted_return = elite_returns.mean(1)
  return mean, predicted_return


@torch.no_grad()
def plan_action(model, observation, latent, prev_action, **cem_kwargs):
  """One `CemPolicy.action`: encode, posterior step, CEM, first action.

  Args:
    observation: uint8 `[B, C, H, W]`.
    latent: `State [B, ...]`, the previous posterior.
    prev_action: `[B, A]`.
    **cem_kwargs: `horizon`, `iterations`, `candidates`, `top_k`.

  Returns:
    `(action [B, A], posterior State [B, ...], predicted_return [B])`.
  """
  embedding = model.encoder(preprocess(observation, noise=False))
  posterior, _ = model.rssm.observe_step(latent, prev_action, embedding)
  plan, predicted_return = cem(model, posterior, prev_action.shape[-1],
                               **cem_kwargs)
  return plan[:, 0], posterior, predicted_return


# ----------------------------------------------------------------------------
# Timing.


def _variant(channels_last):
  return 'pytorch-eager' + ('+channels_last' if channels_last else '')


def _cpu_seconds():
  usage = resource.getrusage(resource.RUSAGE_SELF)
  return usage.ru_utime + usage.ru_stime


def _peak_rss_mib():
  return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def make_batch(batch, length, action_size=ACTION_SIZE, seed=0):
  """The random chunk of train_step.py (same numbers), in NCHW torch tensors.

  Returns:
    `(observations uint8 [B, L, C, H, W], actions [B, L, A], rewards [B, L],
    step_types int32 [B, L])`, step type FIRST at t = 0, MID after.
  """
  rng = np.random.default_rng(seed)
  step_type = np.ones([batch, length], np.int32)
  step_type[:, 0] = FIRST
  images = rng.integers(0, 256, [batch, length, IMAGE_SIZE, IMAGE_SIZE, 3],
                        dtype=np.uint8)
  actions = rng.uniform(-1, 1, [batch, length, action_size]).astype(np.float32)
  rewards = rng.normal(size=[batch, length]).astype(np.float32)
  observations = torch.from_numpy(images).permute(0, 1, 4, 2, 3).contiguous()
  return (observations, torch.from_numpy(actions), torch.from_numpy(rewards),
          torch.from_numpy(step_type))


def run_train_step(batch, length, steps, action_size=ACTION_SIZE,
                   channels_last=False):
  """Times `steps` updates after one warm-up; returns a dict."""
  torch.manual_seed(0)
  model = WorldModel(action_size, channels_last)
  optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE,
                               eps=ADAM_EPSILON)
  data = make_batch(batch, length, action_size)
  start = time.perf_counter()
  first_loss = float(update(model, optimizer, data)['loss'])
  first = time.perf_counter() - start
  times, cpu_times, losses = [], [], []
  for _ in range(steps):
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    metrics = update(model, optimizer, data)
    losses.append(float(metrics['loss']))
    times.append(time.perf_counter() - start)
    cpu_times.append(_cpu_seconds() - cpu_start)
  return {
      'variant': _variant(channels_last),
      'seconds_per_update': round(float(np.median(times)), 3),
      'seconds_per_update_min': round(min(times), 3),
      'seconds_per_update_all': [round(t, 3) for t in times],
      'cpu_seconds_per_update': round(float(np.median(cpu_times)), 2),
      'cpu_seconds_per_update_min': round(min(cpu_times), 2),
      'first_call_seconds': round(first, 2),
      'peak_rss_mib': _peak_rss_mib(),
      'loss_first': first_loss,
      'losses': losses,
      'metrics': {k: round(float(v), 4) for k, v in metrics.items()},
      'parameters': sum(p.numel() for p in model.parameters()),
  }


def run_plan_step(batch_size, repeats, action_size=ACTION_SIZE,
                  channels_last=False, **cem_kwargs):
  """Times `repeats` planned actions after one warm-up; returns a dict."""
  torch.manual_seed(0)
  model = WorldModel(action_size, channels_last)
  model.eval()
  frames = np.random.RandomState(0).randint(0, 256, [batch_size, 64, 64, 3])
  observation = torch.from_numpy(frames.astype(np.uint8)).permute(
      0, 3, 1, 2).contiguous()
  latent = model.rssm.initial_state(batch_size)
  prev_action = torch.zeros(batch_size, action_size)

  def act():
    return plan_action(model, observation, latent, prev_action, **cem_kwargs)

  start = time.perf_counter()
  act()
  first = time.perf_counter() - start
  times, cpu_times = [], []
  for _ in range(repeats):
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    action, _, predicted_return = act()
    times.append(time.perf_counter() - start)
    cpu_times.append(_cpu_seconds() - cpu_start)
  median, cpu = float(np.median(times)), float(np.median(cpu_times))
  cem_sizes = dict(horizon=HORIZON, iterations=ITERATIONS,
                   candidates=CANDIDATES, top_k=TOP_K)
  cem_sizes.update(cem_kwargs)
  gflop = (cem_sizes['horizon'] * cem_sizes['iterations']
           * cem_sizes['candidates'] * batch_size
           * flop_per_candidate_step(action_size) / 1e9)
  return {
      'variant': _variant(channels_last), 'batch_size': batch_size,
      'seconds_per_action_median': round(median, 4),
      'seconds_per_action_min': round(min(times), 4),
      'seconds_per_environment_action': round(median / batch_size, 4),
      'cpu_seconds_per_action': round(cpu, 4),
      'busy_threads': round(cpu / median, 2),
      'first_call_seconds': round(first, 2),
      'gflop_per_action': round(gflop, 2),
      'achieved_gflops': round(gflop / median, 1),
      'peak_rss_mib': _peak_rss_mib(),
      'action_within_bounds': bool(((action >= -1) & (action <= 1)).all()),
      'action_shape': list(action.shape),
      'predicted_return': [round(float(r), 4) for r in predicted_return],
      'repeats': repeats,
  }


def matmul_gflops(size=1024, repeats=10, trials=5):
  """Achieved float32 matmul GFLOP/s in PyTorch now (best of `trials`)."""
  a, b = torch.randn(size, size), torch.randn(size, size)
  torch.matmul(a, b)
  best = float('inf')
  for _ in range(trials):
    start = time.perf_counter()
    for _ in range(repeats):
      torch.matmul(a, b)
    best = min(best, time.perf_counter() - start)
  return 2 * size**3 * repeats / best / 1e9


def _child(args):
  """Runs one benchmark in this process; prints its JSON line."""
  cem_kwargs = dict(horizon=args.horizon, iterations=args.iterations,
                    candidates=args.candidates, top_k=args.top_k)
  if args.child == 'train_step':
    result = run_train_step(args.batch, args.length, args.steps,
                            args.action_size, args.channels_last)
  else:
    batch_size = int(args.child.split(':')[1])
    result = run_plan_step(batch_size, args.repeats, args.action_size,
                           args.channels_last, **cem_kwargs)
  result['torch_num_threads'] = torch.get_num_threads()
  result['torch_num_interop_threads'] = torch.get_num_interop_threads()
  print(json.dumps(result))


def _spawn(child, args):
  """Runs `--child child` in a fresh process; returns its dict (or an error)."""
  command = [sys.executable, os.path.abspath(__file__), '--child', child]
  for flag in ('batch', 'length', 'steps', 'repeats', 'action_size', 'horizon',
               'iterations', 'candidates', 'top_k', 'threads'):
    value = getattr(args, flag)
    if value is not None:
      command += [f'--{flag}', str(value)]
  if args.channels_last:
    command.append('--channels_last')
  proc = subprocess.run(command, capture_output=True, text=True, check=False)
  lines = [l for l in proc.stdout.splitlines() if l.startswith('{')]
  if proc.returncode or not lines:
    return {'child': child, 'error': proc.stderr[-2000:]}
  return json.loads(lines[-1])


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--benchmark', default='all',
                      choices=['train_step', 'plan_step', 'all'])
  parser.add_argument('--batch', type=int, default=50)
  parser.add_argument('--length', type=int, default=50)
  parser.add_argument('--steps', type=int, default=3)
  parser.add_argument('--plan_batch_sizes', default='1,8')
  parser.add_argument('--repeats', type=int, default=3)
  parser.add_argument('--threads', type=int, default=None,
                      help='torch.set_num_threads; PyTorch default if unset')
  parser.add_argument('--channels_last', action='store_true',
                      help='store conv weights and activations channels-last')
  parser.add_argument('--action_size', type=int, default=ACTION_SIZE)
  parser.add_argument('--horizon', type=int, default=HORIZON)
  parser.add_argument('--iterations', type=int, default=ITERATIONS)
  parser.add_argument('--candidates', type=int, default=CANDIDATES)
  parser.add_argument('--top_k', type=int, default=TOP_K)
  parser.add_argument('--child', default=None, help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.threads:
    torch.set_num_threads(args.threads)
  if args.child:
    _child(args)
    return

  output = {
      'torch_version': torch.__version__,
      'torch_num_threads': torch.get_num_threads(),
      'cpu_count': os.cpu_count(),
      'omp_wait_policy': os.environ.get('OMP_WAIT_POLICY'),
      'load_average_at_start': os.getloadavg(),
  }
  if args.benchmark in ('train_step', 'all'):
    output['train_step'] = {
        'benchmark': 'train_step', 'batch': args.batch, 'length': args.length,
        'image': [IMAGE_SIZE, IMAGE_SIZE, CHANNELS],
        'action_size': args.action_size, 'steps': args.steps,
        'results': [_spawn('train_step', args)]}
  if args.benchmark in ('plan_step', 'all'):
    peak = matmul_gflops()
    results = []
    for batch_size in [int(b) for b in args.plan_batch_sizes.split(',')]:
      result = _spawn(f'plan_step:{batch_size}', args)
      if 'error' not in result:
        gflop = result['gflop_per_action']
        result['bound_seconds'] = round(gflop / peak, 4)
        result['x_bound'] = round(
            result['seconds_per_action_median'] / result['bound_seconds'], 2)
        nominal = gflop / NOMINAL_GFLOPS
        result['nominal_bound_seconds'] = round(nominal, 4)
        result['cpu_x_nominal_bound'] = round(
            result['cpu_seconds_per_action'] / NOMINAL_CORES / nominal, 2)
      results.append(result)
    output['plan_step'] = {
        'benchmark': 'plan_step',
        'config': {'horizon': args.horizon, 'iterations': args.iterations,
                   'candidates': args.candidates, 'top_k': args.top_k,
                   'stoch': STOCH, 'belief': DETER, 'hidden': HIDDEN,
                   'reward_units': list(REWARD_UNITS),
                   'action_size': args.action_size},
        'flop_per_candidate_step': flop_per_candidate_step(args.action_size),
        'matmul_gflops': round(peak, 1),
        'results': results}
  output['load_average_at_end'] = os.getloadavg()
  print(json.dumps(output, indent=1))


if __name__ == '__main__':
  main()
