"""The recurrent state-space model: a GRU belief plus a Gaussian stochastic state."""

import gin
import tensorflow as tf

from planet_tf.models import dynamics
from planet_tf.models.state import LatentState


@gin.configurable
class RSSM(dynamics.Dynamics):
  """PlaNet's RSSM (Hafner et al., 2019, Sec. 3).

  Prior:     `h_t = GRU(h_{t-1}, relu(W [s_{t-1}, a_{t-1}]))`,
             `p(s_t | h_t) = N(mean, softplus(.) + min_stddev)` from a ReLU layer on
             `h_t`.
  Posterior: `q(s_t | h_t, e_t)` from a ReLU layer on `[h_t, e_t]`.
  Features:  `[s_t, h_t]`, size `stoch_size + deter_size`.
  """

  def __init__(self,
               stoch_size: int = 30,
               deter_size: int = 200,
               hidden_size: int = 200,
               min_stddev: float = 0.1,
               activation='relu',
               reset_after: bool = False,
               gate_bias: float = 1.0,
               **kwargs):
    """Args:
      stoch_size: S, dimensions of the Gaussian stochastic state.
      deter_size: D, units of the GRU belief.
      hidden_size: units of the hidden layers around the GRU.
      min_stddev: added to the softplus standard deviations.
      activation: Keras activation of the hidden layers.
      reset_after: False (the default) applies the reset gate before the
        recurrent matmul, as TensorFlow 1's `GRUBlockCell` of the original code
        does; True is Keras' (and cuDNN's and PyTorch's) variant, which applies
        it after.
      gate_bias: initial bias of the reset and update gates (the candidate's
        starts at 0); 1.0 is the original's `GRUBlockCell`, so that early in
        training the belief keeps more of its previous value; Keras' is 0.
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(stoch_size, deter_size, **kwargs)
    self._min_stddev = float(min_stddev)
    self._input_layer = tf.keras.layers.Dense(hidden_size, activation,
                                              name='img_in')
    self._cell = tf.keras.layers.GRUCell(
        deter_size, reset_after=reset_after,
        bias_initializer=_GateBias(float(gate_bias)), name='gru')
    self._prior_hidden, self._prior_out = dynamics.gaussian_layers(
        'img', stoch_size, hidden_size, activation)
    self._post_hidden, self._post_out = dynamics.gaussian_layers(
        'obs', stoch_size, hidden_size, activation)

  def imagine_step(self, prev_state: LatentState, prev_action, sample=None):
    """Args:
      prev_state: `LatentState` `[B, ...]`.
      prev_action: `[B, A]`.
      sample: the random source of `stoch` (`dynamics.sample_function`).

    Returns:
      prior `LatentState` `[B, ...]`.
    """
    x = self._input_layer(tf.concat([prev_state.stoch, prev_action], -1))
    deter, _ = self._cell(x, [prev_state.deter])
    mean, raw_stddev = tf.split(self._prior_out(self._prior_hidden(deter)), 2, -1)
    return dynamics.gaussian_state(mean, raw_stddev, self._min_stddev, deter,
                                   sample)

  def observe_step(self, prev_state: LatentState, prev_action, embedding,
                   sample=None):
    """Args:
      prev_state: `LatentState` `[B, ...]`.
      prev_action: `[B, A]`.
      embedding: `[B, E]`.
      sample: the random source of `stoch` (`dynamics.sample_function`).

    Returns:
      `(posterior, prior)`, `LatentState`s `[B, ...]` sharing `deter`.
    """
    prior = self.imagine_step(prev_state, prev_action, sample)
    x = self._post_hidden(tf.concat([prior.deter, embedding], -1))
    mean, raw_stddev = tf.split(self._post_out(x), 2, -1)
    posterior = dynamics.gaussian_state(mean, raw_stddev, self._min_stddev,
                                        prior.deter, sample)
    return posterior, prior


class _GateBias(tf.keras.initializers.Initializer):
  """Keras GRU bias `[3D]` ordered `[update, reset, candidate]`: gates at `value`,
  candidate at 0. With `reset_after` Keras keeps `[2, 3D]` (input and recurrent
  biases, which add up): the value goes into the input row only."""

  def __init__(self, value):
    self.value = value

  def __call__(self, shape, dtype=None, **kwargs):
    units = shape[-1] // 3
    row = tf.concat([tf.fill([2 * units], self.value), tf.zeros([units])], 0)
    if len(shape) == 2:
      row = tf.concat([row[None], tf.zeros([shape[0] - 1, shape[1]])], 0)
    return tf.cast(row, dtype or tf.float32)

  def get_config(self):
    return {'value': self.value}
