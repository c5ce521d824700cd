"""DreamerAgent: λ-returns, behaviour learned through imagination, three optimizers."""

import types

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from planet_tf import models
from planet_tf import networks
from planet_tf import policies
from planet_tf.agents import DreamerAgent
from planet_tf.models import behavior
from planet_tf.models import returns

A = 2
L = 4
STEPS = ('model', 'actor', 'value')


def tiny_agent(horizon=3, **kwargs):
  """A `DreamerAgent` with tiny networks on 64x64 images and A = 2 actions."""
  world_model = models.WorldModel(
      A, encoder=networks.ConvEncoder(filters=(4, 4, 4, 4)),
      dynamics=models.RSSM(stoch_size=4, deter_size=8, hidden_size=8),
      decoder=networks.ConvDecoder(dense_units=8, filters=(4, 4, 4)),
      reward_heads={'reward': networks.DenseHead(units=(8,))})
  time_step_spec = ts.time_step_spec(tf.TensorSpec([64, 64, 3], tf.uint8))
  action_spec = tensor_spec.BoundedTensorSpec([A], tf.float32, -1, 1)
  return DreamerAgent(
      time_step_spec, action_spec, world_model=world_model,
      actor=networks.ActorHead(A, units=(8, 8)),
      value=networks.DenseHead(units=(8, 8), activation='elu', name='value'),
      train_sequence_length=L, horizon=horizon, seed=0, **kwargs)


@pytest.fixture(scope='module')
def agent():
  agent = tiny_agent()
  agent.initialize()
  return agent


def _chunk(agent, batch_size=2, seed=0):
  """A `[B, L]` chunk of random images, actions and rewards, FIRST at t = 0."""
  rng = np.random.default_rng(seed)
  experience = tf.nest.map_structure(
      lambda s: np.zeros([batch_size, L] + s.shape.as_list(),
                         s.dtype.as_numpy_dtype), agent.collect_data_spec)
  step_type = np.full([batch_size, L], ts.StepType.MID, np.int32)
  step_type[:, 0] = ts.StepType.FIRST
  return experience._replace(
      step_type=step_type,
      observation=rng.integers(0, 256, [batch_size, L, 64, 64, 3], np.uint8),
      action=rng.uniform(-1, 1, [batch_size, L, A]).astype(np.float32),
      reward=rng.uniform(0, 1, [batch_size, L]).astype(np.float32),
      discount=np.ones([batch_size, L], np.float32))


def _start(agent, seed=0):
  """Start states `[B * L, ...]`: the posteriors of a chunk, as `train` uses."""
  chunk = _chunk(agent, seed=seed)
  posteriors, _ = agent.world_model(
      chunk.observation, tf.zeros([2, L, A]), chunk.step_type)
  return behavior.start_states(posteriors)


def _values(variables):
  return [v.numpy().copy() for v in variables]


def _numpy_lambda_returns(rewards, next_values, discount, lambda_):
  """The paper's definition (eq. 5-6): a λ-weighted mix of k-step returns."""
  batch, horizon = rewards.shape
  out = np.zeros([batch, horizon])
  for b in range(batch):
    for t in range(horizon):
      def k_step(k):
        h = min(t + k, horizon)
        total = sum(discount**(n - t) * rewards[b, n] for n in range(t, h))
        return total + discount**(h - t) * next_values[b, h - 1]
      steps = horizon - t  # k = 1 .. steps; k = steps reaches the horizon.
      out[b, t] = sum((1 - lambda_) * lambda_**(k - 1) * k_step(k)
                      for k in range(1, steps)) + lambda_**(steps - 1) * k_step(
                          steps)
  return out


def test_lambda_return_on_hand_made_numbers():
  # G_1 = r_1 + γ v(s_2) = 2 + 0.9 * 20 = 20;
  # G_0 = r_0 + γ ((1 - λ) v(s_1) + λ G_1) = 1 + 0.9 * (5 + 10) = 14.5.
  got = returns.lambda_returns([[1.0, 2.0]], [[10.0, 20.0]], discount=0.9,
                               lambda_=0.5)
  np.testing.assert_allclose(got, [[14.5, 20.0]], rtol=1e-6)


@pytest.mark.parametrize('lambda_', [0.0, 0.5, 0.95, 1.0])
def test_lambda_return_matches_the_papers_definition(lambda_):
  rng = np.random.default_rng(0)
  rewards = rng.normal(size=[3, 5]).astype(np.float32)
  next_values = rng.normal(size=[3, 5]).astype(np.float32)
  got = returns.lambda_returns(rewards, next_values, 0.99, lambda_)
  want = _numpy_lambda_returns(rewards, next_values, 0.99, lambda_)
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  if lambda_ == 1.0:  # The discounted return, bootstrapped at the horizon.
    want = sum(0.99**n * rewards[:, n] for n in range(5)) + 0.99**5 * (
        next_values[:, -1])
    np.testing.assert_allclose(got[:, 0], want, rtol=1e-5)


def test_lambda_return_takes_a_discount_per_step():
  rewards, next_values = np.ones([1, 3]), np.full([1, 3], 10.0)
  discounts = np.array([[0.5, 1.0, 0.0]])
  # λ = 1: G_0 = 1 + 0.5 (1 + 1 (1 + 0 * 10)) = 2.
  got = returns.lambda_returns(rewards, next_values, discounts, 1.0)
  np.testing.assert_allclose(got, [[2.0, 2.0, 1.0]])


def test_cumulative_discounts_weigh_each_step_by_the_discount_before_it():
  np.testing.assert_allclose(returns.cumulative_discounts(0.9, 3),
                             [1.0, 0.9, 0.81], rtol=1e-6)
  np.testing.assert_allclose(
      returns.cumulative_discounts([[0.5, 0.5, 0.5]]), [[1.0, 0.5, 0.25]])


def test_imagination_starts_at_every_posterior(agent):
  start = _start(agent)
  imagined = behavior.imagine_ahead(agent.world_model.dynamics, agent.actor,
                                    start, horizon=3)
  assert imagined.states.deter.shape == (2 * L, 4, 8)
  assert imagined.actions.shape == (2 * L, 3, A)
  np.testing.assert_array_equal(imagined.states.deter[:, 0], start.deter)
  assert np.all(np.abs(imagined.actions) <= 1.0)


def test_actor_gradient_flows_only_through_the_imagined_dynamics(agent):
  start = _start(agent)
  model = agent.world_model

  def actor_gradients(world_model):
    with tf.GradientTape() as tape:
      loss, _, _ = behavior.actor_loss(world_model, agent.actor, agent.value,
                                       start, horizon=3)
    sources = {'actor': agent.actor.trainable_variables,
               'dynamics': model.dynamics.trainable_variables}
    return tape.gradient(loss, sources)

  grads = actor_gradients(model)
  assert all(np.any(g.numpy() != 0) for g in grads['actor'])
  assert any(g is not None and np.any(g.numpy() != 0)
             for g in grads['dynamics'])

  # The actor reads its input through a stop-gradient and the rewards and
  # values read only states: with the action's way into the dynamics cut, the
  # actor gets no gradient at all.
  class CutDynamics:
    features = staticmethod(model.dynamics.features)

    def imagine_step(self, state, action, sample=None):
      return model.dynamics.imagine_step(state, tf.stop_gradient(action), sample)

  cut = types.SimpleNamespace(dynamics=CutDynamics(), reward=model.reward)
  assert all(g is None for g in actor_gradients(cut)['actor'])


@pytest.mark.parametrize('step', ['actor', 'value', 'model'])
def test_each_step_updates_only_its_own_variables(agent, step):
  start = _start(agent)
  before = {name: _values(agent.variables_of(name)) for name in STEPS}
  iterations = {name: int(opt.iterations) for name, opt in
                agent.optimizers.items()}
  if step == 'model':
    agent.model_update(tf.nest.map_structure(tf.convert_to_tensor,
                                             _chunk(agent)))
  elif step == 'actor':
    agent.actor_update(start)
  else:
    _, targets, _ = behavior.actor_loss(agent.world_model, agent.actor,
                                        agent.value, start, horizon=3)
    agent.value_update(targets)
  for name in STEPS:
    after = _values(agent.variables_of(name))
    if name == step:
      assert any(np.any(a != b) for a, b in zip(after, before[name])), name
      assert int(agent.optimizers[name].iterations) == iterations[name] + 1
    else:  # Bit-identical.
      for a, b in zip(after, before[name]):
        np.testing.assert_array_equal(a, b)
      assert int(agent.optimizers[name].iterations) == iterations[name]


def test_three_optimizers_with_dreamers_defaults():
  agent = tiny_agent()
  agent.initialize()
  optimizers = agent.optimizers
  assert len({id(o) for o in optimizers.values()}) == 3
  rates = {name: float(o.learning_rate) for name, o in optimizers.items()}
  assert rates == pytest.approx({'model': 6e-4, 'actor': 8e-5, 'value': 8e-5})
  variables = [{v.ref() for v in agent.variables_of(name)} for name in STEPS]
  assert all(variables) and not (variables[0] & variables[1] or
                                 variables[0] & variables[2] or
                                 variables[1] & variables[2])
  custom = tiny_agent(model_learning_rate=1e-3, actor_learning_rate=2e-4,
                      value_learning_rate=3e-4)
  assert float(custom.optimizers['value'].learning_rate) == pytest.approx(3e-4)


def test_train_returns_loss_info_with_every_term(agent):
  before = int(agent.train_step_counter.numpy())
  loss_info = agent.train(_chunk(agent, seed=1))
  assert isinstance(loss_info, tf_agent.LossInfo)
  assert {'image_nll', 'reward_nll', 'kl', 'kl_loss', 'model_loss',
          'actor_loss', 'value_loss', 'imagined_return', 'actor_entropy',
          'model_grad_norm', 'actor_grad_norm', 'value_grad_norm', 'loss'} <= set(loss_info.extra)
  assert float(loss_info.loss) == float(loss_info.extra['loss'])
  assert float(loss_info.loss) == pytest.approx(
      sum(float(loss_info.extra[k]) for k in
          ('model_loss', 'actor_loss', 'value_loss')), rel=1e-6)
  assert all(np.isfinite(float(v)) for v in loss_info.extra.values())
  assert int(agent.train_step_counter.numpy()) == before + 1
  # agent.loss computes the same terms and trains nothing.
  variables = _values(agent.variables)
  assert {'model_loss', 'actor_loss', 'value_loss'} <= set(
      agent.loss(_chunk(agent, seed=1)).extra)
  for a, b in zip(variables, _values(agent.variables)):
    np.testing.assert_array_equal(a, b)


def test_actor_entropy_term_pulls_a_saturating_actor_back(agent):
  start = _start(agent)
  # The output bias: [A] of the pre-tanh mean, then [A] of the stddev.
  bias = agent.actor.trainable_variables[-1]

  def loss_and_gradient(scale):
    tf.random.set_seed(0)  # The same imagined actions and states each call.
    with tf.GradientTape() as tape:
      loss, _, metrics = behavior.actor_loss(
          agent.world_model, agent.actor, agent.value, start, horizon=3,
          entropy_scale=scale)
    return float(loss), tape.gradient(loss, bias).numpy()[:A], metrics

  loss0, _, metrics0 = loss_and_gradient(0.0)
  loss1, _, metrics1 = loss_and_gradient(0.5)
  entropy = float(metrics0['actor_entropy'])
  assert float(metrics1['actor_entropy']) == pytest.approx(entropy, rel=1e-5)
  # The term is η times the discount-weighted mean entropy, subtracted.
  weights = returns.cumulative_discounts(0.99, 3).numpy()
  assert loss0 - loss1 == pytest.approx(0.5 * entropy * weights.mean(),
                                        rel=1e-3)

  # A mean near the bound with a collapsed stddev: the λ-return's gradient
  # into the mean's bias nearly vanishes through the two tanhs, the entropy's
  # points back to 0.
  saved = bias.numpy()
  try:
    bias.assign(np.concatenate([np.full([A], 12.0), np.full([A], -50.0)])
                .astype(np.float32))
    _, plain, _ = loss_and_gradient(0.0)
    _, pulled, _ = loss_and_gradient(0.5)
  finally:
    bias.assign(saved)
  assert np.all(pulled > 0)  # Descent lowers the mean.
  assert np.all(np.abs(plain) < 0.01 * pulled)


def test_policies_act_with_the_trained_actor(agent):
  assert isinstance(agent.policy, policies.ActorPolicy)
  assert isinstance(agent.collect_policy, policies.CollectActorPolicy)
  assert agent.policy.actor is agent.actor is agent.collect_policy.actor
  assert agent.policy.world_model is agent.world_model
  assert agent.collect_policy.exploration_noise == pytest.approx(0.3)


def test_rejects_bad_settings():
  with pytest.raises(ValueError, match='horizon'):
    tiny_agent(horizon=0)
  with pytest.raises(ValueError, match='discount'):
    tiny_agent(discount=1.5)
  with pytest.raises(ValueError, match='actor_entropy_scale'):
    tiny_agent(actor_entropy_scale=-1.0)
  with pytest.raises(ValueError, match='train_sequence_length=4'):
    agent = tiny_agent()
    chunk = _chunk(agent)
    agent.train(chunk._replace(**{
        k: np.concatenate([getattr(chunk, k)] * 2, 1)
        for k in ('step_type', 'observation', 'action', 'reward',
                  'discount', 'next_step_type')}))
