"""The PlaNet loop (Hafner et al., 2019, Alg. 1) as one gin-configurable function.

`S` random seed episodes; then, until `num_episodes` episodes are collected: `C`
world-model updates on `[B, L]` chunks, one episode with the collect policy through
a TF-Agents driver, and every `eval_interval` episodes an evaluation with the
greedy policy. Everything a run writes is under `root_dir`:

    train/          checkpoints, TensorBoard events, config.gin, episodes/ (replay)
    eval/           TensorBoard events, videos/*.gif, returns.csv
    policies/<n>/   SavedModel policies, <n> = training updates so far
    open_loop/      open-loop video predictions (*.gif)
    operative_config.gin

A second call with the same `root_dir` resumes from the newest checkpoint and the
stored episodes (see `planet_tf.run_dir`).
"""

import glob
import os
import time

from absl import logging
import gin
import numpy as np
import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.eval import metric_utils
from tf_agents.metrics import tf_metrics
from tf_agents.policies import random_tf_policy
from tf_agents.policies import tf_policy
from tf_agents.utils import common

from planet_tf import envs
from planet_tf import evaluation
from planet_tf.policies import export as export_lib
from planet_tf import replay as replay_lib
from planet_tf import run_dir as run_dir_lib
from planet_tf import summaries
from planet_tf.agents import PlanetAgent


@gin.configurable(denylist=['root_dir'])
def train_eval(root_dir,
               task_name=None,
               num_seed_episodes=5,
               num_episodes=1000,
               train_steps_per_episode=100,
               batch_size=50,
               sequence_length=50,
               eval_interval=10,
               num_eval_episodes=1,
               export_interval=100,
               video_interval=10,
               checkpoint_interval=1,
               seed=None,
               max_minutes=None):
  """Trains PlaNet on `task_name`, or resumes the run in `root_dir`.

  Args:
    root_dir: directory of the run (created).
    task_name: a key of `planet_tf.envs.TASKS`; the environment's other settings
      (action repeat, episode length) are `planet_tf.envs.load`'s gin bindings.
    num_seed_episodes: S, episodes of uniform random actions first.
    num_episodes: stop once this many episodes (seed episodes included) are
      collected; may be raised to continue a finished run.
    train_steps_per_episode: C, world-model updates before each collected
      episode.
    batch_size: B, chunks per update.
    sequence_length: L, steps per chunk.
    eval_interval: evaluate the greedy policy every this many episodes.
    num_eval_episodes: episodes per evaluation.
    export_interval: export the greedy policy every this many episodes (and at
      the end).
    video_interval: write an open-loop video prediction every this many episodes.
    checkpoint_interval: checkpoint every this many episodes (and at the end).
    seed: seeds TensorFlow, the environments, the replay and the policies.
    max_minutes: wall-clock budget of this invocation; once spent, the run stops
      after its current episode as it does at `num_episodes` (checkpoint,
      export, summary), and the same command resumes it. None has no limit.

  Returns:
    dict with the final `episodes`, `env_steps`, `train_steps`, the list of
    `eval_returns` `(episodes, return)` of this invocation, and `out_of_time`
    (True if `max_minutes` stopped it before `num_episodes`).

  Raises:
    ValueError: for an unknown task or invalid sizes.
    planet_tf.run_dir.ConfigMismatchError: if `root_dir` holds a run with a
      different configuration.
    planet_tf.run_dir.CheckpointError: if its checkpoint cannot be restored.
    planet_tf.run_dir.RunLockedError: if another process trains in `root_dir`.
  """
  args = {k: v for k, v in locals().items()}
  if task_name is None:
    raise ValueError('train_eval needs a task: bind train_eval.task_name (a task '
                     f'gin file does), one of {", ".join(sorted(envs.TASKS))}.')
  envs.get_task(task_name)
  for name in ('num_episodes', 'train_steps_per_episode', 'batch_size',
               'eval_interval', 'num_eval_episodes', 'export_interval',
               'video_interval', 'checkpoint_interval'):
    if int(args[name]) < 1:
      raise ValueError(f'train_eval: {name} must be >= 1, got {args[name]}.')
  if int(num_seed_episodes) < 1:
    raise ValueError('train_eval: num_seed_episodes must be >= 1, got '
                     f'{num_seed_episodes}.')
  if max_minutes is not None and not float(max_minutes) > 0:
    raise ValueError(f'train_eval: max_minutes must be > 0, got {max_minutes}.')
  if int(sequence_length) < 2:
    raise ValueError(
        f'train_eval: sequence_length must be >= 2, got {sequence_length}.')
  run = _Run(root_dir, args)
  try:
    return run.train()
  finally:
    run.close()


def _invocation_seed(seed, episode_dir):
  """`seed` for a new run; a different, deterministic one for each resume.

  Returns None for an unseeded run, else a seed in [0, 2**31 - 2) from `seed`
  and the number of episode files in `episode_dir` (0 for a new run, which keeps
  `seed` itself).
  """
  if seed is None:
    return None
  stored = len(glob.glob(os.path.join(episode_dir, replay_lib.FILE_PATTERN)))
  if stored == 0:
    return int(seed)
  return int(np.random.SeedSequence([int(seed), stored]).generate_state(1)[0]
             % (2**31 - 2))


class _TracedPolicy(tf_policy.TFPolicy):
  """Runs `policy.action` as one `tf.function`, traced once per input signature.

  The drivers run eagerly; without this the encoder and the posterior step would
  run op by op on every step (the planner is its own `tf.function` either way).
  """

  def __init__(self, policy):
    super().__init__(policy.time_step_spec, policy.action_spec,
                     policy.policy_state_spec, policy.info_spec,
                     automatic_state_reset=False, name=f'traced_{policy.name}')
    self._policy = policy
    self._action_fn = common.function(policy.action)

  def _action(self, time_step, policy_state, seed):
    del seed
    return self._action_fn(time_step, policy_state)

  def _get_initial_state(self, batch_size):
    return self._policy.get_initial_state(batch_size)

  def _distribution(self, time_step, policy_state):
    raise NotImplementedError('_TracedPolicy only acts; use action().')


class _Run:
  """The objects of one training invocation; `train()` runs the loop."""

  def __init__(self, root_dir, args):
    self._start_time = time.time()
    self.args = args
    self.root_dir = root_dir
    self.train_dir = os.path.join(root_dir, 'train')
    self.eval_dir = os.path.join(root_dir, 'eval')
    # Lock first: a second process must not even look at (or write) the
    # stored configuration of a run that is going on.
    new_dirs = [d for d in (root_dir, self.train_dir) if not os.path.isdir(d)]
    self._lock = run_dir_lib.lock(root_dir)
    try:
      resumed = run_dir_lib.check_config(
          root_dir, run_dir_lib.run_bindings(args))
    except Exception:
      run_dir_lib.unlock(self._lock, remove_dirs=new_dirs[::-1])
      raise
    export_lib.remove_stale_exports(os.path.join(root_dir, 'policies'))
    # A seeded run that resumes must not replay its first invocation's random
    # streams (the same initial states, noise and chunks again): every seed
    # below is derived from the run's seed and the episodes stored so far.
    seed = _invocation_seed(args['seed'], os.path.join(self.train_dir,
                                                       'episodes'))
    if seed is not None:
      tf.random.set_seed(seed)
    task = args['task_name']
    self.tf_env = envs.load_tf(task, seed=seed)
    self.eval_env = envs.load(task, seed=None if seed is None else seed + 1)
    self.agent = PlanetAgent(self.tf_env.time_step_spec(),
                             self.tf_env.action_spec(),
                             train_sequence_length=args['sequence_length'],
                             seed=seed)
    self.agent.initialize()
    self.replay = replay_lib.EpisodeReplay(
        self.agent.collect_data_spec,
        directory=os.path.join(self.train_dir, 'episodes'), seed=seed)
    self.episodes = tf_metrics.NumberOfEpisodes()
    self.env_steps = tf_metrics.EnvironmentSteps()
    self.train_metrics = [
        self.episodes, self.env_steps,
        tf_metrics.AverageReturnMetric(buffer_size=10),
        tf_metrics.AverageEpisodeLengthMetric(buffer_size=10)]
    self.last_return = tf_metrics.AverageReturnMetric(name='LastReturn',
                                                      buffer_size=1)
    self.checkpoint = run_dir_lib.RunCheckpoint(
        self.train_dir, agent=self.agent,
        metrics=metric_utils.MetricsGroup(
            self.train_metrics + [self.last_return], 'train_metrics'))
    restored = self.checkpoint.restore()
    if resumed:
      logging.info('Resuming %s from %s with %d stored episodes.', root_dir,
                   restored or 'no checkpoint', self.replay.total_episodes)
    self._reconcile_counters()
    self.train_writer = tf.summary.create_file_writer(self.train_dir)
    self.eval_writer = tf.summary.create_file_writer(self.eval_dir)
    # The drivers run eagerly (an eager loop needs no static batch shapes in the
    # policy state); each action is one traced call (`_TracedPolicy`).
    observers = [self.replay] + self.train_metrics + [self.last_return]
    self.collect = dynamic_episode_driver.DynamicEpisodeDriver(
        self.tf_env, _TracedPolicy(self.agent.collect_policy), observers,
        num_episodes=1).run
    self.seed_collect = dynamic_episode_driver.DynamicEpisodeDriver(
        self.tf_env,
        random_tf_policy.RandomTFPolicy(self.tf_env.time_step_spec(),
                                        self.tf_env.action_spec()),
        observers, num_episodes=1).run
    self.eval_policy = evaluation.as_py_policy(self.agent.policy)

  def close(self):
    """Closes the environments and releases the run directory."""
    self.tf_env.close()
    self.eval_env.close()
    self._lock.close()

  @property
  def num_episodes(self):
    return int(self.episodes.result())

  @property
  def train_step(self):
    return self.agent.train_step_counter

  def _reconcile_counters(self):
    """Counts episodes saved after the last checkpoint (the run was killed)."""
    stored = self.replay.total_episodes
    counted = self.num_episodes
    if stored > counted:
      self._missed_episode_work = True
      lengths = self.replay.episode_lengths()[counted - stored:]
      logging.warning(
          '%d episode(s) were collected after the last checkpoint; keeping '
          'them and counting them.', stored - counted)
      self.episodes.number_episodes.assign(stored)
      self.env_steps.environment_steps.assign_add(
          sum(max(n - 1, 0) for n in lengths))
    elif stored < counted:
      logging.warning(
          'The checkpoint counts %d episodes but only %d are stored in %s; '
          'continuing with what is stored.', counted, stored,
          os.path.join(self.train_dir, 'episodes'))

  def train(self):
    """Runs the loop until `num_episodes`; returns the summary dict."""
    args = self.args
    eval_returns = []
    with self.train_writer.as_default():
      while self.num_episodes < args['num_seed_episodes']:
        self._collect(self.seed_collect)
        self._log_return('random', float(self.last_return.result()))
        print(summaries.progress_line(
            self.num_episodes, args['num_episodes'],
            int(self.env_steps.result()), float(self.last_return.result()),
            None) + ' | random seed episode', flush=True)
      if not self.checkpoint.latest:
        self._save()
      episode = self.num_episodes
      if self._missed_episode_work and episode > args['num_seed_episodes']:
        # Killed after collecting, before the work due after that episode.
        self._after_episode(episode, eval_returns)
      elif episode % args['export_interval'] == 0:
        self._export()  # Killed between a checkpoint and its export.
      out_of_time = False
      while self.num_episodes < args['num_episodes']:
        if self._out_of_time():
          out_of_time = True
          break
        loss = self._update()
        self.replay.mark_recent()
        self._collect(self.collect)
        episode = self.num_episodes
        self._after_episode(episode, eval_returns)
        self._log_return('collect', float(self.last_return.result()))
        print(summaries.progress_line(
            episode, args['num_episodes'], int(self.env_steps.result()),
            float(self.last_return.result()), loss, self._updates_per_second),
              flush=True)
      if self._dirty:
        self._save()
      self._export()
    if out_of_time:
      logging.info('Stopped after %.1f minutes (train_eval.max_minutes) at %d '
                   'of %d episodes; run the same command to resume.',
                   (time.time() - self._start_time) / 60, self.num_episodes,
                   args['num_episodes'])
    return {'episodes': self.num_episodes,
            'env_steps': int(self.env_steps.result()),
            'train_steps': int(self.train_step.numpy()),
            'eval_returns': eval_returns,
            'out_of_time': out_of_time}

  def _out_of_time(self):
    budget = self.args['max_minutes']
    return (budget is not None and
            time.time() - self._start_time >= 60 * float(budget))

  def _after_episode(self, episode, eval_returns):
    """The evaluation, video, checkpoint and export due after `episode`."""
    args = self.args
    if episode % args['eval_interval'] == 0:
      eval_returns.append((episode, self._evaluate()))
    if episode % args['video_interval'] == 0:
      self._open_loop_video()
    if episode % args['checkpoint_interval'] == 0:
      self._save()
    if episode % args['export_interval'] == 0:
      self._export()

  _missed_episode_work = False

  def _update(self):
    """C updates; writes the mean of every loss term. Returns the mean loss."""
    totals = {}
    start = time.time()
    for _ in range(self.args['train_steps_per_episode']):
      experience = self.replay.sample(self.args['batch_size'],
                                      self.args['sequence_length'])
      loss_info = self.agent.train(experience)
      for name, value in loss_info.extra.items():
        totals[name] = totals.get(name, 0.0) + float(value)
    count = self.args['train_steps_per_episode']
    self._updates_per_second = count / max(time.time() - start, 1e-9)
    means = {k: v / count for k, v in totals.items()}
    summaries.scalars(means, self.train_step, 'losses/')
    summaries.scalars({'updates_per_second': self._updates_per_second},
                      self.train_step, 'speed/')
    return means['loss']

  _updates_per_second = None
  _dirty = False

  def _collect(self, collect_fn):
    """Collects one episode; writes the TF-Agents metrics and env steps/s."""
    steps_before = int(self.env_steps.result())
    start = time.time()
    collect_fn()
    self._dirty = True
    steps = int(self.env_steps.result()) - steps_before
    summaries.scalars({'env_steps_per_second': steps / (time.time() - start)},
                      self.train_step, 'speed/')
    for metric in self.train_metrics:
      metric.tf_summaries(train_step=self.train_step,
                          step_metrics=self.train_metrics[:2])

  def _evaluate(self):
    """Runs the greedy policy; writes its mean return, a CSV row and videos."""
    episodes = evaluation.run_episodes(self.eval_env, self.eval_policy,
                                       self.args['num_eval_episodes'],
                                       record_frames=True)
    mean_return = float(np.mean([e.reward_sum for e in episodes]))
    episode = self.num_episodes
    video_dir = os.path.join(self.eval_dir, 'videos')
    for i, e in enumerate(episodes):
      summaries.write_gif(
          os.path.join(video_dir, f'episode-{episode:06d}-{i}.gif'), e.frames)
    with self.eval_writer.as_default():
      summaries.scalars({'AverageReturn': mean_return}, self.train_step,
                        'Metrics/')
      summaries.scalars({'AverageReturn_vs_Episodes': mean_return}, episode,
                        'Metrics/')
      summaries.video('eval/episode', episodes[0].frames, self.train_step)
    self._log_return('greedy', mean_return)
    logging.info('Evaluation after %d episodes: return %.1f', episode,
                 mean_return)
    return mean_return

  def _log_return(self, policy, value):
    """Appends `episodes,env_steps,train_steps,policy,return` to returns.csv.

    `policy` is `random` (seed episodes), `collect` (with exploration noise) or
    `greedy` (evaluation): the learning curve of the run in one file.
    """
    os.makedirs(self.eval_dir, exist_ok=True)
    path = os.path.join(self.eval_dir, 'returns.csv')
    new = not os.path.exists(path)
    with open(path, 'a') as f:
      if new:
        f.write('episodes,env_steps,train_steps,policy,return\n')
      f.write(f'{self.num_episodes},{int(self.env_steps.result())},'
              f'{int(self.train_step.numpy())},{policy},{value:.3f}\n')

  def _open_loop_video(self, batch_size=3, length=50, context=5):
    """Writes truth | model | error for `context` observed + open-loop frames."""
    length = min(length, max(self.replay.episode_lengths()))
    if length < 2:
      return
    experience = self.replay.sample(batch_size, length)
    frames = summaries.open_loop_prediction(
        self.agent.world_model, experience, min(context, length - 1))
    summaries.video('open_loop/prediction', frames, self.train_step)
    summaries.write_gif(os.path.join(
        self.root_dir, 'open_loop', f'episode-{self.num_episodes:06d}.gif'),
                        frames)

  def _save(self):
    self._dirty = False
    self.checkpoint.save(int(self.train_step.numpy()))
    run_dir_lib.write_operative_config(self.root_dir)

  def _export(self):
    """Exports the greedy policy to `policies/<train step>/`, atomically."""
    step = int(self.train_step.numpy())
    final = export_lib.policy_dir(self.root_dir, step)
    if not os.path.exists(final):
      export_lib.export_policy(self.agent.policy, final,
                               train_step=self.train_step)

