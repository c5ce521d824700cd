"""The purely deterministic recurrent model (the paper's RNN ablation)."""

import gin
import tensorflow as tf

from planet_tf.models import dynamics
from planet_tf.models.state import LatentState


@gin.configurable
class DeterministicRNN(dynamics.Dynamics):
  """A GRU whose state is the whole latent state: no sampling, hence no KL.

  Observing feeds the embedding into the GRU with the previous action,
  `h_t = GRU(h_{t-1}, relu(W_a a_{t-1} + W_e e_t))`; imagining feeds zeros in place of
  `e_t`. `mean`, `stddev` and `stoch` are empty, so the KL term is zero and the
  open-loop transition is trained only through the observation-overshooting term
  (`WorldModel(observation_overshooting_distance=...)`); without it the ablation
  reconstructs well but imagines poorly, which is the paper's point about
  deterministic models.
  """

  def __init__(self,
               deter_size: int = 200,
               hidden_size: int = 200,
               activation='relu',
               **kwargs):
    """Args:
      deter_size: D, units of the GRU.
      hidden_size: units of the input layer.
      activation: Keras activation of the input layer.
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(0, deter_size, **kwargs)
    self._activation = tf.keras.activations.get(activation)
    self._action_in = tf.keras.layers.Dense(hidden_size, name='action_in')
    self._embedding_in = tf.keras.layers.Dense(hidden_size, use_bias=False,
                                               name='embedding_in')
    self._cell = tf.keras.layers.GRUCell(deter_size, name='gru')

  def _step(self, prev_state, x):
    deter, _ = self._cell(self._activation(x), [prev_state.deter])
    return prev_state._replace(deter=deter)

  def imagine_step(self, prev_state: LatentState, prev_action, sample=None):
    """Returns the next `LatentState` `[B, ...]`; nothing to sample."""
    del sample
    return self._step(prev_state, self._action_in(prev_action))

  def observe_step(self, prev_state: LatentState, prev_action, embedding,
                   sample=None):
    """Returns `(posterior, prior)` `LatentState`s `[B, ...]`; nothing to sample.

    The prior is the open-loop belief (embedding replaced by zeros).
    """
    del sample
    action_in = self._action_in(prev_action)
    posterior = self._step(prev_state,
                           action_in + self._embedding_in(embedding))
    prior = self._step(prev_state, action_in)
    return posterior, prior
