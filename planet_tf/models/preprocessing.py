"""Image bit-depth reduction with dequantisation noise, and its inverse.

PlaNet models 5-bit images: each uint8 pixel is reduced to `bit_depth` bits, uniform
noise of one quantisation bin is added so the decoder's Gaussian sees a continuous
target, and the result is centred to [-0.5, 0.5).
"""

import tensorflow as tf


def preprocess(images, bit_depth=5, noise=True, seed=None):
  """Maps uint8 images to float32 in [-0.5, 0.5).

  Args:
    images: uint8 tensor `[..., H, W, C]`.
    bit_depth: bits kept per channel, 1..8.
    noise: whether to add uniform dequantisation noise of one bin width.
    seed: optional `[2]` int tensor for `tf.random.stateless_uniform`; random
      otherwise.

  Returns:
    float32 tensor of the same shape, in [-0.5, 0.5) (float32 rounding can
    give exactly 0.5 for a top-bin pixel with noise within 2**-20 of 1).

  Raises:
    ValueError: if `images` is not uint8 or `bit_depth` is out of range.
  """
  images = tf.convert_to_tensor(images)
  if images.dtype != tf.uint8:
    raise ValueError(f'preprocess expects uint8 images, got {images.dtype.name}.')
  _check_bit_depth(bit_depth)
  bins = 2 ** bit_depth
  quantised = tf.cast(tf.bitwise.right_shift(images, 8 - bit_depth), tf.float32)
  if noise:
    shape = tf.shape(quantised)
    if seed is None:
      quantised += tf.random.uniform(shape)
    else:
      quantised += tf.random.stateless_uniform(shape, seed)
  else:
    quantised += 0.5  # The centre of the bin.
  return quantised / bins - 0.5


def postprocess(images, bit_depth=5):
  """Maps float images from `preprocess` back to uint8 pictures.

  Args:
    images: float tensor `[..., H, W, C]`, nominally in [-0.5, 0.5); values
      outside are clipped.
    bit_depth: bits per channel used by `preprocess`.

  Returns:
    uint8 tensor of the same shape; each value is the lowest uint8 of its bin,
    so `postprocess(preprocess(x)) == x` for images already at `bit_depth` bits.
  """
  _check_bit_depth(bit_depth)
  bins = 2 ** bit_depth
  images = tf.convert_to_tensor(images, tf.float32)
  quantised = tf.clip_by_value(tf.floor((images + 0.5) * bins), 0, bins - 1)
  return tf.cast(quantised, tf.uint8) * tf.constant(2 ** (8 - bit_depth), tf.uint8)


def _check_bit_depth(bit_depth):
  if not 1 <= int(bit_depth) <= 8:
    raise ValueError(f'bit_depth must be in 1..8, got {bit_depth}.')
