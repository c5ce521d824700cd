"""ELBO terms of PlaNet (Hafner et al., 2019, Sec. 3-4): likelihoods, KL with free
nats and latent overshooting (eq. 7), as arithmetic on tensors.

The model computes what the terms read (distributions, KL divergences from
`Dynamics.divergence`, open-loop rollouts from `Dynamics.rollouts`); this module
only reduces them, so it imports nothing of planet_tf. Every term takes an
optional float mask `[B, T]` and averages over the steps where it is 1; what is
masked is the caller's choice (see `WorldModel.loss`).
"""

import tensorflow as tf


def masked_mean(values, mask=None):
  """Mean of `values [B, T]` over the steps where `mask [B, T]` is 1.

  Under a `tf.distribute` strategy with R replicas the count of steps is the
  mean count over replicas, so the mean over replicas of each replica's value
  is the masked mean of the whole batch (replicas may hold different masks).
  """
  if mask is None:
    return tf.reduce_mean(values)
  mask = tf.cast(mask, values.dtype)
  values = tf.where(mask > 0, values, tf.zeros_like(values))
  count = tf.reduce_sum(mask)
  replica = tf.distribute.get_replica_context()
  if replica is not None and replica.num_replicas_in_sync > 1:
    count = tf.stop_gradient(replica.all_reduce(
        tf.distribute.ReduceOp.MEAN, count))
  return tf.reduce_sum(values) / tf.maximum(count, 1.0)


def negative_log_likelihood(dist, targets, mask=None):
  """`-dist.log_prob(targets)` (summed over event dims) averaged over `[B, T]`."""
  return -masked_mean(dist.log_prob(targets), mask)


def kl_loss(kl, free_nats=3.0, mask=None):
  """KL term with free nats applied per step.

  Args:
    kl: `[B, T]` divergences, e.g. `Dynamics.divergence(posterior, prior)`.
    free_nats: per-step KL below this costs nothing (and gives no gradient);
      0 for a model without a stochastic state, whose KL is zero.
    mask: optional float `[B, T]`.

  Returns:
    `(loss, mean_kl)`: the masked mean of `max(kl, free_nats)` and of `kl`.
  """
  return (masked_mean(tf.maximum(kl, free_nats), mask), masked_mean(kl, mask))


def latent_overshooting(kls, free_nats=3.0, scales=1.0):
  """Latent overshooting KL (paper eq. 7).

  `(1/D) sum_d beta_d mean_t max(KL_d, free_nats)`, where `KL_d` compares the
  posterior at each step with the prior predicted d steps before it.

  Args:
    kls: D pairs `(kl_d [B, T], mask_d [B, T])`, d = 1..D.
    free_nats: per-step free nats.
    scales: beta_d; a float for all d or a sequence of D floats.

  Returns:
    `(loss, mean_kls)`: scalar loss and a list of the D raw mean KLs.
  """
  distance = len(kls)
  if isinstance(scales, (int, float)):
    scales = [float(scales)] * distance
  if len(scales) != distance:
    raise ValueError(f'need {distance} overshooting scales, got {len(scales)}.')
  loss, means = 0.0, []
  for (kl, mask), scale in zip(kls, scales):
    term, mean = kl_loss(kl, free_nats, mask)
    loss += scale * term
    means.append(mean)
  return loss / distance, means
