"""GLAMOR's goal tasks: labels from dm_control, ranges, the 10% success rule,
far-apart goals, discrete actions and stacked gray frames."""

import numpy as np
import pytest
from dm_control import suite
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from planet_tf import envs
from planet_tf.envs import goals
from planet_tf.envs import wrappers

# Label counts the issue lists: cart x with cos/sin of the pole, finger and cup
# position 0..3, reacher / point_mass position 0..1, pendulum orientation 0..1.
LABEL_SIZES = {'cartpole_balance': 3, 'finger_spin': 4, 'cup_catch': 4,
               'reacher_hard': 2, 'point_mass_easy': 2, 'pendulum_swingup': 2}


@pytest.mark.parametrize('task_name', sorted(LABEL_SIZES))
def test_labels_are_dm_controls_own_observation_entries(task_name):
  task = envs.get_goal_task(task_name)
  dm_env = suite.load(task.domain, task.task, task_kwargs={'random': 0})
  step = dm_env.reset()
  labels = goals.state_labels(task_name, dm_env)
  assert labels.shape == (LABEL_SIZES[task_name],) and labels.dtype == np.float32
  np.testing.assert_allclose(
      labels, step.observation[task.observation_key][list(task.indices)],
      rtol=1e-6)


def test_only_point_mass_skips_frames():
  assert {n: t.frame_skip for n, t in envs.GOAL_TASKS.items()
          if t.frame_skip != 1} == {'point_mass_easy': 4}


def test_unknown_goal_task_names_the_valid_ones():
  with pytest.raises(ValueError, match='reacher_hard'):
    envs.get_goal_task('reacher_impossible')


def test_random_rollouts_give_labels_and_their_ranges():
  labels, states = goals.random_rollout_labels('reacher_hard', num_episodes=3,
                                               horizon=20, seed=0)
  assert labels.shape == (3, 21, 2) and states.shape[0] == 3
  ranges = goals.label_ranges(labels)
  np.testing.assert_allclose(
      ranges, labels.reshape(-1, 2).max(0) - labels.reshape(-1, 2).min(0))
  assert np.all(ranges > 0)  # Random actions move both joints.
  again, _ = goals.random_rollout_labels('reacher_hard', 3, 20, seed=0)
  np.testing.assert_array_equal(labels, again)


def test_a_label_that_never_moves_gets_range_one():
  labels = np.array([[0.0, 2.0], [1.0, 2.0]])
  np.testing.assert_array_equal(goals.label_ranges(labels), [1.0, 1.0])


def test_success_needs_every_label_within_ten_percent_of_its_range():
  ranges = np.array([2.0, 10.0])
  goal = np.array([0.0, 0.0])
  states = np.array([
      [0.19, 0.99],    # Both within 10% (0.2 and 1.0): success.
      [0.21, 0.0],     # The first label is out.
      [0.0, -1.01],    # The second label is out (either side).
      [-0.2, 1.0],     # Exactly on the boundary counts.
  ])
  np.testing.assert_array_equal(goals.is_success(states, goal, ranges),
                                [True, False, False, True])
  # A looser tolerance admits what 10% refused.
  assert goals.is_success(states[1], goal, ranges, tolerance=0.2)


def test_goals_are_chosen_far_apart():
  # Four corners of a square and points clustered near its centre.
  corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float64)
  centre = 0.5 + 0.01 * np.random.RandomState(0).randn(20, 2)
  labels = np.concatenate([centre, corners])
  chosen = goals.select_goals(labels, 5, first=0)
  assert chosen[0] == 0 and len(set(chosen.tolist())) == 5
  # After the first (a centre point) the greedy rule takes all four corners.
  assert set(chosen[1:].tolist()) == {20, 21, 22, 23}


def test_goal_distances_are_scaled_by_the_ranges():
  # Raw, the second label dominates; scaled by its range, the first does.
  labels = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 5.0]])
  assert goals.select_goals(labels, 2)[1] == 2
  assert goals.select_goals(labels, 2, ranges=[1.0, 100.0])[1] == 1
  with pytest.raises(ValueError, match='num_goals'):
    goals.select_goals(labels, 4)


def test_discrete_actions_are_every_combination_of_minus_one_zero_one():
  actions = wrappers.discrete_actions([-1.0, -1.0], [1.0, 1.0])
  assert actions.shape == (9, 2)
  assert {tuple(a) for a in actions} == {
      (x, y) for x in (-1.0, 0.0, 1.0) for y in (-1.0, 0.0, 1.0)}
  np.testing.assert_array_equal(actions[4], [0.0, 0.0])
  # Other bounds: the extremes and the midpoint.
  np.testing.assert_allclose(wrappers.discrete_actions([0.0], [2.0]),
                             [[0.0], [1.0], [2.0]])


class _Recorder(py_environment.PyEnvironment):
  """Emits frame i filled with value 10 * i; ends after `length` steps."""

  def __init__(self, length=10, action_shape=(2,)):
    super().__init__(handle_auto_reset=True)
    self._length, self._t = length, 0
    self.actions = []
    self._action_spec = array_spec.BoundedArraySpec(
        action_shape, np.float32, -1.0, 1.0)

  def observation_spec(self):
    return array_spec.BoundedArraySpec((2, 2, 3), np.uint8, 0, 255)

  def action_spec(self):
    return self._action_spec

  def _frame(self):
    return np.full((2, 2, 3), 10 * self._t, np.uint8)

  def _reset(self):
    self._t = 0
    return ts.restart(self._frame())

  def _step(self, action):
    self.actions.append(np.asarray(action))
    self._t += 1
    if self._t >= self._length:
      return ts.termination(self._frame(), np.float32(0))
    return ts.transition(self._frame(), np.float32(0))


def test_a_discrete_index_steps_its_continuous_action():
  inner = _Recorder()
  env = wrappers.DiscreteActions(inner)
  spec = env.action_spec()
  assert spec.shape == () and spec.dtype == np.int32 and spec.maximum == 8
  env.reset()
  env.step(np.int32(0))
  env.step(np.int32(5))
  np.testing.assert_array_equal(inner.actions, [[-1.0, -1.0], [0.0, 1.0]])
  with pytest.raises(ValueError, match='outside'):
    env.step(np.int32(9))


def test_grayscale_of_a_gray_pixel_is_its_value():
  rgb = np.zeros((1, 3, 3), np.uint8)
  rgb[0, 0] = 200
  rgb[0, 1] = (255, 0, 0)
  gray = wrappers.grayscale(rgb)
  assert gray.shape == (1, 3, 1) and gray.dtype == np.uint8
  np.testing.assert_array_equal(gray[0, :, 0], [200, 76, 0])


def test_frame_stack_holds_the_last_four_frames_newest_last():
  env = wrappers.GrayscaleFrameStack(_Recorder(length=10))
  assert env.observation_spec().shape == (2, 2, 4)
  first = env.reset()
  # The first frame fills every slot.
  np.testing.assert_array_equal(first.observation[0, 0], [0, 0, 0, 0])
  for _ in range(5):
    step = env.step(np.zeros(2, np.float32))
  assert step.observation.shape == (2, 2, 4)
  np.testing.assert_array_equal(step.observation[0, 0], [20, 30, 40, 50])


def test_frame_stack_never_mixes_two_episodes():
  env = wrappers.GrayscaleFrameStack(_Recorder(length=2))
  env.reset()
  env.step(np.zeros(2, np.float32))
  last = env.step(np.zeros(2, np.float32))
  assert last.is_last()
  # The inner env resets itself; the stack restarts from its first frame.
  first = env.step(np.zeros(2, np.float32))
  assert first.is_first()
  np.testing.assert_array_equal(first.observation[0, 0], [0, 0, 0, 0])


def test_wrappers_compose_on_a_pixel_task():
  task = envs.get_goal_task('point_mass_easy')
  dm_env = suite.load(task.domain, task.task, task_kwargs={'random': 0})
  env = wrappers.GrayscaleFrameStack(wrappers.DiscreteActions(
      envs.PixelControlEnv(dm_env, action_repeat=task.frame_skip,
                           episode_length=40)))
  assert env.action_spec().maximum == 8
  assert env.observation_spec().shape == (64, 64, 4)
  step = env.reset()
  for _ in range(3):
    step = env.step(np.int32(8))
  assert step.observation.shape == (64, 64, 4)
  assert step.observation.dtype == np.uint8
  # The point moved, so the newest frame differs from the oldest.
  assert np.any(step.observation[..., 0] != step.observation[..., 3])
  env.close()
