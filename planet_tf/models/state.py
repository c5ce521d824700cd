"""The latent state shared by every dynamics model, the planner and the policy."""

from typing import NamedTuple

import tensorflow as tf


class LatentState(NamedTuple):
  """One latent state of a dynamics model; every field is `[..., size]`.

  mean, stddev: parameters of the Gaussian over the stochastic state `[..., S]`
    (`stddev` is zero for the purely deterministic RNN).
  stoch: a sample of the stochastic state `[..., S]` (size 0 for the pure RNN).
  deter: the deterministic belief `[..., D]` (size 0 for the pure SSM).

  Read it through its dynamics model: `Dynamics.features`, `.distribution`,
  `.divergence`.
  """
  mean: tf.Tensor
  stddev: tf.Tensor
  stoch: tf.Tensor
  deter: tf.Tensor
