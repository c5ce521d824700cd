"""GoalPolicy: plans toward the goal in its observation, within the steps left,
says when it expects the goal after this action and explores epsilon-greedily.
Its export and reload (the policy traced in a graph) are in
test_glamor_end_to_end.py."""

import functools

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from planet_tf.models import InverseDynamics
from planet_tf.networks import ImpalaEncoder
from planet_tf.planning import sample_plans
from planet_tf.policies import goal_policy
from planet_tf.policies import GoalPolicy

A, SIZE, HORIZON, B = 3, 16, 4, 2
SMALL_PLANNER = functools.partial(sample_plans, candidates=16)


def small_model(num_actions=A):
  def encoder(name):
    return ImpalaEncoder(channels=(4, 4, 4), feature_size=16, groups=2,
                         name=name)
  return InverseDynamics(num_actions, encoder('obs'), encoder('goal'),
                         mix_units=8, context_size=12, lstm_units=6)


def _specs(num_actions=A):
  observation = {
      'observation': tensor_spec.BoundedTensorSpec(
          [SIZE, SIZE, 4], tf.uint8, 0, 255),
      'goal': tensor_spec.BoundedTensorSpec([SIZE, SIZE, 1], tf.uint8, 0, 255)}
  action = tensor_spec.BoundedTensorSpec([], tf.int32, 0, num_actions - 1)
  return ts.time_step_spec(observation), action


def _time_step(first=False, seed=0, batch=B):
  rng = np.random.default_rng(seed)
  observation = {
      'observation': tf.constant(rng.integers(0, 256, [batch, SIZE, SIZE, 4]),
                                 tf.uint8),
      'goal': tf.constant(rng.integers(0, 256, [batch, SIZE, SIZE, 1]),
                          tf.uint8)}
  step_type = ts.StepType.FIRST if first else ts.StepType.MID
  return ts.TimeStep(tf.fill([batch], step_type), tf.zeros([batch]),
                     tf.ones([batch]), observation)


def _policy(**kwargs):
  time_step_spec, action_spec = _specs()
  kwargs.setdefault('planner', SMALL_PLANNER)
  return GoalPolicy(time_step_spec, action_spec, small_model(), HORIZON,
                    seed=3, **kwargs)


def test_acts_in_the_action_spec_and_counts_its_steps():
  policy = _policy()
  state = policy.get_initial_state(B)
  step = policy.action(_time_step(first=True), state)
  assert step.action.shape == (B,) and step.action.dtype == tf.int32
  assert np.all((step.action.numpy() >= 0) & (step.action.numpy() < A))
  np.testing.assert_array_equal(step.state['steps'], [1, 1])
  assert step.info['plan_length'].shape == (B,)
  assert np.all((step.info['plan_length'].numpy() >= 1) &
                (step.info['plan_length'].numpy() <= HORIZON))
  step = policy.action(_time_step(), step.state)
  np.testing.assert_array_equal(step.state['steps'], [2, 2])
  # A new episode starts the count again (TFPolicy's reset at FIRST).
  step = policy.action(_time_step(first=True), step.state)
  np.testing.assert_array_equal(step.state['steps'], [1, 1])


def test_plans_within_the_steps_left_and_stops_on_the_last():
  policy = _policy()
  state = {'steps': tf.constant([HORIZON - 1, 0])}
  step = policy.action(_time_step(), state)
  # One step left: the plan is one action then END, so the policy stops.
  assert int(step.info['plan_length'][0]) == 1
  assert bool(step.info['stop'][0])
  np.testing.assert_array_equal(step.info['stop'],
                                step.info['plan_length'].numpy() == 1)


def test_epsilon_one_acts_at_random_without_planning():
  policy = _policy(epsilon=1.0)
  state = policy.get_initial_state(64)
  step = policy.action(_time_step(batch=64), state)
  assert set(step.action.numpy().tolist()) == {0, 1, 2}
  np.testing.assert_array_equal(step.info['plan_length'], 0)  # Never planned.


def test_epsilon_may_be_a_schedule():
  calls = []

  def epsilon():
    calls.append(1)
    return goal_policy.linear_epsilon(0)  # 1.0 at the start.

  policy = goal_policy.CollectGoalPolicy(*_specs(), small_model(), HORIZON,
                                         epsilon=epsilon,
                                         planner=SMALL_PLANNER, seed=0)
  step = policy.action(_time_step(), policy.get_initial_state(B))
  assert calls and np.all(step.info['plan_length'].numpy() == 0)
  np.testing.assert_allclose(goal_policy.linear_epsilon(150_000), 0.55)
  np.testing.assert_allclose(goal_policy.linear_epsilon(10**6), 0.1, rtol=1e-6)


def test_specs_the_policy_cannot_use_are_named():
  time_step_spec, action_spec = _specs()
  with pytest.raises(ValueError, match='4 actions'):
    GoalPolicy(time_step_spec, action_spec, small_model(4), HORIZON)
  bare = ts.time_step_spec(time_step_spec.observation['observation'])
  with pytest.raises(ValueError, match="'goal'"):
    GoalPolicy(bare, action_spec, small_model(), HORIZON)
