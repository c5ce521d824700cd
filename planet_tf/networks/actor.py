"""Dreamer's actor: latent features to a tanh-squashed Gaussian over actions."""

from typing import Sequence

import gin
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from planet_tf.networks.tanh_normal import TanhNormal

tfd = tfp.distributions


@gin.configurable
class ActorHead(tf.keras.layers.Layer):
  """An MLP from features `[..., F]` to `Independent(TanhNormal(mean, stddev), 1)`.

  As Dreamer's action model (Hafner et al., 2020, App. A): four ELU layers of
  400 units; the pre-tanh mean is soft-clipped to `±mean_scale`
  (`mean_scale * tanh(x / mean_scale)`), the standard deviation is
  `softplus(x + c) + min_stddev` with `c` chosen so that a zero output gives
  `init_stddev`. Actions lie in [-1, 1] (float32 tanh reaches the bounds).
  """

  def __init__(self,
               action_size: int,
               units: Sequence[int] = (400, 400, 400, 400),
               activation='elu',
               init_stddev: float = 5.0,
               min_stddev: float = 1e-4,
               mean_scale: float = 5.0,
               **kwargs):
    """Args:
      action_size: A.
      units: width of each hidden layer.
      activation: Keras activation of the hidden layers.
      init_stddev: the standard deviation before the tanh at a zero output.
      min_stddev: added to the softplus standard deviation.
      mean_scale: bound of the soft-clipped mean before the tanh.
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(**kwargs)
    if int(action_size) < 1:
      raise ValueError(f'action_size must be >= 1, got {action_size}.')
    self.action_size = int(action_size)
    self._hidden = [tf.keras.layers.Dense(u, activation, name=f'hidden{i}')
                    for i, u in enumerate(units)]
    self._out = tf.keras.layers.Dense(2 * self.action_size, name='out')
    self._raw_init_stddev = float(np.log(np.expm1(init_stddev)))
    self._min_stddev = float(min_stddev)
    self._mean_scale = float(mean_scale)

  def call(self, features):
    """Args:
      features: float32 `[..., F]`.

    Returns:
      a distribution over actions `[..., A]` in (-1, 1); `.sample()` is
      reparameterized, `.mode()` is `tanh(mean)` (see `TanhNormal`).
    """
    x = features
    for layer in self._hidden:
      x = layer(x)
    mean, raw_stddev = tf.split(self._out(x), 2, -1)
    mean = self._mean_scale * tf.tanh(mean / self._mean_scale)
    stddev = tf.nn.softplus(raw_stddev + self._raw_init_stddev) + self._min_stddev
    return tfd.Independent(TanhNormal(mean, stddev), 1)
