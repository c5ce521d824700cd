"""The grid world: one lit cell moved by 4 actions, walls hold it, episodes end
at the horizon, and success means the goal's very cell."""

import numpy as np
import tensorflow as tf

from planet_tf.evaluation import goals as goal_evaluation
from planet_tf.envs import grid_world
from planet_tf.networks import ImpalaEncoder

UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3


def test_a_frame_lights_the_agents_cell_only():
  frame = grid_world.draw((1, 2), size=7, cell=4)
  assert frame.shape == (28, 28, 1) and frame.dtype == np.uint8
  assert np.all(frame[4:8, 8:12] == 255)
  assert frame.sum() == 16 * 255


def test_moves_walls_and_the_horizon():
  env = grid_world.GridWorld(size=7, cell=4, horizon=5)
  first = env.reset()
  np.testing.assert_array_equal(env.labels(), [3, 3])  # The centre.
  np.testing.assert_array_equal(first.observation, grid_world.draw((3, 3)))
  for _ in range(3):
    env.step(np.int32(UP))
  np.testing.assert_array_equal(env.labels(), [0, 3])
  step = env.step(np.int32(UP))  # Into the wall: stays.
  np.testing.assert_array_equal(env.labels(), [0, 3])
  assert not step.is_last()
  step = env.step(np.int32(LEFT))
  np.testing.assert_array_equal(env.labels(), [0, 2])
  assert step.is_last()  # 5 actions.
  assert env.step(np.int32(DOWN)).is_first()  # It resets itself.


def test_success_is_the_goals_very_cell():
  goals = grid_world.grid_goal_set(cells=[(2, 3)])
  env = grid_world.load_grid_goal_env(goal_set=goals, horizon=10)
  step = env.reset()
  np.testing.assert_array_equal(step.observation['goal'], goals.images[0])
  assert step.observation['observation'].shape == (28, 28, 1)
  assert not env.success()
  env.step(np.int32(UP))
  assert env.success()
  env.step(np.int32(RIGHT))  # A neighbour is not the goal.
  assert not env.success()


def test_every_cell_is_a_goal_by_default_and_the_encoder_reads_the_frames():
  goals = grid_world.grid_goal_set()
  assert goals.images.shape == (49, 28, 28, 1)
  np.testing.assert_array_equal(goals.ranges, [6, 6])
  features = ImpalaEncoder()(tf.constant(goals.images[:2]))
  assert features.shape == (2, 512)  # 28 -> 13 -> 6 -> 2 through the stages.


def test_the_random_baseline_rarely_reaches_a_cell():
  env = grid_world.load_grid_goal_env(sequential=True)
  rate, episodes = goal_evaluation.success_rate(env, None, num_episodes=49,
                                                seed=0)
  assert all(e.steps == 10 for e in episodes)
  assert rate < 0.2
