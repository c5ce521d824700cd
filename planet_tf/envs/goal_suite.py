"""GLAMOR's goal tasks by name: the grid world or a dm_control task, one way in.

`make_goals` builds a task's `GoalSet`, `load` its `GoalEnv`; `save_goal_set`
and `load_goal_set` keep a run's goals on disk, so that a resumed run, an
export and an evaluation use the very goals the run was trained toward.
"""

import numpy as np

from planet_tf import files
from planet_tf.envs import goal_env
from planet_tf.envs import goals as goals_lib
from planet_tf.envs import grid_world

# The CPU check: a 7x7 grid world (its goal set: every cell, or a
# far-apart subset).
GRID_WORLD = 'grid_world'
GRID_SIZE = 7


def task_names():
  """Every GLAMOR task name: the grid world and the `GOAL_TASKS`."""
  return [GRID_WORLD] + sorted(goals_lib.GOAL_TASKS)


def check_task(task_name, image_size):
  """Raises ValueError for an unknown task or an image size it cannot draw."""
  if task_name == GRID_WORLD:
    if int(image_size) % GRID_SIZE or int(image_size) < GRID_SIZE:
      raise ValueError(
          f'The grid world draws {GRID_SIZE} cells of equal size: image_size '
          f'must be a multiple of {GRID_SIZE}, got {image_size} (28 draws '
          '4x4-pixel cells).')
  elif task_name not in goals_lib.GOAL_TASKS:
    raise ValueError(f'Unknown GLAMOR task {task_name!r}; valid tasks are: '
                     f'{", ".join(task_names())}.')


def make_goals(task_name, num_goals, num_episodes, horizon, image_size,
               seed=None) -> goal_env.GoalSet:
  """A task's goals: far apart among reachable states.

  Args:
    task_name: one of `task_names()`.
    num_goals: G; the grid world keeps every cell when G >= its 49 cells,
      else a far-apart subset (from a random first cell).
    num_episodes: random episodes whose end states are the candidates
      (dm_control tasks; unused by the grid world).
    horizon: agent steps per episode, k.
    image_size: height and width of the goal images.
    seed: seed of the rollouts and of the first goal.

  Returns:
    A `GoalSet` with images uint8 `[G, image_size, image_size, 1]`.
  """
  check_task(task_name, image_size)
  if task_name != GRID_WORLD:
    return goal_env.make_goal_set(task_name, num_goals, num_episodes, horizon,
                                  image_size, seed)
  cell = int(image_size) // GRID_SIZE
  every = grid_world.grid_goal_set(GRID_SIZE, cell)
  if num_goals >= len(every.labels):
    return every
  first = np.random.default_rng(seed).integers(len(every.labels))
  chosen = goals_lib.select_goals(every.labels, num_goals, every.ranges, first)
  return goal_env.GoalSet(every.images[chosen], every.labels[chosen],
                          every.ranges)


def load(task_name, goal_set, horizon, image_size, sequential=False,
         seed=None) -> goal_env.GoalEnv:
  """The `GoalEnv` of `task_name` toward `goal_set`, episodes of `horizon` steps.

  The grid world's observation is one frame `[S, S, 1]`, a dm_control task's
  4 stacked gray frames `[S, S, 4]` (S = image_size).
  """
  check_task(task_name, image_size)
  if task_name == GRID_WORLD:
    return grid_world.load_grid_goal_env(
        GRID_SIZE, int(image_size) // GRID_SIZE, horizon, goal_set,
        sequential=sequential, seed=seed)
  return goal_env.load_goal_env(task_name, goal_set, horizon, image_size,
                                sequential=sequential, seed=seed)


def save_goal_set(path, goal_set):
  """Writes `goal_set` to `path` (`.npz`), atomically."""
  files.atomic_write(path, lambda f: np.savez_compressed(
      f, **goal_set._asdict()))


def load_goal_set(path) -> goal_env.GoalSet:
  """Reads a `GoalSet` written by `save_goal_set`.

  Raises:
    FileNotFoundError: if `path` does not exist.
    ValueError: if it is empty, truncated or holds no goal set, naming it.
  """
  try:
    with np.load(path) as data:
      return goal_env.GoalSet(**{k: data[k] for k in goal_env.GoalSet._fields})
  except FileNotFoundError:
    raise
  except Exception as e:  # pylint: disable=broad-except
    # An empty file is an EOFError, a truncated one a BadZipFile, zlib or
    # ValueError, a foreign one a KeyError.
    raise ValueError(
        f'Cannot read goal file {path}: {type(e).__name__}: {e}. It is empty, '
        'truncated or holds no goal set; move it away to continue: a resumed '
        'run draws its goals again (the same ones for a seeded run).') from e
