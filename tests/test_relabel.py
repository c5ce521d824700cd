"""Hindsight relabelling: any later frame is a goal; the targets are the actions
taken to reach it, then END, then PAD; horizons stop at the trajectory's end."""

import numpy as np
import pytest

from planet_tf.data import relabel

A, END, PAD = 3, 3, 4
ACTIONS = np.array([0, 1, 2, 0, 1], np.int32)  # T = 5 actions, 6 frames.


def _frames(steps=len(ACTIONS) + 1, channels=4):
  """Frame t's newest channel is filled with t; older channels with -1 (255)."""
  frames = np.full([steps, 2, 2, channels], 255, np.uint8)
  frames[..., -1] = np.arange(steps)[:, None, None]
  return frames


def test_targets_goals_and_truncated_horizons_of_a_tiny_trajectory():
  examples = relabel.relabel(_frames(), ACTIONS, starts=[0, 3, 4, 1],
                             horizons=[2, 3, 1, 3], num_actions=A,
                             max_horizon=3)
  np.testing.assert_array_equal(examples.targets, [
      [0, 1, END, PAD],
      [0, 1, END, PAD],   # k' = 3 truncated to the 2 actions left.
      [1, END, PAD, PAD],
      [1, 2, 0, END],     # The longest: k actions, END, no PAD.
  ])
  np.testing.assert_array_equal(examples.horizon, [2, 2, 1, 3])
  np.testing.assert_array_equal(examples.start, [0, 3, 4, 1])
  # The goal is the newest frame of o_{t + k'}; the start is all of o_t.
  assert examples.goal.shape == (4, 2, 2, 1)
  np.testing.assert_array_equal(examples.goal[:, 0, 0, 0], [2, 5, 5, 4])
  assert examples.observation.shape == (4, 2, 2, 4)
  np.testing.assert_array_equal(examples.observation[:, 0, 0, -1], [0, 3, 4, 1])
  assert examples.targets.dtype == np.int32


def test_sampled_examples_keep_every_rule():
  rng = np.random.default_rng(0)
  actions = rng.integers(0, A, 30).astype(np.int32)
  frames = _frames(31)
  k = 8
  examples = relabel.sample_examples(frames, actions, A, k, size=2000, rng=rng)
  assert examples.targets.shape == (2000, k + 1)
  for t, h, targets, goal in zip(examples.start, examples.horizon,
                                 examples.targets, examples.goal):
    assert 1 <= h <= k and t + h <= len(actions)
    np.testing.assert_array_equal(targets[:h], actions[t:t + h])
    assert targets[h] == END and np.all(targets[h + 1:] == PAD)
    assert goal[0, 0, 0] == t + h
  # Horizons are uniform on 1..k away from the end (each ~1/8 of the starts).
  early = examples.horizon[examples.start < len(actions) - k]
  counts = np.bincount(early, minlength=k + 1)[1:]
  assert counts.min() > 0.6 * len(early) / k
  # Every start is drawn, the last one (a single action left) included.
  assert set(examples.start.tolist()) == set(range(len(actions)))


def test_bad_trajectories_and_arguments_are_named():
  with pytest.raises(ValueError, match='actions must be'):
    relabel.relabel(_frames(), ACTIONS[:-1], [0], [1], A, 3)
  with pytest.raises(ValueError, match='uint8'):
    relabel.relabel(_frames().astype(np.float32), ACTIONS, [0], [1], A, 3)
  with pytest.raises(ValueError, match='starts'):
    relabel.relabel(_frames(), ACTIONS, [5], [1], A, 3)
  with pytest.raises(ValueError, match='horizons'):
    relabel.relabel(_frames(), ACTIONS, [0], [4], A, 3)
