"""Evaluating a policy: whole episodes through a TF-Agents `PyDriver`, with videos.

Used by the training loop (the greedy `CemPolicy`) and by `bin/evaluate` (an
exported SavedModel, which acts without planet_tf).
"""

import os
from typing import List, NamedTuple, Optional

import gin
import numpy as np
from tf_agents.drivers import py_driver
from tf_agents.policies import py_tf_eager_policy

from planet_tf import config
from planet_tf import envs
from planet_tf import run_dir as run_dir_lib
from planet_tf import summaries


class Episode(NamedTuple):
  """One evaluation episode: its undiscounted `reward_sum` and its `frames`.

  `frames` is uint8 `[T + 1, H, W, C]` (every observation, the last one included)
  when videos were asked for, else None.
  """
  reward_sum: float
  frames: Optional[np.ndarray]


class _EpisodeRecorder:
  """A `PyDriver` observer that sums rewards and keeps frames, episode by episode.

  Trajectories are unbatched or `[1, ...]`; a boundary step (LAST -> FIRST) ends
  the episode and carries its final observation.
  """

  def __init__(self, record_frames, reward_name=None):
    self._record_frames = record_frames
    self._reward_name = reward_name
    self.episodes: List[Episode] = []
    self._reward_sum = 0.0
    self._frames = []

  def __call__(self, traj):
    boundary = bool(np.all(traj.is_boundary()))
    if self._record_frames:
      self._frames.append(np.asarray(traj.observation).reshape(
          np.shape(traj.observation)[-3:]))
    if not boundary:
      self._reward_sum += float(np.sum(self._reward(traj.reward)))
    else:
      frames = np.stack(self._frames) if self._record_frames else None
      self.episodes.append(Episode(self._reward_sum, frames))
      self._reward_sum, self._frames = 0.0, []

  def _reward(self, reward):
    if not isinstance(reward, dict):
      return reward
    if self._reward_name not in reward:
      raise ValueError(f'The environment has named rewards {sorted(reward)}; '
                       'say which one an episode\'s return sums (reward_name).')
    return reward[self._reward_name]


def as_py_policy(policy):
  """Wraps a `TFPolicy` for a `PyDriver`; the action is a traced `tf.function`."""
  return py_tf_eager_policy.PyTFEagerPolicy(policy, use_tf_function=True,
                                            batch_time_steps=True)


def run_episodes(env, policy, num_episodes, record_frames=False,
                 reward_name=None):
  """Runs `num_episodes` whole episodes of `policy` in `env`.

  Args:
    env: an unbatched `PyEnvironment` (e.g. `planet_tf.envs.load(...)`).
    policy: a `PyPolicy`, e.g. `as_py_policy(tf_policy)` or a
      `SavedModelPyTFEagerPolicy`; its state starts at `get_initial_state(1)`.
    num_episodes: episodes to run, >= 1.
    record_frames: keep every observation of each episode.
    reward_name: for an environment with named rewards (a dict reward), the
      one each episode's `reward_sum` sums.

  Returns:
    A list of `Episode`s.
  """
  if num_episodes < 1:
    raise ValueError(f'num_episodes must be >= 1, got {num_episodes}.')
  recorder = _EpisodeRecorder(record_frames, reward_name)
  driver = py_driver.PyDriver(env, policy, observers=[recorder],
                              max_episodes=num_episodes)
  driver.run(env.reset(), policy.get_initial_state(1))
  return recorder.episodes


def load_saved_policy(policy_dir):
  """Loads an exported policy as a `PyPolicy` (no planet_tf code involved)."""
  return py_tf_eager_policy.SavedModelPyTFEagerPolicy(
      policy_dir, load_specs_from_pbtxt=True, use_tf_function=True)


def evaluate(path, num_episodes=10, video_dir=None, task_name=None, seed=None,
             reward_head=None):
  """Evaluates an exported policy on its task; the logic of `bin/evaluate`.

  The environment is built like the run's (action repeat, episode length, ...,
  from its `operative_config.gin`) when `path` belongs to a run. Nothing else of
  the run's configuration is read: the SavedModel carries the model. A policy
  whose action is longer than the task's (a multi-task policy) acts through
  `envs.PaddedActionEnv`: the task receives its own first dimensions. A task
  of the user's own environment (`train_eval.env_constructors`) is built by
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

  Returns:
    `(policy_dir, returns)`: the SavedModel used and the list of episode returns.

  Raises:
    FileNotFoundError: if `path` holds no exported policy (of `reward_head`).
    ValueError: if the task cannot be determined (pass `task_name`), is not one
      of a multi-task run's, or needs a longer action than the policy's; if the
      reward head cannot be determined, is not the export's, or is given for a
      policy without named rewards.
  """
  policy_dir = run_dir_lib.find_policy_dir(path, reward_head)
  run_dir = run_dir_lib.find_run_dir(policy_dir)
  env_kwargs, run_tasks = {}, None
  if run_dir is not None:
    env_kwargs = run_dir_lib.env_settings_of_run(run_dir)
    run_tasks = run_dir_lib.tasks_of_run(run_dir)
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
  policy = load_saved_policy(policy_dir)
  reward_head, env_kwargs = _reward_head(policy, policy_dir, reward_head,
                                         env_kwargs)
  env = _task_env(task_name, policy.action_spec, seed, env_kwargs,
                  constructors)
  episodes = run_episodes(env, policy, num_episodes,
                          record_frames=video_dir is not None,
                          reward_name=reward_head)
  env.close()
  if video_dir is not None:
    for i, episode in enumerate(episodes):
      summaries.write_gif(os.path.join(video_dir, f'episode-{i}.gif'),
                          episode.frames)
  return policy_dir, [e.reward_sum for e in episodes]


def _reward_head(policy, policy_dir, reward_head, env_kwargs):
  """The head whose reward an evaluation sums, and the env settings for it.

  Returns:
    `(head or None, env_kwargs)`; a policy of named rewards gets an environment
    with those rewards (`rewards=...`) even outside a run.
  """
  reward_spec = policy.time_step_spec.reward
  if not isinstance(reward_spec, dict):
    if reward_head is not None:
      raise ValueError(f'{policy_dir} plans with a run\'s only reward; it has '
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
  stored = run_dir_lib.configurable_settings(run_dir, 'train_eval').get(
      'env_constructors')
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
