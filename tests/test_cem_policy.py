"""CemPolicy: specs, reset at FIRST, the noisy action is stored, drivers, bad input."""

import functools
import sys

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.drivers import dynamic_step_driver
from tf_agents.drivers import py_driver
from tf_agents.environments import batched_py_environment
from tf_agents.environments import py_environment
from tf_agents.environments import tf_py_environment
from tf_agents.metrics import tf_metrics
from tf_agents.policies import py_tf_eager_policy
from tf_agents.specs import array_spec
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.utils import common

from planet_tf import models
from planet_tf import networks
from planet_tf.data import replay as replay_lib
from planet_tf.planning import cem
from planet_tf.policies import CemPolicy
from planet_tf.policies import CollectCemPolicy

ACTIONS = 2
IMAGE = (64, 64, 3)
SMALL_CEM = functools.partial(cem, horizon=3, iterations=2, candidates=50,
                              top_k=5)


def small_world_model(dynamics=None, action_size=ACTIONS):
  """A real WorldModel with tiny layers (64x64 images, E=16, features 12)."""
  return models.WorldModel(
      action_size=action_size,
      encoder=networks.ConvEncoder(filters=(4, 4, 4, 4)),
      dynamics=dynamics or models.RSSM(stoch_size=4, deter_size=8,
                                       hidden_size=8),
      decoder=networks.ConvDecoder(dense_units=8, filters=(4, 4, 4)),
      reward_heads={'reward': networks.DenseHead(units=(8,))})


class FakePixelEnv(py_environment.PyEnvironment):
  """Random uint8 frames, `length` steps per episode, reward -|a|."""

  def __init__(self, length=4, seed=0):
    super().__init__(handle_auto_reset=True)
    self._length = length
    self._rng = np.random.RandomState(seed)
    self._t = 0

  def observation_spec(self):
    return array_spec.BoundedArraySpec(IMAGE, np.uint8, 0, 255, 'pixels')

  def action_spec(self):
    return array_spec.BoundedArraySpec((ACTIONS,), np.float32, -1.0, 1.0,
                                       'action')

  def _frame(self):
    return self._rng.randint(0, 256, IMAGE).astype(np.uint8)

  def _reset(self):
    self._t = 0
    return ts.restart(self._frame())

  def _step(self, action):
    self._t += 1
    reward = np.float32(-np.abs(action).sum())
    if self._t >= self._length:
      return ts.termination(self._frame(), reward)
    return ts.transition(self._frame(), reward)


def _specs():
  env = FakePixelEnv()
  return (tensor_spec.from_spec(ts.time_step_spec(env.observation_spec())),
          tensor_spec.from_spec(env.action_spec()))


def _policy(cls=CemPolicy, world_model=None, seed=0, **kwargs):
  time_step_spec, action_spec = _specs()
  return cls(time_step_spec, action_spec, world_model or small_world_model(),
             planner=SMALL_CEM, seed=seed, **kwargs)


def _time_step(step_types, seed=0):
  """A batched TimeStep `[B]` with random frames and the given step types."""
  step_types = tf.constant(step_types, tf.int32)
  batch = step_types.shape[0]
  frames = np.random.RandomState(seed).randint(0, 256, (batch,) + IMAGE)
  return ts.TimeStep(step_types, tf.zeros([batch]), tf.ones([batch]),
                     tf.constant(frames, tf.uint8))


def _assert_nest_close(a, b, **kwargs):
  tf.nest.map_structure(
      lambda x, y: np.testing.assert_allclose(x, y, **kwargs), a, b)


def test_specs_state_and_info():
  policy = _policy()
  dynamics = policy.world_model.dynamics
  assert policy.policy_state_spec['latent'] == dynamics.state_spec()
  assert policy.policy_state_spec['prev_action'].shape == (ACTIONS,)
  assert policy.info_spec['predicted_return'].shape == ()
  # The reset state is the world model's initial state and a zero action.
  state = policy.get_initial_state(3)
  _assert_nest_close(state['latent'], dynamics.initial_state(3))
  np.testing.assert_array_equal(state['prev_action'], np.zeros([3, ACTIONS]))

  step = policy.action(_time_step([ts.StepType.FIRST] * 3), state)
  assert step.action.shape == (3, ACTIONS)
  assert np.all(np.abs(step.action) <= 1.0)
  assert step.info['predicted_return'].shape == (3,)
  assert np.all(np.isfinite(step.info['predicted_return']))
  tf.nest.assert_same_structure(step.state, policy.policy_state_spec)
  np.testing.assert_array_equal(step.state['prev_action'], step.action)
  # The state holds the posterior of the observation, not the zero state.
  assert np.all(step.state['latent'].stddev > 0)
  assert not np.allclose(step.state['latent'].mean[0],
                         step.state['latent'].mean[1])


@pytest.mark.parametrize('make_dynamics', [
    lambda: models.DeterministicRNN(deter_size=8, hidden_size=8),
    lambda: models.StochasticSSM(stoch_size=4, hidden_size=8)])
def test_plans_with_every_dynamics_model(make_dynamics):
  policy = _policy(world_model=small_world_model(make_dynamics()))
  step = policy.action(_time_step([ts.StepType.FIRST] * 2),
                       policy.get_initial_state(2))
  assert step.action.shape == (2, ACTIONS)


def test_state_resets_at_first():
  policy = _policy()
  state = policy.get_initial_state(2)
  for t in range(3):  # A history that leaves a non-zero belief and action.
    kind = ts.StepType.FIRST if t == 0 else ts.StepType.MID
    state = policy.action(_time_step([kind] * 2, seed=t), state).state
  assert np.all(np.abs(state['prev_action']) > 0)

  def act(step_types, policy_state):
    policy.generator.reset_from_seed(42)
    return policy.action(_time_step(step_types, seed=9), policy_state)

  fresh = act([ts.StepType.FIRST] * 2, policy.get_initial_state(2))
  # Entry 0 starts an episode: it acts as if from the initial state; entry 1 is
  # mid-episode and acts on its history.
  mixed = act([ts.StepType.FIRST, ts.StepType.MID], state)
  first = lambda step: tf.nest.map_structure(lambda x: x[0], step[:2])
  second = lambda step: tf.nest.map_structure(lambda x: x[1], step[:2])
  _assert_nest_close(first(mixed), first(fresh), atol=1e-6)
  assert not np.allclose(second(mixed)[1]['latent'].deter,
                         second(fresh)[1]['latent'].deter, atol=1e-3)
  # Without the FIRST flag the history is used (so the check above can fail).
  mid = act([ts.StepType.MID] * 2, state)
  assert not np.allclose(first(mid)[1]['latent'].deter,
                         first(fresh)[1]['latent'].deter, atol=1e-3)


def test_collect_policy_stores_the_noisy_action():
  world_model = small_world_model()
  greedy = _policy(world_model=world_model, seed=3)
  collect = _policy(CollectCemPolicy, world_model=world_model, seed=3)
  assert collect.exploration_noise == pytest.approx(0.3)
  state = greedy.get_initial_state(4)
  time_step = _time_step([ts.StepType.FIRST] * 4)
  # Same seed: both plan with the same draws, then the collect policy adds noise.
  planned = greedy.action(time_step, state)
  noisy = collect.action(time_step, state)
  np.testing.assert_allclose(noisy.info['predicted_return'],
                             planned.info['predicted_return'], rtol=1e-5)
  difference = noisy.action.numpy() - planned.action.numpy()
  assert not np.allclose(difference, 0.0)
  assert np.all(np.abs(difference) <= 5 * 0.3)
  assert np.all(np.abs(noisy.action) <= 1.0)
  np.testing.assert_array_equal(noisy.state['prev_action'], noisy.action)
  np.testing.assert_array_equal(planned.state['prev_action'], planned.action)
  with pytest.raises(NotImplementedError, match='action()'):
    collect.distribution(time_step, state)


def test_distribution_is_deterministic_over_the_planned_action():
  policy = _policy()
  time_step = _time_step([ts.StepType.FIRST] * 2)
  state = policy.get_initial_state(2)
  policy.generator.reset_from_seed(1)
  step = policy.distribution(time_step, state)
  policy.generator.reset_from_seed(1)
  action = policy.action(time_step, state).action
  np.testing.assert_allclose(step.action.mode(), action, atol=1e-6)


def test_acting_draws_only_from_the_policys_generator():
  policy = _policy()
  time_step = _time_step([ts.StepType.FIRST] * 2)
  state = policy.get_initial_state(2)

  def act(global_seed):
    tf.random.set_seed(global_seed)
    policy.generator.reset_from_seed(5)
    return policy.action(time_step, state)

  _assert_nest_close(act(1)[:2], act(2)[:2], atol=0)


def _batched_tf_env(batch=2, length=4):
  envs = [FakePixelEnv(length, seed=i) for i in range(batch)]
  return tf_py_environment.TFPyEnvironment(
      batched_py_environment.BatchedPyEnvironment(envs))


def test_dynamic_step_and_episode_drivers_on_a_batched_tf_env():
  env = _batched_tf_env()
  policy = _policy(CollectCemPolicy)
  trajectories = []
  step_driver = dynamic_step_driver.DynamicStepDriver(
      env, policy, observers=[trajectories.append], num_steps=4)
  time_step, state = step_driver.run(env.reset(), policy.get_initial_state(2))
  assert len(trajectories) == 2  # 4 steps over 2 environments.
  traj = trajectories[-1]
  assert traj.action.shape == (2, ACTIONS)
  assert traj.policy_info['predicted_return'].shape == (2,)
  np.testing.assert_array_equal(state['prev_action'], traj.action)

  episodes = []
  episode_driver = dynamic_episode_driver.DynamicEpisodeDriver(
      env, policy, observers=[episodes.append], num_episodes=2)
  episode_driver.run(time_step, state)
  step_types = np.stack([t.step_type.numpy() for t in episodes])
  assert np.any(step_types == ts.StepType.LAST)


def test_eager_actions_trace_the_planner_once():
  policy = _policy()
  planner_module = sys.modules['planet_tf.planning.cem']
  before = planner_module._CEM.experimental_get_tracing_count()
  time_step, state = _time_step([0]), policy.get_initial_state(1)
  for _ in range(3):
    step = policy.action(time_step, state)
    state = step.state
  assert planner_module._CEM.experimental_get_tracing_count() - before == 1


def test_episode_driver_compiled_with_tf_function():
  env = _batched_tf_env()
  policy = _policy(CollectCemPolicy)
  episodes = tf_metrics.NumberOfEpisodes()
  driver = dynamic_episode_driver.DynamicEpisodeDriver(
      env, policy, observers=[episodes], num_episodes=2)
  run = common.function(driver.run)
  _, state = run(env.reset(), policy.get_initial_state(env.batch_size))
  # The batch size survives the planner, so the state keeps its static shape.
  assert state['prev_action'].shape == (2, ACTIONS)
  assert np.all(np.abs(state['prev_action']) <= 1.0)
  assert int(episodes.result()) >= 2


def test_py_driver_with_py_tf_eager_policy_runs_an_episode():
  env = FakePixelEnv(length=3)
  policy = py_tf_eager_policy.PyTFEagerPolicy(_policy(), use_tf_function=True)
  trajectories = []
  driver = py_driver.PyDriver(env, policy, [trajectories.append],
                              max_episodes=1)
  # A stateful policy under PyDriver needs its batched initial state passed in.
  driver.run(env.reset(), policy.get_initial_state(batch_size=1))
  # FIRST, MID, MID, then the LAST -> FIRST boundary that ends the episode.
  assert [int(t.step_type) for t in trajectories] == [0, 1, 1, 2]
  assert trajectories[-1].is_boundary()
  assert all(t.action.shape == (ACTIONS,) for t in trajectories)


def test_real_pixel_env_episode_in_a_tf_function_driver():
  from planet_tf import envs  # pylint: disable=g-import-not-at-top
  env = envs.load_tf('cartpole_balance', seed=0, episode_length=16)
  policy = CemPolicy(env.time_step_spec(), env.action_spec(),
                     small_world_model(action_size=1), planner=SMALL_CEM,
                     seed=0)
  replay = replay_lib.EpisodeReplay(policy.trajectory_spec)
  driver = dynamic_episode_driver.DynamicEpisodeDriver(
      env, policy, observers=[replay], num_episodes=1)
  # Compiled: the env steps through py_function on its isolation thread, the
  # replay adds through numpy_function.
  run = common.function(driver.run)
  run(env.reset(), policy.get_initial_state(env.batch_size))
  env.close()
  # 16 simulator steps at action repeat 8: FIRST, MID -> LAST, then the boundary.
  assert replay.episode_lengths() == [3]
  chunk = replay.sample(1, 3)
  np.testing.assert_array_equal(chunk.step_type[0], [0, 1, 2])
  assert np.all(np.abs(chunk.action) <= 1.0)
  assert chunk.observation.reshape(3, -1).std(axis=1).min() > 0


def _bounded(shape=(ACTIONS,), dtype=tf.float32, minimum=-1.0, maximum=1.0):
  return tensor_spec.BoundedTensorSpec(shape, dtype, minimum, maximum, 'action')


@pytest.mark.parametrize('cls, dtype', [
    (CemPolicy, tf.float64), (CollectCemPolicy, tf.float64),
    (CemPolicy, tf.float16)])
def test_emits_actions_in_the_action_specs_float_dtype(cls, dtype):
  time_step_spec, _ = _specs()
  minimum, maximum = np.array([-0.5, -2.0]), np.array([0.25, 2.0])
  action_spec = _bounded(dtype=dtype, minimum=minimum, maximum=maximum)
  policy = cls(time_step_spec, action_spec, small_world_model(),
               planner=SMALL_CEM, seed=0)
  # Planning and the stored previous action stay float32.
  assert policy.policy_state_spec['prev_action'].dtype == tf.float32
  state = policy.get_initial_state(3)
  for t in range(2):
    kind = ts.StepType.FIRST if t == 0 else ts.StepType.MID
    step = policy.action(_time_step([kind] * 3, seed=t), state)
    state = step.state
    assert step.action.dtype == dtype and step.action.shape == (3, ACTIONS)
    action = step.action.numpy()
    assert np.all(np.isfinite(action))
    assert np.all(action >= minimum.astype(action.dtype))
    assert np.all(action <= maximum.astype(action.dtype))
    assert state['prev_action'].dtype == tf.float32
    np.testing.assert_allclose(state['prev_action'], action, rtol=1e-3,
                               atol=1e-4)
  if cls is CemPolicy:
    distribution = policy.distribution(_time_step([1] * 3), state).action
    assert distribution.mode().dtype == dtype


@pytest.mark.parametrize('action_spec, problem', [
    (tf.TensorSpec((ACTIONS,), tf.float32, 'action'), 'BoundedTensorSpec'),
    (_bounded(dtype=tf.int32), 'must be float'),
    (_bounded(shape=(1, ACTIONS)), 'rank 1'),
    (_bounded(shape=(ACTIONS + 1,)), 'action_size'),
    (_bounded(maximum=np.inf), 'finite bounds'),
])
def test_bad_action_spec_fails_at_construction(action_spec, problem):
  time_step_spec, _ = _specs()
  with pytest.raises(ValueError, match='action_spec') as error:
    CemPolicy(time_step_spec, action_spec, small_world_model())
  assert problem in str(error.value)


@pytest.mark.parametrize('observation_spec, problem', [
    (tf.TensorSpec(IMAGE, tf.float32, 'pixels'), 'uint8'),
    (tf.TensorSpec((32, 32, 3), tf.uint8, 'pixels'), '(64, 64, 3)'),
    (tf.TensorSpec((64, 64), tf.uint8, 'pixels'), 'image [H, W, C]'),
    ({'pixels': tf.TensorSpec(IMAGE, tf.uint8)}, 'single TensorSpec'),
])
def test_bad_observation_spec_fails_at_construction(observation_spec, problem):
  _, action_spec = _specs()
  with pytest.raises(ValueError, match='observation spec') as error:
    CemPolicy(ts.time_step_spec(observation_spec), action_spec,
              small_world_model())
  assert problem in str(error.value)


def _zero_reward_world_model():
  """A tiny world model whose reward head predicts 0 everywhere."""
  world_model = small_world_model()
  world_model.build_variables(IMAGE)
  head = world_model.reward_heads['reward']
  for variable in head.trainable_variables:
    variable.assign(tf.zeros_like(variable))
  return world_model


def _linear_value(world_model, weights):
  """A value that is `weights . features`."""
  value = networks.DenseHead(units=(), name='value')
  value(tf.zeros([1, world_model.dynamics.feature_size]))
  kernel, bias = value.trainable_variables
  kernel.assign(tf.reshape(weights, kernel.shape))
  bias.assign(tf.zeros_like(bias))
  return value


def test_the_value_alone_changes_the_plan():
  world_model = _zero_reward_world_model()
  weights = np.random.RandomState(0).randn(
      world_model.dynamics.feature_size).astype(np.float32)
  time_step = _time_step([ts.StepType.FIRST] * 2)

  def act(value):
    policy = _policy(world_model=world_model, value=value, discount=0.99)
    return policy.action(time_step, policy.get_initial_state(2))

  without = act(None)
  np.testing.assert_array_equal(without.info['predicted_return'], 0.0)
  plus = act(_linear_value(world_model, weights))
  minus = act(_linear_value(world_model, -weights))
  assert plus.info['predicted_return'].numpy().min() > 0
  assert minus.info['predicted_return'].numpy().min() > 0
  assert not np.allclose(plus.action, minus.action, atol=0.1)
  assert not np.allclose(plus.action, without.action, atol=0.1)
