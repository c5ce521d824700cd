"""The purely stochastic state-space model (the paper's SSM ablation): no GRU."""

import gin
import tensorflow as tf

from planet_tf.models import dynamics
from planet_tf.models.state import LatentState


@gin.configurable
class StochasticSSM(dynamics.Dynamics):
  """A Gaussian SSM whose transition is a feed-forward network.

  Prior:     `p(s_t | s_{t-1}, a_{t-1})` from a ReLU layer on `[s_{t-1}, a_{t-1}]`.
  Posterior: `q(s_t | s_{t-1}, a_{t-1}, e_t)` from a ReLU layer on the prior's
             mean and stddev and `e_t`.
  Features:  `s_t` (`deter` is empty).
  """

  def __init__(self,
               stoch_size: int = 30,
               hidden_size: int = 200,
               min_stddev: float = 0.1,
               activation='relu',
               **kwargs):
    """Args:
      stoch_size: S, dimensions of the Gaussian state.
      hidden_size: units of the hidden layers.
      min_stddev: added to the softplus standard deviations.
      activation: Keras activation of the hidden layers.
      **kwargs: `tf.keras.layers.Layer` arguments.
    """
    super().__init__(stoch_size, 0, **kwargs)
    self._min_stddev = float(min_stddev)
    self._prior_hidden, self._prior_out = dynamics.gaussian_layers(
        'img', stoch_size, hidden_size, activation)
    self._post_hidden, self._post_out = dynamics.gaussian_layers(
        'obs', stoch_size, hidden_size, activation)

  def imagine_step(self, prev_state: LatentState, prev_action, sample=None):
    """Returns the prior `LatentState` `[B, ...]` after `prev_action [B, A]`."""
    x = self._prior_hidden(tf.concat([prev_state.stoch, prev_action], -1))
    mean, raw_stddev = tf.split(self._prior_out(x), 2, -1)
    return dynamics.gaussian_state(mean, raw_stddev, self._min_stddev,
                                   prev_state.deter, sample)

  def observe_step(self, prev_state: LatentState, prev_action, embedding,
                   sample=None):
    """Returns `(posterior, prior)` `LatentState`s `[B, ...]`."""
    prior = self.imagine_step(prev_state, prev_action, sample)
    x = self._post_hidden(tf.concat([prior.mean, prior.stddev, embedding], -1))
    mean, raw_stddev = tf.split(self._post_out(x), 2, -1)
    posterior = dynamics.gaussian_state(mean, raw_stddev, self._min_stddev,
                                        prior.deter, sample)
    return posterior, prior
