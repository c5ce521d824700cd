"""Distributed PlaNet's replay: windows inside episodes, the samples-per-insert
ratio, weights to actors (in one process, on a local Reverb server)."""

import itertools
import os
import threading
import types

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.replay_buffers import reverb_replay_buffer
from tf_agents.trajectories import time_step as ts

from planet_tf import config
from planet_tf.data import episode_runner
from planet_tf.distributed import actor
from planet_tf.distributed import agent as agent_lib
from planet_tf.distributed import episodes
from planet_tf.distributed import learner
from planet_tf.distributed import replay_server
from planet_tf.distributed import rows
from planet_tf.distributed import settings
from planet_tf.distributed import tables

import fake_episodes

reverb = pytest.importorskip('reverb', reason='the reverb extra (dm-reverb)')

F, LAST = ts.StepType.FIRST, ts.StepType.LAST


def _server(table, min_size, windows_per_episode):
  variables = {'w': tf.Variable(tf.zeros([2]))}
  # The writer drops policy_info (one signature for every policy).
  return reverb.Server(tables.make_tables(fake_episodes.spec(), variables,
                                          table, min_size, windows_per_episode))


def test_rate_limiter_setting_is_validated():
  with pytest.raises(ValueError, match='samples_per_insert'):
    settings.ReplayTable(samples_per_insert=0)


def test_windows_are_every_l_step_window_inside_one_episode():
  length = 4
  lengths = [6, 10, 4, 2]  # Agent steps; each episode stores one more.
  windows = [settings.windows_per_episode(n + 1, length) for n in lengths]
  server = _server(settings.ReplayTable(samples_per_insert=100.0),
                   sum(windows), max(windows))
  try:
    client = reverb.Client(f'localhost:{server.port}')
    writer = tables.WindowWriter(client, length)
    for episode, n in enumerate(lengths):
      for step in fake_episodes.steps(episode, n):
        writer(step)
    writer.flush()
    info = client.server_info()[tables.WINDOWS_TABLE]
    assert info.current_size == sum(windows) == 4 + 8 + 2 + 0

    buffer = reverb_replay_buffer.ReverbReplayBuffer(
        tables.window_spec(fake_episodes.spec()), tables.WINDOWS_TABLE,
        sequence_length=length, local_server=server)
    seen = set()
    iterator = iter(buffer.as_dataset(sample_batch_size=8, num_steps=length))
    for _ in range(10):
      chunk, _ = next(iterator)
      assert chunk.policy_info == ()
      obs = chunk.observation.numpy()  # [B, L, 2]: (episode, step).
      # One episode, consecutive steps: never across an episode's end.
      assert np.all(obs[:, :, 0] == obs[:, :1, 0])
      assert np.all(np.diff(obs[:, :, 1], axis=1) == 1)
      step_type = chunk.step_type.numpy()
      assert not np.any(step_type[:, 1:] == F)
      assert not np.any(step_type[:, :-1] == LAST)
      seen |= {tuple(o) for o in obs[:, 0]}
    # Every window start of every episode, the boundary step's window included.
    assert seen <= {(e, t) for e, n in enumerate(lengths)
                    for t in range(n + 2 - length)}
    assert len(seen) > 6
  finally:
    server.stop()


def test_measured_samples_per_insert_is_the_setting_within_ten_percent():
  length, episode_steps, num_episodes = 3, 8, 40
  per_episode = settings.windows_per_episode(episode_steps + 1, length)  # 7
  table = settings.ReplayTable(samples_per_insert=5.0,
                               error_buffer_episodes=1.0)
  min_size = 2 * per_episode  # Two seed episodes, as num_seed_episodes.
  server = _server(table, min_size, per_episode)
  address = f'localhost:{server.port}'
  try:
    def insert():
      writer = tables.WindowWriter(reverb.Client(address), length)
      for episode in range(num_episodes):
        for step in fake_episodes.steps(episode, episode_steps):
          writer(step)
        writer.flush()  # Blocks while the learner is behind the ratio.
      writer.close()

    inserter = threading.Thread(target=insert)
    inserter.start()
    buffer = reverb_replay_buffer.ReverbReplayBuffer(
        tables.window_spec(fake_episodes.spec()), tables.WINDOWS_TABLE,
        sequence_length=length, server_address=address,
        rate_limiter_timeout_ms=1000)
    # A learner that samples as fast as the limiter lets it; the dataset ends
    # when a sample waits over 1 s. Capped: without a limiter it never would.
    expected = (num_episodes * per_episode - min_size) * 5
    dataset = buffer.as_dataset(sample_batch_size=1, num_steps=length)
    for _ in itertools.islice(dataset, 2 * expected):
      pass
    inserter.join()
    info = reverb.Client(address).server_info()[tables.WINDOWS_TABLE]
    inserts = info.rate_limiter_info.insert_stats.completed
    samples = info.rate_limiter_info.sample_stats.completed
    assert inserts == num_episodes * per_episode
    # The seed windows are inserted before any sample, as in bin/train.
    measured = samples / (inserts - min_size)
    assert abs(measured - 5.0) <= 0.5, (samples, inserts)
  finally:
    server.stop()


def test_seed_episodes_are_shared_out_among_the_actors():
  quotas = [actor.seed_quota(k, 3, 5) for k in range(3)]
  assert quotas == [2, 2, 1] and sum(quotas) == 5
  assert actor.actor_seed(0, 0, 0) != actor.actor_seed(0, 1, 0)
  assert actor.actor_seed(0, 0, 0) != actor.actor_seed(0, 0, 1)
  assert actor.actor_seed(None, 0, 0) is None


def test_learner_work_is_due_when_an_interval_is_crossed():
  assert learner.due(2, 1, 2) and learner.due(2, 1, 3) and learner.due(2, 0, 5)
  assert not learner.due(2, 2, 3) and not learner.due(5, 0, 4)


def test_stored_steps_per_episode_follow_the_env_settings():
  config.parse_gin(['tiny.gin'])
  # 80 simulator steps at action repeat 8: 10 agent steps and the boundary.
  assert settings.stored_steps_per_episode('cartpole_balance') == 11
  assert settings.loop_settings().sequence_length == 8


@pytest.mark.slow
def test_an_actor_plans_with_the_pushed_weights_and_its_own_noise(tmp_path):
  config.parse_gin(['tiny.gin'])
  root_dir = str(tmp_path / 'run')
  server, _ = replay_server.start(root_dir)
  address = f'localhost:{server.port}'
  # Before the actor's Reverb client exists: setting the seed clears TF's
  # kernel caches, and with them that client's resource.
  tf.random.set_seed(123)
  collector = actor.Collector(root_dir, address, actor_id=1, num_actors=2)
  try:
    loop = settings.loop_settings()
    trained = agent_lib.make_agent(loop, seed=7)
    trained.train_step_counter.assign(42)
    assert not all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(
        collector.agent.world_model.variables, trained.world_model.variables))
    # A push as the learner's, through Reverb's Python client (one TF client
    # per process: the actor's).
    reverb.Client(address).insert(
        tf.nest.map_structure(lambda v: v.numpy(),
                              tables.pushed_variables(trained)),
        {tables.VARIABLES_TABLE: 1.0})
    collector.pull()
    for a, b in zip(collector.agent.world_model.variables,
                    trained.world_model.variables):
      np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(collector.agent.train_step_counter.numpy()) == 42

    # Actor 0, same weights: its own noise stream plans another action.
    other = agent_lib.make_agent(loop, seed=actor.actor_seed(loop.seed, 0, 0))
    for a, b in zip(other.world_model.variables, trained.world_model.variables):
      a.assign(b)
    time_step = ts.restart(tf.zeros([1, 64, 64, 3], tf.uint8), batch_size=1)
    actions = [
        agent.collect_policy.action(
            time_step, agent.collect_policy.get_initial_state(1)).action
        for agent in (collector.agent, other)]
    assert not np.allclose(actions[0], actions[1])
  finally:
    collector.close()
    server.stop()


def test_samples_per_insert_defaults_to_the_loops_updates_per_episode():
  loop = types.SimpleNamespace(train_steps_per_episode=30, batch_size=16,
                               sequence_length=25)
  per_episode = settings.windows_per_episode(126, 25)  # 102 windows.
  derived = settings.samples_per_insert(settings.ReplayTable(), loop,
                                        per_episode)
  assert derived == pytest.approx(30 * 16 / 102)
  own = settings.ReplayTable(samples_per_insert=7.0)
  assert settings.samples_per_insert(own, loop, per_episode) == 7.0
  with pytest.raises(ValueError, match='sequence_length'):
    settings.samples_per_insert(settings.ReplayTable(), loop, 0)


def _collected(number, length=3):
  """An episode as an actor's observers see it: `(flat fields, return)`."""
  fields, returns = actor._Steps(), episode_runner.EpisodeReturn()  # pylint: disable=protected-access
  for step in fake_episodes.steps(number, length, policy_info=False):
    fields(step)
    returns(step)
  return fields.episode, returns.last


def _rows(root_dir):
  with open(os.path.join(root_dir, 'eval', 'returns.csv')) as f:
    return f.read().splitlines()[1:]


def test_an_episode_is_stored_as_the_runs_next_with_its_row_under_the_lock(
    tmp_path):
  root_dir = str(tmp_path)
  episodes_dir = os.path.join(root_dir, 'train', 'episodes')
  own = episodes.actor_dir(episodes_dir, 1)
  os.makedirs(own)
  episode, value = _collected(0)
  numbers = []
  with episodes.locked(episodes_dir):  # Another actor is storing.
    storing = threading.Thread(target=lambda: numbers.append(rows.record(
        root_dir, own, episode, 2, 'random', value, 0)))
    storing.start()
    storing.join(timeout=0.5)
    assert storing.is_alive() and not episodes.episode_files(episodes_dir)
  storing.join(timeout=10)
  assert numbers == [1]
  # The weights of an older train step: the column does not go back.
  assert rows.record(root_dir, own, episode, 2, 'collect', value, 5) == 2
  rows.record_greedy(root_dir, 2, 6, 3, [1.5])
  assert rows.record(root_dir, own, episode, 2, 'collect', value, 9) is None
  assert [os.path.basename(p) for p in episodes.episode_files(episodes_dir)] == [
      'episode-000001-4.npz', 'episode-000002-4.npz']
  assert _rows(root_dir) == ['1,3,0,random,3.000', '2,6,5,collect,3.000',
                             '2,6,5,greedy,1.500']


def test_rows_a_kill_lost_are_rebuilt_from_the_episode_files(tmp_path):
  root_dir = str(tmp_path)
  episodes_dir = os.path.join(root_dir, 'train', 'episodes')
  owns = [episodes.actor_dir(episodes_dir, k) for k in (0, 1)]
  for own in owns:
    os.makedirs(own)
  for number, (own, step) in enumerate(zip(owns * 2, [0, 0, 4, 7])):
    episode, value = _collected(number, length=2 + number)
    rows.record(root_dir, own, episode, 10, 'random' if step == 0 else
                'collect', value, step)
  live = _rows(root_dir)
  returns_path = os.path.join(root_dir, 'eval', 'returns.csv')
  with open(returns_path) as f:
    header = f.readline()
  # Killed after storing episodes 2 and 4, before their rows.
  with open(returns_path, 'w') as f:
    f.write(header + live[0] + '\n' + live[2] + '\n')
  spec = fake_episodes.spec(policy_info=False)
  assert rows.rebuild(root_dir, spec) == 2
  # As the live rows, but no train step below the newest row's before them.
  assert live[1] == '2,5,0,random,3.000'
  assert _rows(root_dir) == [live[0], live[2], '2,5,4,random,3.000', live[3]]
  assert rows.rebuild(root_dir, spec) == 0


def test_evaluations_are_due_at_every_multiple_of_the_interval():
  assert learner.due_evaluations(2, 0, 5, set()) == [2, 4]
  assert learner.due_evaluations(2, 0, 6, {2, 4}) == [6]
  assert learner.due_evaluations(3, 0, 2, set()) == []
  # As bin/train: none after a seed episode.
  assert learner.due_evaluations(2, 2, 6, set()) == [4, 6]


def test_the_learner_checkpoints_by_updates_or_minutes():
  rule = settings.LearnerCheckpoint(updates=100, minutes=5)
  assert not rule.due(99, 299) and rule.due(100, 0) and rule.due(0, 300)
  assert not settings.LearnerCheckpoint(updates=None).due(10**6, 0)
  with pytest.raises(ValueError, match='LearnerCheckpoint.updates'):
    settings.LearnerCheckpoint(updates=0)
  with pytest.raises(ValueError, match='LearnerCheckpoint.minutes'):
    settings.LearnerCheckpoint(minutes='often')
