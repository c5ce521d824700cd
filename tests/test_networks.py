"""ConvEncoder, ConvDecoder and DenseHead: the paper's shapes, distributions, errors."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from planet_tf.networks import ConvDecoder
from planet_tf.networks import ConvEncoder
from planet_tf.networks import DenseHead
from planet_tf.networks.subpixel import SubpixelConv2DTranspose

tfd = tfp.distributions


def test_paper_encoder_maps_64x64x3_to_1024():
  encoder = ConvEncoder()
  images = tf.zeros([1, 2, 64, 64, 3])
  embeddings = encoder(images)
  assert embeddings.shape == (1, 2, 1024)
  assert embeddings.dtype == tf.float32
  assert [v.shape[-1] for v in encoder.trainable_variables[1::2]] == [
      32, 64, 128, 256]


def test_encoder_accepts_a_single_batch_dimension():
  assert ConvEncoder((8, 16))(tf.zeros([3, 16, 16, 3])).shape == (3, 64)


def test_encoder_names_the_problem_when_images_are_too_small():
  with pytest.raises(ValueError, match='too small'):
    ConvEncoder()(tf.zeros([1, 16, 16, 3]))
  with pytest.raises(ValueError, match=r'\[\.\.\., H, W, C\]'):
    ConvEncoder()(tf.zeros([64, 64, 3]))


@pytest.mark.parametrize('transposed_conv', ['subpixel', 'keras'])
def test_paper_decoder_gives_independent_unit_gaussian_over_64x64x3(
    transposed_conv):
  decoder = ConvDecoder(transposed_conv=transposed_conv)
  dist = decoder(tf.zeros([1, 2, 230]))
  assert isinstance(dist, tfd.Independent)
  assert dist.event_shape == (64, 64, 3)
  assert dist.batch_shape == (1, 2)
  mean = dist.mean()
  np.testing.assert_allclose(dist.stddev(), np.ones(mean.shape))
  # The log-likelihood is the sum over all pixels of the unit Gaussian.
  target = mean + 1.0
  expected = 64 * 64 * 3 * (-0.5 - 0.5 * np.log(2 * np.pi))
  np.testing.assert_allclose(dist.log_prob(target), [[expected] * 2], rtol=1e-5)


def test_decoder_rejects_kernels_that_do_not_produce_the_image_shape():
  with pytest.raises(ValueError, match='produce 64x64'):
    ConvDecoder(image_shape=(32, 32, 3))
  with pytest.raises(ValueError, match='one kernel size'):
    ConvDecoder(kernel_sizes=(5, 5, 6))


@pytest.mark.parametrize('kernel,size', [(5, 1), (5, 5), (6, 13), (6, 4)])
def test_subpixel_transposed_conv_equals_conv2d_transpose(kernel, size):
  layer = SubpixelConv2DTranspose(3, kernel)
  x = tf.random.normal([2, size, size, 4], seed=1)
  y = layer(x)
  layer.bias.assign(tf.random.normal([3], seed=2))
  y = layer(x)
  out = 2 * (size - 1) + kernel
  expected = tf.nn.conv2d_transpose(x, layer.kernel, [2, out, out, 3], 2,
                                    'VALID') + layer.bias
  np.testing.assert_allclose(y, expected, atol=1e-5)


def test_subpixel_and_keras_decoders_share_variables_and_outputs():
  features = tf.random.normal([2, 3, 7], seed=3)
  small = dict(image_shape=(16, 16, 3), dense_units=8, filters=(4,),
               kernel_sizes=(6, 6))
  a = ConvDecoder(transposed_conv='subpixel', **small)
  b = ConvDecoder(transposed_conv='keras', **small)
  a(features), b(features)
  assert [v.shape for v in a.variables] == [v.shape for v in b.variables]
  for source, target in zip(a.variables, b.variables):
    target.assign(source)
  np.testing.assert_allclose(a(features).mean(), b(features).mean(), atol=1e-5)


@pytest.mark.parametrize('transposed_conv', ['keras', 'subpixel'])
def test_decoder_first_layer_as_matmul_equals_its_transposed_conv(
    transposed_conv):
  decoder = ConvDecoder(dense_units=16, filters=(8, 4, 4),
                        transposed_conv=transposed_conv)
  features = tf.random.normal([3, 5, 7], seed=1)
  mean = decoder.mean(features)
  # The layers applied literally (dense, reshape to 1x1, every transposed conv)
  # as plain Keras layers holding the decoder's weights (in creation order).
  layers = [tf.keras.layers.Dense(16)] + [
      tf.keras.layers.Conv2DTranspose(c, k, strides=2, activation=act)
      for c, k, act in zip((8, 4, 4, 3), (5, 5, 6, 6), ['relu'] * 3 + [None])]

  def literally(features):
    x = layers[0](tf.reshape(features, [15, 7]))[:, None, None, :]
    for layer in layers[1:]:
      x = layer(x)
    return tf.reshape(x, [3, 5, 64, 64, 3])

  literally(features)
  reference = [v for layer in layers for v in layer.variables]
  assert [v.shape for v in reference] == [v.shape for v in decoder.variables]
  for target, source in zip(reference, decoder.variables):
    target.assign(source)
  x = literally(features)
  np.testing.assert_allclose(mean, x, atol=1e-5)
  # Its gradient reaches the first layer's kernel and bias.
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(decoder.mean(features) ** 2)
  grads = tape.gradient(loss, decoder.trainable_variables[2:4])
  assert len(grads) == 2 and all(g is not None for g in grads)
  assert all(float(tf.reduce_max(tf.abs(g))) > 0 for g in grads)


def test_reward_head_is_the_original_codes_three_relu_layers_of_300():
  head = DenseHead()
  dist = head(tf.zeros([5, 4, 230]))
  assert isinstance(dist, tfd.Normal)
  assert dist.mean().shape == (5, 4)
  np.testing.assert_allclose(dist.stddev(), np.ones([5, 4]))
  assert [v.shape.as_list() for v in head.trainable_variables] == [
      [230, 300], [300], [300, 300], [300], [300, 300], [300], [300, 1], [1]]


def test_dense_head_sizes_and_event_shape_are_configurable():
  head = DenseHead(units=(8,), shape=(2, 3))
  dist = head(tf.zeros([5, 7]))
  assert dist.event_shape == (2, 3)
  assert dist.mean().shape == (5, 2, 3)
  assert dist.log_prob(tf.zeros([5, 2, 3])).shape == (5,)
