"""One reward head per task on a shared latent: which heads shape it."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf.models import RSSM
from planet_tf.models import WorldModel
from planet_tf.networks import ConvDecoder
from planet_tf.networks import ConvEncoder
from planet_tf.networks import DenseHead

B, T, A, SIZE = 3, 5, 2, 16
HEADS = ('forward', 'backward')


def small_model(**kwargs):
  return WorldModel(
      A, encoder=ConvEncoder((4, 8)), dynamics=RSSM(4, 8, 8),
      decoder=ConvDecoder((SIZE, SIZE, 3), 16, (4,), (6, 6)), **kwargs)


def chunk(rewards, seed=0):
  rng = np.random.default_rng(seed)
  step_types = np.full([B, T], ts.StepType.MID, np.int32)
  step_types[:, 0] = ts.StepType.FIRST
  return trajectory.Trajectory(
      step_type=tf.constant(step_types),
      observation=tf.constant(
          rng.integers(0, 256, [B, T, SIZE, SIZE, 3], dtype=np.uint8)),
      action=tf.constant(rng.uniform(-1, 1, [B, T, A]), tf.float32),
      policy_info=(), next_step_type=tf.constant(np.roll(step_types, -1, 1)),
      reward={name: tf.constant(rng.normal(size=[B, T]), tf.float32)
              for name in rewards},
      discount=tf.ones([B, T]))


def _representation(model):
  return (model.encoder.trainable_variables +
          model.dynamics.trainable_variables +
          model.decoder.trainable_variables)


def _gradients(model, term, experience):
  """Gradients of one loss metric `term` into the representation and the heads."""
  model.build_variables((SIZE, SIZE, 3))
  with tf.GradientTape(persistent=True) as tape:
    _, metrics = model.loss(experience)
  representation = tape.gradient(metrics[term], _representation(model))
  heads = {name: tape.gradient(metrics[term], head.trainable_variables)
           for name, head in model.reward_heads.items()}
  return representation, heads


def _norm(grads):
  return float(sum(tf.reduce_sum(tf.square(g)) for g in grads if g is not None))


def test_reward_names_build_one_dense_head_each():
  model = small_model(reward_names=HEADS)
  assert list(model.reward_heads) == list(HEADS)
  assert all(isinstance(h, DenseHead) for h in model.reward_heads.values())
  assert model.shaping_heads == HEADS  # Every head shapes it, as PlaNet.
  assert list(small_model().reward_heads) == ['reward']


@pytest.mark.parametrize('head', HEADS)
def test_a_head_that_does_not_shape_the_latent_gives_it_exactly_zero_gradient(
    head):
  model = small_model(reward_names=HEADS, shaping_heads=())
  representation, heads = _gradients(model, f'{head}_nll', chunk(HEADS))
  assert len(representation) > 10
  # No path at all from the head's loss into encoder, dynamics or decoder.
  assert all(g is None or not np.any(g.numpy()) for g in representation)
  assert _norm(heads[head]) > 0  # The head itself learns.


def test_a_shaping_head_reaches_the_latent_and_the_other_does_not():
  model = small_model(reward_names=HEADS, shaping_heads=('forward',))
  experience = chunk(HEADS)
  shaping, _ = _gradients(model, 'forward_nll', experience)
  frozen, _ = _gradients(model, 'backward_nll', experience)
  assert _norm(shaping) > 0
  assert _norm(frozen) == 0


def test_without_shaping_heads_the_total_loss_trains_the_latent_as_without_rewards():
  model = small_model(reward_names=HEADS, shaping_heads=())
  model.build_variables((SIZE, SIZE, 3))
  variables = _representation(model)

  def grads(experience):
    tf.random.set_seed(3)  # The same dequantisation noise and samples.
    with tf.GradientTape() as tape:
      loss, _ = model.loss(experience)
    return tape.gradient(loss, variables)

  with_rewards, reward_free = grads(chunk(HEADS)), grads(chunk(()))
  for a, b in zip(with_rewards, reward_free):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_unknown_shaping_heads_and_conflicting_arguments_are_refused():
  with pytest.raises(ValueError, match=r"\['sideways'\].*'backward', 'forward'"):
    small_model(reward_names=HEADS, shaping_heads=('sideways',))
  with pytest.raises(ValueError, match='not both'):
    small_model(reward_names=HEADS, reward_heads={'reward': DenseHead()})
  with pytest.raises(ValueError, match='repeats'):
    small_model(reward_names=('forward', 'forward'))
  with pytest.raises(ValueError, match='list of head names'):
    small_model(reward_names=HEADS, shaping_heads='forward')
