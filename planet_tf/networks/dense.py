"""Dense heads: latent features to a Gaussian over a scalar or vector target."""

from typing import Sequence

import gin
import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions


@gin.configurable
class DenseHead(tf.keras.layers.Layer):
  """An MLP from features `[..., F]` to `Normal(mean, stddev)`.

  The reward head of the original code is three ReLU layers of 300 units and a
  unit-variance Gaussian over a scalar (the paper's text and the PyTorch port use
  two of 200: `units=(200, 200)`).
  """

  def __init__(self,
               units: Sequence[int] = (300, 300, 300),
               shape: Sequence[int] = (),
               activation='relu',
               stddev: float = 1.0,
               **kwargs):
    """Args:
      units: width of each hidden layer.
      shape: event shape of the target; `()` for a scalar such as the reward.
      activation: Keras activation of the hidden layers.
      stddev: fixed standard deviation of the Gaussian.
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(**kwargs)
    self._shape = tuple(int(d) for d in shape)
    self._stddev = float(stddev)
    self._hidden = [tf.keras.layers.Dense(u, activation, name=f'hidden{i}')
                    for i, u in enumerate(units)]
    size = 1
    for d in self._shape:
      size *= d
    self._out = tf.keras.layers.Dense(size, name='out')

  def mean(self, features):
    """Args:
      features: float32 `[..., F]`.

    Returns:
      means `[..., *shape]`.
    """
    x = features
    for layer in self._hidden:
      x = layer(x)
    x = self._out(x)
    return tf.reshape(x, tf.concat([tf.shape(x)[:-1], self._shape], 0))

  def call(self, features):
    """Returns `Normal(mean, stddev)` with event shape `shape` (Independent)."""
    dist = tfd.Normal(self.mean(features), self._stddev)
    if self._shape:
      dist = tfd.Independent(dist, len(self._shape))
    return dist
