"""Planning in latent space: `cem`, a pure optimiser over action sequences."""

from planet_tf.planning.cem import cem

__all__ = ['cem']
