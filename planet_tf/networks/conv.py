"""The convolutional image encoder and decoder of PlaNet (Hafner et al., 2019, App. A)."""

import functools
from typing import Sequence

import gin
import tensorflow as tf
import tensorflow_probability as tfp

from planet_tf.networks.subpixel import SubpixelConv2DTranspose

tfd = tfp.distributions


def _flatten_leading(x, inner_rank):
  """Reshapes `[..., *inner]` to `[N, *inner]`; returns it and the leading shape."""
  leading = tf.shape(x)[:-inner_rank]
  flat = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-inner_rank:]], 0))
  return flat, leading


@gin.configurable
class ConvEncoder(tf.keras.layers.Layer):
  """Images `[..., H, W, C]` to embeddings `[..., E]`.

  Valid-padded convolutions with stride 2 and ReLU, then flatten. The paper's
  default (filters 32/64/128/256, kernel 4) maps 64x64x3 to E = 1024.
  """

  def __init__(self,
               filters: Sequence[int] = (32, 64, 128, 256),
               kernel_size: int = 4,
               activation='relu',
               **kwargs):
    """Args:
      filters: output channels of each stride-2 convolution.
      kernel_size: square kernel size of every convolution.
      activation: Keras activation after each convolution.
      **kwargs: `tf.keras.layers.Layer` arguments (name, dtype policy).
    """
    super().__init__(**kwargs)
    self._filters = tuple(filters)
    self._kernel_size = int(kernel_size)
    self._convs = [
        tf.keras.layers.Conv2D(f, self._kernel_size, strides=2,
                               activation=activation, dtype=self.dtype_policy,
                               name=f'conv{i}')
        for i, f in enumerate(self._filters)]
    self._embedding_size = None

  def output_size(self, image_shape):
    """Returns E for images of `image_shape = (H, W, C)`; raises if too small."""
    height, width = int(image_shape[0]), int(image_shape[1])
    for i, _ in enumerate(self._filters):
      height = (height - self._kernel_size) // 2 + 1
      width = (width - self._kernel_size) // 2 + 1
      if height < 1 or width < 1:
        raise ValueError(
            f'ConvEncoder: images of shape {tuple(image_shape)} are too small for '
            f'{len(self._filters)} convolutions of kernel {self._kernel_size} '
            f'with stride 2 (nothing left after conv {i}).')
    return height * width * self._filters[-1]

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    if input_shape.rank is None or input_shape.rank < 4 or not (
        input_shape[-3:].is_fully_defined()):
      raise ValueError(
          'ConvEncoder expects images [..., H, W, C] with at least one batch '
          f'dimension and known H, W, C; got shape {input_shape}.')
    self._embedding_size = self.output_size(input_shape[-3:])
    super().build(input_shape)

  @property
  def embedding_size(self):
    """E, known once the layer is built."""
    return self._embedding_size

  def call(self, images):
    """Args:
      images: float `[..., H, W, C]` (preprocessed, in [-0.5, 0.5)).

    Returns:
      float32 embeddings `[..., E]`.
    """
    x, leading = _flatten_leading(images, 3)
    x = tf.cast(x, self.compute_dtype)
    for conv in self._convs:
      x = conv(x)
    x = tf.reshape(x, tf.concat([leading, [self._embedding_size]], 0))
    return tf.cast(x, tf.float32)


@gin.configurable
class ConvDecoder(tf.keras.layers.Layer):
  """Latent features `[..., F]` to `Independent(Normal(mean, 1), 3)` over images.

  Dense layer (no activation), reshape to 1x1, then valid-padded transposed
  convolutions with stride 2 (ReLU on all but the last). Paper default: dense 1024,
  filters 128/64/32 with kernels 5/5/6 and a last 3-channel layer of kernel 6,
  giving 64x64x3.
  """

  def __init__(self,
               image_shape: Sequence[int] = (64, 64, 3),
               dense_units: int = 1024,
               filters: Sequence[int] = (128, 64, 32),
               kernel_sizes: Sequence[int] = (5, 5, 6, 6),
               activation='relu',
               stddev: float = 1.0,
               transposed_conv: str = 'keras',
               **kwargs):
    """Args:
      image_shape: `(H, W, C)` of the images to model; must be what the
        transposed convolutions produce from 1x1.
      dense_units: width of the first dense layer.
      filters: channels of the hidden transposed convolutions; the last one has
        `C` channels, so `len(kernel_sizes) == len(filters) + 1`.
      kernel_sizes: kernel of each transposed convolution.
      activation: Keras activation of the hidden transposed convolutions.
      stddev: fixed standard deviation of the pixel likelihood.
      transposed_conv: 'keras' (`tf.keras.layers.Conv2DTranspose`) or
        'subpixel' (`SubpixelConv2DTranspose`: the same function and variables;
        its forward pass is faster on CPU, its gradient slower, see
        benchmarks/train_step.py).
      **kwargs: `tf.keras.layers.Layer` arguments (name, dtype policy).

    Raises:
      ValueError: if the layers do not produce `image_shape`.
    """
    super().__init__(**kwargs)
    self._image_shape = tuple(int(d) for d in image_shape)
    kernel_sizes = tuple(int(k) for k in kernel_sizes)
    if len(kernel_sizes) != len(filters) + 1:
      raise ValueError(
          f'ConvDecoder needs one kernel size per transposed convolution: got '
          f'{len(filters)} hidden filters (+1 output layer) and kernel_sizes '
          f'{kernel_sizes}.')
    size = 1
    for k in kernel_sizes:
      size = (size - 1) * 2 + k
    if self._image_shape[:2] != (size, size):
      raise ValueError(
          f'ConvDecoder: kernel_sizes {kernel_sizes} with stride 2 produce '
          f'{size}x{size} images, but image_shape is {self._image_shape}.')
    self._stddev = float(stddev)
    self._dense = tf.keras.layers.Dense(dense_units, dtype=self.dtype_policy,
                                        name='dense')
    if transposed_conv == 'subpixel':
      deconv = SubpixelConv2DTranspose
    elif transposed_conv == 'keras':
      deconv = functools.partial(tf.keras.layers.Conv2DTranspose, strides=2)
    else:
      raise ValueError("transposed_conv must be 'subpixel' or 'keras', got "
                       f'{transposed_conv!r}.')
    channels = tuple(filters) + (self._image_shape[2],)
    self._activations = [
        tf.keras.activations.get(activation if i < len(filters) else None)
        for i in range(len(channels))]
    self._deconvs = [
        deconv(c, k, activation=act, dtype=self.dtype_policy, name=f'deconv{i}')
        for i, (c, k, act) in enumerate(
            zip(channels, kernel_sizes, self._activations))]

  @property
  def image_shape(self):
    return self._image_shape

  def mean(self, features):
    """Args:
      features: float `[..., F]`.

    Returns:
      float32 image means `[..., H, W, C]`.
    """
    x, leading = _flatten_leading(features, 1)
    x = self._dense(tf.cast(x, self.compute_dtype))
    x = self._first_deconv(x)
    for deconv in self._deconvs[1:]:
      x = deconv(x)
    x = tf.reshape(x, tf.concat([leading, self._image_shape], 0))
    return tf.cast(x, tf.float32)

  def _first_deconv(self, x):
    """The first transposed convolution, on a 1x1 input, as one matmul.

    On a 1x1 input a stride-2 transposed convolution is a dense layer:
    `out[n, i, j, c] = sum_d x[n, d] kernel[i, j, c, d] + bias[c]`. TensorFlow's
    transposed-convolution kernels are slow on this shape (about 4x slower than
    the matmul for the paper's 1024 -> 5x5x128, forward and backward, on CPU), so
    the layer keeps its variables (checkpoints are unchanged) and this computes
    its output.

    Args:
      x: `[N, dense_units]`.

    Returns:
      `[N, k, k, filters]` of the first transposed convolution.
    """
    deconv = self._deconvs[0]
    if not deconv.built:
      with tf.init_scope():
        deconv.build(tf.TensorShape([None, 1, 1, x.shape[-1]]))
    k, _, out, units = deconv.kernel.shape
    kernel = tf.cast(deconv.kernel, x.dtype)
    matrix = tf.reshape(tf.transpose(kernel, [3, 0, 1, 2]), [units, k * k * out])
    y = tf.reshape(tf.matmul(x, matrix), [-1, k, k, out])
    y = tf.nn.bias_add(y, tf.cast(deconv.bias, x.dtype))
    return self._activations[0](y)

  def call(self, features):
    """Returns `Independent(Normal(mean [..., H, W, C], stddev), 3)`."""
    return tfd.Independent(tfd.Normal(self.mean(features), self._stddev), 3)
