"""A small grid world from pixels: a GLAMOR task that fits a CPU.

The agent is the one lit cell of a `size x size` grid, drawn as `cell x cell`
pixels; 4 actions move it up, right, down or left (into a wall: it stays). An
episode starts at the centre and lasts `horizon` steps. The labels are its
(row, column), so with ranges of `size - 1` the 10% success rule asks for the
goal's very cell.
"""

import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from planet_tf.envs.goal_env import GoalEnv
from planet_tf.envs.goal_env import GoalSet

# Row and column change of each action: up, right, down, left.
MOVES = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], np.int64)


def draw(position, size=7, cell=4):
  """The frame of the agent at `position` (row, column): uint8 `[S, S, 1]`,
  S = size * cell, 255 on its cell and 0 elsewhere."""
  frame = np.zeros([size * cell, size * cell, 1], np.uint8)
  row, column = (int(p) * cell for p in position)
  frame[row:row + cell, column:column + cell] = 255
  return frame


class GridWorld(py_environment.PyEnvironment):
  """Observation: uint8 `[size * cell, size * cell, 1]`; action: int32 in [0, 3].

  Reward 0 and discount 1 at every step; the episode ends (LAST) after
  `horizon` actions.
  """

  def __init__(self, size=7, cell=4, horizon=10):
    super().__init__(handle_auto_reset=True)
    if size < 2 or cell < 1 or horizon < 1:
      raise ValueError(f'GridWorld needs size >= 2, cell >= 1, horizon >= 1; '
                       f'got {size}, {cell}, {horizon}.')
    self._size, self._cell, self._horizon = int(size), int(cell), int(horizon)
    self._position = np.array([size // 2, size // 2])
    self._steps = 0
    pixels = self._size * self._cell
    self._observation_spec = array_spec.BoundedArraySpec(
        (pixels, pixels, 1), np.uint8, 0, 255, name='pixels')
    self._action_spec = array_spec.BoundedArraySpec(
        (), np.int32, 0, len(MOVES) - 1, name='action')

  def observation_spec(self):
    return self._observation_spec

  def action_spec(self):
    return self._action_spec

  def labels(self):
    """(row, column) of the agent, float32 `[2]`."""
    return self._position.astype(np.float32)

  def _frame(self):
    return draw(self._position, self._size, self._cell)

  def _reset(self):
    self._position = np.array([self._size // 2, self._size // 2])
    self._steps = 0
    return ts.restart(self._frame())

  def _step(self, action):
    move = MOVES[int(np.asarray(action).reshape(()))]
    self._position = np.clip(self._position + move, 0, self._size - 1)
    self._steps += 1
    if self._steps >= self._horizon:
      return ts.termination(self._frame(), np.float32(0))
    return ts.transition(self._frame(), np.float32(0), np.float32(1))

  def render(self, mode='rgb_array'):
    del mode
    return np.repeat(self._frame(), 3, axis=-1)


def grid_goal_set(size=7, cell=4, cells=None) -> GoalSet:
  """Goals at `cells` (`[G, 2]` rows and columns; every cell when None)."""
  if cells is None:
    cells = [(r, c) for r in range(size) for c in range(size)]
  cells = np.asarray(cells, np.int64).reshape(-1, 2)
  return GoalSet(images=np.stack([draw(c, size, cell) for c in cells]),
                 labels=cells.astype(np.float32),
                 ranges=np.full([2], size - 1, np.float32))


def load_grid_goal_env(size=7, cell=4, horizon=10, goal_set=None,
                       sequential=False, seed=None) -> GoalEnv:
  """The grid world toward goals of `goal_set` (every cell when None)."""
  env = GridWorld(size, cell, horizon)
  goal_set = goal_set if goal_set is not None else grid_goal_set(size, cell)
  return GoalEnv(env, env.labels, goal_set, sequential=sequential, seed=seed)
