"""The PlaNet pixel tasks as TF-Agents environments (and the user's own,
`custom`), and GLAMOR's goal tasks.

Importing this package sets `MUJOCO_GL=egl` unless the user has chosen a backend
(dm_control reads it when it is first imported, in `suite.load`).
"""

import os

os.environ.setdefault('MUJOCO_GL', 'egl')

# pylint: disable=g-import-not-at-top,wrong-import-position
from planet_tf.envs import custom
from planet_tf.envs import multitask
from planet_tf.envs.goal_env import GoalEnv, GoalSet, load_goal_env, make_goal_set
from planet_tf.envs.goals import GOAL_TASKS, GoalTask, get_goal_task
from planet_tf.envs.grid_world import GridWorld, load_grid_goal_env
from planet_tf.envs.multitask import PaddedActionEnv
from planet_tf.envs.pixels import PixelControlEnv
from planet_tf.envs.suite import load
from planet_tf.envs.suite import load_tf
from planet_tf.envs.tasks import TASKS, Task, get_task
from planet_tf.envs.wrappers import DiscreteActions, GrayscaleFrameStack
# pylint: enable=g-import-not-at-top,wrong-import-position

__all__ = ['TASKS', 'Task', 'PaddedActionEnv', 'PixelControlEnv', 'get_task',
           'load', 'load_tf', 'custom', 'multitask',
           'GOAL_TASKS', 'GoalTask', 'get_goal_task', 'DiscreteActions',
           'GrayscaleFrameStack', 'GoalEnv', 'GoalSet', 'load_goal_env',
           'make_goal_set', 'GridWorld', 'load_grid_goal_env']
