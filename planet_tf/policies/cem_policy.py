"""PlaNet's agent as a TF-Agents policy: filter the belief, plan with CEM, act."""

import gin
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.policies import tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step

from planet_tf.models import dynamics as dynamics_lib
from planet_tf.planning import cem

tfd = tfp.distributions


class CemPolicy(tf_policy.TFPolicy):
  """Plans each action with `cem` in the latent space of a `WorldModel`.

  On every step: encode `o_t`, update the belief with the previous action
  (`dynamics.observe_step`, the posterior), plan `horizon` actions from the
  posterior with the dynamics' prior and the reward head's mean, and emit the
  first. The policy state is `{'latent': LatentState, 'prev_action': [A]}`;
  `TFPolicy`'s automatic reset zeroes it where `time_step.is_first()`, which is
  the world model's `initial_state` and a zero previous action (the convention of
  training chunks). `info` is `{'predicted_return': []}`, the planner's estimate.

  All randomness (stochastic states sampled while planning and filtering, CEM's
  candidates, exploration noise) comes from `self.generator` (the dynamics' steps
  take it as their random source), a
  `tf.random.Generator` seeded by `seed` and saved with the policy, so a policy and
  its SavedModel, started from the same generator state, emit the same actions
  for the same inputs. The `seed` argument of `action()` is ignored.

  With `exploration_noise > 0` (see `CollectCemPolicy`) Gaussian noise of that
  standard deviation is added to the planned action, which is clipped to the
  bounds; the noisy action is emitted and stored as `prev_action`.

  The planner, the noise and `prev_action` are float32; the emitted action is
  cast to `action_spec.dtype` (float16, float32 or float64).
  """

  def __init__(self, time_step_spec, action_spec, world_model, planner=cem,
               exploration_noise=0.0, reward_head='reward', seed=None,
               name=None):
    """Args:

      time_step_spec: a `TimeStep` spec whose observation is a uint8
        `TensorSpec` of the world model's image shape `[H, W, C]`.
      action_spec: a bounded float `[A]` spec, `A == world_model.action_size`;
        actions are emitted in its dtype (planned in float32).
      world_model: a `planet_tf.models.WorldModel`; it is built here (its
        variables created) if it has not been.
      planner: `cem` or a callable with its signature, e.g.
        `functools.partial(cem, horizon=3)`; hyper-parameters come from gin
        (`cem.horizon = 12`, ...) unless bound here.
      exploration_noise: standard deviation of Gaussian action noise, >= 0.
      reward_head: which of `world_model.reward_heads` the planner maximises.
      seed: int seed of the policy's generator; non-deterministic when None.
      name: name of the policy.

    Raises:
      ValueError: for an observation spec or action spec the policy cannot
        handle, naming the spec; for a negative `exploration_noise` or an unknown
        reward head.
    """
    _check_action_spec(action_spec, world_model.action_size)
    _check_observation_spec(time_step_spec.observation, world_model)
    if exploration_noise < 0:
      raise ValueError(
          f'exploration_noise must be >= 0, got {exploration_noise}.')
    if reward_head not in world_model.reward_heads:
      raise ValueError(f'Unknown reward head {reward_head!r}; the world model has '
                       f'{sorted(world_model.reward_heads)}.')
    action_size = int(action_spec.shape[0])
    policy_state_spec = {
        'latent': world_model.dynamics.state_spec(),
        'prev_action': tf.TensorSpec([action_size], tf.float32, 'prev_action'),
    }
    info_spec = {'predicted_return': tf.TensorSpec([], tf.float32,
                                                   'predicted_return')}
    super().__init__(time_step_spec, action_spec, policy_state_spec, info_spec,
                     name=name)
    self._world_model = world_model
    self._planner = planner
    self._exploration_noise = float(exploration_noise)
    self._reward_head = reward_head
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
    # The planner's tf.function keys its trace cache on these callables: bind
    # them once, or every action() of an eager caller would retrace it.
    self._planner_transition = self._imagine
    self._planner_reward = self._reward

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
  def reward_head(self):
    """The name of the reward head the planner maximises."""
    return self._reward_head

  def _imagine(self, state, action):
    """Planner transition: one prior step `[N, ...]`, sampled from the generator."""
    return self._world_model.dynamics.imagine_step(state, action, self._sample)

  def _reward(self, state):
    """Planner reward: the predicted reward mean of the action into `state`, `[N]`."""
    features = self._world_model.dynamics.features(state)
    return self._world_model.reward(features, self._reward_head).mean()

  def _plan(self, time_step, policy_state):
    """Returns `(action [B, A], posterior, predicted_return [B])`."""
    embedding = self._world_model.embed(time_step.observation)  # [B, E]
    posterior, _ = self._world_model.dynamics.observe_step(
        policy_state['latent'], policy_state['prev_action'], embedding,
        self._sample)
    plan, predicted_return = self._planner(
        posterior, self._planner_transition, self._planner_reward,
        self._action_size, self._minimum, self._maximum,
        generator=self._generator)
    # The planner's loop forgets the static batch size; restore it so that the
    # policy state keeps its shape in a driver's tf.while_loop.
    batch = tf.compat.dimension_value(embedding.shape[0])
    action = tf.ensure_shape(plan[:, 0], [batch, self._action_size])
    predicted_return = tf.ensure_shape(predicted_return, [batch])
    return action, posterior, predicted_return

  def _action(self, time_step, policy_state, seed):
    """Plans and emits `[B, A]`; stores the emitted (noisy) action in the state."""
    del seed  # All randomness comes from self._generator.
    action, posterior, predicted_return = self._plan(time_step, policy_state)
    if self._exploration_noise > 0:
      noise = self._generator.normal(tf.shape(action))
      action = tf.clip_by_value(action + self._exploration_noise * noise,
                                self._minimum, self._maximum)
    state = {'latent': posterior, 'prev_action': action}
    info = {'predicted_return': predicted_return}
    return policy_step.PolicyStep(self._emit(action), state, info)

  def _distribution(self, time_step, policy_state):
    """A `Deterministic` over the planned action; only without exploration noise.

    Raises:
      NotImplementedError: with exploration noise, since the policy state must hold
        the sampled action; use `action()`.
    """
    if self._exploration_noise > 0:
      raise NotImplementedError(
          'CemPolicy with exploration noise stores the sampled action in its '
          'state and has no distribution(); use action().')
    action, posterior, predicted_return = self._plan(time_step, policy_state)
    state = {'latent': posterior, 'prev_action': action}
    info = {'predicted_return': predicted_return}
    return policy_step.PolicyStep(tfd.Deterministic(self._emit(action)), state,
                                  info)

  def _emit(self, action):
    """The float32 action `[B, A]` in the action spec's dtype."""
    return tf.cast(action, self._action_dtype)


@gin.configurable
class CollectCemPolicy(CemPolicy):
  """`CemPolicy` with Gaussian exploration noise (0.3 in the paper) for collection."""

  def __init__(self, time_step_spec, action_spec, world_model,
               exploration_noise=0.3, **kwargs):
    """Args: as `CemPolicy`; `exploration_noise` defaults to 0.3 (gin)."""
    super().__init__(time_step_spec, action_spec, world_model,
                     exploration_noise=exploration_noise, **kwargs)


def _check_action_spec(spec, action_size):
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
    raise ValueError(f'CemPolicy cannot plan for action_spec {spec}: it {problem}.')


def _check_observation_spec(spec, world_model):
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
        f'CemPolicy cannot read observation spec {spec}: it {problem}.')

