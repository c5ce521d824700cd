"""GLAMOR's model: the IMPALA encoder, the goal model and the prior share one
step, the prior never sees the goal, and the loss ignores PAD."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from planet_tf.models import inverse_dynamics as idm
from planet_tf.networks.impala import ImpalaEncoder
from planet_tf.networks.impala import ResidualBlock

tfd = tfp.distributions
A = 3  # END = 3, PAD = 4.
B, T = 2, 5


def _small_model():
  """16x16 frames through three small stages (16 -> 7 -> 3 -> 1)."""
  def encoder(name):
    return ImpalaEncoder(channels=(4, 4, 4), feature_size=16, groups=2,
                         name=name)
  return idm.InverseDynamics(A, encoder('obs'), encoder('goal'), mix_units=8,
                             context_size=12, lstm_units=6)


def _images(seed, channels, size=16, batch=B):
  rng = np.random.default_rng(seed)
  return tf.constant(rng.integers(0, 256, [batch, size, size, channels]),
                     tf.uint8)


def _tokens(seed=0):
  rng = np.random.default_rng(seed)
  targets = rng.integers(0, A, [B, T]).astype(np.int32)
  targets[0, 2], targets[0, 3:] = A, A + 1  # Two actions, END, PAD.
  targets[1, 4] = A
  return tf.constant(targets)


def test_tokens_are_actions_then_end_then_pad():
  assert (idm.end_token(A), idm.pad_token(A), idm.num_tokens(A)) == (3, 4, 5)
  np.testing.assert_array_equal(
      idm.previous_tokens(tf.constant([[0, 2, 3, 4]])), [[idm.START, 0, 2, 3]])


def test_paper_encoder_maps_stacked_frames_and_goal_frames_to_512():
  encoder = ImpalaEncoder()
  features = encoder(tf.zeros([2, 64, 64, 4], tf.uint8))
  assert features.shape == (2, 512)
  assert np.all(features.numpy() >= 0)  # The output ReLU.
  # Three stages take 64x64 to 7x7x32 (max-pools of 3/2, valid).
  dense_kernel = [v for v in encoder.variables if 'dense/kernel' in v.name]
  assert dense_kernel[0].shape == (7 * 7 * 32, 512)
  goal_encoder = ImpalaEncoder()
  assert goal_encoder(tf.zeros([3, 64, 64, 1], tf.uint8)).shape == (3, 512)
  # Leading dimensions are kept.
  assert goal_encoder(tf.zeros([2, 3, 64, 64, 1], tf.uint8)).shape == (2, 3, 512)
  with pytest.raises(ValueError, match='uint8'):
    goal_encoder(tf.zeros([1, 64, 64, 1]))


def test_a_new_residual_block_is_the_identity_on_nonnegative_inputs():
  x = tf.random.uniform([2, 5, 5, 4])
  np.testing.assert_allclose(ResidualBlock(4, groups=2)(x), x, atol=1e-6)


def test_paper_sizes_are_the_defaults():
  model = idm.InverseDynamics(9)
  model.build_variables((64, 64, 4))
  shapes = {v.name: tuple(v.shape) for v in model.variables}
  assert shapes['mix/hidden/kernel:0'] == (1024, 256)
  assert shapes['mix/out/kernel:0'] == (256, 512)
  for lstm, context in [('goal_lstm', 512), ('prior_lstm', 512)]:
    assert shapes[f'{lstm}/init_h/kernel:0'] == (context, 64)
    # The input layer over (context, one-hot action), in two parts.
    assert shapes[f'{lstm}/mix_context/kernel:0'] == (context, 512)
    assert shapes[f'{lstm}/mix_action/kernel:0'] == (9, 512)
    assert shapes[f'{lstm}/rnn/cell/kernel:0'] == (512, 4 * 64)
    assert shapes[f'{lstm}/out/kernel:0'] == (64, 11)  # 9 actions, END, PAD.
  # The prior shares the observation encoder: two encoders in all.
  encoders = {n.split('/')[0] for n in shapes if 'stage' in n}
  assert encoders == {'observation_encoder', 'goal_encoder'}


def test_heads_are_categoricals_over_actions_end_and_pad():
  model = _small_model()
  goal_dist, prior_dist = model.distributions(
      _images(0, 4), _images(1, 1), idm.previous_tokens(_tokens()))
  for dist in (goal_dist, prior_dist):
    assert isinstance(dist, tfd.Categorical)
    assert dist.batch_shape == (B, T)
    assert dist.logits.shape == (B, T, A + 2)
    # The logits are normalised log-probabilities (the planner reads them).
    np.testing.assert_allclose(tf.reduce_logsumexp(dist.logits, -1), 0,
                               atol=1e-5)


def test_stepping_token_by_token_equals_the_teacher_forced_sequence():
  model = _small_model()
  observation, goal, targets = _images(0, 4), _images(1, 1), _tokens()
  prev = idm.previous_tokens(targets)
  goal_dist, prior_dist = model.distributions(observation, goal, prev)
  context = model.context(observation, goal)
  state = model.initial_state(context)
  for t in range(T):
    goal_step, prior_step, state = model.step(context, prev[:, t], state)
    np.testing.assert_allclose(goal_step.logits, goal_dist.logits[:, t],
                               atol=1e-5)
    np.testing.assert_allclose(prior_step.logits, prior_dist.logits[:, t],
                               atol=1e-5)


def test_the_prior_never_sees_the_goal():
  model = _small_model()
  observation, prev = _images(0, 4), idm.previous_tokens(_tokens())
  goal_a, prior_a = model.distributions(observation, _images(1, 1), prev)
  goal_b, prior_b = model.distributions(observation, _images(2, 1), prev)
  np.testing.assert_array_equal(prior_a.logits, prior_b.logits)
  assert np.abs(goal_a.logits - goal_b.logits).max() > 1e-6


def test_start_end_and_pad_are_no_action_as_input():
  model = _small_model()
  context = model.context(_images(0, 4), _images(1, 1))
  state = model.initial_state(context)
  outputs = [model.step(context, tf.fill([B], token), state)[0].logits
             for token in (idm.START, A, A + 1)]
  np.testing.assert_array_equal(outputs[0], outputs[1])
  np.testing.assert_array_equal(outputs[0], outputs[2])
  action = model.step(context, tf.fill([B], 0), state)[0].logits
  assert np.abs(action - outputs[0]).max() > 1e-6


def test_loss_is_the_mean_nll_of_both_models_over_non_pad_targets():
  targets = tf.constant([[0, 3, 4, 4], [2, 1, 0, 3]])  # 2 + 4 counted.
  rng = np.random.default_rng(0)
  goal_logits = tf.nn.log_softmax(rng.normal(size=[2, 4, 5]).astype(np.float32))
  prior_logits = tf.nn.log_softmax(
      rng.normal(size=[2, 4, 5]).astype(np.float32))
  loss, metrics = idm.sequence_loss(tfd.Categorical(logits=goal_logits),
                                    tfd.Categorical(logits=prior_logits),
                                    targets, pad=4)
  counted = [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2), (1, 3)]
  expected_goal = -np.mean([goal_logits[b, t, targets[b, t]] for b, t in counted])
  expected_prior = -np.mean([prior_logits[b, t, targets[b, t]]
                             for b, t in counted])
  np.testing.assert_allclose(metrics['goal_nll'], expected_goal, rtol=1e-5)
  np.testing.assert_allclose(metrics['prior_nll'], expected_prior, rtol=1e-5)
  np.testing.assert_allclose(loss, expected_goal + expected_prior, rtol=1e-5)


def test_what_the_model_says_at_pad_targets_does_not_change_the_loss():
  targets = tf.constant([[0, 3, 4, 4]])
  logits = tf.nn.log_softmax(tf.random.normal([1, 4, 5], seed=1))
  changed = tf.concat([logits[:, :2], tf.nn.log_softmax(
      tf.constant([[[9.0, -9.0, 0.0, 3.0, -20.0]] * 2]))], axis=1)
  loss = idm.sequence_loss(tfd.Categorical(logits=logits),
                           tfd.Categorical(logits=logits), targets, pad=4)[0]
  same = idm.sequence_loss(tfd.Categorical(logits=changed),
                           tfd.Categorical(logits=changed), targets, pad=4)[0]
  np.testing.assert_allclose(loss, same, rtol=1e-6)


def test_the_goal_models_loss_trains_its_side_and_the_shared_encoder_only():
  model = _small_model()
  observation, goal, targets = _images(0, 4), _images(1, 1), _tokens()
  with tf.GradientTape(persistent=True) as tape:
    _, metrics = model.loss(observation, goal, targets)
  prior_grads = tape.gradient(metrics['prior_nll'], model.trainable_variables)
  goal_grads = tape.gradient(metrics['goal_nll'], model.trainable_variables)
  parts = {'obs': model.observation_encoder, 'goal': model.goal_encoder,
           'mix': model.mix, 'goal_lstm': model.goal_lstm,
           'prior_lstm': model.prior_lstm}
  owner = {v.ref(): name for name, part in parts.items()
           for v in part.trainable_variables}
  assert len(owner) == len(model.trainable_variables)

  def reached(grads):
    return {owner[v.ref()] for v, g in zip(model.trainable_variables, grads)
            if g is not None and np.abs(g.numpy()).max() > 0}

  assert reached(prior_grads) == {'obs', 'prior_lstm'}
  assert reached(goal_grads) == {'obs', 'goal', 'mix', 'goal_lstm'}


@pytest.mark.slow  # 4-5 s of eager steps on a loaded machine.
def test_a_few_adam_steps_fit_a_fixed_batch():
  # Seeded: unseeded initial weights depend on the tests run before in the
  # process (Keras draws their seeds from Python's generator).
  tf.keras.utils.set_random_seed(0)
  model = _small_model()
  observation, goal, targets = _images(0, 4), _images(1, 1), _tokens()
  optimizer = tf.keras.optimizers.Adam(3e-2)
  losses = []
  for _ in range(12):  # Eager: tracing the step would cost more than it saves.
    with tf.GradientTape() as tape:
      loss, _ = model.loss(observation, goal, targets)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    losses.append(float(loss))
  assert losses[-1] < 0.6 * losses[0]  # From 2 log 5 (uniform over 5 tokens).
