"""A stride-2 transposed convolution computed as one stride-1 convolution.

`out[2a + p] = sum_m in[a - m] W[2m + p]`: each output phase p of a stride-2
transposed convolution is an ordinary convolution with the kernel taps
`W[p], W[p + 2], ...`. Stacking the four 2-D phases as channels gives one
convolution with kernel `ceil(k / 2)` followed by `depth_to_space(2)` and a crop.
The result equals `tf.nn.conv2d_transpose(..., strides=2, padding='VALID')` and
keeps Keras' kernel layout `[k, k, out, in]`. On CPU its forward pass is 1.5x
(oneDNN) to 6x (Eigen) faster than `Conv2DTranspose`, but its gradient is slower,
so `ConvDecoder` uses it only when asked (`transposed_conv='subpixel'`).
"""

import tensorflow as tf


class SubpixelConv2DTranspose(tf.keras.layers.Layer):
  """Drop-in for `Conv2DTranspose(filters, k, strides=2, padding='valid')`."""

  def __init__(self, filters, kernel_size, activation=None,
               kernel_initializer='glorot_uniform', **kwargs):
    """Args:
      filters: output channels.
      kernel_size: square kernel size k.
      activation: Keras activation.
      kernel_initializer: initializer of the `[k, k, filters, in]` kernel.
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(**kwargs)
    self._filters = int(filters)
    self._k = int(kernel_size)
    self._half = (self._k + 1) // 2
    self._activation = tf.keras.activations.get(activation)
    self._initializer = tf.keras.initializers.get(kernel_initializer)

  def build(self, input_shape):
    channels = tf.TensorShape(input_shape)[-1]
    if channels is None:
      raise ValueError('SubpixelConv2DTranspose needs a known channel count, '
                       f'got input shape {input_shape}.')
    self.kernel = self.add_weight(
        'kernel', [self._k, self._k, self._filters, int(channels)],
        initializer=self._initializer)
    self.bias = self.add_weight('bias', [self._filters], initializer='zeros')
    super().build(input_shape)

  def _phase_kernel(self):
    """`[k, k, out, in]` -> `[h, h, in, 4 * out]`, h = ceil(k / 2), flipped."""
    h, out = self._half, self._filters
    kernel = tf.cast(self.kernel, self.compute_dtype)
    extra = 2 * h - self._k
    kernel = tf.pad(kernel, [[0, extra], [0, extra], [0, 0], [0, 0]])
    kernel = tf.reshape(kernel, [h, 2, h, 2, out, -1])  # [m, p, n, q, out, in]
    kernel = tf.reverse(kernel, [0, 2])
    kernel = tf.transpose(kernel, [0, 2, 5, 1, 3, 4])  # [m, n, in, p, q, out]
    return tf.reshape(kernel, [h, h, -1, 4 * out])

  def call(self, inputs):
    """`[N, H, W, in]` -> `[N, 2(H-1)+k, 2(W-1)+k, filters]`."""
    pad = self._half - 1
    height, width = tf.shape(inputs)[1], tf.shape(inputs)[2]
    x = tf.pad(inputs, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    x = tf.nn.conv2d(x, self._phase_kernel(), 1, 'VALID')
    x = tf.nn.depth_to_space(x, 2)
    x = x[:, :2 * (height - 1) + self._k, :2 * (width - 1) + self._k]
    x = tf.nn.bias_add(x, tf.cast(self.bias, self.compute_dtype))
    return self._activation(x)
