"""PlaNet's agent as a TF-Agents policy: filter the belief, plan with CEM, act."""

import gin
import tensorflow as tf

from planet_tf.planning import cem
from planet_tf.policies.latent_policy import LatentPolicy


class CemPolicy(LatentPolicy):
  """Plans each action with `cem` in the latent space of a `WorldModel`.

  On every step (see `LatentPolicy` for the state, the generator and the
  noise): filter the posterior of `o_t`, plan `horizon` actions from it with
  the dynamics' prior and the reward head's mean, and emit the first. `info` is
  `{'predicted_return': []}`, the planner's estimate.

  With a `value` (features -> distribution over the return after a state, e.g.
  Dreamer's), each candidate is scored by its rewards plus the `discount`ed
  value of its last imagined state (`cem`'s `value_fn`); without one, by the
  sum of its rewards, as PlaNet.

  The stochastic states sampled while planning and CEM's candidates are drawn
  from `self.generator`, like everything else the policy draws.
  """

  def __init__(self, time_step_spec, action_spec, world_model, planner=cem,
               exploration_noise=0.0, reward_head='reward', value=None,
               discount=1.0, seed=None, name=None):
    """Args:

      time_step_spec, action_spec, world_model, exploration_noise, seed,
        name: as `LatentPolicy`.
      planner: `cem` or a callable with its signature, e.g.
        `functools.partial(cem, horizon=3)`; hyper-parameters come from gin
        (`cem.horizon = 12`, ...) unless bound here.
      reward_head: which of `world_model.reward_heads` the planner maximises.
      value: None, or a Keras layer from features `[N, F]` to a distribution
        whose `mean()` `[N]` is the discounted return after a state; saved with
        the policy.
      discount: γ of the planner's return (`cem`); 1.0 sums the rewards
        undiscounted, as PlaNet. With a value, the discount it was trained
        with.

    Raises:
      ValueError: as `LatentPolicy`; for an unknown reward head or a discount
        outside (0, 1].
    """
    if reward_head not in world_model.reward_heads:
      raise ValueError(f'Unknown reward head {reward_head!r}; the world model has '
                       f'{sorted(world_model.reward_heads)}.')
    if not 0.0 < discount <= 1.0:
      raise ValueError(f'discount must be in (0, 1], got {discount}.')
    info_spec = {'predicted_return': tf.TensorSpec([], tf.float32,
                                                   'predicted_return')}
    super().__init__(time_step_spec, action_spec, world_model, info_spec,
                     exploration_noise=exploration_noise, seed=seed, name=name)
    self._planner = planner
    self._reward_head = reward_head
    self._value = value
    self._discount = float(discount)
    if value is not None:
      value(tf.zeros([1, world_model.dynamics.feature_size]))  # Its variables.
    # The planner's tf.function keys its trace cache on these callables: bind
    # them once, or every action() of an eager caller would retrace it.
    self._planner_transition = self._imagine
    self._planner_reward = self._reward
    self._planner_value = None if value is None else self._value_of

  @property
  def reward_head(self):
    """The name of the reward head the planner maximises."""
    return self._reward_head

  @property
  def value(self):
    """The value the planner bootstraps its plans with, or None."""
    return self._value

  def _imagine(self, state, action):
    """Planner transition: one prior step `[N, ...]`, sampled from the generator."""
    return self._world_model.dynamics.imagine_step(state, action, self._sample)

  def _reward(self, state):
    """Planner reward: the predicted reward mean of the action into `state`, `[N]`."""
    features = self._world_model.dynamics.features(state)
    return self._world_model.reward(features, self._reward_head).mean()

  def _value_of(self, state):
    """Planner value: the predicted return after `state`, `[N]`."""
    return self._value(self._world_model.dynamics.features(state)).mean()

  def _choose(self, posterior, batch):
    """Plans from `posterior`; returns `(first action [B, A], info)`."""
    plan, predicted_return = self._planner(
        posterior, self._planner_transition, self._planner_reward,
        self._action_size, self._minimum, self._maximum,
        generator=self._generator, value_fn=self._planner_value,
        discount=self._discount)
    # The planner's loop forgets the static batch size; restore it so that the
    # policy state keeps its shape in a driver's tf.while_loop.
    action = tf.ensure_shape(plan[:, 0], [batch, self._action_size])
    predicted_return = tf.ensure_shape(predicted_return, [batch])
    return action, {'predicted_return': predicted_return}


@gin.configurable
class CollectCemPolicy(CemPolicy):
  """`CemPolicy` with Gaussian exploration noise (0.3 in the paper) for collection."""

  def __init__(self, time_step_spec, action_spec, world_model,
               exploration_noise=0.3, **kwargs):
    """Args: as `CemPolicy`; `exploration_noise` defaults to 0.3 (gin)."""
    super().__init__(time_step_spec, action_spec, world_model,
                     exploration_noise=exploration_noise, **kwargs)
