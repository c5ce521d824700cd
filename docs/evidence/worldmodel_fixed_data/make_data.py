"""Random-action cartpole_balance episodes rendered by planet_tf, stored once.

  python make_data.py --out /work/runs/worldmodel_fixed_data/data.npz

Builds the environment as planet_tf's training does (`planet_tf.envs.load`
under crosscheck.gin's bindings: action repeat 8, 64x64 frames rendered once per
agent step, the suite's 1000-step episodes, so 125 agent steps), draws uniform
random actions within the action bounds, and writes one .npz:

  frames          uint8   [N, 126, 64, 64, 3]  o_0 .. o_125
  actions         float32 [N, 125, 1]          a_t taken at o_t
  rewards         float32 [N, 125]             r_t earned by a_t (8 simulator
                                               steps summed)
  labels          uint8   [N, 126, 64, 64]     the simulator's segmentation:
                                               common.LABEL_OTHER / _CART / _POLE
  num_train       the first num_train episodes train; the rest are held out
  action_minimum, action_maximum, env_seed, action_seed

then checks the pole mask against the labels (`common.mask_check`), writes the
check beside the data (`mask_check.json`; `mask_check.png`: held-out episode 0's
frames | the mask | the segmentation's pole) and fails if the mask takes any
cart pixel, if under 99% of it is pole or it finds under 75% of the pole outside
the cart's rows, or if the cart is not on exactly `common.CART_ROWS`.
`--check_only` checks an existing file.
"""

import argparse
import json
import os
import sys

import numpy as np

import planet_tf  # pylint: disable=unused-import  (before TensorFlow and Mesa)
from planet_tf import config
from planet_tf import envs

import common

HERE = os.path.dirname(os.path.abspath(__file__))
CROSSCHECK_GIN = os.path.join(HERE, '..', 'crosscheck', 'crosscheck.gin')


def segmentation_labels(env, pole_geom, cart_geom):
  """uint8 `[H, W]`: which of pole, cart or anything else each pixel shows."""
  size = env.observation_spec().shape[0]
  geoms = env.physics.render(height=size, width=size, camera_id=0,
                             segmentation=True)[..., 0]
  labels = np.full(geoms.shape, common.LABEL_OTHER, np.uint8)
  labels[geoms == cart_geom] = common.LABEL_CART
  labels[geoms == pole_geom] = common.LABEL_POLE
  return labels


def run_episode(env, rng, pole_geom, cart_geom):
  """One episode of uniform random actions.

  Returns:
    `(frames [T + 1, H, W, 3], actions [T, A], rewards [T], labels [T + 1, H, W])`.
  """
  spec = env.action_spec()
  time_step = env.reset()
  frames = [time_step.observation]
  labels = [segmentation_labels(env, pole_geom, cart_geom)]
  actions, rewards = [], []
  while not time_step.is_last():
    action = rng.uniform(spec.minimum, spec.maximum).astype(np.float32)
    time_step = env.step(action)
    frames.append(time_step.observation)
    labels.append(segmentation_labels(env, pole_geom, cart_geom))
    actions.append(action)
    rewards.append(np.float32(time_step.reward))
  return (np.stack(frames), np.stack(actions), np.array(rewards, np.float32),
          np.stack(labels))


def make_episodes(num_episodes, env_seed, action_seed):
  """`num_episodes` episodes of one environment (seeded once, reset each time)."""
  config.parse_gin([CROSSCHECK_GIN])
  env = envs.load('cartpole_balance', seed=env_seed)
  if env.action_repeat != 8 or env.observation_spec().shape != (64, 64, 3):
    raise SystemExit(f'crosscheck.gin gave action repeat {env.action_repeat} '
                     f'and frames {env.observation_spec().shape}; expected 8 '
                     'and (64, 64, 3).')
  model = env.physics.model
  pole_geom = model.name2id('pole_1', 'geom')
  cart_geom = model.name2id('cart', 'geom')
  rng = np.random.default_rng(action_seed)
  episodes = [run_episode(env, rng, pole_geom, cart_geom)
              for _ in range(num_episodes)]
  spec = env.action_spec()
  env.close()
  for frames, *_ in episodes:
    if len(frames) != common.FRAMES:
      raise SystemExit(f'an episode has {len(frames)} frames, expected '
                       f'{common.FRAMES}.')
  return [np.stack(field) for field in zip(*episodes)], spec


def mask_picture(frames, labels, path):
  """Writes frames | mask | segmentation's pole for 5 frames (4x, PNG)."""
  from PIL import Image  # pylint: disable=g-import-not-at-top
  picks = np.linspace(0, len(frames) - 1, 5).astype(int)
  rows = []
  for i in picks:
    mask = np.repeat(common.pole_mask(frames[i])[..., None] * 255, 3, -1)
    pole = np.repeat((labels[i] == common.LABEL_POLE)[..., None] * 255, 3, -1)
    rows.append(np.concatenate([frames[i], mask, pole], 1).astype(np.uint8))
  image = np.concatenate(rows, 0)
  Image.fromarray(image).resize((image.shape[1] * 4, image.shape[0] * 4),
                                Image.NEAREST).save(path)


def check_mask(path, num_train):
  """Checks the pole mask of `path`'s frames against its labels; writes
  `mask_check.json` and `mask_check.png` beside it. Returns whether it passes."""
  with np.load(path) as data:
    frames, labels = data['frames'], data['labels']
  check = common.mask_check(frames, labels)
  directory = os.path.dirname(os.path.abspath(path))
  common.atomic_write_text(os.path.join(directory, 'mask_check.json'),
                           json.dumps(check, indent=1))
  mask_picture(frames[num_train], labels[num_train],
               os.path.join(directory, 'mask_check.png'))
  print('pole mask against the segmentation:', json.dumps(check))
  return (check['cart_pixels'] == 0 and check['precision'] >= 0.99 and
          check['recall'] >= 0.75 and
          check['cart_rows'] == list(range(*common.CART_ROWS)))


def main():
  p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  p.add_argument('--out', required=True)
  p.add_argument('--train_episodes', type=int, default=20)
  p.add_argument('--heldout_episodes', type=int, default=5)
  p.add_argument('--env_seed', type=int, default=1)
  p.add_argument('--action_seed', type=int, default=1)
  p.add_argument('--check_only', action='store_true',
                 help='only check the pole mask of the existing --out.')
  args = p.parse_args()
  if args.check_only:
    with np.load(args.out) as data:
      num_train = int(data['num_train'])
  elif os.path.exists(args.out):
    raise SystemExit(f'{args.out} exists: runs may be reading it; remove it '
                     'first to make new data, or pass --check_only.')
  else:
    num_train = args.train_episodes
    write_data(args)
  if not check_mask(args.out, num_train):
    sys.exit('the pole mask check failed (see above)')


def write_data(args):
  """Renders the episodes and writes them to `args.out` atomically."""
  total = args.train_episodes + args.heldout_episodes
  (frames, actions, rewards, labels), spec = make_episodes(
      total, args.env_seed, args.action_seed)
  os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
  tmp = args.out + '.tmp.npz'
  np.savez_compressed(
      tmp, frames=frames, actions=actions, rewards=rewards, labels=labels,
      num_train=args.train_episodes, action_minimum=spec.minimum,
      action_maximum=spec.maximum, env_seed=args.env_seed,
      action_seed=args.action_seed)
  os.replace(tmp, args.out)
  returns = ', '.join(f'{r:.1f}' for r in rewards.sum(1))
  print(f'wrote {args.out}: frames {frames.shape}, returns {returns}')


if __name__ == '__main__':
  main()
