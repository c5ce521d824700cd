"""Hindsight relabelling for GLAMOR: any frame reached later is a goal.

From one trajectory of frames `o_0..o_T` and actions `a_0..a_{T-1}` (a_t taken
at o_t), an example is a start t, a horizon k' in 1..k truncated at the
trajectory's end, the goal frame o_{t+k'} and the targets
`a_t, ..., a_{t+k'-1}, END, PAD, ..., PAD` (k + 1 tokens). Pure numpy.
"""

from typing import NamedTuple

import numpy as np

from planet_tf.models.inverse_dynamics import end_token
from planet_tf.models.inverse_dynamics import pad_token


class Examples(NamedTuple):
  """N relabelled examples.

  observation: uint8 `[N, H, W, C]`, o_t (stacked frames).
  goal: uint8 `[N, H, W, 1]`, the newest frame of o_{t+k'}.
  targets: int32 `[N, k + 1]`, k' actions, END, then PAD.
  horizon: int32 `[N]`, k'.
  start: int32 `[N]`, t.
  """
  observation: np.ndarray
  goal: np.ndarray
  targets: np.ndarray
  horizon: np.ndarray
  start: np.ndarray


def _check(observations, actions):
  observations = np.asarray(observations)
  actions = np.asarray(actions)
  if observations.ndim != 4 or observations.dtype != np.uint8:
    raise ValueError('observations must be uint8 [T + 1, H, W, C], got '
                     f'{observations.dtype} {observations.shape}.')
  if actions.shape != (len(observations) - 1,):
    raise ValueError(
        f'actions must be [T] = [{len(observations) - 1}] for '
        f'{len(observations)} frames, got shape {actions.shape}.')
  if len(actions) < 1:
    raise ValueError('A trajectory needs at least one action to relabel.')
  return observations, actions.astype(np.int32)


def relabel(observations, actions, starts, horizons, num_actions, max_horizon):
  """The examples at given starts and (untruncated) horizons.

  Args:
    observations: uint8 `[T + 1, H, W, C]`, o_0..o_T.
    actions: int `[T]`, a_t taken at o_t, each in `[0, num_actions)`.
    starts: int `[N]`, each in `[0, T)`.
    horizons: int `[N]`, each in `[1, max_horizon]`; truncated to `T - start`.
    num_actions: A (END = A, PAD = A + 1).
    max_horizon: k; the targets have k + 1 tokens.

  Returns:
    `Examples`.
  """
  observations, actions = _check(observations, actions)
  starts = np.asarray(starts, np.int32)
  horizons = np.asarray(horizons, np.int32)
  if np.any((starts < 0) | (starts >= len(actions))):
    raise ValueError(f'starts must be in [0, {len(actions)}), got {starts}.')
  if np.any((horizons < 1) | (horizons > max_horizon)):
    raise ValueError(f'horizons must be in [1, {max_horizon}], got {horizons}.')
  horizons = np.minimum(horizons, len(actions) - starts)
  targets = np.full([len(starts), max_horizon + 1], pad_token(num_actions),
                    np.int32)
  for i, (t, k) in enumerate(zip(starts, horizons)):
    targets[i, :k] = actions[t:t + k]
    targets[i, k] = end_token(num_actions)
  return Examples(observation=observations[starts],
                  goal=observations[starts + horizons][..., -1:],
                  targets=targets, horizon=horizons, start=starts)


def sample_examples(observations, actions, num_actions, max_horizon, size, rng):
  """`size` examples with t ~ U{0..T-1} and k' ~ U{1..k} (then truncated).

  Args:
    observations, actions, num_actions, max_horizon: as `relabel`.
    size: N.
    rng: a `np.random.Generator`.

  Returns:
    `Examples`.
  """
  _, actions = _check(observations, actions)
  starts = rng.integers(0, len(actions), size=size)
  horizons = rng.integers(1, max_horizon + 1, size=size)
  return relabel(observations, actions, starts, horizons, num_actions,
                 max_horizon)
