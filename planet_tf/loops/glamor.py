"""The GLAMOR loop (Paster et al., 2021) as one gin-configurable function.

A goal set (far-apart reachable states, stored with the run), then random
episodes for `num_seed_steps`, then until `num_env_steps`: the updates due
(`samples_per_step` relabelled examples per collected step, in batches of
`batch_size`), one episode of the epsilon-greedy collect policy toward a random
goal (epsilon linear over env steps), and every `eval_interval` episodes an
evaluation: the success rate over every goal of the greedy policy, of the goal
model without the prior (the ablation) and of uniform random actions.
Everything is written under `root_dir` (`run_dir.RunDir`) as PlaNet's loop
writes it; a second call resumes (`run_dir`).
"""

import dataclasses
import functools
import os
from typing import Optional

from absl import logging
import gin
import numpy as np
from tf_agents.specs import tensor_spec

from planet_tf.data import collect
from planet_tf.data import episode_runner
from planet_tf.evaluation import goals as goal_evaluation
from planet_tf.data import hindsight_replay
from planet_tf.loops import agent_loop
from planet_tf.loops import registry
from planet_tf.loops import skeleton
from planet_tf.loops import typed_settings
from planet_tf import run_dir
from planet_tf.evaluation import summaries
from planet_tf.agents import GlamorAgent
from planet_tf.envs import goal_suite
from planet_tf.planning import sampling
from planet_tf.policies import CollectGoalPolicy
from planet_tf.policies import GoalPolicy
from planet_tf.policies import goal_policy

_RESUMABLE = registry.RESUMABLE_FIELD


@gin.configurable(registry.GLAMOR)
@dataclasses.dataclass(frozen=True)
class Settings(typed_settings.TypedSettings):
  """GLAMOR's settings, gin name `glamor_train_eval`: the one place each is
  declared, with its default (the paper's); checked when created.

  Resumable settings may change when a run resumes; every other one must
  equal the stored run's.

  Attributes:
    task_name: `'grid_world'` or a key of `planet_tf.envs.GOAL_TASKS`.
    horizon: k, agent steps per episode, the longest relabelled horizon and the
      planning horizon.
    image_size: frames' height and width (a multiple of 7 for the grid world).
    num_goals: G, goals of the run (the grid world: every cell when >= 49).
    num_goal_episodes: random episodes whose end states are the candidate goals
      (dm_control tasks).
    num_seed_steps: env steps of uniform random actions before learning
      (whole episodes: rounded up to a multiple of `horizon`).
    num_env_steps: stop once this many env steps are collected (may be raised
      to continue a finished run).
    samples_per_step: relabelled examples trained on per collected step.
    batch_size: B, examples per update.
    epsilon_start, epsilon_end, epsilon_steps: the collect policy's random
      action probability, linear over env steps (seed steps included).
    eval_interval: evaluate every this many episodes (greedy, prior-off and
      random, each on every goal once).
    video_interval: write goal videos every this many episodes (at an
      evaluation).
    checkpoint_interval: checkpoint every this many episodes (and at the end).
    export_interval: export the greedy policy every this many episodes (and at
      the end).
    seed: seeds the goals, TensorFlow, the environments, replay and policies.
    max_minutes: wall-clock budget of this invocation; the run then stops as at
      `num_env_steps` and the same command resumes it.


  Raises:
    ValueError: for a value of the wrong type (`typed_settings`), an unknown
      task or an invalid size, naming the setting.
  """
  task_name: str = 'reacher_hard'
  horizon: int = 100
  image_size: int = 64
  num_goals: int = 20
  num_goal_episodes: int = 200
  num_seed_steps: int = 50_000
  num_env_steps: int = dataclasses.field(default=1_000_000,
                                         metadata=_RESUMABLE)
  samples_per_step: float = 4.0
  batch_size: int = 200
  epsilon_start: float = 1.0
  epsilon_end: float = 0.1
  epsilon_steps: int = 300_000
  eval_interval: int = dataclasses.field(default=100, metadata=_RESUMABLE)
  video_interval: int = dataclasses.field(default=100, metadata=_RESUMABLE)
  checkpoint_interval: int = dataclasses.field(default=10, metadata=_RESUMABLE)
  export_interval: int = dataclasses.field(default=500, metadata=_RESUMABLE)
  seed: Optional[int] = None
  max_minutes: Optional[float] = dataclasses.field(default=None,
                                                   metadata=_RESUMABLE)

  def check(self):
    goal_suite.check_task(self.task_name, self.image_size)
    for name in ('horizon', 'num_goals', 'num_goal_episodes', 'num_env_steps',
                 'batch_size', 'epsilon_steps', 'eval_interval',
                 'video_interval', 'checkpoint_interval', 'export_interval'):
      if int(getattr(self, name)) < 1:
        raise ValueError(f'{NAME}: {name} must be >= 1, got '
                         f'{getattr(self, name)}.')
    if int(self.num_seed_steps) < 0 or not float(self.samples_per_step) > 0:
      raise ValueError(f'{NAME}: num_seed_steps must be >= 0 and '
                       'samples_per_step > 0, got '
                       f'{self.num_seed_steps}, {self.samples_per_step}.')
    for name in ('epsilon_start', 'epsilon_end'):
      if not 0.0 <= float(getattr(self, name)) <= 1.0:
        raise ValueError(f'{NAME}: {name} must be in [0, 1], got '
                         f'{getattr(self, name)}.')
    if self.max_minutes is not None and not float(self.max_minutes) > 0:
      raise ValueError(f'{NAME}: max_minutes must be > 0, got '
                       f'{self.max_minutes}.')


RESUMABLE = registry.resumable(Settings)


def updates_due(settings: Settings, env_steps):
  """Updates owed after `env_steps` collected steps (pure).

  Learning starts after the seed steps; from there each collected step owes
  `samples_per_step` examples, i.e. `samples_per_step / batch_size` updates.
  The count follows from the env steps alone, so a resumed run owes exactly
  what the killed one did.

  Returns:
    int, the total number of updates due (not those still to do).
  """
  learning_steps = max(int(env_steps) - int(settings.num_seed_steps), 0)
  return int(np.floor(float(settings.samples_per_step) * learning_steps /
                      int(settings.batch_size)))


def glamor_train_eval(root_dir, **settings):
  """Trains GLAMOR, or resumes the run in `root_dir`: `run(root_dir,
  Settings(**settings))`, gin-bound values for the settings not given.

  Returns:
    dict: `episodes`, `env_steps`, `train_steps`, `eval_returns` (this
    invocation's `(episodes, greedy success rate)`), `eval_label`,
    `out_of_time`.

  Raises:
    ValueError: as `Settings`.
    planet_tf.run_dir.ConfigMismatchError, CheckpointError, RunLockedError: as
      `skeleton.run`.
  """
  return run(root_dir, Settings(**settings))


# The loop's gin name (its settings'), the prefix of its stored bindings.
NAME = registry.GLAMOR


def run(root_dir, settings: Settings):
  """Runs GLAMOR with `settings` in `root_dir`; see `glamor_train_eval`."""
  return skeleton.run(root_dir, GlamorLoop(settings))


def _goal_set(paths, settings):
  """The run's stored goals, or new ones (stored before any episode)."""
  if os.path.isfile(paths.goals_path):
    return goal_suite.load_goal_set(paths.goals_path)
  goal_set = goal_suite.make_goals(
      settings.task_name, settings.num_goals, settings.num_goal_episodes,
      settings.horizon, settings.image_size, settings.seed)
  goal_suite.save_goal_set(paths.goals_path, goal_set)
  return goal_set


class _SuccessObserver:
  """A driver observer: the success of the episode that just ended.

  Read when the trajectory reaches LAST (the env is at its final state); the
  driver's next step already resets the env, so reading it after the
  episode would judge the next episode's first state.
  """

  def __init__(self, env):
    self._env = env
    self.success = 0.0

  def __call__(self, trajectory):
    if np.all(trajectory.is_last()):
      self.success = float(self._env.success())


class GlamorLoop(agent_loop.AgentLoop):
  """GLAMOR's part of a run (`skeleton.run`): a goal set, updates due by env
  steps, relabelled examples, the success evaluation, rows and progress line.
  The greedy policy is exported (`policies/<step>/`)."""

  name = NAME

  def __init__(self, settings):
    super().__init__(settings)
    self.success_rates = []

  def stored_settings(self):
    return dataclasses.asdict(self.settings)

  def before_seeding(self, paths):
    """The run's goals, chosen with the run's own seed before any episode."""
    self.goal_set = _goal_set(paths, self.settings)

  def build(self, paths, seed, cleanup):
    settings = self.settings
    self.seed = seed
    offset = lambda i: None if seed is None else seed + i  # pylint: disable=unnecessary-lambda-assignment
    env = functools.partial(goal_suite.load, settings.task_name, self.goal_set,
                            settings.horizon, settings.image_size)
    self.collect_env = env(seed=seed)
    cleanup.callback(self.collect_env.close)
    self.eval_env = env(sequential=True, seed=offset(1))
    cleanup.callback(self.eval_env.close)
    self.metrics = metrics = collect.TrainMetrics()
    self.epsilon = functools.partial(
        goal_policy.linear_epsilon, metrics.environment_steps.environment_steps,
        settings.epsilon_start, settings.epsilon_end, settings.epsilon_steps)
    self.agent = agent = GlamorAgent(
        tensor_spec.from_spec(self.collect_env.time_step_spec()),
        tensor_spec.from_spec(self.collect_env.action_spec()),
        horizon=settings.horizon, seed=seed,
        collect_policy_class=functools.partial(CollectGoalPolicy,
                                               epsilon=self.epsilon))
    agent.initialize()
    self.replay = hindsight_replay.HindsightReplay(
        agent.collect_data_spec, agent.model.num_actions,
        directory=paths.episodes_dir, seed=seed)
    self.checkpoint = run_dir.RunCheckpoint(paths.train_dir, agent=agent,
                                            metrics=metrics.group)

  def start(self, seed):
    agent, settings = self.agent, self.settings
    no_prior = GoalPolicy(
        agent.time_step_spec, agent.action_spec, agent.model,
        settings.horizon, seed=None if seed is None else seed + 2,
        planner=functools.partial(sampling.sample_plans, use_prior=False))
    self.exported_policies = {None: agent.policy}
    self.open_writers()
    # Traced once each: the encoders run in one graph with the planner.
    self.greedy = collect.TracedPolicy(agent.policy)
    self.no_prior = collect.TracedPolicy(no_prior)
    self.success_observer = _SuccessObserver(self.collect_env)
    self.observers = [self.replay, self.metrics.observer,
                      self.success_observer]
    self.collect_policy = episode_runner.as_py_policy(agent.collect_policy)
    self.random_policy = episode_runner.random_policy(self.collect_env)

  def seeding(self):
    return self.metrics.env_steps < self.settings.num_seed_steps

  def past_seed_episodes(self):
    return self.metrics.env_steps > self.settings.num_seed_steps

  def finished(self):
    return self.metrics.env_steps >= self.settings.num_env_steps

  def collect_seed_episode(self):
    self.collect(lambda: episode_runner.run(
        self.collect_env, self.random_policy, self.observers))
    self.log_row('random', self.success_observer.success)

  def collect_episode(self):
    self.collect(lambda: episode_runner.run(
        self.collect_env, self.collect_policy, self.observers))
    self.log_row('collect', self.success_observer.success)

  def final_evaluation(self):
    """None of its own: evaluations come every `eval_interval` episodes."""

  def stop_message(self):
    return self.metrics.env_steps, self.settings.num_env_steps, 'env steps'

  def summary(self, out_of_time):
    return {'episodes': self.metrics.episodes,
            'env_steps': self.metrics.env_steps,
            'train_steps': int(self.train_step.numpy()),
            'eval_returns': self.success_rates, 'eval_label': 'success rate',
            'out_of_time': out_of_time}

  def train(self):
    """The updates due; writes the mean losses. Returns the mean loss or None."""
    count = (updates_due(self.settings, self.metrics.env_steps) -
             int(self.train_step.numpy()))
    if count <= 0:
      return None
    return self.updates(count, lambda: self.replay.sample_examples(
        self.settings.batch_size, self.settings.horizon))

  def collect(self, collect_fn):
    """Collects one episode (its success: `success_observer.success`)."""
    super().collect(collect_fn)
    summaries.scalars({'CollectSuccess': self.success_observer.success,
                       'Epsilon': self.epsilon()}, self.train_step, 'Metrics/')

  def evaluate_due(self, episode):
    """The evaluation (with videos when due) after `episode` episodes."""
    if episode % self.settings.eval_interval == 0:
      self.evaluate(record=episode % self.settings.video_interval == 0)

  def evaluate(self, record=False):
    """Every goal once with the greedy policy, without the prior and at random.

    Writes `returns.csv` rows (`greedy`, `greedy_no_prior`, `random_baseline`)
    and TensorBoard `Metrics/SuccessRate*`; with `record`, the greedy episodes'
    videos (newest frame beside the goal).
    """
    episode, goals = self.metrics.episodes, self.eval_env.num_goals
    rates = {}
    for policy_name, policy in [('greedy', self.greedy),
                                ('greedy_no_prior', self.no_prior),
                                ('random_baseline', None)]:
      rates[policy_name], episodes = goal_evaluation.success_rate(
          self.eval_env, policy, goals, seed=self.seed,
          record=record and policy is self.greedy)
      self.log_row(policy_name, rates[policy_name])
      if record and policy is self.greedy:
        self._write_videos(episodes)
    self.success_rates.append((episode, rates['greedy']))
    self.clock.mark(episode, 'evaluation')
    names = {'greedy': 'SuccessRate', 'greedy_no_prior': 'SuccessRate_NoPrior',
             'random_baseline': 'SuccessRate_Random'}
    with self.eval_writer.as_default():
      summaries.scalars({names[k]: v for k, v in rates.items()},
                        self.train_step, 'Metrics/')
      summaries.scalars({f'{names[k]}_vs_EnvSteps': v
                         for k, v in rates.items()},
                        self.metrics.env_steps, 'Metrics/')
    logging.info('Evaluation after %d episodes: success rate %.2f (without '
                 'the prior %.2f, random %.2f) over %d goals', episode,
                 rates['greedy'], rates['greedy_no_prior'],
                 rates['random_baseline'], goals)

  def _write_videos(self, episodes):
    name = f'episode-{self.metrics.episodes:06d}'
    for e in episodes:
      summaries.write_gif(os.path.join(
          self.paths.videos_dir, f'{name}-goal-{e.goal_index}.gif'),
                          e.frames[..., None])
    with self.eval_writer.as_default():
      summaries.video('eval/goal_episode', episodes[0].frames[..., None],
                      self.train_step)

  def log_row(self, policy, success):
    """Appends a `returns.csv` row; `return` and `success_rate` hold `success`."""
    run_dir.append_return(self.paths.root, self.metrics.episodes,
                          self.metrics.env_steps, int(self.train_step.numpy()),
                          policy, success, success_rate=f'{float(success):.3f}')

  def rewrite_rows(self, lost, counted):
    """Rows a kill lost, success `nan`.

    An episode's success is judged on its live environment, so a row lost to a
    kill cannot be rebuilt from the stored frames; it is written as unknown.
    """
    del counted  # Nothing is read from the stored episodes.
    for episode, env_steps in lost:
      policy = ('random' if env_steps <= self.settings.num_seed_steps
                else 'collect')
      run_dir.append_return(self.paths.root, episode, env_steps,
                            int(self.train_step.numpy()), policy, float('nan'),
                            success_rate='nan')

  def print_progress(self, loss):
    settings, metrics = self.settings, self.metrics
    width = len(str(settings.num_env_steps))
    parts = [f'{metrics.env_steps:>{width}}/{settings.num_env_steps} env steps',
             f'{metrics.episodes} episodes',
             f'epsilon {float(self.epsilon()):.2f}',
             f'success {self.success_observer.success:.0f}',
             'loss ' + ('-' if loss is None else f'{loss:.3f}')]
    if self.success_rates:
      parts.append(f'eval success {self.success_rates[-1][1]:.2f}')
    print(' | '.join(parts), flush=True)


def agent_of_run(root_dir):
  """The `GlamorAgent` of a run (variables created), specs from its goals."""
  settings = run_dir.configurable_settings(root_dir, NAME)
  env = goal_suite.load(settings['task_name'], goal_suite.load_goal_set(
      run_dir.RunDir(root_dir).goals_path), settings['horizon'],
                        settings['image_size'])
  time_step_spec = tensor_spec.from_spec(env.time_step_spec())
  action_spec = tensor_spec.from_spec(env.action_spec())
  env.close()
  agent = GlamorAgent(time_step_spec, action_spec, horizon=settings['horizon'])
  agent.initialize()
  return agent


registry.register(registry.Kind(
    NAME, Settings, run, agent_of_run, goal_conditioned=True, agent='GLAMOR',
    acting='sampled plans', exploration='ε-random actions', actings=()))
