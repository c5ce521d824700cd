"""`AgentLoop`: what an agent kind supplies to the run skeleton
(`planet_tf.loops.skeleton.run`), and the steps every kind shares.

A kind subclasses `AgentLoop` and implements the abstract methods: how it
builds its environments, agent and replay (`build`), its policies and observers
(`start`), its seed phase and its stop rule (`seeding`, `finished`), its
updates (`train`), one episode with its row (`collect_seed_episode`,
`collect_episode`), the rows of episodes a kill lost (`rewrite_rows`), its
evaluations (`evaluate_due`, `final_evaluation`), its progress line and its
summary. The shared steps (updates on a sampler, the accounting of a collected
episode, the work due after it, checkpoint and export) are written here once.
"""

import abc
import os
import time

import tensorflow as tf

from planet_tf import run_dir
from planet_tf.evaluation import summaries
from planet_tf.loops import recovery
from planet_tf.loops import registry
from planet_tf.policies import saver


class AgentLoop(abc.ABC):
  """One run of an agent kind, driven by `skeleton.run`.

  Class attributes of a kind:
    name: the loop's gin name, the prefix of its stored bindings.

  Set by `build` (the skeleton restores into them): `agent`, `replay` (the
  run's stored episodes), `metrics` (`collect.TrainMetrics`), `checkpoint`
  (`run_dir.RunCheckpoint`). Set by `start`: `exported_policies`, `{head:
  TFPolicy}` (the one key None: `policies/<step>/`).

  `settings` needs `seed`, `max_minutes`, `checkpoint_interval` and
  `export_interval` (in episodes).
  """

  name: str = None

  def __init__(self, settings):
    self.settings = settings
    self.paths = None
    self.agent = self.replay = self.metrics = self.checkpoint = None
    self.exported_policies = {}
    self.dirty = False  # Episodes collected since the last checkpoint.
    self.updates_per_second = None

  # ---- What a kind supplies.

  @property
  def resumable(self):
    """Names of the settings that may change on resume (frozenset): the
    fields of the kind's settings marked `registry.RESUMABLE_FIELD`."""
    return registry.resumable(type(self.settings))

  @abc.abstractmethod
  def stored_settings(self):
    """The settings the run stores with its configuration (dict)."""

  def before_seeding(self, paths):
    """Work on the run directory before the random streams are seeded."""

  @abc.abstractmethod
  def build(self, paths, seed, cleanup):
    """Builds environments, `agent`, `replay`, `metrics` and `checkpoint`.

    Args:
      paths: the run's `run_dir.RunDir`.
      seed: this invocation's seed (None: unseeded).
      cleanup: `contextlib.ExitStack` that closes what must be closed.
    """

  @abc.abstractmethod
  def start(self, seed):
    """After the restore: policies, observers and other state of the loop."""

  @abc.abstractmethod
  def seeding(self):
    """True while seed episodes are due."""

  @abc.abstractmethod
  def past_seed_episodes(self):
    """True if the newest stored episode came after the seed episodes."""

  @abc.abstractmethod
  def finished(self):
    """True once the run has collected all it is to collect."""

  @abc.abstractmethod
  def collect_seed_episode(self):
    """One seed episode (`collect`), its row and its progress line."""

  @abc.abstractmethod
  def train(self):
    """The updates due before the next episode; returns the mean loss or None."""

  @abc.abstractmethod
  def collect_episode(self):
    """One episode of the collect policy (`collect`) and its row."""

  @abc.abstractmethod
  def rewrite_rows(self, lost, counted):
    """Rewrites the `returns.csv` rows of episodes a kill lost.

    Args:
      lost: `[(episode, env_steps)]`, the run's counts after each such
        episode (`recovery.lost_rows`).
      counted: the episodes the checkpoint counts; the episodes after it are
        the newest stored ones.
    """

  @abc.abstractmethod
  def evaluate_due(self, episode):
    """The evaluations and videos due after `episode` episodes."""

  def final_evaluation(self):
    """The evaluation after the last episode, if the kind has one of its own."""

  @abc.abstractmethod
  def print_progress(self, loss):
    """The console line after a collected episode."""

  @abc.abstractmethod
  def stop_message(self):
    """`(count, total, unit)` of the stop rule, for the out-of-time log line."""

  @abc.abstractmethod
  def summary(self, out_of_time):
    """The dict `bin/train` prints from: `episodes`, `env_steps`,
    `train_steps`, `eval_returns` (`[(episodes, value)]`), `out_of_time`, and
    optionally `eval_label`."""

  # ---- The steps every kind shares.

  @property
  def train_step(self):
    return self.agent.train_step_counter

  def open_writers(self):
    """TensorBoard writers of `train/` and `eval/`, and the run's clock."""
    self.train_writer = tf.summary.create_file_writer(self.paths.train_dir)
    self.eval_writer = tf.summary.create_file_writer(self.paths.eval_dir)
    self.clock = run_dir.Clock(self.paths.root)

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

  def write_lost_rows(self, counted):
    """The rows a kill lost, of episodes stored after `counted`."""
    lost = recovery.lost_rows(self.paths, self.replay, self.metrics, counted)
    if lost:
      self.rewrite_rows(lost, counted)

  def after_seed_episodes(self, work_missed):
    """A first checkpoint, then the work a kill left undone.

    Args:
      work_missed: `recovery.Restored.work_missed`.
    """
    if not self.checkpoint.latest:
      self.save()
    if work_missed and self.past_seed_episodes():
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

  def finish(self):
    """The last checkpoint (if episodes are unsaved) and export of a run."""
    if self.dirty:
      self.save()
    self.export()

  def save(self):
    self.dirty = False
    save(self.paths, self.checkpoint, self.train_step)

  def export(self):
    export(self.paths, self.exported_policies, self.train_step)


def save(paths, checkpoint, train_step):
  """Checkpoints the run at `train_step`, with its operative config."""
  checkpoint.save(int(train_step.numpy()))
  run_dir.write_operative_config(paths.root)


def export(paths, policies, train_step):
  """Exports `policies` (`{head: TFPolicy}`) to `policies/<train
  step>[-<head>]/`, atomically; an existing export is kept."""
  step = int(train_step.numpy())
  for head, policy in policies.items():
    final = paths.policy_dir(step, head)
    if not os.path.exists(final):
      saver.export_policy(policy, final, train_step=train_step)
