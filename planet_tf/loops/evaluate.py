"""`bin/evaluate`'s logic: an exported policy on its run's task, or a
goal-conditioned policy (GLAMOR) on its run's goals.

The environment is rebuilt from the run's stored configuration, which its
agent kind's loop wrote (`registry`); the policy is the SavedModel alone. A
policy rebuilt from a run's checkpoint to act another way (`acting`: a Dreamer
run planning with CEM, with or without its value) is exported first
(`restore.export_from_run`), so it is evaluated and timed as its export acts.
"""

import os
import tempfile
from typing import List, NamedTuple, Optional

import gin
import numpy as np
import tensorflow as tf

from planet_tf import config
from planet_tf import envs
from planet_tf import run_dir as run_dir_lib
from planet_tf.envs import goal_suite
from planet_tf.evaluation import episodes as episodes_lib
from planet_tf.evaluation import goals
from planet_tf.evaluation import summaries
from planet_tf.loops import registry
from planet_tf.loops import restore


class Evaluation(NamedTuple):
  """What `evaluate` measured.

  Attributes:
    policy: what acted: the SavedModel directory, or for a policy rebuilt
      from a checkpoint, the run, its train step and how it acted.
    returns: each episode's return.
    cost: what one action cost (`episodes.ActionCost`); None if the episodes
      took one action.
    train_step: the train step of the policy's weights.
  """
  policy: str
  returns: List[float]
  cost: Optional[episodes_lib.ActionCost]
  train_step: int


def evaluate(path, num_episodes=10, video_dir=None, task_name=None, seed=None,
             reward_head=None, acting=None, horizon=None,
             gin_bindings=()) -> Evaluation:
  """Evaluates an exported policy on its task; the logic of `bin/evaluate`.

  The environment is built like the run's (action repeat, episode length, ...,
  from its `operative_config.gin`) when `path` belongs to a run. Nothing else of
  the run's configuration is read: the SavedModel carries the model. A policy
  whose action is longer than the task's (a multi-task policy) acts through
  `envs.PaddedActionEnv`: the task receives its own first dimensions. A task
  of the user's own environment (`env_constructors` of the run) is built by
  the run's constructor, configured as in the run (`_run_constructors`).

  Args:
    path: a SavedModel policy directory or a run directory (newest export).
    num_episodes: episodes to run.
    video_dir: if set, each episode is written there as `episode-<i>.gif`.
    task_name: the task; read from the run when None. Needed for a multi-task
      run (one of its tasks) and for a policy outside a run.
    seed: seed of the environment.
    reward_head: for a policy of named rewards (`planet_tf.envs.rewards`): the
      head it plans with, whose reward the returns sum. For a run directory,
      its newest export of that head (`policies/<step>-<head>/`) is taken;
      read from the export's directory name when None.
    acting, horizon, gin_bindings: if any is given, `path` must be a run
      directory, and the policy is rebuilt from its newest checkpoint and
      exported to a temporary directory as `restore.export_from_run` does
      with them (e.g. `acting='cem_value', horizon=5` for a Dreamer run), its
      generator seeded with `seed`.

  Returns:
    An `Evaluation`: what acted, each episode's return, the cost of an action.

  Raises:
    FileNotFoundError: if `path` holds no exported policy (of `reward_head`).
    ValueError: if the task cannot be determined (pass `task_name`), is not one
      of a multi-task run's, or needs a longer action than the policy's; if the
      reward head cannot be determined, is not the export's, or is given for a
      policy without named rewards; for `acting`, `horizon` or `gin_bindings`
      with a `path` that is not a run directory or is a GLAMOR run, and as
      `restore.export_from_run`.
  """
  if acting is None and horizon is None and not gin_bindings:
    policy_dir = run_dir_lib.find_policy_dir(path, reward_head)
    return _evaluate_export(policy_dir, policy_dir,
                            run_dir_lib.find_run_dir(policy_dir), num_episodes,
                            video_dir, task_name, seed, reward_head)
  given = ', '.join(
      ([f'--acting={acting}'] if acting else []) +
      ([f'--horizon={horizon}'] if horizon is not None else []) +
      [f'--gin_param={b!r}' for b in gin_bindings])
  run = run_dir_lib.find_run_dir(path)
  if run is None or os.path.normpath(run) != os.path.normpath(path):
    raise ValueError(f'{given} rebuilds the policy from a run\'s checkpoint: '
                     f'pass the run directory, not {path}.')
  if registry.is_goal_run(run):
    raise ValueError(f'{run} is a GLAMOR run, whose exported policy is tried '
                     f'on its goals as it is; drop {given}.')
  with tempfile.TemporaryDirectory(prefix='planet-evaluate-') as tmp:
    policy_dir = restore.export_from_run(
        run, os.path.join(tmp, 'policy'), gin_bindings=gin_bindings,
        reward_head=reward_head, acting=acting, horizon=horizon, seed=seed)
    result = _evaluate_export(policy_dir, None, run, num_episodes, video_dir,
                              task_name, seed, reward_head)
  acting = acting or registry.kind_of_run(run).actings[0]
  return result._replace(policy=(
      f'{run} at train step {result.train_step}, acting {acting}' +
      (f', horizon {horizon}' if horizon is not None else '')))


def _evaluate_export(policy_dir, described, run_dir, num_episodes, video_dir,
                     task_name, seed, reward_head):
  """`evaluate` of the SavedModel `policy_dir` on the task of `run_dir` (None:
  outside a run); its `Evaluation.policy` is `described`."""
  env_kwargs, run_tasks = {}, None
  if run_dir is not None:
    env_kwargs = run_dir_lib.env_settings_of_run(run_dir)
    run_tasks = registry.tasks_of_run(run_dir)
  if run_tasks and len(run_tasks) > 1:
    if task_name not in run_tasks:
      raise ValueError(
          f'{policy_dir} acts on the tasks {", ".join(run_tasks)} of a '
          'multi-task run; ' + ('pass one of them as the task (--task_name).'
                                if task_name is None else
                                f'{task_name!r} is not one of them.'))
    env_kwargs.pop('action_repeat', None)  # Each task keeps its own.
  elif run_tasks:
    task_name = task_name or run_tasks[0]
  if task_name is None:
    raise ValueError(
        f'Cannot tell the task of {policy_dir}: it is not inside a run directory '
        f'with an operative_config.gin; pass the task name (one of '
        f'{", ".join(sorted(envs.TASKS))}).')
  constructors = ({} if run_dir is None else
                  _run_constructors(run_dir, task_name))
  policy = episodes_lib.load_saved_policy(policy_dir)
  reward_head, env_kwargs = _reward_head(policy, policy_dir, reward_head,
                                         env_kwargs)
  env = _task_env(task_name, policy.action_spec, seed, env_kwargs,
                  constructors)
  timed = episodes_lib.TimedPolicy(policy)
  episodes = episodes_lib.run_episodes(env, timed, num_episodes,
                                       record_frames=video_dir is not None,
                                       reward_name=reward_head)
  env.close()
  if video_dir is not None:
    for i, episode in enumerate(episodes):
      summaries.write_gif(os.path.join(video_dir, f'episode-{i}.gif'),
                          episode.frames)
  return Evaluation(described, [e.reward_sum for e in episodes], timed.cost(),
                    int(np.asarray(policy.get_train_step())))


def _reward_head(policy, policy_dir, reward_head, env_kwargs):
  """The head whose reward an evaluation sums, and the env settings for it.

  Returns:
    `(head or None, env_kwargs)`; a policy of named rewards gets an environment
    with those rewards (`rewards=...`) even outside a run.
  """
  reward_spec = policy.time_step_spec.reward
  if not isinstance(reward_spec, dict):
    if reward_head is not None:
      raise ValueError(f'{policy_dir} acts on its run\'s only reward; it has '
                       'no reward heads to choose from: drop the reward head '
                       f'({reward_head!r}).')
    return None, env_kwargs
  names = tuple(reward_spec)
  exported = run_dir_lib.head_of_policy_dir(policy_dir)
  if reward_head is None:
    reward_head = exported
  if reward_head not in names:
    raise ValueError(
        f'{policy_dir} was trained with the named rewards {", ".join(names)}; '
        + ('pass the head it plans with (--reward_head).' if reward_head is None
           else f'{reward_head!r} is not one of them.'))
  if exported is not None and exported != reward_head:
    raise ValueError(f'{policy_dir} plans with the reward head {exported!r}, '
                     f'not {reward_head!r}.')
  return reward_head, dict(env_kwargs, rewards=names)


def _run_constructors(run_dir, task_name):
  """The user's environment constructors of a run, if `task_name` is one's.

  Only then is the run's operative_config.gin parsed into gin (not finalised):
  its `import` lines import the user's module, and its bindings configure the
  constructor as in training.

  Returns:
    `{task name: constructor}`; `{}` for a task of `envs.TASKS`.
  """
  stored = registry.settings_of_run(run_dir).get('env_constructors')
  if not isinstance(stored, dict) or task_name not in stored:
    return {}
  with gin.unlock_config():
    config.parse_gin([run_dir_lib.RunDir(run_dir).operative_config_path],
                     finalize=False)
  return envs.custom.bound_constructors()


def _task_env(task_name, action_spec, seed, env_kwargs, constructors=None):
  """The task's environment for a policy acting in `action_spec` (`[A]`)."""
  if task_name in (constructors or {}):
    env = envs.custom.load(task_name, constructors, seed)
  else:
    env = envs.load(task_name, seed=seed, **env_kwargs)
  size, policy_size = env.action_spec().shape[0], action_spec.shape[0]
  if size > policy_size:
    env.close()
    raise ValueError(
        f'The policy acts in {policy_size} dimensions but {task_name} needs '
        f'{size}: it was not trained on this task.')
  if size < policy_size:
    env = envs.PaddedActionEnv(env, policy_size)
  return env


def is_goal_policy(path):
  """Whether `path` (a SavedModel or a run directory) is of a run of a
  goal-conditioned kind (GLAMOR).

  A run directory is asked directly, so that `evaluate` names what its
  exports lack (a reward head, say).

  Raises:
    FileNotFoundError: if `path` is not a run directory and holds no exported
      policy.
  """
  run = run_dir_lib.find_run_dir(path)
  if run is None:
    run = run_dir_lib.find_run_dir(run_dir_lib.find_policy_dir(path))
  return registry.is_goal_run(run)


def evaluate_goals(path, num_episodes=None, video_dir=None, seed=None):
  """Evaluates an exported GLAMOR policy on its run's goals.

  The task, horizon, image size and goals are the run's (its stored
  configuration and `train/goals.npz`); the policy is the SavedModel alone
  (no planet_tf model code). Goals are tried in order.

  Args:
    path: a SavedModel directory inside a GLAMOR run, or the run directory
      (its newest export).
    num_episodes: episodes (goals in turn); every goal once when None.
    video_dir: if set, each episode's frames (newest frame beside the goal)
      go there as `episode-<i>-goal-<g>.gif`.
    seed: seed of the environment and of the random baseline.

  Returns:
    `(policy_dir, episodes, random_rate)`: the SavedModel used, its
    `GoalEpisode`s and the random baseline's success rate on the same goals.

  Raises:
    FileNotFoundError: if `path` holds no export or its run no goals.
    ValueError: if the policy is not of a GLAMOR run.
  """
  policy_dir = run_dir_lib.find_policy_dir(path)
  run = run_dir_lib.find_run_dir(policy_dir)
  if not registry.is_goal_run(run):
    raise ValueError(f'{policy_dir} is not inside a GLAMOR run directory '
                     '(trained with a glamor_*.gin file); its goals are '
                     'unknown.')
  settings = registry.settings_of_run(run)
  goal_set = goal_suite.load_goal_set(run_dir_lib.RunDir(run).goals_path)
  num_episodes = num_episodes or len(goal_set.images)
  policy = tf.saved_model.load(policy_dir)
  rates = []
  for evaluated in (policy, None):
    env = goal_suite.load(settings['task_name'], goal_set, settings['horizon'],
                          settings['image_size'], sequential=True, seed=seed)
    rate, episodes = goals.success_rate(
        env, evaluated, num_episodes, seed,
        record=video_dir is not None and evaluated is not None)
    env.close()
    rates.append((rate, episodes))
  (_, episodes), (random_rate, _) = rates
  if video_dir is not None:
    for i, e in enumerate(episodes):
      summaries.write_gif(os.path.join(
          video_dir, f'episode-{i}-goal-{e.goal_index}.gif'), e.frames[..., None])
  return policy_dir, episodes, random_rate
