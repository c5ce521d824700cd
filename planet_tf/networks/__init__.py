"""Keras layers that turn pixels into embeddings and latent features into distributions."""

from planet_tf.networks.conv import ConvDecoder
from planet_tf.networks.conv import ConvEncoder
from planet_tf.networks.dense import DenseHead

__all__ = ['ConvEncoder', 'ConvDecoder', 'DenseHead']
