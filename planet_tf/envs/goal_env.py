"""A GLAMOR goal-reaching episode as a TF-Agents environment.

`make_goal_set` collects random-policy episodes of a task, keeps the end states
of a far-apart subset as goals (their labels and gray goal images) and the
labels' ranges; `GoalEnv` plays an episode toward one of those goals, over any
discrete pixel environment; `load_goal_env` builds it for a dm_control task.
"""

from typing import NamedTuple

import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec

from planet_tf.envs import goals as goals_lib
from planet_tf.envs import wrappers
from planet_tf.envs.pixels import PixelControlEnv


class GoalSet(NamedTuple):
  """Goals of a task and what judging success needs.

  images: uint8 `[G, H, W, 1]`, each goal state rendered in gray.
  labels: float32 `[G, L]`, each goal state's labels.
  ranges: float32 `[L]`, the labels' ranges over random rollouts.
  """
  images: np.ndarray
  labels: np.ndarray
  ranges: np.ndarray


def _load_dm_env(task_name, seed):
  # Imported here so that MUJOCO_GL is set first, as in `envs.load`.
  from dm_control import suite  # pylint: disable=g-import-not-at-top
  task = goals_lib.get_goal_task(task_name)
  return suite.load(task.domain, task.task, task_kwargs={'random': seed})


def make_goal_set(task_name, num_goals, num_episodes, horizon, image_size=64,
                  seed=None):
  """Goals far apart among the end states of random episodes.

  Args:
    task_name: a key of `GOAL_TASKS`.
    num_goals: G, how many goals to keep (<= num_episodes).
    num_episodes: random-policy episodes collected (their end states are the
      candidates; all their states give the ranges).
    horizon: agent steps per episode (k: 100 on the control tasks).
    image_size: height and width of the goal images.
    seed: seed of the rollouts and of the first goal's choice.

  Returns:
    A `GoalSet`.
  """
  labels, states = goals_lib.random_rollout_labels(task_name, num_episodes,
                                                   horizon, seed)
  ranges = goals_lib.label_ranges(labels)
  first = np.random.default_rng(seed).integers(num_episodes)
  chosen = goals_lib.select_goals(labels[:, -1], num_goals, ranges, first)
  dm_env = _load_dm_env(task_name, seed)
  dm_env.reset()
  images = []
  for state in states[chosen]:
    with dm_env.physics.reset_context():
      dm_env.physics.set_state(state)
    images.append(wrappers.grayscale(dm_env.physics.render(
        height=image_size, width=image_size, camera_id=0)))
  dm_env.physics.free()
  return GoalSet(images=np.stack(images), labels=labels[chosen, -1],
                 ranges=ranges)


class GoalEnv(py_environment.PyEnvironment):
  """Episodes toward a goal of a `GoalSet`, over any discrete pixel environment.

  Observation: `{'observation': the wrapped env's uint8 [H, W, C], 'goal':
  uint8 [H, W, 1]}`. Action, reward and episode ends: the wrapped env's (GLAMOR
  never reads the reward; it learns from relabelling). Whether the goal is
  reached is `success()`, judged at the current state (an evaluation calls it
  where the agent stops, or at the horizon).

  Each reset takes the next goal in order (`sequential=True`: episode i
  toward goal i mod G, for evaluation) or one uniformly at random.
  """

  def __init__(self, env, labels_fn, goal_set: GoalSet, sequential=False,
               seed=None):
    """Args:

      env: a `PyEnvironment` with uint8 `[H, W, C]` observations (e.g. stacked
        gray frames) that resets itself after its last step.
      labels_fn: `() -> float32 [L]`, the labels of `env`'s current state.
      goal_set: the goals; images `[G, H, W, 1]`.
      sequential: cycle through the goals instead of drawing them.
      seed: seed of the goal draws.
    """
    super().__init__(handle_auto_reset=True)
    frame = tuple(env.observation_spec().shape[:2]) + (1,)
    if goal_set.images.shape[1:] != frame:
      raise ValueError(f'Goal images of shape {goal_set.images.shape[1:]} do '
                       f'not match frames of {frame}.')
    self._env = env
    self._labels_fn = labels_fn
    self._goals = goal_set
    self._sequential = sequential
    self._rng = np.random.default_rng(seed)
    self._episodes = 0
    self._goal_index = 0
    self._observation_spec = {
        'observation': env.observation_spec(),
        'goal': array_spec.BoundedArraySpec(frame, np.uint8, 0, 255,
                                            name='goal')}

  def observation_spec(self):
    return self._observation_spec

  def action_spec(self):
    return self._env.action_spec()

  def wrapped_env(self):
    return self._env

  @property
  def goal_index(self):
    """The index of this episode's goal in the `GoalSet`."""
    return self._goal_index

  @property
  def num_goals(self):
    """G, the goals of its `GoalSet`."""
    return len(self._goals.images)

  def labels(self):
    """The current state's labels, float32 `[L]`."""
    return self._labels_fn()

  def success(self):
    """Whether every label is within 10% of its range of the goal's."""
    return bool(goals_lib.is_success(self.labels(),
                                     self._goals.labels[self._goal_index],
                                     self._goals.ranges))

  def _with_goal(self, time_step):
    return time_step._replace(observation={
        'observation': time_step.observation,
        'goal': self._goals.images[self._goal_index]})

  def _reset(self):
    count = len(self._goals.images)
    self._goal_index = (self._episodes % count if self._sequential
                        else int(self._rng.integers(count)))
    self._episodes += 1
    return self._with_goal(self._env.reset())

  def _step(self, action):
    return self._with_goal(self._env.step(action))

  def render(self, mode='rgb_array'):
    return self._env.render(mode)

  def close(self):
    self._env.close()


def load_goal_env(task_name, goal_set, horizon, image_size=64, num_frames=4,
                  sequential=False, seed=None) -> GoalEnv:
  """A dm_control goal task as GLAMOR sees it.

  `GrayscaleFrameStack(DiscreteActions(PixelControlEnv))` of `horizon` agent
  steps (`frame_skip` simulator steps each) inside a `GoalEnv` whose labels
  are the task's (`goals.state_labels`). `env.wrapped_env().physics` is the
  simulator.

  Args:
    task_name: a key of `GOAL_TASKS`.
    goal_set: from `make_goal_set` with the same `image_size`.
    horizon: agent steps per episode.
    image_size, num_frames: the frames' size and how many are stacked.
    sequential, seed: as `GoalEnv`; `seed` also seeds the task.
  """
  task = goals_lib.get_goal_task(task_name)
  dm_env = _load_dm_env(task_name, seed)
  env = wrappers.GrayscaleFrameStack(wrappers.DiscreteActions(
      PixelControlEnv(dm_env, action_repeat=task.frame_skip,
                      image_size=image_size,
                      episode_length=horizon * task.frame_skip)), num_frames)
  return GoalEnv(env, lambda: goals_lib.state_labels(task_name, dm_env),
                 goal_set, sequential=sequential, seed=seed)
