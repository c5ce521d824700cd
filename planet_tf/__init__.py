"""planet_tf: PlaNet (Hafner et al., 2019) in TensorFlow 2 / Keras for TF-Agents.

Import planet_tf before TensorFlow: `tf_stack.prepare()` makes the settings
that TensorFlow reads only as it loads (oneDNN kernels, Keras 2 for `tf.keras`,
local symbols for its libraries, so that software rendering works).
"""

from planet_tf import tf_stack

tf_stack.prepare()

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
