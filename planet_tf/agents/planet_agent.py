"""PlaNet as a TF-Agents agent: `train` fits the world model, the policies plan with it."""

from typing import Optional

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent

from planet_tf import models
from planet_tf import policies
from planet_tf.agents import experience as experience_lib
from planet_tf.agents import gradient_step

# The paper's optimizer: Adam, global-norm clipping (App. A).
OPTIMIZER_DEFAULTS = {'learning_rate': 1e-3, 'adam_epsilon': 1e-4,
                      'grad_clip_norm': 1000.0, 'jit_compile': False}


@gin.configurable
class PlanetAgent(tf_agent.TFAgent):
  """Fits a `WorldModel` to `[B, L]` trajectory chunks; acts by planning with CEM.

  `policy` (greedy `CemPolicy`) and `collect_policy` (`CollectCemPolicy`, with
  exploration noise) plan with the very Keras objects that `train` updates, so an
  update is seen by the next action without copying weights.

  `train(experience)` takes a `Trajectory` `[B, L, ...]` from any TF-Agents replay:
  `EpisodeReplay` chunks (never spanning two episodes) or `TFUniformReplayBuffer`
  chunks, whose LAST -> FIRST boundaries the world model masks out. `policy_info` is
  not read, so chunks with or without it are accepted. Like TF-Agents' SAC agent,
  the agent owns the step: `WorldModel.loss` under a gradient tape, gradients
  clipped by global norm, its Adam optimizer applied. It returns a `LossInfo`
  whose `loss` is the negative ELBO and whose `extra` holds every term of it and
  `grad_norm`.
  """

  def __init__(self,
               time_step_spec,
               action_spec,
               world_model: Optional[models.WorldModel] = None,
               train_sequence_length: Optional[int] = 50,
               policy_class=policies.CemPolicy,
               collect_policy_class=policies.CollectCemPolicy,
               seed: Optional[int] = None,
               learning_rate: Optional[float] = None,
               adam_epsilon: Optional[float] = None,
               grad_clip_norm: Optional[float] = None,
               jit_compile: Optional[bool] = None,
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
      learning_rate, adam_epsilon: Adam's settings.
      grad_clip_norm: global norm the gradients are clipped to.
      jit_compile: compile the train step with XLA.
        These four default to `OPTIMIZER_DEFAULTS`, or to a value bound as
        `WorldModel.<name>`, which gin files may use for the same setting.
      train_step_counter: int64 variable incremented by every `train` call; a new
        one if None.
      debug_summaries, summarize_grads_and_vars: as `TFAgent` (unused).
      name: name of the agent's `tf.Module`.

    Raises:
      ValueError: if the specs do not fit the world model (see `CemPolicy`),
        `train_sequence_length < 2`, or an optimizer setting is bound both as
        `PlanetAgent.<name>` and `WorldModel.<name>` with different values.
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
    settings = _optimizer_settings(
        world_model, learning_rate=learning_rate, adam_epsilon=adam_epsilon,
        grad_clip_norm=grad_clip_norm, jit_compile=jit_compile)
    self._optimizer = tf.keras.optimizers.Adam(
        settings['learning_rate'], epsilon=settings['adam_epsilon'])
    self._grad_clip_norm = float(settings['grad_clip_norm'])
    # Traced once per chunk shape (fixed in training), so the world model's
    # checks of the experience run at trace time on static shapes, once.
    self._train_step_fn = tf.function(
        self._train_step, jit_compile=bool(settings['jit_compile']))
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

  _variables_built = False

  @property
  def optimizer(self) -> tf.keras.optimizers.Optimizer:
    """The Adam optimizer of the train step (checkpointed with the agent)."""
    return self._optimizer

  def _initialize(self):
    """Creates every model and optimizer variable (so a checkpoint restores now)."""
    self._world_model.build_variables(
        tuple(self.time_step_spec.observation.shape))
    self._optimizer.build(self._world_model.trainable_variables)
    self._variables_built = True

  def _experience(self, experience, weights, caller):
    """`experience` as tensors without `policy_info` (`experience.checked_chunk`)."""
    return experience_lib.checked_chunk(
        experience, weights, self.train_sequence_length, f'PlanetAgent.{caller}')

  def _train_step(self, experience):
    """The gradient step: loss under a tape, clipped gradients, Adam.

    Under a `tf.distribute` strategy with R replicas the update is the one of
    the whole batch (`gradient_step`); the returned metrics are 1/R of the
    replica's, so summing them over replicas (as `tf_agents.train.Learner`
    does) gives the batch's.
    """
    variables = self._world_model.trainable_variables
    replicas = gradient_step.replica_count()
    with tf.GradientTape() as tape:
      loss, metrics = self._world_model.loss(experience)
      if replicas > 1:
        loss /= replicas
    norm = gradient_step.minimize(self._optimizer, tape, loss, variables,
                                  self._grad_clip_norm)
    if replicas > 1:
      metrics = {k: v / replicas for k, v in metrics.items()}
    return dict(metrics, grad_norm=norm)

  def _train(self, experience, weights=None):
    """One world-model update on `experience` `[B, L, ...]`.

    The step is a `tf.function` traced once per input signature; the variables
    are created (eagerly) before its first trace.

    Returns:
      `LossInfo(loss=negative ELBO, extra=dict of every loss term and the
      gradient norm)`, scalar float32 tensors.
    """
    experience = self._experience(experience, weights, 'train')
    if not self._variables_built:
      self._initialize()
    metrics = gradient_step.run(self._train_step, self._train_step_fn,
                                experience)
    self.train_step_counter.assign_add(1)
    return tf_agent.LossInfo(loss=metrics['loss'], extra=metrics)

  def _loss(self, experience, weights=None, training=False):
    """The world model's loss on `experience`, without an update."""
    del training
    experience = self._experience(experience, weights, 'loss')
    loss, metrics = self._world_model.loss(experience)
    return tf_agent.LossInfo(loss=loss, extra=dict(metrics))


def _optimizer_settings(world_model, **agent_values):
  """The optimizer settings: the agent's, else the model's old bindings, else defaults.

  Raises:
    ValueError: for a setting bound under both names with different values.
  """
  settings = dict(OPTIMIZER_DEFAULTS)
  settings.update(world_model.optimizer_bindings)
  for name, value in agent_values.items():
    old = world_model.optimizer_bindings.get(name)
    if value is not None and old is not None and old != value:
      raise ValueError(
          f'PlanetAgent.{name} = {value!r} and WorldModel.{name} = {old!r} '
          f'disagree; the optimizer belongs to the agent: bind only '
          f'PlanetAgent.{name}.')
    if value is not None:
      settings[name] = value
  return settings
