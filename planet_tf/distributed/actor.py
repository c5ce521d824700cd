"""The actor main: episodes of the current policy into Reverb and the run directory.

Actor k of N collects its share of the `num_seed_episodes` random seed episodes
(those i < S with i % N == k), then planner episodes with the collect policy,
pulling the learner's world-model weights from the `variables` table before
each; it stops once the run holds `num_episodes` episodes. Every step goes to
the `windows` table (`tables.WindowWriter`) and to the actor's `EpisodeReplay`
directory, which saves each finished episode (the source of truth), and each
finished episode appends its row to `eval/returns.csv`. A killed actor loses
at most its unfinished episode.
"""

import contextlib
import os

import numpy as np
import tensorflow as tf
from tf_agents.experimental.distributed import reverb_variable_container
from tf_agents.policies import random_py_policy
from tf_agents.train import actor as actor_lib
from tf_agents.utils import lazy_loader

from planet_tf import envs
from planet_tf.data import episode_runner
from planet_tf.data import replay as replay_lib
from planet_tf.evaluation import summaries
from planet_tf import run_dir
from planet_tf.distributed import agent as agent_lib
from planet_tf.distributed import episodes
from planet_tf.distributed import settings as settings_lib
from planet_tf.distributed import tables

reverb = lazy_loader.LazyLoader('reverb', globals(), 'reverb')

# Train steps between the summaries of an actor's collect episodes.
SUMMARY_INTERVAL = 1000


def seed_quota(actor_id, num_actors, num_seed_episodes):
  """Random seed episodes actor `actor_id` of `num_actors` collects."""
  return len(range(int(actor_id), int(num_seed_episodes), int(num_actors)))


def actor_seed(seed, actor_id, stored):
  """A seed of its own for each actor and each of its invocations (None: unseeded)."""
  if seed is None:
    return None
  return int(np.random.SeedSequence([int(seed), 1 + int(actor_id), int(stored)])
             .generate_state(1)[0] % (2**31 - 2))


class _EpisodeEnd:
  """Observer after the episode store: sums the episode's return
  (`returns`); at its end, flushes the writer and appends its `returns.csv`
  row."""

  def __init__(self, root_dir, writer, train_step):
    self._root_dir = root_dir
    self._writer = writer
    self._train_step = train_step
    self.policy = 'random'
    self.returns = episode_runner.EpisodeReturn()

  def __call__(self, trajectory):
    self.returns(trajectory)
    if not trajectory.is_boundary():
      return
    self._writer.flush()
    count, env_steps = episodes.counts(
        run_dir.RunDir(self._root_dir).episodes_dir)
    run_dir.append_return(self._root_dir, count, env_steps,
                          int(self._train_step.numpy()), self.policy,
                          self.returns.last)


class _StoreAndCount:
  """Observer: the episode store, then `_EpisodeEnd`, under the run's episode
  lock at an episode's end, so that storing the episode and counting the run's
  episodes for its `returns.csv` row are one step among all actors."""

  def __init__(self, episodes_dir, store, end):
    self._episodes_dir = episodes_dir
    self._store = store
    self._end = end

  def __call__(self, trajectory):
    with (episodes.locked(self._episodes_dir) if trajectory.is_boundary()
          else contextlib.nullcontext()):
      self._store(trajectory)
      self._end(trajectory)


class Collector:
  """One actor: its environment, policies, observers and the variable container."""

  def __init__(self, root_dir, address, actor_id=0, num_actors=1):
    self.settings = settings_lib.loop_settings()
    settings_lib.check_run_config(root_dir, self.settings)
    self.root_dir = root_dir
    self.actor_id = int(actor_id)
    self.num_actors = int(num_actors)
    paths = run_dir.RunDir(root_dir)
    self.episodes_dir = paths.episodes_dir
    own_dir = episodes.actor_dir(paths.episodes_dir, actor_id)
    self.own_episodes = len(episodes.episode_files(own_dir))
    seed = actor_seed(self.settings.seed, actor_id, self.own_episodes)
    if seed is not None:
      # Python's generator too: Keras draws unseeded initializers' seeds
      # from it.
      tf.keras.utils.set_random_seed(seed)
    self.env = envs.load(self.settings.task_name, seed=seed)
    self.agent = agent_lib.make_agent(self.settings, seed=seed)
    self.variables = tables.pushed_variables(self.agent)
    client = reverb.Client(address)
    self.writer = tables.WindowWriter(client, self.settings.sequence_length)
    store = replay_lib.EpisodeReplay(self.agent.collect_data_spec,
                                     capacity_steps=1, directory=own_dir)
    self.end = _EpisodeEnd(root_dir, self.writer,
                           self.agent.train_step_counter)
    self.observers = [self.writer,
                      _StoreAndCount(paths.episodes_dir, store, self.end)]
    self._random = random_py_policy.RandomPyPolicy(
        self.env.time_step_spec(), self.env.action_spec(), seed=seed)
    self._collect = episode_runner.as_py_policy(self.agent.collect_policy)
    # Of the collect episodes, written under `train/actor-<k>/`.
    self.metrics = actor_lib.collect_metrics(buffer_size=10)
    self._summary_writer = tf.summary.create_file_writer(
        os.path.join(paths.train_dir, f'actor-{actor_id}'), flush_millis=10000)
    self._last_summary = -SUMMARY_INTERVAL
    # One reset per policy when built, as a TF-Agents `Actor` per policy
    # resets: an actor's seed fixes the initial state of each of its episodes.
    self.env.reset()
    self.env.reset()
    self._container = reverb_variable_container.ReverbVariableContainer(
        address, table_names=[tables.VARIABLES_TABLE])

  def pull(self):
    """Loads the learner's newest weights (waits for its first push)."""
    self._container.update(self.variables, table=tables.VARIABLES_TABLE)

  def done(self):
    return episodes.counts(self.episodes_dir)[0] >= self.settings.num_episodes

  def collect_episode(self):
    """One episode: random while this actor owes seed episodes, else planned."""
    quota = seed_quota(self.actor_id, self.num_actors,
                       self.settings.num_seed_episodes)
    if self.own_episodes < quota:
      self.end.policy, policy, metrics = 'random', self._random, []
    else:
      self.pull()
      self.end.policy, policy, metrics = 'collect', self._collect, self.metrics
    # From a fresh FIRST step (the runner resets), whichever policy acted last.
    episode_runner.run(self.env, policy, self.observers + metrics)
    if metrics:
      self._write_summaries()
    self.own_episodes += 1
    return self.end.returns.last

  def _write_summaries(self):
    """The collect episodes' metrics, every `SUMMARY_INTERVAL` train steps."""
    train_step = self.agent.train_step_counter
    if int(train_step.numpy()) - self._last_summary < SUMMARY_INTERVAL:
      return
    with self._summary_writer.as_default():
      summaries.scalars({m.name: m.result() for m in self.metrics}, train_step,
                        'Metrics/')
    self._last_summary = int(train_step.numpy())

  def close(self):
    self.writer.close()
    self._summary_writer.close()
    self.env.close()


def run_actor(root_dir, address, actor_id=0, num_actors=1):
  """Collects until the run holds `num_episodes` episodes (gin already parsed)."""
  collector = Collector(root_dir, address, actor_id, num_actors)
  try:
    while not collector.done():
      value = collector.collect_episode()
      print(f'actor {actor_id}: {collector.end.policy} episode, return '
            f'{value:.1f}, weights of train step '
            f'{int(collector.agent.train_step_counter.numpy())}', flush=True)
  finally:
    collector.close()
