"""Episode replay: chunks never span two episodes; episodes persist."""

import os

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from planet_tf import envs
from planet_tf.data import replay as replay_lib

import fake_episodes

F, L = ts.StepType.FIRST, ts.StepType.LAST
_SPEC = fake_episodes.spec()


def _fill(replay, lengths):
  for episode, length in enumerate(lengths):
    for step in fake_episodes.steps(episode, length):
      replay(step)


def test_chunks_never_span_two_episodes():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0)
  _fill(replay, [5, 30, 12, 9, 40])
  assert replay.num_episodes == 5
  chunks = replay.sample(500, 10)
  episode_ids = chunks.observation[..., 0]
  steps = chunks.observation[..., 1]
  assert np.all(episode_ids == episode_ids[:, :1])
  assert np.all(np.diff(steps, axis=1) == 1)
  # No FIRST after a chunk's start; no LAST before its end.
  assert np.all(chunks.step_type[:, 1:] != F)
  assert np.all(chunks.step_type[:, :-1] != L)
  # The 5-step episode (6 stored steps) is too short for L=10: never sampled.
  assert not np.any(episode_ids == 0)
  assert chunks.policy_info == ()


def test_sampling_is_uniform_over_windows():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=1)
  _fill(replay, [19, 109])  # 20 and 110 steps: 11 and 101 windows of 10.
  chunks = replay.sample(4000, 10)
  share = np.mean(chunks.observation[:, 0, 0] == 0)
  assert share == pytest.approx(11 / 112, abs=0.02)


def test_capacity_evicts_the_oldest_episodes():
  replay = replay_lib.EpisodeReplay(_SPEC, capacity_steps=25)
  _fill(replay, [9, 9, 9])  # 10 steps each.
  assert replay.num_episodes == 2 and replay.num_steps == 20
  assert set(replay.sample(50, 5).observation[:, 0, 0]) == {1, 2}


def test_batched_steps_from_two_environments_stay_apart():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0)
  a, b = list(fake_episodes.steps(0, 6)), list(fake_episodes.steps(1, 6))
  for x, y in zip(a, b):
    replay(tf.nest.map_structure(lambda *v: np.stack(v), x, y))
  assert replay.episode_lengths() == [7, 7]
  chunks = replay.sample(100, 7)
  assert np.all(chunks.observation[..., 0] == chunks.observation[:, :1, 0])


def test_episodes_persist_and_reload(tmp_path):
  directory = str(tmp_path / 'episodes')
  replay = replay_lib.EpisodeReplay(_SPEC, directory=directory)
  _fill(replay, [11, 14])
  # An unfinished episode is not written.
  for step in list(fake_episodes.steps(2, 5))[:-1]:
    replay(step)
  assert len(os.listdir(directory)) == 2
  reloaded = replay_lib.EpisodeReplay(_SPEC, directory=directory, seed=0)
  assert reloaded.episode_lengths() == [12, 15]
  assert reloaded.total_episodes == 2
  _fill(reloaded, [3])  # New episodes never overwrite the old files.
  assert len(os.listdir(directory)) == 3
  chunk = reloaded.sample(20, 12)
  assert chunk.observation.dtype == np.int32
  np.testing.assert_array_equal(chunk.observation[:, :, 1] -
                                chunk.observation[:, :1, 1], np.tile(np.arange(12), (20, 1)))


def test_new_episodes_never_overwrite_a_file_on_disk(tmp_path):
  directory = tmp_path / 'episodes'
  replay = replay_lib.EpisodeReplay(_SPEC, directory=str(directory))
  _fill(replay, [4, 4, 4])
  files = sorted(os.listdir(directory))
  assert files == [f'episode-00000{i}-5.npz' for i in (1, 2, 3)]
  # A user moves an early episode away: the next one must not take the
  # newest file's number (same length, same name) and overwrite it.
  os.remove(directory / files[0])
  newest = (directory / files[-1]).read_bytes()
  reloaded = replay_lib.EpisodeReplay(_SPEC, directory=str(directory))
  _fill(reloaded, [4])
  assert sorted(os.listdir(directory)) == files[1:] + ['episode-000004-5.npz']
  assert (directory / files[-1]).read_bytes() == newest
  # A file that appears under the number about to be written is refused.
  (directory / 'episode-000005-9.npz').write_bytes(b'not ours')
  with pytest.raises(FileExistsError, match='refusing to overwrite'):
    _fill(reloaded, [4])
  assert (directory / 'episode-000005-9.npz').read_bytes() == b'not ours'


def test_a_half_written_episode_file_is_dropped_on_load(tmp_path):
  directory = tmp_path / 'episodes'
  replay = replay_lib.EpisodeReplay(_SPEC, directory=str(directory))
  _fill(replay, [4])
  # What a run killed inside np.savez leaves: a hidden, truncated file.
  (directory / '.tmp-episode-000002-5.npz').write_bytes(b'PK\x03\x04trunc')
  reloaded = replay_lib.EpisodeReplay(_SPEC, directory=str(directory))
  assert reloaded.episode_lengths() == [5]
  assert sorted(os.listdir(directory)) == ['episode-000001-5.npz']


def test_a_corrupt_episode_file_is_named(tmp_path):
  directory = tmp_path / 'episodes'
  directory.mkdir()
  (directory / 'episode-000001-10.npz').write_bytes(b'not a zip file')
  with pytest.raises(ValueError, match='episode-000001-10.npz'):
    replay_lib.EpisodeReplay(_SPEC, directory=str(directory))


def test_sampling_without_long_enough_episodes_fails_clearly():
  replay = replay_lib.EpisodeReplay(_SPEC)
  _fill(replay, [3])
  with pytest.raises(ValueError, match='No finished episode has 10 steps'):
    replay.sample(2, 10)


def test_wrong_shapes_are_rejected():
  replay = replay_lib.EpisodeReplay(_SPEC)
  step = next(fake_episodes.steps(0, 3))._replace(
      observation=np.zeros([3], np.int32))
  with pytest.raises(ValueError, match='does not match spec'):
    replay(step)


def test_as_dataset_yields_batched_chunks_like_tf_agents():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0)
  _fill(replay, [20, 20])
  experience, info = next(iter(replay.as_dataset(batch_size=3, length=8)))
  assert info == ()
  assert experience.observation.shape == (3, 8, 2)
  assert experience.step_type.dtype == tf.int32
  ids = experience.observation.numpy()[..., 0]
  assert np.all(ids == ids[:, :1])


def _add_episode(replay, episode, length):
  for step in fake_episodes.steps(episode, length):
    replay(step)


def test_recent_fraction_draws_that_share_from_the_newest_episodes(tmp_path):
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0, recent_fraction=0.5,
                                    directory=str(tmp_path))
  for episode in range(20):
    _add_episode(replay, episode, 20)
  replay.mark_recent()
  _add_episode(replay, 20, 20)
  assert replay.num_recent_episodes == 1
  ids = replay.sample(40, 10).observation[:, 0, 0]
  # Half the batch from the recent episode; the other half uniform over all 21.
  assert np.all(ids[:20] == 20)
  assert np.sum(ids[20:] == 20) < 10 and len(set(ids[20:])) > 5
  # A resumed replay counts its newest stored episode as the recent one.
  resumed = replay_lib.EpisodeReplay(_SPEC, seed=0, recent_fraction=0.5,
                                     directory=str(tmp_path))
  assert resumed.num_recent_episodes == 1
  assert np.all(resumed.sample(40, 10).observation[:20, 0, 0] == 20)


def test_uniform_sampling_ignores_the_newest_episode():
  replay = replay_lib.EpisodeReplay(_SPEC, seed=0)
  for episode in range(20):
    _add_episode(replay, episode, 20)
  replay.mark_recent()
  _add_episode(replay, 20, 20)
  ids = replay.sample(2100, 10).observation[:, 0, 0]
  assert 50 < np.sum(ids == 20) < 150  # 1/21 of 2100 = 100 expected.


def test_recent_fraction_out_of_range_is_refused():
  with pytest.raises(ValueError, match='recent_fraction must be in'):
    replay_lib.EpisodeReplay(_SPEC, recent_fraction=1.5)
