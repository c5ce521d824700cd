"""The IMPALA-style residual image encoder of GLAMOR (Paster et al., 2021).

Espeholt et al. (2018)'s stages, with group norm: each stage is a 3x3
convolution, a 3x3 max-pool of stride 2, group norm, ReLU and two residual
blocks. Three stages of 16, 32 and 32 channels take 64x64 frames to 7x7x32,
and a dense layer maps them to the features.
"""

from typing import Sequence

import gin
import tensorflow as tf


class ResidualBlock(tf.keras.layers.Layer):
  """`relu(x + norm(conv(relu(norm(conv(x))))))`, channels unchanged.

  The second norm's scale starts at zero, so every block starts as the identity
  (a common choice for residual networks, and the paper's code's).
  """

  def __init__(self, channels: int, groups: int = 4, **kwargs):
    super().__init__(**kwargs)
    self._conv1 = tf.keras.layers.Conv2D(channels, 3, padding='same',
                                         use_bias=False, name='conv1')
    self._norm1 = tf.keras.layers.GroupNormalization(groups, name='norm1')
    self._conv2 = tf.keras.layers.Conv2D(channels, 3, padding='same',
                                         use_bias=False, name='conv2')
    self._norm2 = tf.keras.layers.GroupNormalization(
        groups, gamma_initializer='zeros', name='norm2')

  def call(self, x):
    """`[N, H, W, channels]` -> the same shape."""
    y = tf.nn.relu(self._norm1(self._conv1(x)))
    return tf.nn.relu(x + self._norm2(self._conv2(y)))


class ImpalaStage(tf.keras.layers.Layer):
  """conv3x3 -> max-pool 3/2 (valid) -> group norm -> ReLU -> 2 residual blocks."""

  def __init__(self, channels: int, groups: int = 4, blocks: int = 2, **kwargs):
    super().__init__(**kwargs)
    self._conv = tf.keras.layers.Conv2D(channels, 3, padding='same',
                                        use_bias=False, name='conv')
    self._pool = tf.keras.layers.MaxPool2D(3, strides=2, name='pool')
    self._norm = tf.keras.layers.GroupNormalization(groups, name='norm')
    self._blocks = [ResidualBlock(channels, groups, name=f'block{i}')
                    for i in range(blocks)]

  def call(self, x):
    """`[N, H, W, C]` -> `[N, (H - 3) // 2 + 1, (W - 3) // 2 + 1, channels]`."""
    x = tf.nn.relu(self._norm(self._pool(self._conv(x))))
    for block in self._blocks:
      x = block(x)
    return x


@gin.configurable
class ImpalaEncoder(tf.keras.layers.Layer):
  """uint8 images `[..., H, W, C]` to features float32 `[..., feature_size]`.

  Pixels are scaled to [0, 1]; the features are `relu(dense(flatten(stages)))`
  (the ReLU is the paper's code's, applied to every encoder output). C is
  whatever the images have: 4 stacked frames for an observation, 1 for a goal.
  """

  def __init__(self,
               channels: Sequence[int] = (16, 32, 32),
               feature_size: int = 512,
               groups: int = 4,
               **kwargs):
    """Args:
      channels: output channels of each stage.
      feature_size: size of the features.
      groups: group-norm groups (each stage's channels must divide by it).
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(**kwargs)
    self._stages = [ImpalaStage(c, groups, name=f'stage{i}')
                    for i, c in enumerate(channels)]
    self._flatten = tf.keras.layers.Flatten()
    self._dense = tf.keras.layers.Dense(feature_size, tf.nn.relu, name='dense')
    self.feature_size = int(feature_size)

  def call(self, images):
    """uint8 `[..., H, W, C]` (at least one leading dim) -> `[..., feature_size]`."""
    images = tf.convert_to_tensor(images)
    if images.dtype != tf.uint8:
      raise ValueError(f'ImpalaEncoder expects uint8 images, got '
                       f'{images.dtype.name}.')
    inner = images.shape[-3:]
    if images.shape.rank < 4 or not inner.is_fully_defined():
      raise ValueError('ImpalaEncoder expects images [..., H, W, C] of a known '
                       f'H, W, C, got shape {images.shape}.')
    leading = tf.shape(images)[:-3]
    # The static [H, W, C] keeps the flattened size known to the dense layer.
    x = tf.reshape(images, [-1] + inner.as_list())
    x = tf.cast(x, tf.float32) / 255.0
    for stage in self._stages:
      x = stage(x)
    features = self._dense(self._flatten(x))
    return tf.reshape(features, tf.concat([leading, [self.feature_size]], 0))
