"""Evaluation judges success where the policy stops (or at the horizon), and the
random baseline at its last state."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import policy_step

from planet_tf.evaluation import goals as goal_evaluation
from planet_tf.envs import goal_env

TASK, SIZE, HORIZON = 'point_mass_easy', 16, 5
STILL = 4  # The zero action of point_mass's 9.


class _StopAfter:
  """A stand-in policy: the zero action, `stop` after `steps` actions."""

  def __init__(self, steps):
    self.steps = steps

  def get_initial_state(self, batch_size):
    return {'t': tf.zeros([batch_size], tf.int32)}

  def action(self, time_step, state):
    del time_step
    t = state['t'] + 1
    return policy_step.PolicyStep(tf.fill(tf.shape(t), STILL), {'t': t},
                                  {'stop': t >= self.steps})


@pytest.fixture(scope='module')
def goal_set():
  return goal_env.make_goal_set(TASK, num_goals=2, num_episodes=4,
                                horizon=HORIZON, image_size=SIZE, seed=0)


def _start_labels(goal_set, seed):
  env = goal_env.load_goal_env(TASK, goal_set, HORIZON, image_size=SIZE,
                               seed=seed)
  env.reset()
  labels = env.labels()
  env.close()
  return labels


def _env(goal_set, seed=3, **kwargs):
  return goal_env.load_goal_env(TASK, goal_set, HORIZON, image_size=SIZE,
                                seed=seed, **kwargs)


def test_success_is_judged_where_the_policy_stops(goal_set):
  # The goal is where the episode starts; staying still and stopping after one
  # action reaches it, a goal 20% of a range away is not reached.
  here = _start_labels(goal_set, seed=3)
  near = goal_set._replace(labels=np.stack([here, here]))
  episode = goal_evaluation.run_goal_episode(_env(near), _StopAfter(1))
  assert episode.success and episode.steps == 1 and episode.frames is None
  away = goal_set._replace(labels=np.stack([here, here]) +
                           0.2 * goal_set.ranges)
  episode = goal_evaluation.run_goal_episode(_env(away), _StopAfter(1))
  assert not episode.success and episode.steps == 1


def test_without_a_stop_the_episode_runs_to_the_horizon(goal_set):
  episode = goal_evaluation.run_goal_episode(_env(goal_set), _StopAfter(99),
                                             record=True)
  assert episode.steps == HORIZON
  assert episode.frames.shape == (HORIZON + 1, SIZE, 2 * SIZE)
  # The right half is the goal image.
  np.testing.assert_array_equal(episode.frames[0, :, SIZE:],
                                goal_set.images[episode.goal_index][..., 0])


def test_the_random_baseline_acts_for_the_whole_horizon(goal_set):
  rate, episodes = goal_evaluation.success_rate(
      _env(goal_set, sequential=True), None, num_episodes=4, seed=0)
  assert [e.steps for e in episodes] == [HORIZON] * 4
  assert [e.goal_index for e in episodes] == [0, 1, 0, 1]
  assert rate == np.mean([e.success for e in episodes])


def test_the_rate_is_the_fraction_of_goals_reached(goal_set):
  here = _start_labels(goal_set, seed=3)
  # Goal 0 is where every episode of this env starts; goal 1 is far.
  mixed = goal_set._replace(labels=np.stack([here, here + 0.5 * goal_set.ranges]))
  rate, episodes = goal_evaluation.success_rate(
      _env(mixed, sequential=True), _StopAfter(1), num_episodes=2)
  assert [e.success for e in episodes] == [True, False] and rate == 0.5
