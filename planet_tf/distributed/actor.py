"""The actor main: episodes of the current policy into Reverb and the run directory.

Actor k of N collects its share of the `num_seed_episodes` random seed episodes
(those i < S with i % N == k), then planner episodes with the collect policy,
pulling the learner's world-model weights from the `variables` table before
each; it stops once the run holds `num_episodes` episodes. Every step goes to
the `windows` table (`tables.WindowWriter`). Once the writer's flush returns
(the rate limiter lets an actor run at most its error buffer ahead of the
learner), the episode is stored in the actor's directory (the source of
truth) as the run's next one, with its `eval/returns.csv` row, in one step
under the run's episode lock (`rows.record`). An episode that ends after
the run holds `num_episodes` is surplus and is dropped: neither stored nor
counted, so a run ends at exactly `num_episodes`. A killed actor loses at most
its unfinished episode.
"""

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
from planet_tf.distributed import rows
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


class _Steps:
  """Observer: the flat fields (`policy_info` left out) of the episode going
  on; `episode` holds the newest finished one, each field `[T, ...]`."""

  def __init__(self):
    self._steps = []
    self.episode = None

  def __call__(self, trajectory):
    self._steps.append(
        tf.nest.flatten(replay_lib.without_policy_info(trajectory)))
    if trajectory.is_boundary():
      self.episode = replay_lib.stack_steps(self._steps)
      self._steps = []


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
    self.own_dir = episodes.actor_dir(paths.episodes_dir, actor_id)
    os.makedirs(self.own_dir, exist_ok=True)
    episodes.remove_unfinished(self.own_dir)
    self.own_episodes = len(episodes.episode_files(self.own_dir))
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
    self.policy = 'random'
    self.number = None  # Of the newest episode; None if it was surplus.
    self.returns = episode_runner.EpisodeReturn()
    self._steps = _Steps()
    self.observers = [self.writer, self._steps, self.returns]
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
    """One episode: random while this actor owes seed episodes, else planned.

    Returns:
      its return; `number` is its number in the run (None: surplus).
    """
    quota = seed_quota(self.actor_id, self.num_actors,
                       self.settings.num_seed_episodes)
    if self.own_episodes < quota:
      self.policy, policy, metrics = 'random', self._random, []
    else:
      self.pull()
      self.policy, policy, metrics = 'collect', self._collect, self.metrics
    # From a fresh FIRST step (the runner resets), whichever policy acted last.
    episode_runner.run(self.env, policy, self.observers + metrics)
    # Waits while the learner is behind the ratio, outside the episode lock:
    # the other actors store theirs meanwhile.
    self.writer.flush()
    self.number = rows.record(
        self.root_dir, self.own_dir, self._steps.episode,
        self.settings.num_episodes, self.policy, self.returns.last,
        int(self.agent.train_step_counter.numpy()))
    if self.number is not None:
      self.own_episodes += 1
      if metrics:
        self._write_summaries()
    return self.returns.last

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
      step = int(collector.agent.train_step_counter.numpy())
      if collector.number is None:
        print(f'actor {actor_id}: surplus {collector.policy} episode dropped '
              '(the run holds its episodes)', flush=True)
      else:
        print(f'actor {actor_id}: {collector.policy} episode '
              f'{collector.number}, return {value:.1f}, weights of train step '
              f'{step}', flush=True)
  finally:
    collector.close()
