"""ActorPolicy: the actor's mode or a noisy sample on the filtered belief; its
export acts without planet_tf; the tanh-Gaussian actor it reads."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.drivers import dynamic_step_driver
from tf_agents.environments import py_environment
from tf_agents.environments import tf_py_environment
from tf_agents.specs import array_spec
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common

from planet_tf import models
from planet_tf import networks
from planet_tf.policies import ActorPolicy
from planet_tf.policies import CollectActorPolicy
from planet_tf.policies import export_policy

A = 2
IMAGE = (64, 64, 3)


def small_world_model():
  return models.WorldModel(
      action_size=A,
      encoder=networks.ConvEncoder(filters=(4, 4, 4, 4)),
      dynamics=models.RSSM(stoch_size=4, deter_size=8, hidden_size=8),
      decoder=networks.ConvDecoder(dense_units=8, filters=(4, 4, 4)),
      reward_heads={'reward': networks.DenseHead(units=(8,))})


def _specs(minimum=-1.0, maximum=1.0, dtype=tf.float32):
  observation = tensor_spec.BoundedTensorSpec(IMAGE, tf.uint8, 0, 255, 'pixels')
  action = tensor_spec.BoundedTensorSpec((A,), dtype, minimum, maximum,
                                         'action')
  return ts.time_step_spec(observation), action


def _policy(cls=ActorPolicy, world_model=None, actor=None, seed=0, **kwargs):
  time_step_spec, action_spec = _specs()
  return cls(time_step_spec, action_spec, world_model or small_world_model(),
             actor or networks.ActorHead(A, units=(8,)), seed=seed, **kwargs)


def _time_step(step_types, seed=0):
  step_types = tf.constant(step_types, tf.int32)
  batch = step_types.shape[0]
  frames = np.random.RandomState(seed).randint(0, 256, (batch,) + IMAGE)
  return ts.TimeStep(step_types, tf.zeros([batch]), tf.ones([batch]),
                     tf.constant(frames, tf.uint8))


def _run(policy, batch=2, steps=3):
  state = policy.get_initial_state(batch_size=batch)
  actions = []
  for t in range(steps):
    step = policy.action(_time_step([min(t, 1)] * batch, seed=t), state)
    state = step.state
    actions.append(step.action.numpy())
  return np.stack(actions)


def test_tanh_normal_mode_is_tanh_of_the_mean_and_samples_are_differentiable():
  loc = tf.Variable([[0.5, -2.0, 30.0]])
  dist = networks.TanhNormal(loc, tf.fill([1, 3], 2.0))
  np.testing.assert_allclose(dist.mode(), np.tanh([[0.5, -2.0, 30.0]]))
  with tf.GradientTape() as tape:
    samples = dist.sample(1000, seed=(1, 2))
    total = tf.reduce_sum(samples)
  assert np.all(np.abs(samples) <= 1.0)
  gradient = tape.gradient(total, loc).numpy()
  assert np.all(gradient[:, :2] > 0)  # tanh saturates at 30 in float32.
  # The mode is the median of each dimension (tanh is monotonic).
  np.testing.assert_allclose(np.median(samples[:, 0, :2], axis=0),
                             np.tanh([0.5, -2.0]), atol=0.1)


@pytest.mark.parametrize('loc,scale', [(0.0, 0.9), (2.0, 0.3), (0.0, 5.0),
                                       (4.9, 24.0), (5.0, 1e-4)])
def test_tanh_normal_entropy_is_the_squashed_actions_entropy(loc, scale):
  # Monte Carlo in the Gaussian's space: -log p(tanh(x)) =
  # -log N(x) + log(1 - tanh(x)^2), the latter as -2 log cosh(x).
  x = np.random.default_rng(0).normal(loc, scale, 1_000_000)
  log_cosh = np.logaddexp(x, -x) - np.log(2.0)
  expected = np.mean(0.5 * np.log(2 * np.pi * scale**2) +
                     0.5 * ((x - loc) / scale)**2 - 2.0 * log_cosh)
  entropy = float(networks.TanhNormal(tf.constant([loc]),
                                      tf.constant([scale])).entropy()[0])
  assert entropy == pytest.approx(expected, rel=0.02, abs=0.01)


def test_tanh_normal_entropy_is_highest_between_the_bounds():
  entropy = lambda loc, scale: float(networks.TanhNormal(
      tf.constant([loc]), tf.constant([scale])).entropy()[0])
  best = entropy(0.0, 0.9)
  assert best == pytest.approx(np.log(2.0), abs=0.02)  # Near uniform.
  assert all(entropy(l, s) < best - 1.0 for l, s in
             [(5.0, 0.9), (0.0, 1e-4), (0.0, 5.0), (0.0, 100.0)])
  with tf.GradientTape() as tape:
    loc = tf.Variable([3.0])
    value = networks.TanhNormal(loc, tf.constant([0.5])).entropy()
  assert float(tape.gradient(value, loc)[0]) < 0  # Falls towards a bound.


def test_actor_gives_a_tanh_gaussian_over_actions_in_bounds():
  actor = networks.ActorHead(3, units=(8, 8))
  dist = actor(tf.zeros([4, 5]))
  assert dist.event_shape == [3] and dist.batch_shape == [4]
  np.testing.assert_allclose(dist.distribution.scale, 5.0 + 1e-4, rtol=1e-5)
  np.testing.assert_array_equal(dist.mode(), np.zeros([4, 3]))  # Zero input.
  assert np.all(np.abs(dist.sample(seed=(0, 1))) <= 1.0)


def test_greedy_policy_emits_the_actors_mode_on_the_posterior():
  policy = _policy()
  state = policy.get_initial_state(2)
  time_step = _time_step([ts.StepType.FIRST] * 2)
  step = policy.action(time_step, state)
  posterior = step.state['latent']
  features = policy.world_model.dynamics.features(posterior)
  np.testing.assert_allclose(step.action, policy.actor(features).mode(),
                             atol=1e-6)
  np.testing.assert_array_equal(step.state['prev_action'], step.action)
  assert step.info == ()
  # The mode is deterministic given the posterior: the only draws are the
  # filter's, so the same generator state gives the same action.
  policy.generator.reset_from_seed(3)
  first = policy.action(time_step, state).action
  policy.generator.reset_from_seed(3)
  np.testing.assert_array_equal(first, policy.action(time_step, state).action)
  policy.generator.reset_from_seed(3)
  np.testing.assert_allclose(policy.distribution(time_step, state).action.mode(),
                             first, atol=1e-6)


def test_collect_policy_samples_the_actor_and_adds_noise_within_bounds():
  world_model, actor = small_world_model(), networks.ActorHead(A, units=(8,))
  collect = _policy(CollectActorPolicy, world_model, actor)
  assert collect.exploration_noise == pytest.approx(0.3)
  time_step = _time_step([ts.StepType.FIRST] * 64)
  step = collect.action(time_step, collect.get_initial_state(64))
  action = step.action.numpy()
  assert np.all(np.abs(action) <= 1.0) and action.std() > 0.1
  np.testing.assert_array_equal(step.state['prev_action'], action)
  with pytest.raises(NotImplementedError, match='action()'):
    collect.distribution(time_step, collect.get_initial_state(64))
  # Without noise, still a sample: the draws differ between calls.
  sampler = _policy(ActorPolicy, world_model, actor, sample=True)
  assert sampler.samples_its_action
  again = sampler.action(time_step, sampler.get_initial_state(64)).action
  assert not np.allclose(again, sampler.action(
      time_step, sampler.get_initial_state(64)).action)


def test_emits_in_the_action_specs_dtype_and_refuses_other_bounds():
  time_step_spec, action_spec = _specs(dtype=tf.float64)
  policy = ActorPolicy(time_step_spec, action_spec, small_world_model(),
                       networks.ActorHead(A, units=(8,)), seed=0)
  assert _run(policy).dtype == np.float64
  time_step_spec, action_spec = _specs(minimum=-2.0, maximum=2.0)
  with pytest.raises(ValueError, match=r'\[-1, 1\]'):
    ActorPolicy(time_step_spec, action_spec, small_world_model(),
                networks.ActorHead(A, units=(8,)))


class _PixelEnv(py_environment.PyEnvironment):
  """Random frames, three steps per episode."""

  def __init__(self):
    super().__init__(handle_auto_reset=True)
    self._rng, self._t = np.random.RandomState(0), 0

  def observation_spec(self):
    return array_spec.BoundedArraySpec(IMAGE, np.uint8, 0, 255, 'pixels')

  def action_spec(self):
    return array_spec.BoundedArraySpec((A,), np.float32, -1.0, 1.0, 'action')

  def _frame(self):
    return self._rng.randint(0, 256, IMAGE).astype(np.uint8)

  def _reset(self):
    self._t = 0
    return ts.restart(self._frame())

  def _step(self, action):
    self._t += 1
    if self._t >= 3:
      return ts.termination(self._frame(), np.float32(1.0))
    return ts.transition(self._frame(), np.float32(1.0))


def test_step_driver_compiled_with_tf_function():
  env = tf_py_environment.TFPyEnvironment(_PixelEnv())
  policy = CollectActorPolicy(env.time_step_spec(), env.action_spec(),
                              small_world_model(),
                              networks.ActorHead(A, units=(8,)), seed=0)
  driver = dynamic_step_driver.DynamicStepDriver(env, policy, num_steps=4)
  _, state = common.function(driver.run)(env.reset(),
                                         policy.get_initial_state(1))
  assert state['prev_action'].shape == (1, A)


@pytest.mark.parametrize('cls', [ActorPolicy, CollectActorPolicy])
def test_export_reload_gives_the_live_policys_actions(cls, tmp_path):
  policy = _policy(cls, seed=11)
  path = export_policy(policy, str(tmp_path / 'policy'), train_step=3)
  live = _run(policy)
  loaded = tf.saved_model.load(path)
  np.testing.assert_allclose(_run(loaded), live, atol=1e-5)
  assert int(loaded.get_train_step()) == 3


_ACT_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from tf_agents.policies import py_tf_eager_policy
    from tf_agents.trajectories import time_step as ts

    policy = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
        sys.argv[1], load_specs_from_pbtxt=True)
    state = policy.get_initial_state(batch_size=1)
    rng = np.random.RandomState(0)
    time_step = ts.restart(rng.randint(0, 256, (64, 64, 3)).astype(np.uint8))
    for _ in range(3):
      step = policy.action(time_step, state)
      state = step.state
      assert step.action.shape == (2,) and np.all(np.abs(step.action) <= 1.0)
      time_step = ts.transition(
          rng.randint(0, 256, (64, 64, 3)).astype(np.uint8), np.float32(0.0))
    assert not any(m.startswith('planet_tf') for m in sys.modules)
    print('ACTED')
""")


@pytest.mark.slow
def test_exported_policy_acts_without_planet_tf(tmp_path):
  path = export_policy(_policy(CollectActorPolicy), str(tmp_path / 'policy'))
  script = tmp_path / 'act.py'
  script.write_text(_ACT_SCRIPT)
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  result = subprocess.run([sys.executable, str(script), path], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600,
                          check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'ACTED' in result.stdout
