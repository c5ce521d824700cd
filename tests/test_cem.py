"""CEM finds the optimum of a known objective, per batch entry, reproducibly."""

import numpy as np
import pytest
import tensorflow as tf

from planet_tf.planning import cem

HORIZON, ACTIONS, BATCH = 4, 2, 3
SMALL = dict(horizon=HORIZON, iterations=10, candidates=200, top_k=20)
TOLERANCE = 0.02  # Max abs error per action; seen ~0.003 over 30 seeds.


def _targets(seed=0, low=-0.8, high=0.8):
  return np.random.RandomState(seed).uniform(
      low, high, [BATCH, HORIZON, ACTIONS]).astype(np.float32)


def _start(targets):
  """State = (time index, this entry's target sequence, last action)."""
  batch = targets.shape[0]
  return {'t': tf.zeros([batch], tf.int32), 'target': tf.constant(targets),
          'action': tf.zeros([batch, ACTIONS])}


def _transition(state, action):
  """Deterministic: remember the action and advance time."""
  return {'t': state['t'] + 1, 'target': state['target'], 'action': action}


def _reward(state):
  """-(a_t - target_t)^2 summed over action dimensions: [N]."""
  target = tf.gather(state['target'], state['t'] - 1, batch_dims=1)
  return -tf.reduce_sum((state['action'] - target) ** 2, axis=-1)


def _plan(targets, seed=0, minimum=-1.0, maximum=1.0, **kwargs):
  generator = tf.random.Generator.from_seed(seed)
  return cem(_start(targets), _transition, _reward, ACTIONS, minimum, maximum,
             generator=generator, **{**SMALL, **kwargs})


@pytest.mark.parametrize('jit_compile', [False, True])
def test_finds_optimum_of_known_objective(jit_compile):
  targets = _targets()
  plan, predicted_return = _plan(targets, jit_compile=jit_compile)
  assert plan.shape == (BATCH, HORIZON, ACTIONS)
  assert predicted_return.shape == (BATCH,)
  np.testing.assert_allclose(plan, targets, atol=TOLERANCE)
  # The optimum's return is 0; the elite is within the tolerance of it.
  assert np.all(predicted_return.numpy() <= 0.0)
  assert np.all(predicted_return.numpy() > -HORIZON * ACTIONS * TOLERANCE**2)


def test_batch_entries_plan_independently():
  targets = _targets()
  plan, _ = _plan(targets)
  # Each entry converges to its own target, not to a compromise.
  for b in range(BATCH):
    np.testing.assert_allclose(plan[b], targets[b], atol=TOLERANCE)
  # Changing another entry's objective leaves entry 0's plan bit-for-bit equal.
  other = targets.copy()
  other[1:] = -other[1:]
  plan_other, _ = _plan(other)
  np.testing.assert_array_equal(plan_other[0], plan[0])
  assert not np.allclose(plan_other[1], plan[1])


def test_plan_respects_action_bounds():
  # Targets outside the per-dimension bounds: the optimum is at the bound.
  targets = _targets(low=-3.0, high=3.0)
  minimum = np.array([-0.5, -1.0], np.float32)
  maximum = np.array([1.0, 0.25], np.float32)
  plan, _ = _plan(targets, minimum=minimum, maximum=maximum)
  assert np.all(plan >= minimum) and np.all(plan <= maximum)
  np.testing.assert_allclose(
      plan, np.clip(targets, minimum, maximum), atol=TOLERANCE)


def test_same_seed_same_plan_other_seed_other_plan():
  targets = _targets()
  plan_a, return_a = _plan(targets, seed=7, iterations=2)
  plan_b, return_b = _plan(targets, seed=7, iterations=2)
  plan_c, _ = _plan(targets, seed=8, iterations=2)
  np.testing.assert_array_equal(plan_a, plan_b)
  np.testing.assert_array_equal(return_a, return_b)
  assert not np.allclose(plan_a, plan_c)


def test_does_not_retrace_per_call():
  traces = []

  def transition(state, action):
    traces.append(1)  # Python side effect: runs only while tracing.
    return _transition(state, action)

  generator = tf.random.Generator.from_seed(0)
  results = []
  for seed in range(3):
    results.append(cem(_start(_targets(seed)), transition, _reward, ACTIONS,
                       -1.0, 1.0, generator=generator, **SMALL)[0])
    if seed == 0:
      traced_once = len(traces)
  assert traced_once > 0
  assert len(traces) == traced_once
  # The calls did see their own inputs.
  np.testing.assert_allclose(results[2], _targets(2), atol=TOLERANCE)


def _position(state, action):
  """A point on a line moved by the first action dimension."""
  return {'x': state['x'] + 0.5 * action[:, 0]}


def _no_reward(state):
  return tf.zeros_like(state['x'])


@pytest.mark.parametrize('sign', [1.0, -1.0])
def test_the_value_alone_changes_the_plan(sign):
  # Every reward is zero; the value of the last state favours one direction.
  start = {'x': tf.zeros([BATCH])}
  plan, predicted_return = cem(
      start, _position, _no_reward, ACTIONS, -1.0, 1.0,
      generator=tf.random.Generator.from_seed(0),
      value_fn=lambda state: sign * state['x'], discount=0.9, **SMALL)
  np.testing.assert_allclose(plan[..., 0], sign, atol=0.05)
  # Each step moves 0.5 at most: the best return is 0.9^H * 0.5 H.
  np.testing.assert_allclose(predicted_return, 0.9**HORIZON * 0.5 * HORIZON,
                             rtol=0.05)


def test_return_is_discounted_rewards_plus_the_discounted_last_value():
  start = {'x': tf.zeros([BATCH])}
  _, predicted_return = cem(
      start, _position, lambda state: tf.ones_like(state['x']), ACTIONS, -1.0,
      1.0, generator=tf.random.Generator.from_seed(0),
      value_fn=lambda state: tf.fill(tf.shape(state['x']), 10.0),
      discount=0.5, **{**SMALL, 'horizon': 3, 'iterations': 1})
  # 1 + 0.5 + 0.25 + 0.125 * 10.
  np.testing.assert_allclose(predicted_return, 3.0, rtol=1e-6)


@pytest.mark.parametrize('kwargs', [
    dict(top_k=300), dict(horizon=0), dict(iterations=-1), dict(candidates=2.5),
    dict(discount=0.0), dict(discount=1.5)])
def test_bad_hyper_parameters_raise(kwargs):
  with pytest.raises(ValueError, match='cem:'):
    _plan(_targets(), **kwargs)
