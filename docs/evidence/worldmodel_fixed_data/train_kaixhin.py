"""Kaixhin/PlaNet's world model alone on make_data.py's fixed episodes.

  OMP_NUM_THREADS=1 /work/xc/venv/bin/python train_kaixhin.py \
    --kaixhin_dir /work/xc/PlaNet \
    --data /work/runs/worldmodel_fixed_data/data.npz \
    --out_dir /work/runs/worldmodel_fixed_data/kaixhin_s1 [--max_minutes M]

Builds Kaixhin/PlaNet's own `Encoder`, `ObservationModel`, `RewardModel` and
`TransitionModel` (models.py, imported from the clone at `--kaixhin_dir`; its
defaults: belief 200, state 30, hidden 200, embedding 1024, ReLU) and takes the
update of its main.py's training loop, with its `bottle` and
`preprocess_observation_`: summed squared image error, squared reward error,
max(KL, free nats 3), Adam lr 1e-3 eps 1e-4, gradients clipped to global norm
1000. Its chunks are `common.ChunkSampler`'s, the same as train_planet.py's.

Every `--eval_every` updates: one row of `metrics.csv`, a still and a
checkpoint (models, optimizer, PyTorch's random state; the chunk sampler's
state and the time totals in `state.json`). The same command resumes.
"""

import os

# One thread: read as PyTorch loads (torch.set_num_threads below as well).
os.environ.setdefault('OMP_NUM_THREADS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
import glob
import json
import subprocess
import sys

import numpy as np
import torch
from torch import nn
from torch import optim
from torch.distributions import Normal
from torch.distributions.kl import kl_divergence
from torch.nn import functional as F

import common
# pylint: enable=g-import-not-at-top,wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))

# main.py's defaults, and the crosscheck's flags (docs/evidence/crosscheck).
BELIEF_SIZE = 200
STATE_SIZE = 30
HIDDEN_SIZE = 200
EMBEDDING_SIZE = 1024
ACTIVATION = 'relu'
FREE_NATS = 3.0
LEARNING_RATE = 1e-3
ADAM_EPSILON = 1e-4
GRAD_CLIP_NORM = 1000.0


def import_kaixhin(kaixhin_dir):
  """Kaixhin/PlaNet's `models` and `env` modules from its clone.

  env.py imports cv2, which this venv lacks: `harness/` holds a stand-in that
  fails on use (the harness uses none of env.py's rendering).
  """
  sys.path[:0] = [os.path.abspath(kaixhin_dir), os.path.join(HERE, 'harness')]
  import env  # pylint: disable=import-outside-toplevel
  import models  # pylint: disable=import-outside-toplevel
  return models, env


def kaixhin_commit(kaixhin_dir):
  """The clone's HEAD commit, or 'unknown'."""
  try:
    return subprocess.run(['git', '-C', kaixhin_dir, 'rev-parse', 'HEAD'],
                          capture_output=True, text=True,
                          check=True).stdout.strip()
  except (OSError, subprocess.CalledProcessError):
    return 'unknown'


class KaixhinWorldModel:
  """Its four modules and optimiser, as main.py builds them."""

  def __init__(self, models, action_size):
    self.transition_model = models.TransitionModel(
        BELIEF_SIZE, STATE_SIZE, action_size, HIDDEN_SIZE, EMBEDDING_SIZE,
        ACTIVATION)
    self.observation_model = models.ObservationModel(
        False, (3, 64, 64), BELIEF_SIZE, STATE_SIZE, EMBEDDING_SIZE, ACTIVATION)
    self.reward_model = models.RewardModel(BELIEF_SIZE, STATE_SIZE,
                                           HIDDEN_SIZE, ACTIVATION)
    self.encoder = models.Encoder(False, (3, 64, 64), EMBEDDING_SIZE,
                                  ACTIVATION)
    self.param_list = [p for m in self.modules().values()
                       for p in m.parameters()]
    self.optimiser = optim.Adam(self.param_list, lr=LEARNING_RATE,
                                eps=ADAM_EPSILON)
    self.free_nats = torch.full((1,), FREE_NATS, dtype=torch.float32)
    self.bottle = models.bottle

  def modules(self):
    return {'transition_model': self.transition_model,
            'observation_model': self.observation_model,
            'reward_model': self.reward_model, 'encoder': self.encoder}

  def parameter_counts(self):
    """`{part: parameters}` in planet_tf's part names, and the total."""
    count = lambda m: int(sum(p.numel() for p in m.parameters()))
    parts = {'encoder': count(self.encoder),
             'dynamics': count(self.transition_model),
             'decoder': count(self.observation_model),
             'reward': count(self.reward_model)}
    parts['total'] = sum(parts.values())
    return parts

  def state_dict(self):
    state = {name: m.state_dict() for name, m in self.modules().items()}
    state['optimiser'] = self.optimiser.state_dict()
    return state

  def load_state_dict(self, state):
    for name, module in self.modules().items():
      module.load_state_dict(state[name])
    self.optimiser.load_state_dict(state['optimiser'])


def time_major_chunk(env, frames, actions, rewards):
  """Chunk arrays `[B, L, ...]` -> main.py's `D.sample` tensors `[L, B, ...]`.

  The frames go through its `preprocess_observation_` (5 bits, centred, uniform
  dequantisation noise) as its replay's `_retrieve_batch` does. No chunk
  crosses an episode boundary, so `nonterminals` are all 1.

  Returns:
    `(observations [L, B, 3, 64, 64], actions [L, B, A], rewards [L, B],
    nonterminals [L, B, 1])`.
  """
  observations = torch.as_tensor(np.ascontiguousarray(
      frames.transpose(1, 0, 4, 2, 3), dtype=np.float32))
  env.preprocess_observation_(observations, common.BIT_DEPTH)
  actions = torch.as_tensor(np.ascontiguousarray(actions.transpose(1, 0, 2)))
  rewards = torch.as_tensor(np.ascontiguousarray(rewards.T))
  nonterminals = torch.ones(rewards.shape + (1,))
  return observations, actions, rewards, nonterminals


def train_step(model, observations, actions, rewards, nonterminals):
  """One update, the lines of main.py's model-fitting loop (no overshooting,
  no global KL: its defaults). Returns its three losses."""
  batch = observations.shape[1]
  bottle = model.bottle
  init_belief = torch.zeros(batch, BELIEF_SIZE)
  init_state = torch.zeros(batch, STATE_SIZE)
  (beliefs, _, prior_means, prior_std_devs, posterior_states, posterior_means,
   posterior_std_devs) = model.transition_model(
       init_state, actions[:-1], init_belief,
       bottle(model.encoder, (observations[1:],)), nonterminals[:-1])
  observation_loss = F.mse_loss(
      bottle(model.observation_model, (beliefs, posterior_states)),
      observations[1:], reduction='none').sum(dim=(2, 3, 4)).mean(dim=(0, 1))
  reward_loss = F.mse_loss(
      bottle(model.reward_model, (beliefs, posterior_states)), rewards[:-1],
      reduction='none').mean(dim=(0, 1))
  kl_loss = torch.max(
      kl_divergence(Normal(posterior_means, posterior_std_devs),
                    Normal(prior_means, prior_std_devs)).sum(dim=2),
      model.free_nats).mean(dim=(0, 1))
  model.optimiser.zero_grad()
  (observation_loss + reward_loss + kl_loss).backward()
  nn.utils.clip_grad_norm_(model.param_list, GRAD_CLIP_NORM, norm_type=2)
  model.optimiser.step()
  return {'observation_loss': observation_loss.item(),
          'reward_loss': reward_loss.item(), 'kl_loss': kl_loss.item()}


def time_major(x):
  """numpy `[N, T, ...]` -> tensor `[T, N, ...]`; images `[T, N, C, H, W]`."""
  x = np.swapaxes(x, 0, 1)
  if x.ndim == 5:
    x = x.transpose(0, 1, 4, 2, 3)
  return torch.as_tensor(np.ascontiguousarray(x))


def batch_major_images(x):
  """tensor `[T, N, C, H, W]` -> numpy `[N, T, H, W, C]`."""
  return x.permute(1, 0, 3, 4, 2).numpy()


def predictions(model, split):
  """The held-out predictions of `common.heldout_metrics`.

  Each episode (and each open-loop window) is filtered from a zero belief and
  state with a zero previous action and its first frame, as main.py's
  `update_belief_and_act` starts an episode; the encoder sees 5-bit bin
  centres (`common.bin_centres`).

  Returns:
    `(recon [N, T, H, W, C], reward [N, T - 1], open_loop [W, L - CONTEXT, H,
    W, C])`, numpy.
  """
  bottle = model.bottle

  def filter_(frames, prev_actions):
    observations = time_major(common.bin_centres(frames))
    count = observations.shape[1]
    beliefs, _, _, _, states, _, _ = model.transition_model(
        torch.zeros(count, STATE_SIZE), time_major(prev_actions),
        torch.zeros(count, BELIEF_SIZE),
        bottle(model.encoder, (observations,)))
    return beliefs, states

  beliefs, states = filter_(split['frames'],
                            common.previous_actions(split['actions']))
  recon = bottle(model.observation_model, (beliefs, states))
  reward = bottle(model.reward_model, (beliefs, states))[1:].T.numpy()
  windows, window_actions, _ = common.open_loop_windows(split)
  context = common.CONTEXT
  window_prev = common.previous_actions(window_actions)
  beliefs, states = filter_(windows[:, :context], window_prev[:, :context])
  prior_beliefs, prior_states, _, _ = model.transition_model(
      states[-1], time_major(window_prev[:, context:]), beliefs[-1])
  open_loop = bottle(model.observation_model, (prior_beliefs, prior_states))
  return (batch_major_images(recon), reward, batch_major_images(open_loop))


def evaluator(model, split):
  """`() -> (metrics, still)`: the same latent draws at every evaluation, and
  PyTorch's training stream left where it was."""

  def evaluate():
    with torch.no_grad(), torch.random.fork_rng():
      torch.manual_seed(common.EVAL_SEED)
      recon, reward, open_loop = predictions(model, split)
    return (common.heldout_metrics(split, recon, reward, open_loop),
            common.still(split, recon, open_loop))

  return evaluate


def checkpointer(model, out_dir):
  """`(updates) -> name`: writes `ckpt-<updates>.pt` (models, optimiser,
  PyTorch's random state) atomically, keeps it and the one before."""

  def save(updates):
    name = f'ckpt-{updates}.pt'
    path = os.path.join(out_dir, name)
    torch.save(dict(model.state_dict(), torch_rng=torch.get_rng_state(),
                    updates=updates), path + '.tmp')
    os.replace(path + '.tmp', path)
    found = sorted(int(os.path.basename(p)[5:-3])
                   for p in glob.glob(os.path.join(out_dir, 'ckpt-*.pt')))
    keep = [u for u in found if u <= updates][-2:]
    for u in found:
      if u not in keep:
        os.remove(os.path.join(out_dir, f'ckpt-{u}.pt'))
    return name

  def restore(name):
    state = torch.load(os.path.join(out_dir, name))
    model.load_state_dict(state)
    torch.set_rng_state(state['torch_rng'])

  return save, restore


def main():
  p = common.parser(__doc__.split('\n')[0])
  p.add_argument('--kaixhin_dir', default='/work/xc/PlaNet',
                 help='a clone of Kaixhin/PlaNet (commit 28c8491).')
  args = p.parse_args()
  torch.set_num_threads(1)
  models, env = import_kaixhin(args.kaixhin_dir)
  os.makedirs(args.out_dir, exist_ok=True)
  state = common.read_state(args.out_dir)
  data = common.load_data(args.data)
  if state is None:
    torch.manual_seed(args.seed)  # The initial weights, then the noise.
    state = common.new_state(args, args.data)
  else:
    common.check_resume(state, args, args.data)
  model = KaixhinWorldModel(models, data['action_minimum'].shape[0])
  save, restore = checkpointer(model, args.out_dir)
  sampler = common.ChunkSampler(len(data['train']['frames']), args.seed)
  if state['checkpoint'] is not None:
    restore(state['checkpoint'])
    sampler.state = state['sampler']
    print(f'resumed at {state["updates"]} updates from {state["checkpoint"]}')
  common.keep_rows(args.out_dir,
                   state['updates'] if state['checkpoint'] else None)
  counts = model.parameter_counts()
  common.atomic_write_text(
      os.path.join(args.out_dir, 'params.json'),
      json.dumps({'parameters': counts,
                  'kaixhin_commit': kaixhin_commit(args.kaixhin_dir)},
                 indent=1))
  print('parameters', counts, 'torch', torch.__version__, 'threads',
        torch.get_num_threads())

  train_split = data['train']

  def update():
    chunk = time_major_chunk(env, *sampler.gather(train_split)[:3])
    return train_step(model, *chunk)

  common.run_loop(args, state, sampler, update,
                  evaluator(model, data['heldout']), save,
                  lambda line: print(line, flush=True))


if __name__ == '__main__':
  main()
