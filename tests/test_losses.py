"""The ELBO terms: KL with free nats, masks, latent and observation overshooting."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from planet_tf.models import losses
from planet_tf.models import DeterministicRNN
from planet_tf.models import LatentState
from planet_tf.models import RSSM
from planet_tf.models import StochasticSSM

B, T, E, A = 2, 7, 6, 2


def _state(mean, stddev):
  mean = tf.constant(mean, tf.float32)
  return LatentState(mean, tf.constant(stddev, tf.float32), mean,
                     tf.zeros(mean.shape[:-1] + (0,)))


def _observed(dynamics, step_types=None, seed=0):
  rng = np.random.default_rng(seed)
  embeddings = tf.constant(rng.normal(size=[B, T, E]), tf.float32)
  prev_actions = tf.constant(rng.uniform(-1, 1, [B, T, A]), tf.float32)
  posteriors, priors = dynamics.observe(embeddings, prev_actions, step_types)
  return posteriors, priors, prev_actions


def test_kl_is_zero_when_the_posterior_equals_the_prior():
  rng = np.random.default_rng(0)
  dynamics = StochasticSSM(3, 4)
  state = _state(rng.normal(size=[B, T, 3]), rng.uniform(0.1, 2, [B, T, 3]))
  np.testing.assert_allclose(dynamics.divergence(state, state), np.zeros([B, T]),
                             atol=1e-6)
  other = _state(state.mean + 1.0, state.stddev)
  assert np.all(dynamics.divergence(state, other).numpy() > 0)


def test_kl_matches_the_closed_form_for_diagonal_gaussians():
  post, prior = _state([[[0.0, 1.0]]], [[[1.0, 0.5]]]), _state(
      [[[1.0, 0.0]]], [[[2.0, 1.0]]])
  expected = sum(np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5
                 for m1, s1, m2, s2 in [(0, 1, 1, 2), (1, 0.5, 0, 1)])
  np.testing.assert_allclose(StochasticSSM(2, 4).divergence(post, prior),
                             [[expected]], rtol=1e-5)


def test_free_nats_clamp_each_step_and_stop_its_gradient():
  mean = tf.Variable([[[0.0], [0.5], [4.0]]])  # KLs 0, 0.125, 8 per step.
  prior = _state(np.zeros([1, 3, 1]), np.ones([1, 3, 1]))
  dynamics = StochasticSSM(1, 4)
  with tf.GradientTape() as tape:
    post = LatentState(mean, tf.ones_like(mean), mean, tf.zeros([1, 3, 0]))
    loss, kl = losses.kl_loss(dynamics.divergence(post, prior), free_nats=3.0)
  np.testing.assert_allclose(loss, (3.0 + 3.0 + 8.0) / 3, rtol=1e-5)
  np.testing.assert_allclose(kl, (0.0 + 0.125 + 8.0) / 3, rtol=1e-5)
  grad = tape.gradient(loss, mean).numpy()
  assert grad[0, 0, 0] == 0 and grad[0, 1, 0] == 0 and grad[0, 2, 0] != 0
  loss0, _ = losses.kl_loss(dynamics.divergence(post, prior), free_nats=0.0)
  np.testing.assert_allclose(loss0, kl, rtol=1e-6)


def test_a_model_without_stochastic_state_has_zero_kl():
  dynamics = DeterministicRNN(5, 5)
  posteriors, priors, prev_actions = _observed(dynamics)
  assert posteriors.mean.shape[-1] == 0
  kl = dynamics.divergence(posteriors, priors)
  assert kl.shape == (B, T) and not np.any(kl.numpy())
  rollouts = dynamics.rollouts(posteriors, prev_actions, None, 3)
  for kl, _ in dynamics.rollout_divergences(rollouts, posteriors):
    assert not np.any(kl.numpy())


def test_masked_mean_ignores_masked_steps_even_if_they_are_nan():
  values = tf.constant([[1.0, np.nan, 3.0]])
  np.testing.assert_allclose(losses.masked_mean(values, [[1, 0, 1]]), 2.0)


def test_one_step_open_loop_rollouts_are_the_observe_priors():
  dynamics = RSSM(3, 5, 5)
  step_types = np.full([B, T], ts.StepType.MID, np.int32)
  step_types[:, 0] = step_types[:, 4] = ts.StepType.FIRST
  posteriors, priors, prev_actions = _observed(dynamics, step_types)
  # observe zeroes prev_actions at FIRST; so does the rollout.
  [(prior, mask)] = dynamics.rollouts(posteriors, prev_actions, step_types, 1)
  np.testing.assert_allclose(prior.mean, priors.mean, atol=1e-5)
  np.testing.assert_allclose(prior.stddev, priors.stddev, atol=1e-5)
  np.testing.assert_array_equal(mask, np.ones([B, T]))


def test_latent_overshooting_with_distance_one_equals_the_standard_kl_term():
  dynamics = RSSM(3, 5, 5)
  posteriors, priors, prev_actions = _observed(dynamics)
  rollouts = dynamics.rollouts(posteriors, prev_actions, None, 1)
  for free_nats in (0.0, 0.5):
    overshooting, _ = losses.latent_overshooting(
        dynamics.rollout_divergences(rollouts, posteriors), free_nats)
    standard, _ = losses.kl_loss(dynamics.divergence(posteriors, priors),
                                 free_nats)
    np.testing.assert_allclose(overshooting, standard, rtol=1e-5)


def test_latent_overshooting_averages_the_scaled_terms_of_each_distance():
  kls = [(tf.fill([1, 2], 4.0), tf.ones([1, 2])),
         (tf.constant([[1.0, 100.0]]), tf.constant([[1.0, 0.0]]))]
  loss, means = losses.latent_overshooting(kls, free_nats=2.0, scales=[1.0, 0.5])
  np.testing.assert_allclose(means, [4.0, 1.0])
  np.testing.assert_allclose(loss, (4.0 + 0.5 * 2.0) / 2)
  with pytest.raises(ValueError, match='scales'):
    losses.latent_overshooting(kls, scales=[1.0])


def test_overshooting_masks_predictions_past_the_end_or_across_a_first():
  dynamics = StochasticSSM(3, 5)
  step_types = np.full([B, T], ts.StepType.MID, np.int32)
  step_types[:, 0] = step_types[:, 4] = ts.StepType.FIRST
  posteriors, _, prev_actions = _observed(dynamics, step_types)
  rollouts = dynamics.rollouts(posteriors, prev_actions, step_types, 3)
  masks = [mask.numpy()[0] for _, mask in rollouts]
  # Start step u predicts u + k; invalid past T - 1 = 6 or across the FIRST at 4.
  np.testing.assert_array_equal(masks[0], [1, 1, 1, 1, 1, 1, 1])
  np.testing.assert_array_equal(masks[1], [1, 1, 1, 0, 1, 1, 0])
  np.testing.assert_array_equal(masks[2], [1, 1, 0, 0, 1, 0, 0])


def test_latent_overshooting_stops_gradients_of_multi_step_posterior_targets():
  dynamics = RSSM(3, 5, 5)
  posteriors, _, prev_actions = _observed(dynamics)
  # Rollouts start from detached posteriors, so any gradient that reaches
  # `posteriors` below comes through the KL targets.
  starts = tf.nest.map_structure(tf.stop_gradient, posteriors)
  rollouts = dynamics.rollouts(starts, prev_actions, None, 3)

  def target_gradient(scales):
    with tf.GradientTape() as tape:
      tape.watch(posteriors)
      loss, kls = losses.latent_overshooting(
          dynamics.rollout_divergences(rollouts, posteriors), 0.0, scales)
    assert len(kls) == 3 and loss.shape == ()
    grad = tape.gradient(loss, posteriors.mean)
    return np.zeros(posteriors.mean.shape) if grad is None else grad.numpy()

  assert np.all(target_gradient([0.0, 1.0, 1.0]) == 0)  # d = 2, 3: detached.
  assert np.any(target_gradient([1.0, 0.0, 0.0]) != 0)  # d = 1: trained.


def test_overshooting_distance_must_be_positive():
  dynamics = RSSM(3, 5, 5)
  posteriors, _, prev_actions = _observed(dynamics)
  with pytest.raises(ValueError, match='distance'):
    dynamics.rollouts(posteriors, prev_actions, None, 0)
