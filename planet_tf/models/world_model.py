"""The world model: encoder, latent dynamics, decoder and reward heads, and its ELBO.

See docs/architecture.md ("WorldModel") for the contract the agent, the policy, the
planner and the summaries rely on.
"""

from typing import Callable, Dict, Optional

import gin
import tensorflow as tf

from planet_tf import losses
from planet_tf import preprocessing
from planet_tf.models import sequence
from planet_tf.models.rssm import RSSM
from planet_tf.networks import ConvDecoder
from planet_tf.networks import ConvEncoder
from planet_tf.networks import DenseHead


@gin.configurable
class WorldModel(tf.keras.Model):
  """PlaNet's latent dynamics model and its training step."""

  def __init__(self,
               action_size: int,
               encoder: Optional[tf.keras.layers.Layer] = None,
               dynamics: Optional[tf.keras.layers.Layer] = None,
               decoder: Optional[tf.keras.layers.Layer] = None,
               reward_heads: Optional[Dict[str, tf.keras.layers.Layer]] = None,
               dynamics_fn: Callable[[], tf.keras.layers.Layer] = RSSM,
               bit_depth: int = 5,
               free_nats: float = 3.0,
               kl_scale: float = 1.0,
               reward_scale: float = 1.0,
               latent_overshooting_distance: int = 0,
               latent_overshooting_scale: float = 1.0,
               observation_overshooting_distance: int = 0,
               observation_overshooting_scale: float = 1.0,
               learning_rate: float = 1e-3,
               adam_epsilon: float = 1e-4,
               grad_clip_norm: float = 1000.0,
               jit_compile: bool = False,
               name: str = 'world_model'):
    """Args:
      action_size: A.
      encoder: images `[B, T, H, W, C]` -> `[B, T, E]`; `ConvEncoder()` if None.
      dynamics: a `planet_tf.models.Dynamics`; `dynamics_fn()` if None.
      decoder: features -> image distribution; `ConvDecoder()` if None.
      reward_heads: name -> head (features -> distribution);
        `{'reward': DenseHead()}` if None (sizes from gin `DenseHead.units`).
      dynamics_fn: builds the dynamics when `dynamics` is None (gin:
        `@RSSM`, `@DeterministicRNN`, `@StochasticSSM`).
      bit_depth: image bit depth for `preprocessing.preprocess`.
      free_nats: per-step free nats of every KL term.
      kl_scale: beta of the one-step KL term (beta_1 of eq. 7).
      reward_scale: weight of the reward log-likelihood.
      latent_overshooting_distance: D of eq. 7; 0 is the standard ELBO.
      latent_overshooting_scale: beta_d for d > 1.
      observation_overshooting_distance: decode open-loop predictions of 1..D
        steps and add their image NLL; 0 is off.
      observation_overshooting_scale: weight of that term.
      learning_rate, adam_epsilon: Adam settings.
      grad_clip_norm: global norm clip of the gradients.
      jit_compile: compile `update` with XLA.
      name: Keras name.
    """
    super().__init__(name=name)
    if int(action_size) < 1:
      raise ValueError(f'action_size must be >= 1, got {action_size}.')
    self.action_size = int(action_size)
    self.encoder = encoder if encoder is not None else ConvEncoder()
    self.dynamics = dynamics if dynamics is not None else dynamics_fn()
    self.decoder = decoder if decoder is not None else ConvDecoder()
    self.reward_heads = dict(reward_heads if reward_heads is not None
                             else {'reward': DenseHead(name='reward')})
    self._bit_depth = int(bit_depth)
    self._free_nats = float(free_nats)
    self._kl_scale = float(kl_scale)
    self._reward_scale = float(reward_scale)
    self._latent_os = int(latent_overshooting_distance)
    self._latent_os_scale = float(latent_overshooting_scale)
    self._obs_os = int(observation_overshooting_distance)
    self._obs_os_scale = float(observation_overshooting_scale)
    self._grad_clip_norm = float(grad_clip_norm)
    self.optimizer = tf.keras.optimizers.Adam(learning_rate, epsilon=adam_epsilon)
    self._update = tf.function(self._update_step, jit_compile=jit_compile,
                               reduce_retracing=True)

  @property
  def bit_depth(self):
    return self._bit_depth

  def features(self, state):
    """`[..., S + D]` features of a `LatentState`."""
    return self.dynamics.features(state)

  def embed(self, observations, noise=False):
    """uint8 `[B, T, H, W, C]` (or `[B, H, W, C]`) -> `[B, T, E]` (or `[B, E]`)."""
    observations = tf.convert_to_tensor(observations)
    if observations.shape.rank not in (4, 5):
      raise ValueError('embed expects uint8 observations [B, T, H, W, C] or '
                       f'[B, H, W, C], got shape {observations.shape}.')
    return self.encoder(preprocessing.preprocess(
        observations, self._bit_depth, noise=noise))

  def reward(self, features, head='reward'):
    """`tfd.Distribution` over the reward that led into the state of `features`.

    Args:
      features: `[..., S + D]`.
      head: name of the reward head.

    Returns:
      a distribution whose `.mean()` is `[...]`.
    """
    if head not in self.reward_heads:
      raise KeyError(f'no reward head {head!r}; have {sorted(self.reward_heads)}.')
    return self.reward_heads[head](features)

  def decode(self, features):
    """Image distribution over `[..., H, W, C]` (values in [-0.5, 0.5))."""
    return self.decoder(features)

  def call(self, observations, prev_actions, step_types=None):
    """Filters uint8 `observations [B, T, H, W, C]`; returns `(posteriors, priors)`."""
    return self.dynamics.observe(self.embed(observations), prev_actions,
                                 step_types)

  def _check_experience(self, experience):
    obs = experience.observation
    action = experience.action
    if obs.shape.rank != 5:
      raise ValueError('experience.observation must be uint8 [B, L, H, W, C], '
                       f'got shape {obs.shape}.')
    if obs.dtype != tf.uint8:
      raise ValueError(f'experience.observation must be uint8, got {obs.dtype}.')
    image_shape = getattr(self.decoder, 'image_shape', None)
    if image_shape is not None and tuple(obs.shape[2:]) != tuple(image_shape):
      raise ValueError(f'experience.observation has images of shape '
                       f'{tuple(obs.shape[2:])} but the decoder models '
                       f'{tuple(image_shape)}.')
    if action.shape.rank != 3 or action.shape[-1] != self.action_size:
      raise ValueError(f'experience.action must be [B, L, {self.action_size}], '
                       f'got shape {action.shape}.')
    if experience.step_type.shape.rank != 2:
      raise ValueError('experience.step_type must be [B, L], got shape '
                       f'{experience.step_type.shape}.')
    rewards = experience.reward
    if not isinstance(rewards, dict):
      rewards = {'reward': rewards}
    for key, value in rewards.items():
      if key not in self.reward_heads:
        raise ValueError(f'experience has reward {key!r} but the model only has '
                         f'heads {sorted(self.reward_heads)}.')
      if value.shape.rank != 2:
        raise ValueError(f'experience.reward[{key!r}] must be [B, L], got shape '
                         f'{value.shape}.')
    return rewards

  def loss(self, experience):
    """The negative ELBO of a chunk.

    Args:
      experience: `Trajectory` with `step_type [B, L]`, uint8 `observation
        [B, L, H, W, C]`, float `action [B, L, A]` and `reward [B, L]` (or a dict
        of them keyed like `reward_heads`).

    Returns:
      `(loss, metrics)`: scalar float32 and a dict of scalar float32 tensors.

    Raises:
      ValueError: on wrong ranks, dtypes or action size.
    """
    rewards = self._check_experience(experience)
    step_types = experience.step_type
    images = preprocessing.preprocess(experience.observation, self._bit_depth,
                                      noise=True)
    prev_actions = sequence.previous_actions(
        tf.cast(experience.action, tf.float32), step_types)
    posteriors, priors = self.dynamics.observe(
        self.encoder(images), prev_actions, step_types)
    features = self.features(posteriors)

    metrics = {}
    image_nll = losses.negative_log_likelihood(self.decoder(features), images)
    metrics['image_nll'] = image_nll
    total = image_nll
    for key, reward in rewards.items():
      target, mask = sequence.previous_rewards(tf.cast(reward, tf.float32),
                                               step_types)
      dist = self.reward_heads[key](features)
      nll = losses.negative_log_likelihood(dist, target, mask)
      metrics[f'{key}_nll'] = nll
      metrics[f'{key}_mse'] = losses.masked_mean(
          tf.square(dist.mean() - target), mask)
      total += self._reward_scale * nll

    distance = max(self._latent_os, self._obs_os)
    rollouts = (losses.open_loop_rollouts(self.dynamics, posteriors,
                                          prev_actions, step_types, distance)
                if distance else None)
    if self._latent_os:
      scales = [self._kl_scale] + [self._latent_os_scale] * (self._latent_os - 1)
      kl_term, kls = losses.latent_overshooting(
          rollouts[:self._latent_os], posteriors, self._free_nats, scales)
      kl = kls[0]
      metrics['overshooting_kl'] = tf.add_n(kls) / len(kls)
      total += kl_term
    else:
      kl_term, kl = losses.kl_loss(posteriors, priors, self._free_nats)
      total += self._kl_scale * kl_term
    metrics['kl'] = kl
    metrics['kl_loss'] = kl_term
    if self._obs_os:
      obs_os = losses.observation_overshooting(rollouts[:self._obs_os],
                                               self.decoder, images)
      metrics['observation_overshooting_nll'] = obs_os
      total += self._obs_os_scale * obs_os
    metrics['loss'] = total
    return total, metrics

  def _update_step(self, experience):
    with tf.GradientTape() as tape:
      loss, metrics = self.loss(experience)
    variables = self.trainable_variables
    grads = tape.gradient(loss, variables)
    grads, norm = tf.clip_by_global_norm(grads, self._grad_clip_norm)
    self.optimizer.apply_gradients(zip(grads, variables))
    metrics['grad_norm'] = norm
    return metrics

  def update(self, experience):
    """One Adam step on `loss(experience)`; returns its metrics (+ `grad_norm`).

    A `tf.function` traced once per input signature.
    """
    if not getattr(self.optimizer, '_built', False):
      self._build_variables(experience)
    return self._update(experience)

  def _build_variables(self, experience):
    """Creates the model's and Adam's variables before the step is traced.

    Runs once (the optimizer then counts as built); under an outer
    `tf.function`, build first (as `PlanetAgent.initialize` does) to keep this
    small dummy loss out of the traced graph.
    """
    self.loss(tf.nest.map_structure(lambda x: x[:1, :2], experience))
    self.optimizer.build(self.trainable_variables)

  def open_loop_prediction(self, experience, context=5, head='reward'):
    """Video prediction: observe `context` frames, then imagine from the actions.

    Args:
      experience: `Trajectory [B, L]` (observation uint8, action `[B, L, A]`).
      context: number of observed frames, `1 <= context <= L`.
      head: reward head whose predictions are returned.

    Returns:
      `(frames, rewards)`: uint8 `[B, L, H, W, C]` decoded means (posteriors for
      the first `context` steps, open-loop priors after) and the predicted
      `reward[t-1]` at each step `[B, L]`.
    """
    context = int(context)
    length = experience.observation.shape[1]
    if length is not None and not 1 <= context <= length:
      raise ValueError(f'context must be in 1..{length}, got {context}.')
    prev_actions = sequence.previous_actions(
        tf.cast(experience.action, tf.float32), experience.step_type)
    posteriors, _ = self.dynamics.observe(
        self.embed(experience.observation[:, :context]),
        prev_actions[:, :context], experience.step_type[:, :context])
    last = tf.nest.map_structure(lambda x: x[:, -1], posteriors)
    priors = self.dynamics.imagine(prev_actions[:, context:], last)
    states = tf.nest.map_structure(lambda a, b: tf.concat([a, b], 1),
                                   posteriors, priors)
    features = self.features(states)
    frames = preprocessing.postprocess(self.decoder(features).mean(),
                                       self._bit_depth)
    return frames, self.reward(features, head).mean()


@gin.configurable
def make_world_model(action_size: int, **kwargs) -> WorldModel:
  """Builds a `WorldModel` for `action_size` from the gin bindings."""
  return WorldModel(action_size=action_size, **kwargs)
