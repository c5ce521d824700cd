"""WorldModel: the loss, its time alignment, the agent's update step on it, gin."""

import gin
import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf import config
from planet_tf.agents import PlanetAgent
from planet_tf.models import DeterministicRNN
from planet_tf.models import RSSM
from planet_tf.models import StochasticSSM
from planet_tf.models import WorldModel
from planet_tf.models import make_world_model
from planet_tf.networks import ConvDecoder
from planet_tf.networks import ConvEncoder
from planet_tf.networks import DenseHead

B, T, A, SIZE = 4, 6, 2, 16


def small_model(dynamics=None, **kwargs):
  """A 16x16 world model small enough for two shared CPU cores."""
  return WorldModel(
      A, encoder=ConvEncoder((4, 8)),
      dynamics=dynamics if dynamics is not None else RSSM(4, 8, 8),
      decoder=ConvDecoder((SIZE, SIZE, 3), 16, (4,), (6, 6)),
      reward_heads={'reward': DenseHead((16,))}, **kwargs)


def small_agent(model, **kwargs):
  """A `PlanetAgent` that trains `model` on chunks of any length."""
  time_step_spec = ts.time_step_spec(tf.TensorSpec([SIZE, SIZE, 3], tf.uint8))
  action_spec = tensor_spec.BoundedTensorSpec([A], tf.float32, -1, 1)
  return PlanetAgent(time_step_spec, action_spec, world_model=model,
                     train_sequence_length=None, **kwargs)


def experience(seed=0, batch=B, length=T, boundary=None, rewards=None,
               actions=None):
  rng = np.random.default_rng(seed)
  step_types = np.full([batch, length], ts.StepType.MID, np.int32)
  step_types[:, 0] = ts.StepType.FIRST
  if boundary is not None:
    step_types[:, boundary - 1] = ts.StepType.LAST
    step_types[:, boundary] = ts.StepType.FIRST
  if actions is None:
    actions = rng.uniform(-1, 1, [batch, length, A])
  if rewards is None:
    rewards = rng.normal(size=[batch, length])
  return trajectory.Trajectory(
      step_type=tf.constant(step_types),
      observation=tf.constant(
          rng.integers(0, 256, [batch, length, SIZE, SIZE, 3], dtype=np.uint8)),
      action=tf.constant(actions, tf.float32),
      policy_info=(),
      next_step_type=tf.constant(np.roll(step_types, -1, axis=1)),
      reward=tf.constant(rewards, tf.float32),
      discount=tf.ones([batch, length]))


def test_loss_is_a_scalar_with_a_dict_of_scalar_metrics():
  model = small_model()
  loss, metrics = model.loss(experience())
  assert loss.shape == () and loss.dtype == tf.float32
  assert {'loss', 'image_nll', 'reward_nll', 'kl', 'kl_loss'} <= set(metrics)
  assert all(m.shape == () for m in metrics.values())
  np.testing.assert_allclose(metrics['loss'], loss)
  # Image NLL is summed over the 16x16x3 pixels: at least the Gaussian constant.
  assert metrics['image_nll'] > SIZE * SIZE * 3 * 0.5 * np.log(2 * np.pi)


@pytest.mark.parametrize('dynamics', [
    lambda: RSSM(4, 8, 8), lambda: DeterministicRNN(8, 8),
    lambda: StochasticSSM(4, 8)])
@pytest.mark.parametrize('overshooting', [0, 3])
def test_gradients_reach_every_trainable_variable(dynamics, overshooting):
  model = small_model(dynamics(), free_nats=0.0,
                      latent_overshooting_distance=overshooting,
                      observation_overshooting_distance=overshooting)
  data = experience(boundary=3)
  model.loss(data)
  with tf.GradientTape() as tape:
    loss, _ = model.loss(data)
  variables = model.trainable_variables
  grads = tape.gradient(loss, variables)
  missing = [v.name for v, g in zip(variables, grads)
             if g is None or not np.any(g.numpy() != 0)]
  assert not missing
  assert np.isfinite(loss.numpy())


def test_a_model_without_stochastic_state_pays_no_free_nats():
  _, metrics = small_model(DeterministicRNN(8, 8), free_nats=3.0).loss(
      experience())
  assert float(metrics['kl']) == 0.0 and float(metrics['kl_loss']) == 0.0


def test_boundary_steps_are_masked_out_of_the_reward_term():
  model = small_model()
  data = experience(boundary=3)
  _, metrics = model.loss(data)
  # A huge reward stored at the LAST step (the one read at the FIRST after it)
  # and at the chunk's final step (never predicted) changes nothing.
  rewards = data.reward.numpy()
  rewards[:, 2] = 1e6
  rewards[:, -1] = 1e6
  tf.random.set_seed(0)
  _, masked = model.loss(data._replace(reward=tf.constant(rewards)))
  tf.random.set_seed(0)
  _, reference = model.loss(data)
  np.testing.assert_allclose(masked['reward_nll'], reference['reward_nll'],
                             rtol=1e-5)
  rewards[:, 1] = 1e6  # A real transition: it counts.
  _, unmasked = model.loss(data._replace(reward=tf.constant(rewards)))
  assert unmasked['reward_nll'] > 1e9


def _fit_reward(rewards_from_actions, steps=150, seed=0):
  """Trains a small model on reward = f(actions) chunks; returns the reward MSE."""
  # Python's, NumPy's, TensorFlow's and Keras' seeds: the initial weights must
  # not depend on what ran before in the same process (the fit is sensitive).
  tf.keras.utils.set_random_seed(seed)
  rng = np.random.default_rng(seed)
  # Keras' GRU variant: with the original's gate bias of 1 this 8-unit belief
  # takes in the previous action more slowly than 150 steps allow; the test is
  # about the alignment of rewards, which is the same for both cells.
  model = small_model(RSSM(4, 8, 8, reset_after=True, gate_bias=0.0))
  agent = small_agent(model, learning_rate=1e-2)
  mse = []
  for step in range(steps):
    actions = rng.uniform(-1, 1, [16, 8, A])
    data = experience(seed=step, batch=16, length=8, actions=actions,
                      rewards=rewards_from_actions(actions))
    data = data._replace(observation=tf.zeros_like(data.observation))
    mse.append(float(agent.train(data).extra['reward_mse']))
  return np.mean(mse[-20:])


@pytest.mark.slow
def test_reward_is_fitted_only_with_the_documented_alignment():
  # reward[t] is earned by action[t]; the head at step t predicts reward[t-1],
  # which the belief knows from prev_action[t] = action[t-1].
  aligned = _fit_reward(lambda a: a[..., 0])
  # Stored one step late, the target at t would be action[t]: not yet taken.
  misaligned = _fit_reward(lambda a: np.roll(a[..., 0], -1, axis=1))
  variance = 1.0 / 3.0  # of U(-1, 1)
  assert aligned < 0.25 * variance
  assert misaligned > 0.6 * variance


def _count_loss_traces(model):
  """Counts the Python calls of `model.loss`: one per trace inside a tf.function."""
  calls = []
  loss = model.loss

  def counted(experience):
    calls.append(1)
    return loss(experience)
  model.loss = counted
  return calls


def test_the_agents_update_is_traced_once_and_changes_the_weights():
  model = small_model()
  agent = small_agent(model)
  agent.train(experience(0))
  calls = _count_loss_traces(model)
  before = [v.numpy().copy() for v in model.trainable_variables]
  for seed in range(1, 4):
    metrics = agent.train(experience(seed)).extra
  assert not calls  # The step traced on the first chunk is reused.
  assert {'loss', 'grad_norm'} <= set(metrics)
  assert all(m.shape == () for m in metrics.values())
  assert any(np.any(b != v.numpy())
             for b, v in zip(before, model.trainable_variables))
  assert agent.optimizer.iterations.numpy() == 4


def test_optimizer_is_the_agents_adam_with_the_papers_settings():
  agent = small_agent(small_model())
  assert isinstance(agent.optimizer, tf.keras.optimizers.Adam)
  np.testing.assert_allclose(agent.optimizer.learning_rate.numpy(), 1e-3)
  np.testing.assert_allclose(agent.optimizer.epsilon, 1e-4)


def test_gradients_are_clipped_to_the_global_norm():
  data = experience(0)

  def change(**kwargs):
    tf.random.set_seed(0)
    model = small_model()
    agent = small_agent(model, **kwargs)
    agent.initialize()
    before = [v.numpy().copy() for v in model.trainable_variables]
    norm = float(agent.train(data).extra['grad_norm'])
    return norm, sum(float(np.sum(np.abs(b - v.numpy())))
                     for b, v in zip(before, model.trainable_variables))

  norm, unclipped = change()
  assert 1e-6 < norm < 1000.0  # The paper's clip does not bind here.
  _, clipped = change(grad_clip_norm=1e-6)
  assert clipped < 0.1 * unclipped  # Adam's epsilon dominates tiny gradients.


def test_optimizer_settings_bound_on_the_world_model_reach_the_agent():
  # gin files bind `WorldModel.learning_rate` etc.; the optimizer is the agent's.
  agent = small_agent(small_model(learning_rate=1e-2, adam_epsilon=1e-6))
  np.testing.assert_allclose(agent.optimizer.learning_rate.numpy(), 1e-2)
  np.testing.assert_allclose(agent.optimizer.epsilon, 1e-6)
  with pytest.raises(ValueError, match='bind only PlanetAgent.learning_rate'):
    small_agent(small_model(learning_rate=1e-2), learning_rate=1e-3)


def test_embed_and_reward_serve_the_policy_and_the_planner():
  model = small_model()
  assert model.embed(tf.zeros([3, SIZE, SIZE, 3], tf.uint8)).shape == (3, 32)
  assert model.embed(tf.zeros([3, 2, SIZE, SIZE, 3], tf.uint8)).shape == (
      3, 2, 32)
  features = tf.zeros([1000, model.dynamics.feature_size])
  assert model.reward(features).mean().shape == (1000,)
  with pytest.raises(KeyError, match='no reward head'):
    model.reward(features, head='cheetah')


def test_open_loop_prediction_returns_uint8_frames_and_rewards():
  model = small_model()
  frames, rewards = model.open_loop_prediction(experience(), context=2)
  assert frames.shape == (B, T, SIZE, SIZE, 3) and frames.dtype == tf.uint8
  assert rewards.shape == (B, T)
  with pytest.raises(ValueError, match='context'):
    model.open_loop_prediction(experience(), context=T + 1)


def test_bad_experience_names_the_problem():
  model = small_model()
  data = experience()
  with pytest.raises(ValueError, match='observation must be uint8 \\[B, L'):
    model.loss(data._replace(observation=data.observation[:, 0]))
  with pytest.raises(ValueError, match='must be uint8'):
    model.loss(data._replace(observation=tf.cast(data.observation, tf.float32)))
  with pytest.raises(ValueError, match='decoder models'):
    model.loss(data._replace(observation=data.observation[:, :, :8, :8]))
  with pytest.raises(ValueError, match=r'action must be \[B, L, 2\]'):
    model.loss(data._replace(action=tf.zeros([B, T, 3])))
  with pytest.raises(ValueError, match='step_type must be'):
    model.loss(data._replace(step_type=data.step_type[:, 0]))
  with pytest.raises(ValueError, match='only has heads'):
    model.loss(data._replace(reward={'cheetah': data.reward}))
  with pytest.raises(ValueError, match='action_size'):
    WorldModel(0)


def test_several_named_reward_heads_share_one_dynamics_model():
  model = small_model()
  model.reward_heads['walker'] = DenseHead((8,))
  data = experience()
  _, metrics = model.loss(data._replace(
      reward={'reward': data.reward, 'walker': -data.reward}))
  assert {'reward_nll', 'walker_nll'} <= set(metrics)


def _base_gin_model(action_size):
  """`make_world_model` under `gin_configs/base.gin` (the paper's sizes)."""
  gin.clear_config()
  try:
    config.parse_gin(['base.gin'], finalize=False)
    return make_world_model(action_size)
  finally:
    gin.clear_config()


def test_base_gin_builds_the_papers_world_model():
  model = _base_gin_model(3)
  assert model.action_size == 3
  assert isinstance(model.dynamics, RSSM)
  assert (model.dynamics.stoch_size, model.dynamics.deter_size) == (30, 200)
  assert model.decoder.image_shape == (64, 64, 3)
  assert model.free_nats == 3.0
  assert model.dynamics.state_spec().deter.shape == (200,)
  head = model.reward_heads['reward']
  assert head(tf.zeros([1, 230])).mean().shape == (1,)
  # The original code's reward head: three ReLU layers of 300.
  assert [v.shape.as_list() for v in head.trainable_variables[::2]] == [
      [230, 300], [300, 300], [300, 300], [300, 1]]
  assert model.reward_scale == 10.0


def test_update_compiles_with_xla():
  model = small_model(latent_overshooting_distance=2)
  agent = small_agent(model, jit_compile=True)
  agent.train(experience(0))
  calls = _count_loss_traces(model)
  metrics = agent.train(experience(1)).extra
  assert np.isfinite(metrics['loss'].numpy())
  assert not calls


def test_a_model_without_stochastic_state_pays_no_free_nats_when_overshooting():
  model = small_model(DeterministicRNN(8, 8), free_nats=3.0,
                      latent_overshooting_distance=3)
  assert model.free_nats == 0.0
  _, metrics = model.loss(experience())
  assert float(metrics['kl_loss']) == 0.0
  assert float(metrics['overshooting_kl']) == 0.0


def test_observation_overshooting_adds_its_weighted_image_nll():
  data = experience(boundary=3)
  tf.random.set_seed(0)
  model = small_model(observation_overshooting_distance=2,
                      observation_overshooting_scale=0.5)
  tf.random.set_seed(1)
  loss, metrics = model.loss(data)
  term = metrics['observation_overshooting_nll']
  assert np.isfinite(float(term)) and float(term) > 0
  others = metrics['image_nll'] + metrics['reward_nll'] + metrics['kl_loss']
  np.testing.assert_allclose(loss, others + 0.5 * term, rtol=1e-5)


def test_base_gin_model_has_the_papers_layer_shapes():
  model = _base_gin_model(6)
  rng = np.random.default_rng(0)
  _, metrics = model.loss(trajectory.Trajectory(
      step_type=tf.constant([[0, 1]]), next_step_type=tf.constant([[1, 1]]),
      observation=tf.constant(rng.integers(0, 256, [1, 2, 64, 64, 3],
                                           dtype=np.uint8)),
      action=tf.zeros([1, 2, 6]), policy_info=(), reward=tf.zeros([1, 2]),
      discount=tf.ones([1, 2])))
  # The paper's final agent: no overshooting term.
  assert not {'overshooting_kl', 'observation_overshooting_nll'} & set(metrics)
  kernels = lambda layer: [v.shape.as_list() for v in layer.trainable_variables
                           if 'kernel' in v.name]
  # Encoder: 4x4 stride-2 convs with 32, 64, 128, 256 filters -> 1024.
  assert kernels(model.encoder) == [[4, 4, 3, 32], [4, 4, 32, 64],
                                    [4, 4, 64, 128], [4, 4, 128, 256]]
  assert model.embed(tf.zeros([1, 64, 64, 3], tf.uint8)).shape == (1, 1024)
  # Decoder: dense 1024, transposed convs 128/k5, 64/k5, 32/k6, 3/k6.
  assert kernels(model.decoder) == [[230, 1024], [5, 5, 128, 1024],
                                    [5, 5, 64, 128], [6, 6, 32, 64],
                                    [6, 6, 3, 32]]
  # RSSM: hidden 200 around a GRU of 200 units, Gaussian state of 30.
  assert kernels(model.dynamics) == [
      [36, 200], [200, 600], [200, 600], [200, 200], [200, 60], [1224, 200],
      [200, 60]]
  # The original's GRUBlockCell: reset gate before the matmul (one bias row),
  # gate biases starting at 1, the candidate's at 0.
  [gru_bias] = [v for v in model.dynamics.trainable_variables
                if 'gru' in v.name and 'bias' in v.name]
  assert gru_bias.shape == (600,)
  np.testing.assert_array_equal(gru_bias.numpy(), [1.0] * 400 + [0.0] * 200)
  # The same count as the independent PyTorch reference of this architecture
  # (benchmarks/torch_reference.py reports 5,293,220 parameters).
  assert sum(int(np.prod(v.shape)) for v in model.trainable_variables) == (
      5_293_220)
