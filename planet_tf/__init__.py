"""planet_tf: PlaNet (Hafner et al., 2019) in TensorFlow 2 / Keras for TF-Agents."""

__version__ = '0.1.0'
