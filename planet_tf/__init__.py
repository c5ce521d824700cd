"""planet_tf: PlaNet (Hafner et al., 2019) in TensorFlow 2 / Keras for TF-Agents.

Importing planet_tf before TensorFlow turns on TensorFlow's oneDNN CPU kernels
(about 4x fewer CPU-seconds per model update on AVX2 CPUs, where TF 2.15 leaves
them off) unless the user has set `TF_ENABLE_ONEDNN_OPTS`; it only takes effect
when set before TensorFlow is first imported.
"""

import os

os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')

__version__ = '0.2.0'

# Modules that live in a package: an import of the module's short name says
# where it lives.
_MOVED = {
    'collect': 'planet_tf.data.collect',
    'goal_evaluation': 'planet_tf.evaluation.goals',
    'hindsight_replay': 'planet_tf.data.hindsight_replay',
    'learning_curve': 'planet_tf.evaluation.learning_curve',
    'loop_steps': 'planet_tf.loops.skeleton',
    'losses': 'planet_tf.models.losses',
    'preprocessing': 'planet_tf.models.preprocessing',
    'relabel': 'planet_tf.data.relabel',
    'replay': 'planet_tf.data.replay',
    'summaries': 'planet_tf.evaluation.summaries',
}


def __getattr__(name):
  if name in _MOVED:
    raise ImportError(f'planet_tf.{name} is {_MOVED[name]}: import it from '
                      'there.')
  raise AttributeError(f'module planet_tf has no attribute {name!r}')
