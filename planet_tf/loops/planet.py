"""The PlaNet loop (Hafner et al., 2019, Alg. 1) as one gin-configurable function.

`S` random seed episodes; then, until `num_episodes` episodes are collected: `C`
world-model updates on `[B, L]` chunks, one episode with the collect policy through
the episode runner, and every `eval_interval` episodes an evaluation with the
greedy policy. With several tasks (`task_names`), one agent learns them all:
`S` seed episodes per task, then the tasks take turns (round robin), one
episode each after `C` updates; every task is evaluated. With named rewards
(`planet_tf.envs.load.rewards`), the world model has one reward head per name
and every head is evaluated and exported; with `reward_free`, every episode is
collected with random actions and no head shapes the latent (the PlaNet
poster's multi-head recipe). Everything a run writes is under `root_dir` (`run_dir.RunDir`).
A second call with the same `root_dir` resumes from the newest checkpoint and the
stored episodes (see `planet_tf.run_dir`).
"""

import dataclasses
import os
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

from absl import logging
import gin
import numpy as np

from planet_tf.data import collect
from planet_tf.data import episode_runner
from planet_tf import envs
from planet_tf.evaluation import episodes as evaluation
from planet_tf.loops import agent_loop
from planet_tf.loops import registry
from planet_tf.loops import skeleton
from planet_tf.loops import typed_settings
from planet_tf.data import replay as replay_lib
from planet_tf import run_dir
from tf_agents.specs import tensor_spec
from planet_tf.evaluation import summaries
from planet_tf.agents import heads as heads_lib

_RESUMABLE = registry.RESUMABLE_FIELD


@gin.configurable(registry.PLANET)
@dataclasses.dataclass(frozen=True)
class Settings(typed_settings.TypedSettings):
  """PlaNet's settings, gin name `train_eval` (`train_eval.batch_size = 16`):
  the one place each is declared, with its default; checked when created.

  Settings marked resumable may change when a run resumes; every other one must
  equal the stored run's (`run_dir.check_config`). Exactly one of `task_name`
  and `task_names` is set; `reward_free` needs `task_name`.

  Attributes:
    task_name: a key of `planet_tf.envs.TASKS`; the environment's other settings
      (action repeat, episode length) are `planet_tf.envs.load`'s gin bindings.
    task_names: instead of `task_name`, two or more tasks for one agent
      (`planet_tf.envs.multitask`): actions padded to the longest, each task at
      its own paper action repeat, one replay sampled task by task, one reward
      head, no task id. Episode i (from 0, seed episodes included) is of task
      `task_names[i % len(task_names)]`.
    num_seed_episodes: S, episodes of uniform random actions first (per task).
    num_episodes: stop once this many episodes (seed episodes included, all
      tasks together) are collected; may be raised to continue a finished run.
    train_steps_per_episode: C, world-model updates before each collected
      episode.
    batch_size: B, chunks per update.
    sequence_length: L, steps per chunk.
    eval_interval: evaluate the greedy policy every this many episodes.
    num_eval_episodes: episodes per evaluation (of each task); each episode
      is one `greedy` row of `eval/returns.csv`.
    export_interval: export the greedy policy every this many episodes (and at
      the end).
    video_interval: write an open-loop video prediction every this many episodes.
    checkpoint_interval: checkpoint every this many episodes (and at the end).
    seed: seeds TensorFlow, the environments, the replay and the policies.
    max_minutes: wall-clock budget of this invocation; once spent, the run stops
      after its current episode as it does at `num_episodes` (checkpoint,
      export, summary), and the same command resumes it. None has no limit.
    reward_free: collect every episode (not only the seed episodes) with
      uniform random actions, never with a reward-seeking planner, and train
      the world model with no reward term in the gradient of its encoder,
      dynamics and decoder (requires `WorldModel.shaping_heads = []`; the
      heads still fit on the stop-gradient latent). With named rewards
      (`planet_tf.envs.load.rewards`), the poster's recipe: one reward-free
      dynamics model, one head per task, each evaluated and exported.
    env_constructors: `{task name: constructor}` of the user's own
      environments (`planet_tf.envs.custom`): a name bound here is a valid
      `task_name` (or one of `task_names`) and is built by
      `constructor(seed=...)`, a `PyEnvironment` with uint8 [64, 64, 3]
      observations and a bounded float32 action `[A]`.
    final_eval_episodes: None, or the greedy episodes (of each task and head)
      of a final evaluation after episode `num_episodes`, done whether or not
      `eval_interval` divides it, in place of the evaluation due there. A run
      resumed after that point, or killed during it, runs the episodes its rows
      at `num_episodes` still lack, so it may be set on a finished run.


  Raises:
    ValueError: for a value of the wrong type (`typed_settings`), an unknown
      task, an invalid size or a setting that does not fit the others, naming
      the setting.
  """
  task_name: Optional[str] = None
  task_names: Optional[Tuple[str, ...]] = None
  num_seed_episodes: int = 5
  num_episodes: int = dataclasses.field(default=1000, metadata=_RESUMABLE)
  train_steps_per_episode: int = 100
  batch_size: int = 50
  sequence_length: int = 50
  eval_interval: int = dataclasses.field(default=10, metadata=_RESUMABLE)
  num_eval_episodes: int = dataclasses.field(default=1, metadata=_RESUMABLE)
  export_interval: int = dataclasses.field(default=100, metadata=_RESUMABLE)
  video_interval: int = dataclasses.field(default=10, metadata=_RESUMABLE)
  checkpoint_interval: int = dataclasses.field(default=1, metadata=_RESUMABLE)
  seed: Optional[int] = None
  max_minutes: Optional[float] = dataclasses.field(default=None,
                                                   metadata=_RESUMABLE)
  reward_free: bool = False
  env_constructors: Optional[Dict[str, Callable]] = None
  final_eval_episodes: Optional[int] = dataclasses.field(
      default=None, metadata=_RESUMABLE)

  def check(self):
    if isinstance(self.task_names, list):  # Gin gives a list; settings freeze.
      object.__setattr__(self, 'task_names', tuple(self.task_names))
    object.__setattr__(self, 'reward_free', bool(self.reward_free))
    if (self.task_name is None) == (self.task_names is None):
      raise ValueError(
          'train_eval needs one task (bind train_eval.task_name, as a task gin '
          'file does) or several (train_eval.task_names, as multitask.gin '
          f'does), not {"both" if self.task_name else "neither"}; tasks are '
          f'{", ".join(sorted(envs.TASKS))}.')
    envs.custom.check_constructors(self.env_constructors)
    if self.task_names is None:
      envs.custom.check_task(self.task_name, self.env_constructors)
    else:
      envs.multitask.check_task_names(self.task_names, self.env_constructors)
    if self.reward_free and self.task_names is not None:
      raise ValueError('train_eval.reward_free trains one task\'s dynamics; '
                       'bind train_eval.task_name, not task_names.')
    for name in ('num_episodes', 'train_steps_per_episode', 'batch_size',
                 'eval_interval', 'num_eval_episodes', 'export_interval',
                 'video_interval', 'checkpoint_interval', 'num_seed_episodes'):
      if int(getattr(self, name)) < 1:
        raise ValueError(f'{self.gin_name}: {name} must be >= 1, got '
                         f'{getattr(self, name)}.')
    if (self.final_eval_episodes is not None and
        int(self.final_eval_episodes) < 1):
      raise ValueError(f'{self.gin_name}: final_eval_episodes must be >= 1 '
                       f'(or None), got {self.final_eval_episodes}.')
    if self.max_minutes is not None and not float(self.max_minutes) > 0:
      raise ValueError(f'{self.gin_name}: max_minutes must be > 0, got '
                       f'{self.max_minutes}.')
    if int(self.sequence_length) < 2:
      raise ValueError(f'{self.gin_name}: sequence_length must be >= 2, got '
                       f'{self.sequence_length}.')


# Settings that may change when a run resumes.
RESUMABLE = registry.resumable(Settings)


def stored_settings(settings: Settings):
  """The settings a run stores: a setting at its default that runs without it
  (`task_names`, `reward_free`, `env_constructors`) is left out.

  So a one-task run stores the same settings whichever planet_tf version
  wrote it, and any such run resumes.
  """
  stored = dataclasses.asdict(settings)
  if settings.task_names is None:
    del stored['task_names']
  if not settings.reward_free:
    del stored['reward_free']
  if not settings.env_constructors:
    del stored['env_constructors']
  else:  # By Python name: a function's repr differs between processes.
    stored['env_constructors'] = envs.custom.python_names(
        settings.env_constructors)
  return stored


def check_reward_free(reward_free):
  """Refuses `reward_free` unless no head shapes the latent (gin).

  Raises:
    ValueError: naming the binding `WorldModel.shaping_heads = []`.
  """
  if not reward_free:
    return
  try:
    shaping = gin.query_parameter('WorldModel.shaping_heads')
  except ValueError:
    shaping = None  # Not bound: every head shapes the latent.
  if shaping is None or list(shaping):
    raise ValueError(
        'train_eval.reward_free trains encoder, dynamics and decoder without '
        'any reward term, so no reward head may shape the latent: bind '
        f'WorldModel.shaping_heads = [] (it is {shaping!r}).')


def train_eval(root_dir, **settings):
  """Trains PlaNet, or resumes the run in `root_dir`: `run(root_dir,
  Settings(**settings))`, gin-bound values for the settings not given.

  Returns:
    dict with the final `episodes`, `env_steps`, `train_steps`, the list of
    `eval_returns` `(episodes, return)` of this invocation (with several
    tasks or heads, the mean of their returns), and `out_of_time` (True if
    `max_minutes` stopped it before `num_episodes`).

  Raises:
    ValueError: as `Settings`.
    planet_tf.run_dir.ConfigMismatchError: if `root_dir` holds a run with a
      different configuration.
    planet_tf.run_dir.CheckpointError: if its checkpoint cannot be restored.
    planet_tf.run_dir.RunLockedError: if another process trains in `root_dir`.
  """
  return run(root_dir, Settings(**settings))


# The loop's gin name (its settings'), the prefix of its stored bindings.
NAME = registry.PLANET


def run(root_dir, settings: Settings):
  """Runs Algorithm 1 with `settings` in `root_dir`; see `train_eval`."""
  # Checks of the gin bindings around the settings, before the run directory
  # is touched: a refused start changes nothing.
  if settings.task_names is not None:
    envs.multitask.check_no_shared_action_repeat()
  check_reward_free(settings.reward_free)
  return skeleton.run(root_dir, PlanetLoop(settings))


class _NamedReward:
  """A driver observer that passes `observer` trajectories with one named reward."""

  def __init__(self, observer, name):
    self._observer = observer
    self._name = name

  def __call__(self, trajectory):
    return self._observer(trajectory._replace(
        reward=trajectory.reward[self._name]))


def _head_policies(agent, heads, seed):
  """`{head: greedy policy}`; `{None: agent.policy}` for one unnamed head.

  The first head's is the agent's own policy (checkpointed); head i > 0 gets a
  new `CemPolicy` seeded with `seed + 1 + i` (the collect policy has `seed + 1`).
  """
  if heads is None:
    return {None: agent.policy}
  return {head: heads_lib.head_policy(
      agent, head, seed=None if seed is None else seed + 1 + i)
          for i, head in enumerate(heads)}


class _Task(NamedTuple):
  """One task of a run: its environments and its label in the replay and CSV.

  `label` is None for a one-task run, which stores and writes no task.
  """
  name: str
  env: object  # Collects (PyEnvironment).
  eval_env: object  # Evaluates (PyEnvironment).
  label: Optional[str]


def _load_tasks(settings, seed, cleanup) -> List[_Task]:
  """The run's tasks, in round-robin order, with their environments.

  Seeds: a one-task run collects with `seed` and evaluates with `seed + 1`; with
  K tasks, task i collects with `seed + i` and evaluates with `seed + K + i`.
  """
  def seeded(offset):
    return None if seed is None else seed + offset

  constructors = settings.env_constructors
  if settings.task_names is None:
    names, labels = [settings.task_name], [None]
  else:
    names = labels = list(settings.task_names)

  def load(offset):
    if settings.task_names is None:
      loaded = [envs.custom.load(names[0], constructors, seeded(offset))]
    else:
      loaded = envs.multitask.load(names, seeded(offset), constructors)
    for env in loaded:
      cleanup.callback(env.close)
    return loaded

  return [_Task(*fields)
          for fields in zip(names, load(0), load(len(names)), labels)]


class PlanetLoop(agent_loop.AgentLoop):
  """PlaNet's part of a run (`skeleton.run`), on one task or several, with one
  reward head or several.

  Every head's greedy policy is exported (`policies/<step>-<head>/`; one
  unnamed head: `policies/<step>/`).
  """

  name = NAME

  def __init__(self, settings):
    super().__init__(settings)
    self.eval_returns = []
    self.last_task = None  # Of the newest episode.

  def stored_settings(self):
    return stored_settings(self.settings)

  def build(self, paths, seed, cleanup):
    settings = self.settings
    self.tasks = tasks = _load_tasks(settings, seed, cleanup)
    # Every task has the same specs.
    time_step_spec = tensor_spec.from_spec(tasks[0].env.time_step_spec())
    action_spec = tensor_spec.from_spec(tasks[0].env.action_spec())
    # One reward head per named reward (None: PlaNet's one head).
    self.heads = heads_lib.reward_names(time_step_spec.reward)
    agent = self.make_agent(time_step_spec, action_spec, seed)
    if settings.reward_free and agent.world_model.shaping_heads:
      raise ValueError('train_eval.reward_free needs WorldModel.shaping_heads '
                       f'= [], not {list(agent.world_model.shaping_heads)}.')
    agent.initialize()
    self.agent = agent
    self.replay = replay_lib.EpisodeReplay(
        agent.collect_data_spec, directory=paths.episodes_dir, seed=seed)
    self.metrics = collect.TrainMetrics()
    self.checkpoint = run_dir.RunCheckpoint(paths.train_dir, agent=agent,
                                            metrics=self.metrics.group)

  def make_agent(self, time_step_spec, action_spec, seed):
    """The run's agent, its variables not yet created: a `PlanetAgent`
    with a reward head per named reward (`heads.make_agent`)."""
    return heads_lib.make_agent(
        time_step_spec, action_spec,
        train_sequence_length=self.settings.sequence_length, seed=seed)

  def start(self, seed):
    head_policies = _head_policies(self.agent, self.heads, seed)
    self.exported_policies = head_policies
    self.open_writers()
    self.eval_policies = {head: episode_runner.as_py_policy(policy)
                          for head, policy in head_policies.items()}
    # One traced policy for every task: their specs are equal.
    self.collect_policy = episode_runner.as_py_policy(self.agent.collect_policy)
    self.random_policy = episode_runner.random_policy(self.tasks[0].env)
    # TF-Agents' return metrics read one scalar reward: the first head's.
    metrics_observer = (self.metrics.observer if self.heads is None else
                        _NamedReward(self.metrics.observer, self.heads[0]))
    # The rows' returns, summed as TF-Agents' return metrics sum them.
    self.returns = episode_runner.EpisodeReturn(np.float32)
    replay = self.replay
    self.observers = [
        [replay if task.label is None else replay.observer(task.label),
         metrics_observer, self.returns] for task in self.tasks]

  def run_episode(self, i, policy):
    """One episode of `policy` (a `PyPolicy`) in task i's environment, into
    the replay, the metrics and `returns`."""
    episode_runner.run(self.tasks[i].env, policy, self.observers[i])

  @property
  def _seed_episodes(self):
    return self.settings.num_seed_episodes * len(self.tasks)

  def seeding(self):
    return self.metrics.episodes < self._seed_episodes

  def past_seed_episodes(self):
    return self.metrics.episodes > self._seed_episodes

  def finished(self):
    return self.metrics.episodes >= self.settings.num_episodes

  def collect_seed_episode(self):
    """S random seed episodes (of each task, in turn)."""
    i = self.next_task
    self.collect(lambda: self.run_episode(i, self.random_policy))
    self.log_return('random', task=self.tasks[i])
    self._print_progress(None, suffix=' | random seed episode',
                         task=self.tasks[i])

  def collect_episode(self):
    """One episode of the collect policy (random with `reward_free`)."""
    self.replay.mark_recent()
    i = self.next_task
    # Never a reward-seeking agent's episodes with `reward_free`.
    policy = (self.random_policy if self.settings.reward_free else
              self.collect_policy)
    self.collect(lambda: self.run_episode(i, policy))
    # The row first: a kill after the checkpoint must not lose it.
    self.log_return('random' if self.settings.reward_free else 'collect',
                    task=self.tasks[i])
    self.last_task = self.tasks[i]

  def print_progress(self, loss):
    self._print_progress(loss, task=self.last_task)

  def stop_message(self):
    return self.metrics.episodes, self.settings.num_episodes, 'episodes'

  def summary(self, out_of_time):
    return {'episodes': self.metrics.episodes,
            'env_steps': self.metrics.env_steps,
            'train_steps': int(self.train_step.numpy()),
            'eval_returns': self.eval_returns, 'out_of_time': out_of_time}

  @property
  def multitask(self):
    return self.settings.task_names is not None

  @property
  def next_task(self):
    """Index of the task whose episode comes next: the round robin.

    It follows from the episodes collected so far (checkpointed, and counted
    from the stored episodes after a kill), so a resumed run continues the turn.
    """
    return self.metrics.episodes % len(self.tasks)

  def train(self):
    """C updates on `[B, L]` chunks; writes the mean of every loss term.

    Returns:
      The mean loss.
    """
    settings = self.settings
    return self.updates(settings.train_steps_per_episode,
                        lambda: self.replay.sample(settings.batch_size,
                                                   settings.sequence_length))

  def collect(self, collect_fn):
    """Collects one episode; writes the TF-Agents metrics, env steps/s and,
    with several tasks, the episode's return under its task."""
    super().collect(collect_fn)
    if self.multitask:
      # The episode just collected was of the task before the next one.
      task = self.tasks[(self.metrics.episodes - 1) % len(self.tasks)]
      summaries.scalars(
          {f'CollectReturn/{task.name}': self.last_return},
          self.train_step, 'Metrics/')

  def evaluate_due(self, episode):
    """The evaluation and open-loop video due after `episode` episodes; the
    final evaluation is `final_evaluation`'s."""
    final = (self.settings.final_eval_episodes and
             episode >= self.settings.num_episodes)
    if episode % self.settings.eval_interval == 0 and not final:
      self.eval_returns.append((episode, self.evaluate()))
    if episode % self.settings.video_interval == 0:
      self.open_loop_video()

  def final_evaluation(self):
    """The evaluation after `num_episodes` with `final_eval_episodes` (if set)
    greedy episodes of each task and head, less those whose rows a killed or
    earlier invocation wrote at this episode."""
    if not self.settings.final_eval_episodes:
      return
    episode = self.metrics.episodes
    done = {}
    if os.path.exists(self.paths.returns_path):
      for r in run_dir.read_returns(self.paths.root):
        if r.policy == 'greedy' and r.episodes == episode:
          key = (r.extra.get('task') or None, r.extra.get('head') or None)
          done.setdefault(key, []).append(r.value)
    self.eval_returns.append((episode, self.evaluate(
        self.settings.final_eval_episodes, done)))

  def evaluate(self, num_episodes=None, done=None):
    """Runs the greedy policy on every task (of every head); writes returns,
    CSV rows (one per episode), videos and the time it took.

    Args:
      num_episodes: episodes of each task and head; None is
        `num_eval_episodes`.
      done: `{(task label, head): [returns]}` of this evaluation's episodes
        already in `returns.csv`: they count towards `num_episodes` and the
        means.

    Returns:
      The mean return (over tasks and heads: of each one's mean).
    """
    episode = self.metrics.episodes
    num_episodes = num_episodes or self.settings.num_eval_episodes
    done = done or {}
    means = {}
    for task in self.tasks:
      for head, policy in self.eval_policies.items():
        before = done.get((task.label, head), [])
        missing = num_episodes - len(before)
        episodes = evaluation.run_episodes(
            task.eval_env, policy, missing, record_frames=True,
            reward_name=head) if missing > 0 else []
        label = '-'.join(p for p in (task.label, head) if p)
        tag = '/'.join(p for p in (task.label, head) if p)
        returns = [float(e.reward_sum) for e in episodes]
        means[label or task.name] = value = float(np.mean(before + returns))
        name = f'episode-{episode:06d}' + (f'-{label}' if label else '')
        for i, e in enumerate(episodes, start=len(before)):
          summaries.write_gif(os.path.join(self.paths.videos_dir,
                                           f'{name}-{i}.gif'), e.frames)
        with self.eval_writer.as_default():
          if tag:
            summaries.scalars({f'AverageReturn/{tag}': value},
                              self.train_step, 'Metrics/')
            summaries.scalars({f'AverageReturn_vs_Episodes/{tag}': value},
                              episode, 'Metrics/')
          if episodes:
            summaries.video('eval/episode' + (f'/{tag}' if tag else ''),
                            episodes[0].frames, self.train_step)
        for r in returns:
          self._append_row('greedy', r, task, head)
    self.clock.mark(episode, 'evaluation')
    mean_return = float(np.mean(list(means.values())))
    with self.eval_writer.as_default():
      summaries.scalars({'AverageReturn': mean_return}, self.train_step,
                        'Metrics/')
      summaries.scalars({'AverageReturn_vs_Episodes': mean_return}, episode,
                        'Metrics/')
    labelled = self.multitask or self.heads is not None
    logging.info('Evaluation after %d episodes: return %s', episode,
                 ', '.join(f'{v:.1f}' + (f' ({k})' if labelled else '')
                           for k, v in means.items()))
    return mean_return

  def rewrite_rows(self, lost, counted):
    """Rebuilds lost rows from the stored episodes: an episode's task is its
    turn, its train steps the checkpoint's."""
    # Returns of the episodes after `counted`: episode e is at e - counted - 1.
    returns = self.replay.episode_returns()[counted - self.metrics.episodes:]
    for episode, env_steps in lost:
      value = returns[episode - counted - 1]
      policy = ('random' if self.settings.reward_free or
                episode <= self._seed_episodes else 'collect')
      task = self.tasks[(episode - 1) % len(self.tasks)]
      for head in self.heads or (None,):
        self._append_row(policy, value if head is None else value[head], task,
                         head, episode, env_steps)

  def log_return(self, policy, task=None):
    """Appends the last episode's row(s) to `eval/returns.csv`.

    With named rewards, one row per head: the episode's return of that reward.
    """
    if self.heads is None:
      self._append_row(policy, self.returns.last, task)
      return
    for head in self.heads:
      self._append_row(policy, self.returns.last[head], task, head)

  @property
  def last_return(self):
    """The newest collected episode's return (of the first head), as its row
    holds it with one head."""
    value = self.returns.last
    return value if self.heads is None else value[self.heads[0]]

  def _append_row(self, policy, value, task=None, head=None, episodes=None,
                  env_steps=None):
    """One row of `eval/returns.csv`, at the current counts by default.

    A row of a multi-task run names its `task`, a row of a run with named
    rewards its `head` (extra columns).
    """
    extra = {'task': task.label} if task is not None and task.label else {}
    if head is not None:
      extra['head'] = head
    run_dir.append_return(
        self.paths.root,
        self.metrics.episodes if episodes is None else episodes,
        self.metrics.env_steps if env_steps is None else env_steps,
        int(self.train_step.numpy()), policy, value, **extra)

  def _print_progress(self, loss, suffix='', task=None):
    if task is not None and task.label:
      suffix += f' | {task.label}'
    print(summaries.progress_line(
        self.metrics.episodes, self.settings.num_episodes,
        self.metrics.env_steps, self.last_return, loss,
        None if loss is None else self.updates_per_second) + suffix,
          flush=True)

  def open_loop_video(self, batch_size=3, length=50, context=5):
    """Writes truth | model | error for `context` observed + open-loop frames."""
    length = min(length, max(self.replay.episode_lengths()))
    if length < 2:
      return
    experience = self.replay.sample(batch_size, length)
    frames = summaries.open_loop_prediction(
        self.agent.world_model, experience, min(context, length - 1))
    summaries.video('open_loop/prediction', frames, self.train_step)
    summaries.write_gif(os.path.join(
        self.paths.open_loop_dir, f'episode-{self.metrics.episodes:06d}.gif'),
                        frames)


def specs_of_run(root_dir, name=NAME):
  """`(time_step_spec, action_spec)` of a run's task(s), from the stored
  settings of its loop `name` (PlaNet's, or a kind's that derive from them).

  The run's operative config is parsed into gin: the user's own environments
  are the run's.

  Raises:
    ValueError: if the run's stored configuration names no task.
  """
  settings = run_dir.configurable_settings(root_dir, name)
  task_names = settings.get('task_names') or (
      [settings['task_name']] if settings.get('task_name') else None)
  if not task_names:
    raise ValueError(f'Cannot read {name}.task_name (or task_names) from '
                     f'{run_dir.RunDir(root_dir).config_path}.')
  constructors = envs.custom.bound_constructors()
  if len(task_names) == 1:
    env = envs.custom.load(task_names[0], constructors)
  else:  # Every task has the padded specs.
    env = envs.multitask.load_task(
        task_names[0], max(envs.multitask.task_action_sizes(task_names,
                                                            constructors)),
        constructors=constructors)
  time_step_spec = tensor_spec.from_spec(env.time_step_spec())
  action_spec = tensor_spec.from_spec(env.action_spec())
  env.close()
  return time_step_spec, action_spec


def agent_of_run(root_dir):
  """The `PlanetAgent` of a run (variables created), with its task's specs
  (`specs_of_run`); the world model and the planner are the run's (gin).

  Raises:
    ValueError: if the run's stored configuration names no task.
  """
  agent = heads_lib.make_agent(*specs_of_run(root_dir),
                               train_sequence_length=None)
  agent.initialize()
  return agent


registry.register(registry.Kind(NAME, Settings, run, agent_of_run))
