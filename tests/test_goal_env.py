"""GoalEnv: a task seen as stacked gray frames plus a goal frame, with goals far
apart from random episodes' end states and success judged on labels."""

import numpy as np
import pytest
from tf_agents.trajectories import time_step as ts

from planet_tf.envs import goal_env
from planet_tf.envs import goals
from planet_tf.envs.wrappers import grayscale

TASK = 'point_mass_easy'


@pytest.fixture(scope='module')
def goal_set():
  return goal_env.make_goal_set(TASK, num_goals=3, num_episodes=8, horizon=10,
                                image_size=32, seed=0)


def test_a_goal_set_holds_far_apart_end_states_and_their_images(goal_set):
  assert goal_set.images.shape == (3, 32, 32, 1)
  assert goal_set.images.dtype == np.uint8
  assert goal_set.labels.shape == (3, 2) and goal_set.ranges.shape == (2,)
  # The goals are distinct states, and their images differ.
  assert len({tuple(l) for l in goal_set.labels.tolist()}) == 3
  assert np.any(goal_set.images[0] != goal_set.images[1])


def test_the_goal_image_is_what_the_agent_sees_at_that_state(goal_set):
  env = goal_env.load_goal_env(TASK, goal_set, horizon=10, image_size=32,
                               seed=0, sequential=True)
  env.reset()
  index = env.goal_index
  # Put the simulator in a state with the goal's labels (point_mass: the
  # position is the whole state that is drawn) and look.
  physics = env.wrapped_env().physics
  with physics.reset_context():
    physics.data.qpos[:] = goal_set.labels[index]
    physics.data.qvel[:] = 0
  assert env.success()
  frame = env.render()
  assert np.abs(grayscale(frame).astype(int) -
                goal_set.images[index].astype(int)).max() <= 1
  env.close()


def test_episodes_show_the_goal_and_end_at_the_horizon(goal_set):
  env = goal_env.load_goal_env(TASK, goal_set, horizon=4, image_size=32,
                               seed=0, sequential=True)
  spec = env.observation_spec()
  assert spec['observation'].shape == (32, 32, 4)
  assert spec['goal'].shape == (32, 32, 1)
  assert env.action_spec().maximum == 8
  indices = []
  for _ in range(4):
    step = env.reset()
    indices.append(env.goal_index)
    np.testing.assert_array_equal(step.observation['goal'],
                                  goal_set.images[env.goal_index])
    for t in range(4):
      step = env.step(np.int32(t % 9))
      assert step.observation['observation'].shape == (32, 32, 4)
    assert step.step_type == ts.StepType.LAST
  assert indices == [0, 1, 2, 0]  # Sequential goals cycle.
  assert env.labels().shape == (2,)
  env.close()


def test_success_compares_the_current_labels_with_the_goals(goal_set):
  probe = goal_env.load_goal_env(TASK, goal_set, horizon=4, image_size=32,
                                 seed=1)
  probe.reset()
  here = probe.labels()
  probe.close()
  # The same seed starts in the same state; goals 5% or 20% of a range away.
  for offset, reached in [(0.05, True), (0.2, False)]:
    moved = goal_set._replace(labels=np.tile(here + offset * goal_set.ranges,
                                             (3, 1)))
    env = goal_env.load_goal_env(TASK, moved, horizon=4, image_size=32, seed=1)
    env.reset()
    np.testing.assert_array_equal(env.labels(), here)
    assert env.success() == reached
    assert goals.is_success(here, moved.labels[0], goal_set.ranges) == reached
    env.close()
