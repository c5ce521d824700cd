"""ELBO terms of PlaNet (Hafner et al., 2019, Sec. 3-4): likelihoods, KL with free
nats, latent overshooting (eq. 7) and observation overshooting.

Every term takes an optional float mask `[B, T]` and averages over the steps
where it is 1. What is masked is the caller's choice; `WorldModel.loss` masks
only the reward term at t = 0 and at FIRST (its target, `reward[t-1]`, lies
before the start of the chunk or in the previous episode). The image and KL terms
count at every step: at t = 0 and at FIRST the state starts from the reset
(zero) state, so the KL there compares the posterior with the prior from the
reset state, as the policy does when an episode starts, and no term crosses a
LAST -> FIRST boundary. The overshooting terms mask the predictions that run
past the chunk's end or across a FIRST (see `open_loop_rollouts`).
"""

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.trajectories import time_step as ts

from planet_tf.models.state import LatentState

tfd = tfp.distributions


def masked_mean(values, mask=None):
  """Mean of `values [B, T]` over the steps where `mask [B, T]` is 1."""
  if mask is None:
    return tf.reduce_mean(values)
  mask = tf.cast(mask, values.dtype)
  values = tf.where(mask > 0, values, tf.zeros_like(values))
  return tf.reduce_sum(values) / tf.maximum(tf.reduce_sum(mask), 1.0)


def state_distribution(state: LatentState):
  """`Independent(Normal(mean, stddev), 1)` over the stochastic state `[..., S]`."""
  return tfd.Independent(tfd.Normal(state.mean, state.stddev), 1)


def kl_divergence(posterior: LatentState, prior: LatentState):
  """KL(posterior || prior) summed over the stochastic state: `[...]`.

  Zero for a model without a stochastic state (S = 0).
  """
  if posterior.mean.shape[-1] == 0:
    return tf.zeros(tf.shape(posterior.mean)[:-1])
  return tfd.kl_divergence(state_distribution(posterior),
                           state_distribution(prior))


def kl_loss(posterior, prior, free_nats=3.0, mask=None):
  """KL term with free nats applied per step.

  Args:
    posterior, prior: `LatentState`s `[B, T, ...]`.
    free_nats: per-step KL below this costs nothing (and gives no gradient).
    mask: optional float `[B, T]`.

  Returns:
    `(loss, kl)`: the masked mean of `max(KL, free_nats)` and of the raw KL.
    Both are 0 for a model without a stochastic state (S = 0): there is no KL,
    so free nats do not apply.
  """
  kl = kl_divergence(posterior, prior)
  if posterior.mean.shape[-1] == 0:
    zero = masked_mean(kl, mask)
    return zero, zero
  return (masked_mean(tf.maximum(kl, free_nats), mask), masked_mean(kl, mask))


def negative_log_likelihood(dist, targets, mask=None):
  """`-dist.log_prob(targets)` (summed over event dims) averaged over `[B, T]`."""
  return -masked_mean(dist.log_prob(targets), mask)


def shift_left(x, k):
  """`out[:, t] = x[:, t + k]`; past the end it repeats the last step.

  Repeating (rather than zero-padding) keeps masked-out KL terms finite, so
  they cannot put NaNs into the gradients. `x` is `[B, T, ...]`.
  """
  if k == 0:
    return x
  length = tf.shape(x)[1]
  index = tf.minimum(tf.range(length) + k, length - 1)
  return tf.gather(x, index, axis=1)


def open_loop_rollouts(dynamics, posteriors, prev_actions, step_types,
                       distance, initial_state=None):
  """Open-loop predictions of 1..distance steps from every step of a chunk.

  The rollout that starts at step u begins in the state *before* step u (the
  posterior of u-1; `initial_state` at u = 0; zeros at FIRST) and applies
  `prev_actions[:, u], ..., prev_actions[:, u+k]` (zero at FIRST); its k-th
  state predicts step u + k from k + 1 steps away. So k = 0 reproduces the
  one-step priors of `dynamics.observe` given the same arguments.

  Args:
    dynamics: a `planet_tf.models.Dynamics`.
    posteriors: `LatentState` `[B, T, ...]` from `dynamics.observe`.
    prev_actions: `[B, T, A]` as given to `observe`.
    step_types: int `[B, T]` or None, as given to `observe`.
    distance: D >= 1, a Python int.
    initial_state: `LatentState` `[B, ...]` before step 0, as given to
      `observe`; zeros if None.

  Returns:
    A list of D pairs `(prior_k, mask_k)`: `prior_k` is a `LatentState`
    `[B, T, ...]` indexed by the start step u and predicting step u + k;
    `mask_k` float `[B, T]` is 1 where u + k < T and no FIRST lies in
    (u, u + k].
  """
  if distance < 1:
    raise ValueError(f'overshooting distance must be >= 1, got {distance}.')
  batch, length = tf.shape(prev_actions)[0], tf.shape(prev_actions)[1]
  if step_types is None:
    step_types = tf.fill([batch, length], ts.StepType.MID)
  is_first = tf.equal(step_types, ts.StepType.FIRST)
  firsts_so_far = tf.cumsum(tf.cast(is_first, tf.int32), axis=1)
  positions = tf.range(length)[None, :]
  if initial_state is None:
    initial_state = dynamics.initial_state(batch)

  def flat(x):
    return tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))

  def unflat(x):
    return tf.reshape(x, tf.concat([[batch, length], tf.shape(x)[1:]], 0))

  def state_before(posterior, initial):
    previous = tf.concat([initial[:, None], posterior[:, :-1]], 1)
    return tf.where(is_first[..., None], tf.zeros_like(previous), previous)

  state = tf.nest.map_structure(
      flat, tf.nest.map_structure(state_before, posteriors, initial_state))
  rollouts = []
  for k in range(distance):
    action = shift_left(prev_actions, k)
    if k == 0:
      action = tf.where(is_first[..., None], tf.zeros_like(action), action)
    state = dynamics.imagine_step(state, flat(action))
    inside = positions + k < length
    no_first = tf.equal(shift_left(firsts_so_far, k), firsts_so_far)
    mask = tf.cast(tf.logical_and(inside, no_first), tf.float32)
    rollouts.append((tf.nest.map_structure(unflat, state), mask))
  return rollouts


def latent_overshooting(rollouts, posteriors, free_nats=3.0, scales=1.0):
  """Latent overshooting KL (paper eq. 7).

  `(1/D) sum_d beta_d mean_t max(KL(q(s_t | o_<=t) || p(s_t | s_{t-d})), free_nats)`
  with gradients stopped on the posterior targets for d > 1.

  Args:
    rollouts: output of `open_loop_rollouts`, D entries.
    posteriors: `LatentState` `[B, T, ...]`.
    free_nats: per-step free nats.
    scales: beta_d; a float for all d or a sequence of D floats.

  Returns:
    `(loss, kls)`: scalar loss and a list of D raw mean KLs.
  """
  distance = len(rollouts)
  if isinstance(scales, (int, float)):
    scales = [float(scales)] * distance
  if len(scales) != distance:
    raise ValueError(f'need {distance} overshooting scales, got {len(scales)}.')
  loss, kls = 0.0, []
  for k, ((prior, mask), scale) in enumerate(zip(rollouts, scales)):
    target = tf.nest.map_structure(lambda x: shift_left(x, k), posteriors)
    if k > 0:
      target = tf.nest.map_structure(tf.stop_gradient, target)
    term, kl = kl_loss(target, prior, free_nats, mask)
    loss += scale * term
    kls.append(kl)
  return loss / distance, kls


def observation_overshooting(rollouts, decode, images):
  """Image NLL of the open-loop predictions, averaged over distances 1..D.

  Args:
    rollouts: output of `open_loop_rollouts`.
    decode: `features [B, T, F] -> Distribution over [B, T, H, W, C]`.
    images: float `[B, T, H, W, C]` targets.

  Returns:
    scalar loss.
  """
  loss = 0.0
  for k, (prior, mask) in enumerate(rollouts):
    features = tf.concat([prior.stoch, prior.deter], -1)
    loss += negative_log_likelihood(decode(features), shift_left(images, k),
                                    mask)
  return loss / len(rollouts)
