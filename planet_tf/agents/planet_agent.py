"""PlaNet as a TF-Agents agent: `train` fits the world model, the policies plan with it."""

from typing import Optional

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.trajectories import trajectory as trajectory_lib

from planet_tf import models
from planet_tf import policies


@gin.configurable
class PlanetAgent(tf_agent.TFAgent):
  """Fits a `WorldModel` to `[B, L]` trajectory chunks; acts by planning with CEM.

  `policy` (greedy `CemPolicy`) and `collect_policy` (`CollectCemPolicy`, with
  exploration noise) plan with the very Keras objects that `train` updates, so an
  update is seen by the next action without copying weights.

  `train(experience)` takes a `Trajectory` `[B, L, ...]` from any TF-Agents replay:
  `EpisodeReplay` chunks (never spanning two episodes) or `TFUniformReplayBuffer`
  chunks, whose LAST -> FIRST boundaries the world model masks out. `policy_info` is
  not read, so chunks with or without it are accepted. It returns a `LossInfo`
  whose `loss` is the negative ELBO and whose `extra` holds every term of it.
  """

  def __init__(self,
               time_step_spec,
               action_spec,
               world_model: Optional[models.WorldModel] = None,
               train_sequence_length: Optional[int] = 50,
               policy_class=policies.CemPolicy,
               collect_policy_class=policies.CollectCemPolicy,
               seed: Optional[int] = None,
               train_step_counter: Optional[tf.Variable] = None,
               debug_summaries: bool = False,
               summarize_grads_and_vars: bool = False,
               name: Optional[str] = 'PlanetAgent'):
    """Args:

      time_step_spec: `TimeStep` spec; the observation is uint8 `[H, W, C]`.
      action_spec: bounded float `[A]` `BoundedTensorSpec`.
      world_model: the `WorldModel` to train; `models.make_world_model(A)` (gin)
        if None.
      train_sequence_length: L, the time dimension `train` expects (and the
        `num_steps` to ask a TF-Agents replay for); None accepts any L >= 2.
      policy_class: builds the greedy policy,
        `(time_step_spec, action_spec, world_model, seed=...)`.
      collect_policy_class: builds the exploring policy, same arguments.
      seed: seeds the policies' generators (the collect policy gets `seed + 1`);
        non-deterministic when None.
      train_step_counter: int64 variable incremented by every `train` call; a new
        one if None.
      debug_summaries, summarize_grads_and_vars: as `TFAgent` (unused).
      name: name of the agent's `tf.Module`.

    Raises:
      ValueError: if the specs do not fit the world model (see `CemPolicy`) or
        `train_sequence_length < 2`.
    """
    tf.Module.__init__(self, name=name)
    if train_sequence_length is not None and int(train_sequence_length) < 2:
      raise ValueError('train_sequence_length must be >= 2 (one transition) or '
                       f'None, got {train_sequence_length}.')
    if world_model is None:
      if action_spec.shape.rank != 1:
        raise ValueError(
            f'PlanetAgent needs a float action spec [A], got {action_spec}.')
      world_model = models.make_world_model(int(action_spec.shape[0]))
    self._world_model = world_model
    policy_seed = seed
    collect_seed = None if seed is None else seed + 1
    policy = policy_class(time_step_spec, action_spec, world_model,
                          seed=policy_seed)
    collect_policy = collect_policy_class(time_step_spec, action_spec,
                                          world_model, seed=collect_seed)
    if train_step_counter is None:
      train_step_counter = tf.Variable(0, dtype=tf.int64, trainable=False,
                                       name='train_step')
    super().__init__(
        time_step_spec, action_spec, policy, collect_policy,
        train_sequence_length=(None if train_sequence_length is None
                               else int(train_sequence_length)),
        debug_summaries=debug_summaries,
        summarize_grads_and_vars=summarize_grads_and_vars,
        train_step_counter=train_step_counter)

  @property
  def world_model(self) -> models.WorldModel:
    """The `WorldModel` that `train` fits and both policies plan with."""
    return self._world_model

  def _initialize(self):
    """Creates every model and optimizer variable (so a checkpoint restores now)."""
    model = self._world_model
    model.loss(self._dummy_experience())
    model.optimizer.build(model.trainable_variables)

  def _dummy_experience(self):
    """Zeros `Trajectory` `[1, 2, ...]` from the training data spec."""
    spec = self._without_policy_info(self.training_data_spec)
    return tf.nest.map_structure(
        lambda s: tf.zeros([1, 2] + s.shape.as_list(), s.dtype), spec)

  @staticmethod
  def _without_policy_info(experience):
    if isinstance(experience, trajectory_lib.Trajectory):
      return experience._replace(policy_info=())
    return experience

  def _check_experience(self, experience):
    """Returns `experience` as tensors, without `policy_info`.

    Raises:
      ValueError: unless `experience` is a `[B, L]` trajectory of the data spec.
    """
    if not isinstance(experience, trajectory_lib.Trajectory):
      raise ValueError('PlanetAgent.train expects a Trajectory [B, L, ...], got '
                       f'{type(experience).__name__}.')
    spec = self._without_policy_info(self.training_data_spec)
    experience = self._without_policy_info(experience)
    try:
      tf.nest.assert_same_structure(spec, experience)
    except (ValueError, TypeError) as e:
      raise ValueError(
          f'PlanetAgent.train: experience does not match the data spec {spec}: '
          f'{e}') from None
    outer = tf.TensorShape(experience.step_type.shape)[:2]
    for name in trajectory_lib.Trajectory._fields:
      for s, x in zip(tf.nest.flatten(getattr(spec, name)),
                      tf.nest.flatten(getattr(experience, name))):
        x_shape = tf.TensorShape(x.shape)
        if (x_shape.rank != s.shape.rank + 2 or
            not s.shape.is_compatible_with(x_shape[2:])):
          raise ValueError(
              f'PlanetAgent.train: experience.{name} must be [B, L] + '
              f'{s.shape.as_list()}, got shape {x_shape}.')
        if not outer.is_compatible_with(x_shape[:2]):
          raise ValueError(
              f'PlanetAgent.train: experience.{name} has outer dimensions '
              f'{x_shape[:2]}, but step_type has [B, L] = {outer}.')
    length = outer[1]
    if (self.train_sequence_length is not None and length is not None and
        length != self.train_sequence_length):
      raise ValueError(
          f'PlanetAgent.train: experience has L={length} steps, but the agent was '
          f'built with train_sequence_length={self.train_sequence_length}.')
    return tf.nest.map_structure(tf.convert_to_tensor, experience)

  def _train(self, experience, weights=None):
    """One world-model update on `experience` `[B, L, ...]`.

    Returns:
      `LossInfo(loss=negative ELBO, extra=dict of every loss term and the
      gradient norm)`, scalar float32 tensors.
    """
    if weights is not None:
      raise ValueError('PlanetAgent.train does not support sample weights.')
    experience = self._check_experience(experience)
    metrics = self._world_model.update(experience)
    self.train_step_counter.assign_add(1)
    return tf_agent.LossInfo(loss=metrics['loss'], extra=dict(metrics))

  def _loss(self, experience, weights=None, training=False):
    """The world model's loss on `experience`, without an update."""
    del training
    if weights is not None:
      raise ValueError('PlanetAgent.loss does not support sample weights.')
    experience = self._check_experience(experience)
    loss, metrics = self._world_model.loss(experience)
    return tf_agent.LossInfo(loss=loss, extra=dict(metrics))
