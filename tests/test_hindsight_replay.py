"""HindsightReplay: stored episodes come back as relabelled examples whose goals
were reached, from every start, with horizons truncated at the episode's end."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf.data import hindsight_replay

F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST
A, END, PAD = 3, 3, 4


def _spec():
  return trajectory.Trajectory(
      step_type=tf.TensorSpec([], tf.int32),
      observation={'observation': tf.TensorSpec([2, 2, 4], tf.uint8),
                   'goal': tf.TensorSpec([2, 2, 1], tf.uint8)},
      action=tensor_spec.BoundedTensorSpec([], tf.int32, 0, A - 1),
      policy_info=(), next_step_type=tf.TensorSpec([], tf.int32),
      reward=tf.TensorSpec([], tf.float32),
      discount=tf.TensorSpec([], tf.float32))


def _fill(replay, lengths):
  """Episode e, step t: newest frame = 10 e + t, action = (e + t) mod A."""
  for episode, length in enumerate(lengths):
    for t in range(length + 1):
      frames = np.zeros([2, 2, 4], np.uint8)
      frames[..., -1] = 10 * episode + t
      replay(trajectory.Trajectory(
          step_type=np.int32(F if t == 0 else (L if t == length else M)),
          observation={'observation': frames,
                       'goal': np.full([2, 2, 1], 255, np.uint8)},
          action=np.int32((episode + t) % A), policy_info=(),
          next_step_type=np.int32(F if t == length else
                                  (L if t == length - 1 else M)),
          reward=np.float32(0), discount=np.float32(1)))


def test_examples_are_relabelled_within_their_episode():
  replay = hindsight_replay.HindsightReplay(_spec(), A, seed=0)
  _fill(replay, [3, 8, 5])  # 3, 8 and 5 actions (the LAST step has none used).
  k = 4
  examples = replay.sample_examples(600, k)
  assert examples.observation.shape == (600, 2, 2, 4)
  assert examples.goal.shape == (600, 2, 2, 1)
  assert examples.targets.shape == (600, k + 1)
  lengths = [3, 8, 5]
  for obs, goal, targets, h, t in zip(*examples[:2], examples.targets,
                                      examples.horizon, examples.start):
    episode, start = divmod(int(obs[0, 0, -1]), 10)
    assert start == t and 1 <= h <= k and t + h <= lengths[episode]
    # The goal is the frame reached h steps later, in the same episode.
    assert goal[0, 0, 0] == 10 * episode + t + h
    np.testing.assert_array_equal(
        targets[:h], [(episode + s) % A for s in range(t, t + h)])
    assert targets[h] == END and np.all(targets[h + 1:] == PAD)
  # Starts are uniform over the 16 steps with an action.
  starts = {divmod(int(o[0, 0, -1]), 10) for o in examples.observation}
  assert len(starts) == 16


def test_a_store_without_steps_says_so():
  replay = hindsight_replay.HindsightReplay(_spec(), A, seed=0)
  with pytest.raises(ValueError, match='No stored episode'):
    replay.sample_examples(4, 3)
  bad = _spec()._replace(observation=tf.TensorSpec([2, 2, 4], tf.uint8))
  with pytest.raises(ValueError, match='observation'):
    hindsight_replay.HindsightReplay(bad, A)


def test_episodes_on_disk_come_back(tmp_path):
  replay = hindsight_replay.HindsightReplay(_spec(), A, seed=0,
                                            directory=str(tmp_path))
  _fill(replay, [4, 6])
  again = hindsight_replay.HindsightReplay(_spec(), A, seed=0,
                                           directory=str(tmp_path))
  assert again.num_episodes == 2
  assert again.sample_examples(8, 3).targets.shape == (8, 4)
