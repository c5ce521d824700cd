"""The world model: encoder, latent dynamics, decoder and reward heads, and its ELBO.

See docs/architecture.md ("WorldModel") for the contract the agent, the policy, the
planner and the summaries rely on. The model is a loss function and what the
planner reads; the agent that owns it takes the gradient steps.
"""

from typing import Callable, Dict, Optional, Sequence

import gin
import tensorflow as tf
from tf_agents.trajectories import trajectory

from planet_tf.models import losses
from planet_tf.models import preprocessing
from planet_tf.models import sequence
from planet_tf.models.rssm import RSSM
from planet_tf.networks import ConvDecoder
from planet_tf.networks import ConvEncoder
from planet_tf.networks import DenseHead

# Settings of the agent's optimizer that gin files bound on the model before it
# moved to the agent; `PlanetAgent` reads them from `optimizer_bindings`.
OPTIMIZER_SETTINGS = ('learning_rate', 'adam_epsilon', 'grad_clip_norm',
                      'jit_compile')


@gin.configurable
class WorldModel(tf.keras.Model):
  """PlaNet's latent dynamics model and its negative ELBO."""

  def __init__(self,
               action_size: int,
               encoder: Optional[tf.keras.layers.Layer] = None,
               dynamics: Optional[tf.keras.layers.Layer] = None,
               decoder: Optional[tf.keras.layers.Layer] = None,
               reward_heads: Optional[Dict[str, tf.keras.layers.Layer]] = None,
               reward_names: Optional[Sequence[str]] = None,
               shaping_heads: Optional[Sequence[str]] = None,
               dynamics_fn: Callable[[], tf.keras.layers.Layer] = RSSM,
               bit_depth: int = 5,
               free_nats: float = 3.0,
               kl_scale: float = 1.0,
               reward_scale: float = 1.0,
               latent_overshooting_distance: int = 0,
               latent_overshooting_scale: float = 1.0,
               observation_overshooting_distance: int = 0,
               observation_overshooting_scale: float = 1.0,
               learning_rate: Optional[float] = None,
               adam_epsilon: Optional[float] = None,
               grad_clip_norm: Optional[float] = None,
               jit_compile: Optional[bool] = None,
               name: str = 'world_model'):
    """Args:
      action_size: A.
      encoder: images `[B, T, H, W, C]` -> `[B, T, E]`; `ConvEncoder()` if None.
      dynamics: a `planet_tf.models.Dynamics`; `dynamics_fn()` if None.
      decoder: features -> image distribution; `ConvDecoder()` if None.
      reward_heads: name -> head (features -> distribution);
        `{'reward': DenseHead()}` if None (sizes from gin `DenseHead.units`).
      reward_names: instead of `reward_heads`, the names of the heads to build,
        one `DenseHead` each (e.g. `('forward', 'backward')`, the named rewards
        of `planet_tf.envs.rewards`).
      shaping_heads: the heads whose loss shapes the representation; every
        other head is trained on `tf.stop_gradient(features)`, so it gives
        exactly zero gradient to the encoder, the dynamics and the decoder.
        None: every head (PlaNet); `()`: none (the poster's reward-free
        dynamics, one head per task fitted on the latent).
      dynamics_fn: builds the dynamics when `dynamics` is None (gin:
        `@RSSM`, `@DeterministicRNN`, `@StochasticSSM`).
      bit_depth: image bit depth for `preprocessing.preprocess`.
      free_nats: per-step free nats of every KL term.
      kl_scale: beta of the one-step KL term (beta_1 of eq. 7).
      reward_scale: weight of the reward log-likelihood; 1 is the ELBO, the
        original code (and `base.gin`) uses 10.
      latent_overshooting_distance: D of eq. 7; 0 is the standard ELBO.
      latent_overshooting_scale: beta_d for d > 1.
      observation_overshooting_distance: decode open-loop predictions of 1..D
        steps and add their image NLL; 0 is off.
      observation_overshooting_scale: weight of that term.
      learning_rate, adam_epsilon, grad_clip_norm, jit_compile: the agent's
        optimizer settings, accepted here because gin files bind
        `WorldModel.learning_rate` etc.; the agent reads them (bind
        `PlanetAgent.learning_rate` etc. instead).
      name: Keras name.
    """
    super().__init__(name=name)
    if int(action_size) < 1:
      raise ValueError(f'action_size must be >= 1, got {action_size}.')
    self.action_size = int(action_size)
    self.encoder = encoder if encoder is not None else ConvEncoder()
    self.dynamics = dynamics if dynamics is not None else dynamics_fn()
    self.decoder = decoder if decoder is not None else ConvDecoder()
    if reward_heads is not None and reward_names is not None:
      raise ValueError('Pass reward_heads or reward_names, not both.')
    if reward_names is not None:
      reward_heads = _dense_heads(reward_names)
    self.reward_heads = dict(reward_heads if reward_heads is not None
                             else {'reward': DenseHead(name='reward')})
    if shaping_heads is None:
      shaping_heads = tuple(self.reward_heads)
    if isinstance(shaping_heads, str):
      raise ValueError(f'shaping_heads is a list of head names, got '
                       f'{shaping_heads!r}.')
    unknown = sorted(set(shaping_heads) - set(self.reward_heads))
    if unknown:
      raise ValueError(f'shaping_heads names {unknown}, but the model has heads '
                       f'{sorted(self.reward_heads)}.')
    self._shaping_heads = tuple(shaping_heads)
    self._bit_depth = int(bit_depth)
    self._free_nats = float(free_nats)
    self._kl_scale = float(kl_scale)
    self._reward_scale = float(reward_scale)
    self._latent_os = int(latent_overshooting_distance)
    self._latent_os_scale = float(latent_overshooting_scale)
    self._obs_os = int(observation_overshooting_distance)
    self._obs_os_scale = float(observation_overshooting_scale)
    bound = dict(zip(OPTIMIZER_SETTINGS, (learning_rate, adam_epsilon,
                                          grad_clip_norm, jit_compile)))
    self.optimizer_bindings = {k: v for k, v in bound.items() if v is not None}
    self._variables_built = False

  @property
  def bit_depth(self):
    return self._bit_depth

  @property
  def free_nats(self):
    """Per-step free nats of the KL terms; 0 without a stochastic state."""
    return self._free_nats if self.dynamics.stoch_size else 0.0

  @property
  def shaping_heads(self):
    """Names of the heads whose loss reaches the encoder and dynamics."""
    return self._shaping_heads

  @property
  def reward_scale(self):
    """Weight of the reward log-likelihood in the loss."""
    return self._reward_scale

  def build_variables(self, image_shape=None):
    """Creates every variable (encoder, dynamics, decoder, all reward heads) once.

    Runs the loss on a zero chunk `[1, 2]`, eagerly, the first time only; a
    no-op after that.

    Args:
      image_shape: `(H, W, C)` of the observations; the decoder's if None.
    """
    if self._variables_built:
      return
    image_shape = image_shape or self.decoder.image_shape
    zeros = tf.zeros([1, 2])
    self.loss(trajectory.Trajectory(
        step_type=tf.zeros([1, 2], tf.int32), next_step_type=tf.zeros([1, 2],
                                                                      tf.int32),
        observation=tf.zeros([1, 2] + list(image_shape), tf.uint8),
        action=tf.zeros([1, 2, self.action_size]), policy_info=(),
        reward={name: zeros for name in self.reward_heads}, discount=zeros))
    self._variables_built = True

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

  def check_experience(self, experience):
    """Validates a chunk once, where the model reads it; returns its rewards.

    Returns:
      dict of reward `[B, L]` keyed like `reward_heads` (a single reward is
      `{'reward': ...}`).

    Raises:
      ValueError: naming the field, on wrong ranks, dtypes, image shapes,
        action size, unknown reward heads or fields of different `[B, L]`.
    """
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
    outer = experience.step_type.shape
    fields = {'observation': obs, 'action': action,
              'next_step_type': experience.next_step_type,
              'discount': experience.discount,
              **{'reward' if len(rewards) == 1 and key == 'reward'
                 else f'reward[{key!r}]': value
                 for key, value in rewards.items()}}
    for name, value in fields.items():
      if not outer.is_compatible_with(value.shape[:2]):
        raise ValueError(
            f'experience.{name} has outer dimensions {value.shape[:2]}, but '
            f'step_type has [B, L] = {outer}.')
    return rewards

  def loss(self, experience):
    """The negative ELBO of a chunk.

    Args:
      experience: `Trajectory` with `step_type [B, L]`, uint8 `observation
        [B, L, H, W, C]`, float `action [B, L, A]` and `reward [B, L]` (or a dict
        of them keyed like `reward_heads`; a head without a reward in the dict
        is not trained, and `{}` has no reward term at all); `policy_info` is
        not read.

    Returns:
      `(loss, metrics)`: scalar float32 and a dict of scalar float32 tensors.

    Raises:
      ValueError: as `check_experience`.
    """
    loss, metrics, _ = self.loss_and_posteriors(experience)
    return loss, metrics

  def loss_and_posteriors(self, experience):
    """`loss(experience)` and the posterior states it filtered.

    Returns:
      `(loss, metrics, posteriors)`: as `loss`, and the `LatentState`
      `[B, L, ...]` of every step (differentiable; an agent that learns
      behaviour from them stops their gradient).
    """
    rewards = self.check_experience(experience)
    step_types = experience.step_type
    images = preprocessing.preprocess(experience.observation, self._bit_depth,
                                      noise=True)
    prev_actions = sequence.previous_actions(
        tf.cast(experience.action, tf.float32), step_types)
    dynamics = self.dynamics
    posteriors, priors = dynamics.observe(
        self.encoder(images), prev_actions, step_types)
    features = dynamics.features(posteriors)

    metrics = {}
    image_nll = losses.negative_log_likelihood(self.decoder(features), images)
    metrics['image_nll'] = image_nll
    total = image_nll
    # A head that does not shape the representation reads the features
    # through a stop-gradient: its loss trains only the head.
    frozen = tf.stop_gradient(features)
    for key, reward in rewards.items():
      target, mask = sequence.previous_rewards(tf.cast(reward, tf.float32),
                                               step_types)
      dist = self.reward_heads[key](
          features if key in self._shaping_heads else frozen)
      nll = losses.negative_log_likelihood(dist, target, mask)
      metrics[f'{key}_nll'] = nll
      metrics[f'{key}_mse'] = losses.masked_mean(
          tf.square(dist.mean() - target), mask)
      total += self._reward_scale * nll

    distance = max(self._latent_os, self._obs_os)
    rollouts = (dynamics.rollouts(posteriors, prev_actions, step_types, distance)
                if distance else None)
    if self._latent_os:
      scales = [self._kl_scale] + [self._latent_os_scale] * (self._latent_os - 1)
      kl_term, kls = losses.latent_overshooting(
          dynamics.rollout_divergences(rollouts[:self._latent_os], posteriors),
          self.free_nats, scales)
      kl = kls[0]
      metrics['overshooting_kl'] = tf.add_n(kls) / len(kls)
      total += kl_term
    else:
      kl_term, kl = losses.kl_loss(dynamics.divergence(posteriors, priors),
                                   self.free_nats)
      total += self._kl_scale * kl_term
    metrics['kl'] = kl
    metrics['kl_loss'] = kl_term
    if self._obs_os:
      obs_os = self._observation_overshooting(rollouts[:self._obs_os], images)
      metrics['observation_overshooting_nll'] = obs_os
      total += self._obs_os_scale * obs_os
    metrics['loss'] = total
    return total, metrics, posteriors

  def _observation_overshooting(self, rollouts, images):
    """Image NLL of the open-loop predictions, averaged over distances 1..D."""
    nlls = [losses.negative_log_likelihood(
        self.decoder(self.dynamics.features(prior)),
        sequence.shift_left(images, k), mask)
            for k, (prior, mask) in enumerate(rollouts)]
    return tf.add_n(nlls) / len(nlls)

  def open_loop_prediction(self, experience, context=5, head=None):
    """Video prediction: observe `context` frames, then imagine from the actions.

    Args:
      experience: `Trajectory [B, L]` (observation uint8, action `[B, L, A]`).
      context: number of observed frames, `1 <= context <= L`.
      head: reward head whose predictions are returned; the first if None.

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
    features = self.dynamics.features(states)
    frames = preprocessing.postprocess(self.decoder(features).mean(),
                                       self._bit_depth)
    head = next(iter(self.reward_heads)) if head is None else head
    return frames, self.reward(features, head).mean()


def _dense_heads(names):
  """`{name: DenseHead(name=name)}`; refuses an empty list or a repeat."""
  if isinstance(names, str) or not names:
    raise ValueError(f'reward_names must be a non-empty list, got {names!r}.')
  names = list(names)
  if len(set(names)) != len(names):
    raise ValueError(f'reward_names repeats a name: {names}.')
  return {name: DenseHead(name=name) for name in names}


@gin.configurable
def make_world_model(action_size: int, **kwargs) -> WorldModel:
  """Builds a `WorldModel` for `action_size` from the gin bindings."""
  return WorldModel(action_size=action_size, **kwargs)
