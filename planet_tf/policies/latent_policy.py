"""What a policy that acts on a world model's belief shares: its state and its steps.

`LatentPolicy` filters the belief and keeps the previous action; a subclass
(`CemPolicy`, `ActorPolicy`) chooses the action from the posterior.
"""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step

from planet_tf.models import dynamics as dynamics_lib

tfd = tfp.distributions


class LatentPolicy(tf_policy.TFPolicy):
  """Acts on the posterior of a `WorldModel`, filtered from every observation.

  On every step: encode `o_t`, update the belief with the previous action
  (`dynamics.observe_step`, the posterior), choose an action from the posterior
  (`_choose`, the subclass's), and emit it. The policy state is
  `{'latent': LatentState, 'prev_action': [A]}`; `TFPolicy`'s automatic reset
  zeroes it where `time_step.is_first()`, which is the world model's
  `initial_state` and a zero previous action (the convention of training
  chunks).

  All randomness (the stochastic states sampled while filtering, whatever the
  subclass draws, exploration noise) comes from `self.generator`, a
  `tf.random.Generator` seeded by `seed` and saved with the policy, so a policy
  and its SavedModel, started from the same generator state, emit the same
  actions for the same inputs. The `seed` argument of `action()` is ignored.

  With `exploration_noise > 0` Gaussian noise of that standard deviation is
  added to the chosen action, which is clipped to the bounds; the noisy action
  is emitted and stored as `prev_action`.

  The chosen action, the noise and `prev_action` are float32; the emitted
  action is cast to `action_spec.dtype` (float16, float32 or float64).
  """

  def __init__(self, time_step_spec, action_spec, world_model, info_spec=(),
               exploration_noise=0.0, seed=None, name=None):
    """Args:

      time_step_spec: a `TimeStep` spec whose observation is a uint8
        `TensorSpec` of the world model's image shape `[H, W, C]`.
      action_spec: a bounded float `[A]` spec, `A == world_model.action_size`;
        actions are emitted in its dtype (chosen in float32).
      world_model: a `planet_tf.models.WorldModel`; it is built here (its
        variables created) if it has not been.
      info_spec: the subclass's `info` spec.
      exploration_noise: standard deviation of Gaussian action noise, >= 0.
      seed: int seed of the policy's generator; non-deterministic when None.
      name: name of the policy.

    Raises:
      ValueError: for an observation spec or action spec the policy cannot
        handle, naming the spec; for a negative `exploration_noise`.
    """
    kind = type(self).__name__
    _check_action_spec(kind, action_spec, world_model.action_size)
    _check_observation_spec(kind, time_step_spec.observation, world_model)
    if exploration_noise < 0:
      raise ValueError(
          f'exploration_noise must be >= 0, got {exploration_noise}.')
    action_size = int(action_spec.shape[0])
    policy_state_spec = {
        'latent': world_model.dynamics.state_spec(),
        'prev_action': tf.TensorSpec([action_size], tf.float32, 'prev_action'),
    }
    super().__init__(time_step_spec, action_spec, policy_state_spec, info_spec,
                     name=name)
    self._world_model = world_model
    self._exploration_noise = float(exploration_noise)
    self._action_size = action_size
    self._action_dtype = action_spec.dtype
    self._minimum = np.broadcast_to(action_spec.minimum, [action_size]).astype(
        np.float32)
    self._maximum = np.broadcast_to(action_spec.maximum, [action_size]).astype(
        np.float32)
    if seed is None:
      self._generator = tf.random.Generator.from_non_deterministic_state()
    else:
      self._generator = tf.random.Generator.from_seed(seed)
    self._sample = dynamics_lib.sample_function(self._generator)
    world_model.build_variables(tuple(time_step_spec.observation.shape))

  @property
  def world_model(self):
    return self._world_model

  @property
  def generator(self):
    """The `tf.random.Generator` behind every random draw of the policy."""
    return self._generator

  @property
  def exploration_noise(self):
    return self._exploration_noise

  @property
  def samples_its_action(self):
    """Whether the emitted action is a random draw (it then has no distribution)."""
    return self._exploration_noise > 0

  def _choose(self, posterior, batch):
    """The subclass's choice: `(action [B, A] float32 in the bounds, info)`.

    Args:
      posterior: `LatentState` `[B, ...]`, the belief after `o_t`.
      batch: B as a Python int if static, else None.
    """
    raise NotImplementedError

  def _act(self, time_step, policy_state):
    """Returns `(action [B, A], posterior, info)` before exploration noise."""
    embedding = self._world_model.embed(time_step.observation)  # [B, E]
    posterior, _ = self._world_model.dynamics.observe_step(
        policy_state['latent'], policy_state['prev_action'], embedding,
        self._sample)
    batch = tf.compat.dimension_value(embedding.shape[0])
    action, info = self._choose(posterior, batch)
    return action, posterior, info

  def _action(self, time_step, policy_state, seed):
    """Chooses and emits `[B, A]`; stores the emitted (noisy) action in the state."""
    del seed  # All randomness comes from self._generator.
    action, posterior, info = self._act(time_step, policy_state)
    if self._exploration_noise > 0:
      noise = self._generator.normal(tf.shape(action))
      action = tf.clip_by_value(action + self._exploration_noise * noise,
                                self._minimum, self._maximum)
    state = {'latent': posterior, 'prev_action': action}
    return policy_step.PolicyStep(self._emit(action), state, info)

  def _distribution(self, time_step, policy_state):
    """A `Deterministic` over the chosen action; only when it is not sampled.

    Raises:
      NotImplementedError: for a policy that samples its action (e.g. with
        exploration noise), since the policy state must hold the sampled
        action; use `action()`.
    """
    if self.samples_its_action:
      raise NotImplementedError(
          f'{type(self).__name__} with exploration noise stores the sampled '
          'action in its state and has no distribution(); use action().')
    action, posterior, info = self._act(time_step, policy_state)
    state = {'latent': posterior, 'prev_action': action}
    return policy_step.PolicyStep(tfd.Deterministic(self._emit(action)), state,
                                  info)

  def _emit(self, action):
    """The float32 action `[B, A]` in the action spec's dtype."""
    return tf.cast(action, self._action_dtype)


def _check_action_spec(kind, spec, action_size):
  """Raises ValueError unless `spec` is a bounded, finite, float `[action_size]`."""
  problem = None
  if not isinstance(spec, tensor_spec.BoundedTensorSpec):
    problem = 'must be a single BoundedTensorSpec'
  elif not spec.dtype.is_floating:
    problem = f'must be float, not {spec.dtype.name}'
  elif spec.shape.rank != 1 or spec.shape[0] is None:
    problem = f'must have rank 1 and a known size [A], not shape {spec.shape}'
  elif spec.shape[0] != action_size:
    problem = (f'has {spec.shape[0]} dimensions but the world model has '
               f'action_size {action_size}')
  elif not (np.all(np.isfinite(spec.minimum)) and np.all(np.isfinite(spec.maximum))
            and np.all(np.less(spec.minimum, spec.maximum))):
    problem = 'must have finite bounds with minimum < maximum'
  if problem:
    raise ValueError(f'{kind} cannot act for action_spec {spec}: it {problem}.')


def _check_observation_spec(kind, spec, world_model):
  """Raises ValueError unless `spec` is uint8 `[H, W, C]` of the model's images."""
  problem = None
  image_shape = getattr(world_model.decoder, 'image_shape', None)
  if not isinstance(spec, tf.TensorSpec):
    problem = 'must be a single TensorSpec (one image)'
  elif spec.dtype != tf.uint8:
    problem = f'must be uint8 pixels, not {spec.dtype.name}'
  elif spec.shape.rank != 3 or not spec.shape.is_fully_defined():
    problem = f'must be an image [H, W, C], not shape {spec.shape}'
  elif image_shape is not None and tuple(spec.shape) != tuple(image_shape):
    problem = (f'has shape {tuple(spec.shape)} but the world model models images '
               f'of shape {tuple(image_shape)}')
  if problem:
    raise ValueError(
        f'{kind} cannot read observation spec {spec}: it {problem}.')
