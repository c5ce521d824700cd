"""planet_tf: PlaNet (Hafner et al., 2019) in TensorFlow 2 / Keras for TF-Agents.

Importing planet_tf before TensorFlow turns on TensorFlow's oneDNN CPU kernels
(about 4x fewer CPU-seconds per model update on AVX2 CPUs, where TF 2.15 leaves
them off) unless the user has set `TF_ENABLE_ONEDNN_OPTS`; it only takes effect
when set before TensorFlow is first imported.
"""

import os

os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')

__version__ = '0.2.0'
