"""GLAMOR's goal tasks: state labels, their ranges, the success rule, goal choice.

Labels describe the simulator state for choosing goals and judging success
only; the agent never sees them. Each task reads them from one of dm_control's
own observation entries (`task.get_observation(physics)`), as the paper does.
"""

from typing import NamedTuple, Sequence

import numpy as np

from planet_tf.envs import tasks
from planet_tf.envs.wrappers import discrete_actions

# A state is within reach of the goal when every label is within this fraction
# of that label's range of the goal's (the paper's 10%).
SUCCESS_TOLERANCE = 0.1


class GoalTask(NamedTuple):
  """A dm_control task for goal reaching and where its labels come from.

  `observation_key[indices]` of `task.get_observation(physics)` are the labels;
  `frame_skip` is the simulator steps per agent step.
  """
  domain: str
  task: str
  observation_key: str
  indices: Sequence[int]
  frame_skip: int


GOAL_TASKS = {
    # Cart x and the cosine and sine of the pole angle.
    'cartpole_balance': GoalTask('cartpole', 'balance', 'position', (0, 1, 2), 1),
    'finger_spin': GoalTask('finger', 'spin', 'position', (0, 1, 2, 3), 1),
    'cup_catch': GoalTask('ball_in_cup', 'catch', 'position', (0, 1, 2, 3), 1),
    'reacher_hard': GoalTask('reacher', 'hard', 'position', (0, 1), 1),
    'reacher_easy': GoalTask('reacher', 'easy', 'position', (0, 1), 1),
    'point_mass_easy': GoalTask('point_mass', 'easy', 'position', (0, 1), 4),
    'pendulum_swingup': GoalTask('pendulum', 'swingup', 'orientation', (0, 1), 1),
}


def get_goal_task(task_name: str) -> GoalTask:
  """Returns the `GoalTask` called `task_name`.

  Raises:
    ValueError: naming the unknown task and listing the valid names.
  """
  return tasks.lookup(GOAL_TASKS, task_name, 'goal task')


def state_labels(task_name, dm_env):
  """The labels of `dm_env`'s current state, float32 `[L]`.

  Args:
    task_name: a key of `GOAL_TASKS`.
    dm_env: the task's dm_control `control.Environment`.
  """
  task = get_goal_task(task_name)
  observation = dm_env.task.get_observation(dm_env.physics)
  values = np.asarray(observation[task.observation_key], np.float32).reshape(-1)
  return values[list(task.indices)]


def random_rollout_labels(task_name, num_episodes, horizon, seed=None):
  """Labels of every state of random-action episodes, without rendering.

  Actions are uniform over the discrete set `{minimum, middle, maximum}^A`
  the agent acts in, `horizon` agent steps (of `frame_skip` simulator steps)
  per episode.

  Returns:
    `(labels [num_episodes, horizon + 1, L], final_states)`: `labels[:, 0]` is
    the state after reset; `final_states` holds each episode's physics state
    (`physics.get_state()`, `[num_episodes, S]`), from which a goal image can be
    rendered later.
  """
  # Imported here so that MUJOCO_GL is set first, as in `envs.load`.
  from dm_control import suite  # pylint: disable=g-import-not-at-top
  task = get_goal_task(task_name)
  rng = np.random.default_rng(seed)
  dm_env = suite.load(task.domain, task.task, task_kwargs={
      'random': None if seed is None else int(rng.integers(2**31))})
  spec = dm_env.action_spec()
  actions = discrete_actions(spec.minimum, spec.maximum)
  labels, final_states = [], []
  for _ in range(num_episodes):
    dm_env.reset()
    episode = [state_labels(task_name, dm_env)]
    for _ in range(horizon):
      action = actions[rng.integers(len(actions))]
      for _ in range(task.frame_skip):
        dm_env.step(action)
      episode.append(state_labels(task_name, dm_env))
    labels.append(episode)
    final_states.append(dm_env.physics.get_state().copy())
  return np.asarray(labels, np.float32), np.asarray(final_states)


def label_ranges(labels):
  """Each label's range `max - min` over `labels [..., L]`, float32 `[L]`.

  A label that never moved gets range 1, so that the success rule still asks
  for it to be (nearly) equal rather than dividing by zero.
  """
  labels = np.asarray(labels, np.float32)
  flat = labels.reshape(-1, labels.shape[-1])
  ranges = flat.max(axis=0) - flat.min(axis=0)
  return np.where(ranges > 0, ranges, 1.0).astype(np.float32)


def is_success(labels, goal_labels, ranges, tolerance=SUCCESS_TOLERANCE):
  """Whether every label is within `tolerance * range` of the goal's.

  Args:
    labels: the labels of the state where the agent stopped, `[..., L]`.
    goal_labels: the goal state's labels, `[..., L]` (broadcast with `labels`).
    ranges: `[L]`, from `label_ranges`.
    tolerance: the fraction of each range allowed (0.1 in the paper).

  Returns:
    bool `[...]`.
  """
  distance = np.abs(np.asarray(labels) - np.asarray(goal_labels))
  return np.all(distance <= tolerance * np.asarray(ranges), axis=-1)


def select_goals(labels, num_goals, ranges=None, first=0):
  """Picks `num_goals` candidates far apart: greedy max-min distance.

  Starting from candidate `first`, each next goal is the candidate whose
  distance to its nearest chosen goal is largest. Distances are Euclidean over
  labels divided by `ranges` (so that no label dominates by its units); raw
  labels when `ranges` is None.

  Args:
    labels: `[N, L]`, the candidates' labels (e.g. end states of random
      episodes).
    num_goals: how many to choose, `1 <= num_goals <= N`.
    ranges: optional `[L]` scales.
    first: index of the first goal.

  Returns:
    int64 indices `[num_goals]` into `labels`, distinct, in the order chosen.
  """
  points = np.asarray(labels, np.float64)
  if points.ndim != 2:
    raise ValueError(f'labels must be [N, L], got shape {points.shape}.')
  if not 1 <= num_goals <= len(points):
    raise ValueError(
        f'num_goals must be in [1, {len(points)}], got {num_goals}.')
  if ranges is not None:
    points = points / np.asarray(ranges, np.float64)
  chosen = [int(first)]
  nearest = np.linalg.norm(points - points[first], axis=-1)
  for _ in range(num_goals - 1):
    nearest[chosen] = -np.inf  # A chosen candidate is never chosen again.
    index = int(np.argmax(nearest))
    chosen.append(index)
    nearest = np.minimum(nearest,
                         np.linalg.norm(points - points[index], axis=-1))
  return np.asarray(chosen, np.int64)
