"""What every latent dynamics model shares: state specs, resets and the time scans.

A subclass defines only `stoch_size`, `deter_size`, `imagine_step` and
`observe_step`; `observe` and `imagine` scan those single steps over time, so there
is exactly one definition of a step (see docs/architecture.md, "Dynamics interface").
"""

import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from planet_tf.models import state as state_lib
from planet_tf.models.state import LatentState


class Dynamics(tf.keras.layers.Layer):
  """Base class of `RSSM`, `DeterministicRNN` and `StochasticSSM`."""

  def __init__(self, stoch_size: int, deter_size: int, **kwargs):
    super().__init__(**kwargs)
    self._stoch_size = int(stoch_size)
    self._deter_size = int(deter_size)

  @property
  def stoch_size(self):
    return self._stoch_size

  @property
  def deter_size(self):
    return self._deter_size

  @property
  def feature_size(self):
    """S + D, the last dimension of `features(state)`."""
    return self._stoch_size + self._deter_size

  def state_spec(self):
    """`LatentState` of unbatched float32 `tf.TensorSpec`s."""
    s, d = self._stoch_size, self._deter_size
    return LatentState(
        mean=tf.TensorSpec([s], tf.float32, 'mean'),
        stddev=tf.TensorSpec([s], tf.float32, 'stddev'),
        stoch=tf.TensorSpec([s], tf.float32, 'stoch'),
        deter=tf.TensorSpec([d], tf.float32, 'deter'))

  def initial_state(self, batch_size):
    """Zeros `LatentState` with fields `[batch_size, size]`."""
    return tf.nest.map_structure(
        lambda spec: tf.zeros([batch_size] + spec.shape.as_list(), spec.dtype),
        self.state_spec())

  @staticmethod
  def features(state: LatentState):
    """`concat(stoch, deter)`: `[..., S + D]`."""
    return state_lib.features(state)

  def imagine_step(self, prev_state: LatentState, prev_action, sample=True):
    """One open-loop step: `prior = p(s_t | h(s_{t-1}, a_{t-1}))`, fields `[B, ...]`.

    With `sample=False`, `stoch` is the prior mean instead of a sample.
    """
    raise NotImplementedError

  def observe_step(self, prev_state: LatentState, prev_action, embedding):
    """One filtering step; returns `(posterior, prior)`, fields `[B, ...]`."""
    raise NotImplementedError

  def call(self, inputs):
    """Keras entry point: `observe(*inputs)`."""
    return self.observe(*inputs)

  def observe(self, embeddings, prev_actions, step_types=None,
              initial_state=None):
    """Filters a sequence.

    Args:
      embeddings: `[B, T, E]` encoded observations.
      prev_actions: `[B, T, A]`; `prev_actions[:, t]` is the action taken before
        `o_t` (see `planet_tf.models.sequence.previous_actions`).
      step_types: optional int `[B, T]`; wherever it is `FIRST` the state and the
        previous action are reset to zeros before the step.
      initial_state: optional `LatentState` `[B, ...]` before step 0; zeros if
        None.

    Returns:
      `(posteriors, priors)`: `LatentState`s with fields `[B, T, ...]`.

    Raises:
      ValueError: on inconsistent ranks or sizes.
    """
    embeddings = tf.convert_to_tensor(embeddings, tf.float32)
    prev_actions = tf.convert_to_tensor(prev_actions, tf.float32)
    _check_sequence('embeddings', embeddings, 3)
    _check_sequence('prev_actions', prev_actions, 3)
    batch_size = tf.shape(embeddings)[0]
    if step_types is None:
      is_first = tf.zeros(tf.shape(embeddings)[:2], tf.bool)
    else:
      step_types = tf.convert_to_tensor(step_types)
      _check_sequence('step_types', step_types, 2)
      is_first = tf.equal(step_types, ts.StepType.FIRST)
    if initial_state is None:
      initial_state = self.initial_state(batch_size)
    zeros = self.initial_state(batch_size)

    def step(carry, inputs):
      prev_posterior, _ = carry
      embedding, prev_action, first = inputs
      prev_state = _reset(prev_posterior, zeros, first)
      prev_action = tf.where(first[:, None], tf.zeros_like(prev_action),
                             prev_action)
      return self.observe_step(prev_state, prev_action, embedding)

    posteriors, priors = tf.scan(
        step,
        (_time_major(embeddings), _time_major(prev_actions),
         _time_major(is_first)),
        initializer=(initial_state, initial_state))
    return (tf.nest.map_structure(_time_major, posteriors),
            tf.nest.map_structure(_time_major, priors))

  def imagine(self, actions, initial_state: LatentState):
    """Rolls the prior forward open loop.

    Args:
      actions: `[B, T, A]`.
      initial_state: `LatentState` `[B, ...]`, the state in which `actions[:, 0]`
        is taken.

    Returns:
      priors: `LatentState` `[B, T, ...]`; `priors[:, t]` is the state after
      `actions[:, t]`.
    """
    actions = tf.convert_to_tensor(actions, tf.float32)
    _check_sequence('actions', actions, 3)
    priors = tf.scan(lambda prev, action: self.imagine_step(prev, action),
                     _time_major(actions), initializer=initial_state)
    return tf.nest.map_structure(_time_major, priors)


def _time_major(x):
  """Swaps the first two axes: `[B, T, ...] <-> [T, B, ...]`."""
  perm = [1, 0] + list(range(2, x.shape.rank))
  return tf.transpose(x, perm)


def _reset(state, zeros, mask):
  """Replaces the rows of `state` where `mask [B]` is true by `zeros`."""
  return tf.nest.map_structure(
      lambda s, z: tf.where(mask[:, None], z, s), state, zeros)


def _check_sequence(name, x, rank):
  if x.shape.rank != rank:
    raise ValueError(
        f'{name} must have rank {rank} ([B, T{", ..." if rank > 2 else ""}]), '
        f'got shape {x.shape}.')


def gaussian_state(mean, raw_stddev, min_stddev, deter, sample=True):
  """A `LatentState` from Gaussian parameters.

  Args:
    mean: `[B, S]`.
    raw_stddev: `[B, S]`, mapped to `softplus(raw) + min_stddev`.
    min_stddev: float.
    deter: `[B, D]` (D may be 0).
    sample: draw `stoch` from the Gaussian (reparameterised) or use the mean.

  Returns:
    `LatentState`.
  """
  stddev = tf.nn.softplus(raw_stddev) + min_stddev
  stoch = mean + stddev * tf.random.normal(tf.shape(mean)) if sample else mean
  return LatentState(mean=mean, stddev=stddev, stoch=stoch, deter=deter)
