"""What every latent dynamics model shares: states, their distributions, the scans.

A subclass defines only `stoch_size`, `deter_size`, `imagine_step` and
`observe_step`; `observe`, `imagine` and `rollouts` scan those single steps over
time, so there is exactly one definition of a step (see docs/architecture.md,
"Dynamics interface"). Every step takes its random source (`sample`), so a caller
decides where each draw of the stochastic state comes from.
"""

import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.trajectories import time_step as ts

from planet_tf.models import sequence
from planet_tf.models.state import LatentState

tfd = tfp.distributions


def mean_sample(mean, stddev):
  """A sample function that takes the mean: no randomness (`stoch = mean`)."""
  del stddev
  return mean


def sample_function(source=None):
  """Returns `(mean, stddev) -> stoch` drawing from `source`.

  Args:
    source: None (TensorFlow's global generator, what training draws from), a
      `tf.random.Generator` (a policy's own) or a sample function, returned as
      is (e.g. `mean_sample`).
  """
  if source is None:
    return lambda mean, stddev: mean + stddev * tf.random.normal(tf.shape(mean))
  if isinstance(source, tf.random.Generator):
    return lambda mean, stddev: mean + stddev * source.normal(tf.shape(mean))
  return source


def gaussian_state(mean, raw_stddev, min_stddev, deter, sample=None):
  """A `LatentState` from Gaussian parameters.

  Args:
    mean: `[B, S]`.
    raw_stddev: `[B, S]`, mapped to `softplus(raw) + min_stddev`.
    min_stddev: float.
    deter: `[B, D]` (D may be 0).
    sample: the random source of `stoch`, as `sample_function`.

  Returns:
    `LatentState`.
  """
  stddev = tf.nn.softplus(raw_stddev) + min_stddev
  stoch = sample_function(sample)(mean, stddev)
  return LatentState(mean=mean, stddev=stddev, stoch=stoch, deter=deter)


def gaussian_layers(prefix, stoch_size, hidden_size, activation):
  """The two layers from an input to a Gaussian state's parameters.

  Args:
    prefix: the layers' name prefix: `img` (the prior's) or `obs` (the
      posterior's), the original code's names.
    stoch_size: S.
    hidden_size: units of the hidden layer.
    activation: its Keras activation.

  Returns:
    `(hidden, out)` Dense layers named `<prefix>_hidden` and `<prefix>_out`;
    `out` gives `[B, 2S]`, the mean and the raw stddev of `gaussian_state`.
  """
  hidden = tf.keras.layers.Dense(hidden_size, activation,
                                 name=f'{prefix}_hidden')
  return hidden, tf.keras.layers.Dense(2 * stoch_size, name=f'{prefix}_out')


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
    """`concat(stoch, deter)`: `[..., S + D]`, all that heads read."""
    return tf.concat([state.stoch, state.deter], axis=-1)

  @staticmethod
  def distribution(state: LatentState):
    """`Independent(Normal(mean, stddev), 1)` over the stochastic state `[..., S]`."""
    return tfd.Independent(tfd.Normal(state.mean, state.stddev), 1)

  def divergence(self, posterior: LatentState, prior: LatentState):
    """KL(posterior || prior) summed over the stochastic state: `[...]`.

    Zero for a model without a stochastic state (S = 0).
    """
    if self._stoch_size == 0:
      return tf.zeros(tf.shape(posterior.mean)[:-1])
    return tfd.kl_divergence(self.distribution(posterior),
                             self.distribution(prior))

  def imagine_step(self, prev_state: LatentState, prev_action, sample=None):
    """One open-loop step: `prior = p(s_t | h(s_{t-1}, a_{t-1}))`, fields `[B, ...]`.

    `sample` is the random source of `stoch` (see `sample_function`);
    `mean_sample` takes the prior mean.
    """
    raise NotImplementedError

  def observe_step(self, prev_state: LatentState, prev_action, embedding,
                   sample=None):
    """One filtering step; returns `(posterior, prior)`, fields `[B, ...]`.

    `sample` is the random source of both states' `stoch`.
    """
    raise NotImplementedError

  def call(self, inputs):
    """Keras entry point: `observe(*inputs)`."""
    return self.observe(*inputs)

  def observe(self, embeddings, prev_actions, step_types=None,
              initial_state=None, sample=None):
    """Filters a sequence.

    Args:
      embeddings: `[B, T, E]` encoded observations.
      prev_actions: `[B, T, A]`; `prev_actions[:, t]` is the action taken before
        `o_t` (see `planet_tf.models.sequence.previous_actions`).
      step_types: optional int `[B, T]`; wherever it is `FIRST` the state and the
        previous action are reset to zeros before the step.
      initial_state: optional `LatentState` `[B, ...]` before step 0; zeros if
        None.
      sample: the random source of the states (see `sample_function`).

    Returns:
      `(posteriors, priors)`: `LatentState`s with fields `[B, T, ...]`.

    Raises:
      ValueError: on inconsistent ranks or sizes.
    """
    embeddings = tf.convert_to_tensor(embeddings, tf.float32)
    prev_actions = tf.convert_to_tensor(prev_actions, tf.float32)
    _check_sequence('embeddings', embeddings, 3)
    _check_sequence('prev_actions', prev_actions, 3)
    if step_types is None:
      is_first = tf.zeros(tf.shape(embeddings)[:2], tf.bool)
    else:
      step_types = tf.convert_to_tensor(step_types)
      _check_sequence('step_types', step_types, 2)
      is_first = tf.equal(step_types, ts.StepType.FIRST)
    if initial_state is None:
      initial_state = self.initial_state(tf.shape(embeddings)[0])

    def step(carry, inputs):
      prev_posterior, _ = carry
      embedding, prev_action, first = inputs
      prev_state, prev_action = sequence.zero_where(
          first, (prev_posterior, prev_action))
      return self.observe_step(prev_state, prev_action, embedding, sample)

    posteriors, priors = tf.scan(
        step,
        (_time_major(embeddings), _time_major(prev_actions),
         _time_major(is_first)),
        initializer=(initial_state, initial_state))
    return (tf.nest.map_structure(_time_major, posteriors),
            tf.nest.map_structure(_time_major, priors))

  def imagine(self, actions, initial_state: LatentState, sample=None):
    """Rolls the prior forward open loop.

    Args:
      actions: `[B, T, A]`.
      initial_state: `LatentState` `[B, ...]`, the state in which `actions[:, 0]`
        is taken.
      sample: the random source of the states (see `sample_function`).

    Returns:
      priors: `LatentState` `[B, T, ...]`; `priors[:, t]` is the state after
      `actions[:, t]`.
    """
    actions = tf.convert_to_tensor(actions, tf.float32)
    _check_sequence('actions', actions, 3)
    priors = tf.scan(lambda prev, action: self.imagine_step(prev, action, sample),
                     _time_major(actions), initializer=initial_state)
    return tf.nest.map_structure(_time_major, priors)

  def rollouts(self, posteriors, prev_actions, step_types, distance,
               initial_state=None, sample=None):
    """Open-loop predictions of 1..distance steps from every step of a chunk.

    The rollout that starts at step u begins in the state *before* step u (the
    posterior of u-1; `initial_state` at u = 0; zeros at FIRST) and applies
    `prev_actions[:, u], ..., prev_actions[:, u+k]` (zero at FIRST); its k-th
    state predicts step u + k from k + 1 steps away. So k = 0 reproduces the
    one-step priors of `observe` given the same arguments.

    Args:
      posteriors: `LatentState` `[B, T, ...]` from `observe`.
      prev_actions: `[B, T, A]` as given to `observe`.
      step_types: int `[B, T]` or None, as given to `observe`.
      distance: D >= 1, a Python int.
      initial_state: `LatentState` `[B, ...]` before step 0, as given to
        `observe`; zeros if None.
      sample: the random source of the states (see `sample_function`).

    Returns:
      A list of D pairs `(prior_k, mask_k)`: `prior_k` is a `LatentState`
      `[B, T, ...]` indexed by the start step u and predicting step u + k;
      `mask_k` float `[B, T]` is 1 where u + k < T and no FIRST lies in
      (u, u + k].
    """
    if distance < 1:
      raise ValueError(f'overshooting distance must be >= 1, got {distance}.')
    batch, length = tf.shape(prev_actions)[0], tf.shape(prev_actions)[1]
    if step_types is None:
      step_types = tf.fill([batch, length], ts.StepType.MID)
    is_first = tf.equal(step_types, ts.StepType.FIRST)
    firsts_so_far = tf.cumsum(tf.cast(is_first, tf.int32), axis=1)
    positions = tf.range(length)[None, :]
    if initial_state is None:
      initial_state = self.initial_state(batch)

    def flat(x):
      return tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))

    def unflat(x):
      return tf.reshape(x, tf.concat([[batch, length], tf.shape(x)[1:]], 0))

    before = tf.nest.map_structure(
        lambda p, i: tf.concat([i[:, None], p[:, :-1]], 1),
        posteriors, initial_state)
    state = tf.nest.map_structure(flat, sequence.zero_where(is_first, before))
    rollouts = []
    for k in range(distance):
      action = sequence.shift_left(prev_actions, k)
      if k == 0:
        action = sequence.zero_where(is_first, action)
      state = self.imagine_step(state, flat(action), sample)
      inside = positions + k < length
      no_first = tf.equal(sequence.shift_left(firsts_so_far, k), firsts_so_far)
      mask = tf.cast(tf.logical_and(inside, no_first), tf.float32)
      rollouts.append((tf.nest.map_structure(unflat, state), mask))
    return rollouts

  def rollout_divergences(self, rollouts, posteriors):
    """KL of each posterior from the priors predicted d = 1..D steps before it.

    Args:
      rollouts: D pairs `(prior_d, mask_d)` from `rollouts`.
      posteriors: `LatentState` `[B, T, ...]` they were rolled out from.

    Returns:
      D pairs `(kl_d [B, T], mask_d)`. For d > 1 the posterior targets are
      constants (gradients stopped), as in the paper (eq. 7): only the one-step
      KL trains the posterior.
    """
    kls = []
    for k, (prior, mask) in enumerate(rollouts):
      target = tf.nest.map_structure(
          lambda x, k=k: sequence.shift_left(x, k), posteriors)
      if k > 0:
        target = tf.nest.map_structure(tf.stop_gradient, target)
      kls.append((self.divergence(target, prior), mask))
    return kls


def _time_major(x):
  """Swaps the first two axes: `[B, T, ...] <-> [T, B, ...]`."""
  perm = [1, 0] + list(range(2, x.shape.rank))
  return tf.transpose(x, perm)


def _check_sequence(name, x, rank):
  if x.shape.rank != rank:
    raise ValueError(
        f'{name} must have rank {rank} ([B, T{", ..." if rank > 2 else ""}]), '
        f'got shape {x.shape}.')
