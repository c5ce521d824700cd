"""Bit-depth reduction, dequantisation noise and the inverse for pictures."""

import numpy as np
import pytest
import tensorflow as tf

from planet_tf.models import preprocessing


def _images(seed=0):
  return np.random.default_rng(seed).integers(0, 256, (4, 8, 8, 3), np.uint8)


@pytest.mark.parametrize('noise', [False, True])
@pytest.mark.parametrize('bit_depth', [5, 8, 3])
def test_round_trip_recovers_the_quantised_image(noise, bit_depth):
  images = _images()
  processed = preprocessing.preprocess(images, bit_depth, noise=noise)
  restored = preprocessing.postprocess(processed, bit_depth).numpy()
  mask = np.uint8((0xFF << (8 - bit_depth)) & 0xFF)
  np.testing.assert_array_equal(restored, images & mask)


def test_output_is_centred_float_in_half_open_unit_range():
  processed = preprocessing.preprocess(
      np.array([0, 255], np.uint8).reshape(1, 1, 2, 1), 5, noise=True).numpy()
  assert processed.dtype == np.float32
  assert processed.min() >= -0.5 and processed.max() < 0.5
  noiseless = preprocessing.preprocess(_images(), 5, noise=False).numpy()
  assert noiseless.min() >= -0.5 and noiseless.max() < 0.5


def test_noise_spans_one_bin_and_is_seedable():
  images = np.full((1, 64, 64, 3), 128, np.uint8)
  a = preprocessing.preprocess(images, 5, seed=tf.constant([1, 2])).numpy()
  b = preprocessing.preprocess(images, 5, seed=tf.constant([1, 2])).numpy()
  np.testing.assert_array_equal(a, b)
  low = 128 // 8 / 32 - 0.5
  assert a.min() >= low and a.max() < low + 1 / 32
  assert a.std() > 0.005  # Noise is there, about one bin / sqrt(12).


def test_rejects_float_input_and_bad_bit_depth():
  with pytest.raises(ValueError, match='uint8'):
    preprocessing.preprocess(np.zeros((2, 2, 3), np.float32))
  with pytest.raises(ValueError, match='bit_depth'):
    preprocessing.preprocess(_images(), bit_depth=9)
