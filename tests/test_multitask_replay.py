"""One replay for several tasks: task labels persist, every task gets an equal
share of the chunks whatever its episode length, no chunk crosses an episode."""

import os

import numpy as np
import pytest
from tf_agents.trajectories import time_step as ts

from planet_tf.data import replay as replay_lib

import fake_episodes

F = ts.StepType.FIRST
_SPEC = fake_episodes.spec(policy_info=False)


def _fill(replay, lengths_and_tasks, first_id=0):
  for i, (length, task) in enumerate(lengths_and_tasks):
    observer = replay.observer(task)
    for step in fake_episodes.steps(first_id + i, length, policy_info=False):
      observer(step)


def test_tasks_of_different_lengths_get_equal_shares_and_chunks_stay_inside():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0)
  # A 125-step task beside a 500-step one, in round-robin order.
  _fill(replay, [(125, 'short'), (500, 'long')] * 3)
  assert replay.episode_tasks() == ['short', 'long'] * 3
  chunks = replay.sample(4000, 50)
  ids, steps = chunks.observation[..., 0], chunks.observation[..., 1]
  assert np.all(ids == ids[:, :1]) and np.all(np.diff(steps, axis=1) == 1)
  assert np.all(chunks.step_type[:, 1:] != F)
  short = np.isin(ids[:, 0], [0, 2, 4]).mean()
  # Windows drawn uniformly would give the short task 76 / (76 + 451) = 14%.
  assert short == pytest.approx(0.5, abs=0.03)
  # Within a task, episodes are drawn evenly too.
  counts = np.bincount(ids[:, 0], minlength=6)
  assert counts.min() > 0.8 * 4000 / 6
  # A window longer than the short episodes draws from the long task only.
  long_chunks = replay.sample(200, 300)
  assert set(long_chunks.observation[:, 0, 0]) <= {1, 3, 5}


def test_task_labels_are_stored_with_the_episodes_and_read_back(tmp_path):
  directory = str(tmp_path / 'episodes')
  replay = replay_lib.EpisodeReplay(_SPEC, directory=directory, seed=0)
  _fill(replay, [(10, 'cartpole_swingup'), (20, 'cheetah_run'),
                 (10, 'cartpole_swingup')])
  assert len(os.listdir(directory)) == 3
  loaded = replay_lib.EpisodeReplay(_SPEC, directory=directory, seed=0)
  assert loaded.episode_tasks() == ['cartpole_swingup', 'cheetah_run',
                                    'cartpole_swingup']
  assert loaded.episode_lengths() == [11, 21, 11]


def test_unlabelled_episodes_are_sampled_over_windows_as_before():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0)
  for i, length in enumerate([125, 500]):
    for step in fake_episodes.steps(i, length, policy_info=False):
      replay(step)
  assert replay.episode_tasks() == [None, None]
  ids = replay.sample(4000, 50).observation[:, 0, 0]
  assert (ids == 0).mean() == pytest.approx(76 / (76 + 451), abs=0.03)


def test_a_task_label_must_be_a_name():
  replay = replay_lib.EpisodeReplay(_SPEC)
  with pytest.raises(ValueError, match='non-empty string'):
    replay.observer(3)


def test_recent_share_draws_recent_episodes_of_any_task():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0, recent_fraction=0.5)
  _fill(replay, [(30, 'a'), (30, 'b')])
  replay.mark_recent()
  _fill(replay, [(30, 'a')], first_id=2)
  ids = replay.sample(400, 10).observation[:, 0, 0]
  assert np.all(ids[:200] == 2)
  assert set(ids[200:]) == {0, 1, 2}
