"""Dreamer's agent as a TF-Agents policy: filter the belief, ask the actor, act."""

import gin
import tensorflow as tf

from planet_tf.policies.latent_policy import LatentPolicy


class ActorPolicy(LatentPolicy):
  """Acts with an actor on the posterior of a `WorldModel`; no planning.

  On every step (see `LatentPolicy` for the state, the generator and the
  noise): filter the posterior of `o_t` and emit the actor's `mode()` on its
  features (greedy; for Dreamer's actor, `tanh` of the Gaussian's mean, see
  `networks.TanhNormal`) or, with `sample=True`, a draw from the actor's
  distribution, which comes from `self.generator` like every other draw.
  `info` is `()`.

  The actor's actions lie in (-1, 1), the action spec's bounds must be
  [-1, 1]: Dreamer trains on normalised actions.
  """

  def __init__(self, time_step_spec, action_spec, world_model, actor,
               sample=False, exploration_noise=0.0, seed=None, name=None):
    """Args:

      time_step_spec, action_spec, world_model, exploration_noise, seed,
        name: as `LatentPolicy`.
      actor: a Keras layer from features `[B, F]` to a distribution over
        actions `[B, A]` in [-1, 1] (`networks.ActorHead`); saved with the policy.
      sample: emit a sample of the actor (collection) instead of its mode.

    Raises:
      ValueError: as `LatentPolicy`, and for action bounds other than [-1, 1].
    """
    super().__init__(time_step_spec, action_spec, world_model, (),
                     exploration_noise=exploration_noise, seed=seed, name=name)
    if (self._minimum != -1.0).any() or (self._maximum != 1.0).any():
      raise ValueError(
          f'{type(self).__name__} acts in [-1, 1], the bounds of its actor; '
          f'action_spec {action_spec} has others.')
    self._actor = actor
    self._sample_actor = bool(sample)
    actor(tf.zeros([1, world_model.dynamics.feature_size]))  # Its variables.

  @property
  def actor(self):
    return self._actor

  @property
  def samples_its_action(self):
    return self._sample_actor or super().samples_its_action

  def _choose(self, posterior, batch):
    """The actor's mode (or a sample) on the posterior's features `[B, A]`."""
    dist = self._actor(self._world_model.dynamics.features(posterior))
    if self._sample_actor:
      action = dist.sample(seed=self._generator.uniform_full_int([2], tf.int32))
    else:
      action = dist.mode()
    return tf.ensure_shape(action, [batch, self._action_size]), ()


@gin.configurable
class CollectActorPolicy(ActorPolicy):
  """`ActorPolicy` that samples the actor and adds Dreamer's Gaussian noise (0.3)."""

  def __init__(self, time_step_spec, action_spec, world_model, actor,
               sample=True, exploration_noise=0.3, **kwargs):
    """Args: as `ActorPolicy`; `sample` and `exploration_noise` (gin) default to
    True and 0.3 (Dreamer's `expl_amount`)."""
    super().__init__(time_step_spec, action_spec, world_model, actor,
                     sample=sample, exploration_noise=exploration_noise,
                     **kwargs)
