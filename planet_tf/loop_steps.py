"""The steps every training loop shares: open and restore the run directory, run
updates, collect an episode, do the work due after it, checkpoint and export.

A loop module (`train_eval`, `glamor_train_eval`) subclasses `Steps` with what
is its own (how it samples, evaluates, logs rows and prints progress) and
drives it from its `run`; the run directory's layout is `run_dir.RunDir`'s.
"""

import os
import time

from absl import logging
import tensorflow as tf

from planet_tf import run_dir
from planet_tf import summaries
from planet_tf.policies import saver

# The `returns.csv` policies of collected episodes (the rest are evaluations).
COLLECTED = ('random', 'collect')


def open_run_dir(paths, stored_settings, resumable, cleanup,
                 name='train_eval'):
  """Locks the run directory and checks its stored configuration.

  The lock comes first: a second process must not even look at (or write) the
  stored configuration of a run that is going on. A refused start removes what
  it created.

  Args:
    paths: the run's `run_dir.RunDir`.
    stored_settings: dict of the loop's settings as the run stores them.
    resumable: names of the settings that may change on resume.
    cleanup: `contextlib.ExitStack` that releases the lock.
    name: the loop's gin name.

  Returns:
    True if the directory holds this run (a resume).
  """
  new_dirs = [d for d in (paths.root, paths.train_dir) if not os.path.isdir(d)]
  lock = run_dir.lock(paths.root)
  try:
    bindings = run_dir.run_bindings(stored_settings, resumable, name=name)
    resumed = run_dir.check_config(paths.root, bindings, resumable, name=name)
  except Exception:
    run_dir.unlock(lock, remove_dirs=new_dirs[::-1])
    raise
  cleanup.callback(lock.close)
  saver.remove_stale_exports(paths.policies_dir)
  return resumed


def restore(root_dir, checkpoint, replay, metrics, resumed, episodes_dir=None):
  """Restores the newest checkpoint and counts the episodes stored after it.

  Args:
    root_dir: the run directory, as given (logged on resume).
    checkpoint, replay, metrics: the run's `RunCheckpoint`, replay (its stored
      episodes) and `collect.TrainMetrics` (its counts are raised to them).
    resumed: True if `open_run_dir` found this run.
    episodes_dir: named in a warning when the checkpoint counts more episodes
      than are stored; None warns of nothing.

  Returns:
    `(counted, work_missed)`: the episodes the checkpoint counts, and True if
    episodes were stored after it (the run was killed; the work due after the
    newest is still to do).
  """
  restored = checkpoint.restore()
  if resumed:
    logging.info('Resuming %s from %s with %d stored episodes.', root_dir,
                 restored or 'no checkpoint', replay.total_episodes)
  counted = metrics.episodes
  return counted, _count_unsaved_episodes(metrics, replay, episodes_dir)


def _count_unsaved_episodes(metrics, replay, episodes_dir):
  """Counts the episodes stored after the last checkpoint (a kill).

  Returns:
    True if there were any.
  """
  stored, counted = replay.total_episodes, metrics.episodes
  if stored > counted:
    logging.warning(
        '%d episode(s) were collected after the last checkpoint; keeping '
        'them and counting them.', stored - counted)
    lengths = replay.episode_lengths()[counted - stored:]
    metrics.number_of_episodes.number_episodes.assign(stored)
    metrics.environment_steps.environment_steps.assign_add(
        sum(max(n - 1, 0) for n in lengths))
    return True
  if stored < counted and episodes_dir is not None:
    logging.warning(
        'The checkpoint counts %d episodes but only %d are stored in %s; '
        'continuing with what is stored.', counted, stored, episodes_dir)
  return False


def time_is_up(start_time, max_minutes):
  """True once `max_minutes` (None: no limit) have passed since `start_time`."""
  return (max_minutes is not None and
          time.time() - start_time >= 60 * float(max_minutes))


class Steps:
  """The steps a loop's `run` calls: train, collect, the work due, save, export.

  `settings` needs `checkpoint_interval` and `export_interval` (in episodes).
  A subclass supplies `evaluate_due(episode)`, the evaluations and videos due
  after an episode.
  """

  def __init__(self, paths, settings, agent, replay, metrics, checkpoint,
               policies):
    """`policies`: `{head: TFPolicy}` exported (the one key None: `<step>/`)."""
    self.paths = paths
    self.settings = settings
    self.agent = agent
    self.replay = replay
    self.metrics = metrics
    self.checkpoint = checkpoint
    self.exported_policies = policies
    self.train_writer = tf.summary.create_file_writer(paths.train_dir)
    self.eval_writer = tf.summary.create_file_writer(paths.eval_dir)
    self.dirty = False  # Episodes collected since the last checkpoint.
    self.updates_per_second = None
    self.clock = run_dir.Clock(paths.root)

  @property
  def train_step(self):
    return self.agent.train_step_counter

  def updates(self, count, sample):
    """`count` updates, each on `sample()`; writes the mean of every loss term
    and the updates per second. Returns the mean loss."""
    totals = {}
    start = time.time()
    for _ in range(count):
      for name, value in self.agent.train(sample()).extra.items():
        totals[name] = totals.get(name, 0.0) + float(value)
    self.updates_per_second = count / max(time.time() - start, 1e-9)
    means = {k: v / count for k, v in totals.items()}
    summaries.scalars(means, self.train_step, 'losses/')
    summaries.scalars({'updates_per_second': self.updates_per_second},
                      self.train_step, 'speed/')
    return means['loss']

  def collect(self, collect_fn):
    """Collects one episode (`collect_fn()`); writes the TF-Agents metrics,
    env steps per second and the time since the clock's last mark."""
    steps_before = self.metrics.env_steps
    start = time.time()
    collect_fn()
    self.dirty = True
    self.clock.mark(self.metrics.episodes, 'episode')
    steps = self.metrics.env_steps - steps_before
    summaries.scalars({'env_steps_per_second': steps / (time.time() - start)},
                      self.train_step, 'speed/')
    for metric in self.metrics.metrics:
      metric.tf_summaries(train_step=self.train_step,
                          step_metrics=self.metrics.step_metrics)

  def after_seed_episodes(self, work_missed, past_seed_episodes):
    """A first checkpoint, then the work a kill left undone.

    Args:
      work_missed: `restore`'s: episodes were stored after the checkpoint.
      past_seed_episodes: True if the newest episode came after the seed ones.
    """
    if not self.checkpoint.latest:
      self.save()
    if work_missed and past_seed_episodes:
      self.after_episode()  # Killed after collecting, before that work.
    elif self.metrics.episodes % self.settings.export_interval == 0:
      self.export()  # Killed between a checkpoint and its export.

  def after_episode(self):
    """The evaluation, checkpoint and export due after this episode."""
    episode, settings = self.metrics.episodes, self.settings
    self.evaluate_due(episode)
    if episode % settings.checkpoint_interval == 0:
      self.save()
    if episode % settings.export_interval == 0:
      self.export()

  def evaluate_due(self, episode):
    """The evaluations and videos due after `episode` episodes."""
    raise NotImplementedError

  def finish(self):
    """The last checkpoint (if episodes are unsaved) and export of a run."""
    if self.dirty:
      self.save()
    self.export()

  def unlogged_episodes(self, counted):
    """The episodes after `counted` (stored after the checkpoint) whose
    `returns.csv` row a kill lost.

    Returns:
      list of `(episode, env_steps)`, the counts after each such episode.
    """
    total = self.metrics.episodes
    if total <= counted:
      return []
    logged = set()
    if os.path.exists(self.paths.returns_path):
      logged = {int(r.episodes) for r in run_dir.read_returns(self.paths.root)
                if r.policy in COLLECTED}
    lengths = self.replay.episode_lengths()[counted - total:]
    env_steps = self.metrics.env_steps - sum(max(n - 1, 0) for n in lengths)
    unlogged = []
    for episode, length in zip(range(counted + 1, total + 1), lengths):
      env_steps += max(length - 1, 0)
      if episode not in logged:
        unlogged.append((episode, env_steps))
    return unlogged

  def save(self):
    self.dirty = False
    self.checkpoint.save(int(self.train_step.numpy()))
    run_dir.write_operative_config(self.paths.root)

  def export(self):
    """Exports every policy to `policies/<train step>[-<head>]/`, atomically."""
    step = int(self.train_step.numpy())
    for head, policy in self.exported_policies.items():
      final = self.paths.policy_dir(step, head)
      if not os.path.exists(final):
        saver.export_policy(policy, final, train_step=self.train_step)
