"""Keras layers that turn pixels into embeddings and latent features into distributions."""

from planet_tf.networks.action_lstm import ActionLSTM
from planet_tf.networks.action_lstm import ContextMix
from planet_tf.networks.actor import ActorHead
from planet_tf.networks.conv import ConvDecoder
from planet_tf.networks.conv import ConvEncoder
from planet_tf.networks.dense import DenseHead
from planet_tf.networks.impala import ImpalaEncoder
from planet_tf.networks.tanh_normal import TanhNormal

__all__ = ['ConvEncoder', 'ConvDecoder', 'DenseHead', 'ImpalaEncoder',
           'ActionLSTM', 'ContextMix', 'ActorHead', 'TanhNormal']
