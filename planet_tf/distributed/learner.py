"""The learner main: trains on Reverb windows, pushes weights, keeps the run.

`tf_agents.train.learner.Learner` runs the agent's `train` under the strategy
(`strategy_utils.get_strategy`) on `[B, L]` windows from the `windows` table;
every C updates the world model's variables go to the `variables` table. As
episodes arrive in the run directory it does what `bin/train` does after an
episode: an evaluation after every `eval_interval`-th episode
(`eval/returns.csv`, TensorBoard, videos), export (`policies/<step>/`).
It checkpoints (`RunCheckpoint`, `train/ckpt-<step>`) as `LearnerCheckpoint`
says, by updates or minutes, and when stopped (SIGTERM, Ctrl-C). A restarted
learner resumes from its newest checkpoint, rebuilds the `returns.csv` rows a
kill lost (`rows.rebuild`) and does the evaluations a kill left undone; the
run's configuration is checked as `bin/train` checks it.
"""

import contextlib
import os
import time

import numpy as np
import tensorflow as tf
from tf_agents.experimental.distributed import reverb_variable_container
from tf_agents.replay_buffers import reverb_replay_buffer
from tf_agents.train import learner as learner_lib

from planet_tf import envs
from planet_tf.evaluation import episodes as evaluation
from planet_tf import run_dir
from planet_tf.evaluation import summaries
from planet_tf.distributed import agent as agent_lib
from planet_tf.distributed import episodes
from planet_tf.distributed import rows
from planet_tf.distributed import settings as settings_lib
from planet_tf.distributed import status
from planet_tf.distributed import tables
from planet_tf.loops import agent_loop
from planet_tf.loops import planet
from planet_tf.loops import skeleton

# How long one sample may wait on the rate limiter before the learner looks
# at the run again (stop, evaluation) and retries.
_SAMPLE_TIMEOUT_MS = 2000


def due(interval, before, after):
  """Whether a multiple of `interval` lies in `(before, after]`."""
  return after // interval > before // interval


def due_evaluations(interval, seed_episodes, count, evaluated):
  """The episodes up to `count` after which an evaluation is due, as in
  `bin/train`: every multiple of `interval` past the `seed_episodes`, unless
  in `evaluated` (a set of episode counts)."""
  return [e for e in range(interval, count + 1, interval)
          if e > seed_episodes and e not in evaluated]


class Trainer:
  """The learner's state: agent, Reverb dataset and container, run directory."""

  def __init__(self, root_dir, address, strategy, cleanup):
    self.settings = settings = settings_lib.loop_settings()
    self.checkpoint_rule = settings_lib.LearnerCheckpoint()
    self.paths = paths = run_dir.RunDir(root_dir)
    self.root_dir = root_dir
    skeleton.open_run_dir(paths, planet.stored_settings(settings),
                          planet.RESUMABLE, cleanup, planet.NAME)
    seed = run_dir.invocation_seed(settings.seed, root_dir)
    if seed is not None:
      # Python's generator too: Keras draws unseeded initializers' seeds
      # from it.
      tf.keras.utils.set_random_seed(seed)
    self.strategy = strategy
    specs = agent_lib.env_specs(settings.task_name)
    with strategy.scope():
      self.agent = agent_lib.make_agent(settings, seed=seed, specs=specs)
    self.train_step = self.agent.train_step_counter
    replicas = strategy.num_replicas_in_sync
    if settings.batch_size % replicas:
      raise ValueError(f'train_eval.batch_size = {settings.batch_size} does '
                       f'not split over {replicas} replicas.')
    self._buffer = reverb_replay_buffer.ReverbReplayBuffer(
        tables.window_spec(self.agent.collect_data_spec), tables.WINDOWS_TABLE,
        sequence_length=settings.sequence_length, server_address=address,
        rate_limiter_timeout_ms=_SAMPLE_TIMEOUT_MS)
    self._per_replica_batch = settings.batch_size // replicas
    self.learner = learner_lib.Learner(
        root_dir, self.train_step, self.agent, self._dataset,
        checkpoint_interval=0,
        summary_interval=settings.train_steps_per_episode, strategy=strategy)
    self.checkpoint = run_dir.RunCheckpoint(paths.train_dir, agent=self.agent)
    restored = self.checkpoint.restore()
    self._saved = (int(self.train_step.numpy()), time.time())
    print(f'Learner at train step {int(self.train_step.numpy())} '
          f'({restored or "new run"}).', flush=True)
    self._iterator = None
    self._container = reverb_variable_container.ReverbVariableContainer(
        address, table_names=[tables.VARIABLES_TABLE])
    self.variables = tables.pushed_variables(self.agent)
    self.eval_env = envs.load(settings.task_name,
                              seed=None if seed is None else seed + 1)
    cleanup.callback(self.eval_env.close)
    self.eval_policy = evaluation.as_py_policy(self.agent.policy)
    self.eval_writer = tf.summary.create_file_writer(paths.eval_dir)
    self.loss = None
    self.evaluated = rows.evaluated(root_dir)

  def _dataset(self):
    return self._buffer.as_dataset(
        sample_batch_size=self._per_replica_batch,
        num_steps=self.settings.sequence_length).prefetch(2)

  def push(self):
    self._container.push(self.variables, table=tables.VARIABLES_TABLE)

  def train(self):
    """C updates (fewer if the limiter keeps samples waiting); returns the count."""
    start = int(self.train_step.numpy())
    if self._iterator is None:
      self._iterator = iter(self.strategy.distribute_datasets_from_function(
          lambda _: self._dataset()))
    try:
      loss_info = self.learner.run(
          iterations=self.settings.train_steps_per_episode,
          iterator=self._iterator)
      self.loss = float(loss_info.loss)
    except tf.errors.OutOfRangeError:
      self._iterator = None  # The limiter timed out: a fresh dataset next time.
    return int(self.train_step.numpy()) - start

  def evaluate(self, count, env_steps):
    """The greedy policy's mean return on `num_eval_episodes`; a `returns.csv`
    row per episode, summaries of the mean."""
    runs = evaluation.run_episodes(self.eval_env, self.eval_policy,
                                   self.settings.num_eval_episodes,
                                   record_frames=True)
    value = float(np.mean([e.reward_sum for e in runs]))
    for i, e in enumerate(runs):
      summaries.write_gif(os.path.join(self.paths.videos_dir,
                                       f'episode-{count:06d}-{i}.gif'),
                          e.frames)
    with self.eval_writer.as_default():
      summaries.scalars({'AverageReturn': value}, self.train_step, 'Metrics/')
      summaries.scalars({'AverageReturn_vs_Episodes': value}, count,
                        'Metrics/')
      summaries.video('eval/episode', runs[0].frames, self.train_step)
    rows.record_greedy(self.root_dir, count, env_steps,
                       int(self.train_step.numpy()),
                       [e.reward_sum for e in runs])
    self.evaluated.add(count)
    return value

  def save(self):
    agent_loop.save(self.paths, self.checkpoint, self.train_step)
    self._saved = (int(self.train_step.numpy()), time.time())

  def save_due(self):
    """Whether `LearnerCheckpoint` asks for a checkpoint now."""
    step, when = self._saved
    return self.checkpoint_rule.due(int(self.train_step.numpy()) - step,
                                    time.time() - when)

  def export(self):
    agent_loop.export(self.paths, {None: self.agent.policy}, self.train_step)

  def after_episodes(self, before, after):
    """The evaluations due up to episode `after` (those a kill left undone
    too), and the export due for episodes `(before, after]`."""
    s = self.settings
    due_now = due_evaluations(s.eval_interval, s.num_seed_episodes, after,
                              self.evaluated)
    if due_now:
      files = episodes.episode_files(self.paths.episodes_dir)
      for episode in due_now:
        self.evaluate(episode, episodes.env_steps_through(files, episode))
    if due(s.export_interval, before, after):
      self.export()

  def write_status(self, count, env_steps):
    """`train/learner_status.json`: what the launcher's progress line shows."""
    status.write(self.root_dir, episodes=count, env_steps=env_steps,
                 num_episodes=self.settings.num_episodes,
                 train_steps=int(self.train_step.numpy()), loss=self.loss)


def run_learner(root_dir, address, strategy=None):
  """Trains until the run holds `num_episodes` episodes (gin already parsed).

  A KeyboardInterrupt (the launcher's SIGTERM) checkpoints, then ends it.

  Returns:
    dict with the final `episodes`, `env_steps` and `train_steps`.
  """
  strategy = strategy or tf.distribute.get_strategy()
  with contextlib.ExitStack() as cleanup:
    trainer = Trainer(root_dir, address, strategy, cleanup)
    rows.rebuild(root_dir, trainer.agent.collect_data_spec)
    seen, env_steps = episodes.counts(trainer.paths.episodes_dir)
    trainer.write_status(seen, env_steps)
    if int(trainer.train_step.numpy()):
      trainer.push()  # Resumed: the actors plan with the trained model.
    # Else the first push follows the first C updates: as in `bin/train`, no
    # planner episode before them (the actors wait in their first pull).
    if not trainer.checkpoint.latest:
      trainer.save()
    try:
      trainer.after_episodes(seen, seen)
      while seen < trainer.settings.num_episodes:
        if trainer.train():
          trainer.push()
        if trainer.save_due():
          trainer.save()
        count, env_steps = episodes.counts(trainer.paths.episodes_dir)
        if count > seen:
          trainer.after_episodes(seen, count)
          seen = count
        trainer.write_status(count, env_steps)
    except KeyboardInterrupt:
      trainer.save()
      raise
    trainer.save()
    trainer.export()
    trainer.write_status(seen, env_steps)
    return {'episodes': seen, 'env_steps': env_steps,
            'train_steps': int(trainer.train_step.numpy())}
