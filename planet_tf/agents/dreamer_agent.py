"""Dreamer as a TF-Agents agent: `train` fits PlaNet's world model, then an actor
and a value on trajectories imagined from its posteriors (Hafner et al., 2020)."""

from typing import Optional

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent

from planet_tf import models
from planet_tf import networks
from planet_tf import policies
from planet_tf.agents import experience as experience_lib
from planet_tf.agents import gradient_step
from planet_tf.models import behavior


def make_value() -> networks.DenseHead:
  """Dreamer's value: three ELU layers of 400 units, a unit-variance Gaussian."""
  return networks.DenseHead(units=(400, 400, 400), activation='elu',
                            name='value')


@gin.configurable
class DreamerAgent(tf_agent.TFAgent):
  """Learns a world model, and behaviour by backpropagating through imagination.

  `train(experience)` takes the same `[B, L]` `Trajectory` chunks as
  `PlanetAgent` and takes three steps, each with its own Adam optimizer and
  its own global-norm clipping, each changing only its own variables:

  1. the model: `WorldModel`'s negative ELBO (PlaNet's loss, free nats and
     all), as `PlanetAgent`;
  2. the actor: from every posterior of the chunk (gradient stopped), imagine
     `horizon` steps with the actor and maximise the discount-weighted
     λ-returns of the predicted rewards and values, differentiated through the
     imagined dynamics, the reward head and the value (`behavior.actor_loss`);
  3. the value: regress on those λ-returns, gradients stopped
     (`behavior.value_loss`).

  The model step comes first, so imagination reads the updated model (as
  DreamerV2; Dreamer's code computes all three losses before any update).
  It returns a `LossInfo` whose `loss` is the sum of the three and whose
  `extra` holds every term: the world model's (`image_nll`, `reward_nll`,
  `kl`, ...; its total as `model_loss`), `actor_loss`, `value_loss`,
  `imagined_return`, `imagined_reward`, `actor_entropy` (a collapsing actor
  shows here first) and each step's `*_grad_norm`.

  `policy` (`ActorPolicy`, the actor's mode) and `collect_policy`
  (`CollectActorPolicy`, a sample plus noise 0.3) act with the very Keras
  objects `train` updates. Actions are normalised to [-1, 1].
  """

  def __init__(self,
               time_step_spec,
               action_spec,
               world_model: Optional[models.WorldModel] = None,
               actor: Optional[tf.keras.layers.Layer] = None,
               value: Optional[tf.keras.layers.Layer] = None,
               train_sequence_length: Optional[int] = 50,
               horizon: int = 15,
               discount: float = 0.99,
               lambda_: float = 0.95,
               actor_entropy_scale: float = 0.0,
               reward_head: Optional[str] = None,
               policy_class=policies.ActorPolicy,
               collect_policy_class=policies.CollectActorPolicy,
               seed: Optional[int] = None,
               model_learning_rate: float = 6e-4,
               actor_learning_rate: float = 8e-5,
               value_learning_rate: float = 8e-5,
               adam_epsilon: float = 1e-7,
               grad_clip_norm: float = 100.0,
               jit_compile: bool = False,
               train_step_counter: Optional[tf.Variable] = None,
               name: Optional[str] = 'DreamerAgent'):
    """Args:

      time_step_spec: `TimeStep` spec; the observation is uint8 `[H, W, C]`.
      action_spec: bounded float `[A]` `BoundedTensorSpec` in [-1, 1].
      world_model: the `WorldModel` to train; `models.make_world_model(A)`
        (gin) if None.
      actor: features -> distribution over actions in [-1, 1] with
        reparameterized samples; `networks.ActorHead(A)` (gin) if None.
      value: features -> distribution whose mean is the return after a state;
        `make_value()` if None.
      train_sequence_length: L, the time dimension `train` expects; None
        accepts any L >= 2.
      horizon: H, imagined steps from each posterior (Dreamer: 15).
      discount: γ of the imagined returns (0.99).
      lambda_: λ of the λ-returns (0.95).
      actor_entropy_scale: η of the actor's entropy term (`behavior.actor_loss`);
        Dreamer has none (0).
      reward_head: the world model's head the actor maximises; its first if
        None.
      policy_class: builds the greedy policy,
        `(time_step_spec, action_spec, world_model, actor=..., seed=...)`.
      collect_policy_class: builds the exploring policy, same arguments.
      seed: seeds the policies' generators (the collect policy gets `seed + 1`);
        non-deterministic when None.
      model_learning_rate, actor_learning_rate, value_learning_rate: the three
        Adam optimizers' (Dreamer: 6e-4, 8e-5, 8e-5).
      adam_epsilon: their epsilon (Dreamer: TensorFlow's default, 1e-7).
      grad_clip_norm: the global norm each step's gradients are clipped to.
      jit_compile: compile the train step with XLA.
      train_step_counter: int64 variable incremented by every `train`; a new
        one if None.
      name: name of the agent's `tf.Module`.

    Raises:
      ValueError: for settings out of range, optimizer settings bound on the
        `WorldModel`, or specs the policies cannot act for.
    """
    tf.Module.__init__(self, name=name)
    if train_sequence_length is not None and int(train_sequence_length) < 2:
      raise ValueError('train_sequence_length must be >= 2 (one transition) or '
                       f'None, got {train_sequence_length}.')
    if int(horizon) < 1:
      raise ValueError(f'horizon must be >= 1, got {horizon}.')
    if not 0.0 < discount <= 1.0:
      raise ValueError(f'discount must be in (0, 1], got {discount}.')
    if not 0.0 <= lambda_ <= 1.0:
      raise ValueError(f'lambda_ must be in [0, 1], got {lambda_}.')
    if actor_entropy_scale < 0.0:
      raise ValueError(
          f'actor_entropy_scale must be >= 0, got {actor_entropy_scale}.')
    if action_spec.shape.rank != 1:
      raise ValueError(
          f'DreamerAgent needs a float action spec [A], got {action_spec}.')
    action_size = int(action_spec.shape[0])
    if world_model is None:
      world_model = models.make_world_model(action_size)
    if world_model.optimizer_bindings:
      raise ValueError(
          f'WorldModel binds {sorted(world_model.optimizer_bindings)}; the '
          'optimizers belong to the agent: bind DreamerAgent.'
          'model_learning_rate etc.')
    self._world_model = world_model
    self._actor = (actor if actor is not None
                   else networks.ActorHead(action_size))
    self._value = value if value is not None else make_value()
    self._horizon = int(horizon)
    self._discount = float(discount)
    self._lambda = float(lambda_)
    self._actor_entropy_scale = float(actor_entropy_scale)
    self._reward_head = (reward_head if reward_head is not None
                         else next(iter(world_model.reward_heads)))
    if self._reward_head not in world_model.reward_heads:
      raise ValueError(f'Unknown reward head {self._reward_head!r}; the world '
                       f'model has {sorted(world_model.reward_heads)}.')
    self._model_optimizer, self._actor_optimizer, self._value_optimizer = (
        tf.keras.optimizers.Adam(rate, epsilon=adam_epsilon) for rate in
        (model_learning_rate, actor_learning_rate, value_learning_rate))
    self._grad_clip_norm = float(grad_clip_norm)
    # Traced once per chunk shape (fixed in training).
    self._train_step_fn = tf.function(self._train_step,
                                      jit_compile=bool(jit_compile))
    policy = policy_class(time_step_spec, action_spec, world_model,
                          actor=self._actor, seed=seed)
    collect_policy = collect_policy_class(
        time_step_spec, action_spec, world_model, actor=self._actor,
        seed=None if seed is None else seed + 1)
    if train_step_counter is None:
      train_step_counter = tf.Variable(0, dtype=tf.int64, trainable=False,
                                       name='train_step')
    super().__init__(
        time_step_spec, action_spec, policy, collect_policy,
        train_sequence_length=(None if train_sequence_length is None
                               else int(train_sequence_length)),
        train_step_counter=train_step_counter)

  @property
  def world_model(self) -> models.WorldModel:
    return self._world_model

  @property
  def actor(self) -> tf.keras.layers.Layer:
    return self._actor

  @property
  def value(self) -> tf.keras.layers.Layer:
    """The value, for the actor's targets and a planner's bootstrap (`CemPolicy`)."""
    return self._value

  @property
  def horizon(self) -> int:
    return self._horizon

  @property
  def discount(self) -> float:
    return self._discount

  @property
  def optimizers(self):
    """`{'model', 'actor', 'value'}`: the Adam optimizer of each step."""
    return {'model': self._model_optimizer, 'actor': self._actor_optimizer,
            'value': self._value_optimizer}

  def planning_policy(self, with_value: bool = True, collect: bool = False,
                      seed: Optional[int] = None) -> policies.CemPolicy:
    """A policy that plans with CEM in this agent's world model, in place of
    the actor: its reward head's predicted rewards, and with `with_value`
    each plan's last state's value (`CemPolicy`'s `value`), which extends
    the planner's horizon by the returns the value learned beyond it.

    Args:
      with_value: bootstrap each plan with `value` at the agent's discount;
        without, plans sum their rewards undiscounted, as PlaNet's.
      collect: a `CollectCemPolicy` (exploration noise, gin's) in place of a
        `CemPolicy`.
      seed: seeds its generator; non-deterministic when None.

    Returns:
      The policy, sharing the agent's world model and value (saved with it).
      The planner's settings are gin's (`cem.horizon`, ...), PlaNet's defaults
      unless bound.
    """
    policy_class = (policies.CollectCemPolicy if collect
                    else policies.CemPolicy)
    return policy_class(
        self.time_step_spec, self.action_spec, self._world_model,
        reward_head=self._reward_head,
        value=self._value if with_value else None,
        discount=self._discount if with_value else 1.0, seed=seed)

  def variables_of(self, step):
    """The trainable variables the optimizer of `step` (`optimizers`' key) updates."""
    return {'model': self._world_model, 'actor': self._actor,
            'value': self._value}[step].trainable_variables

  _variables_built = False

  def _initialize(self):
    """Creates every network and optimizer variable (so a checkpoint restores now)."""
    self._world_model.build_variables(
        tuple(self.time_step_spec.observation.shape))
    features = tf.zeros([1, self._world_model.dynamics.feature_size])
    self._actor(features)
    self._value(features)
    for step, optimizer in self.optimizers.items():
      optimizer.build(self.variables_of(step))
    self._variables_built = True

  def model_update(self, experience):
    """The model step on a checked chunk `[B, L]`.

    Returns:
      `(metrics, posteriors)`: the world model's loss terms (its total as
      `model_loss`) and `model_grad_norm`, and the `LatentState` `[B, L, ...]`
      it filtered.
    """
    replicas = gradient_step.replica_count()
    with tf.GradientTape() as tape:
      loss, metrics, posteriors = self._world_model.loss_and_posteriors(
          experience)
      if replicas > 1:
        loss /= replicas
    norm = gradient_step.minimize(self._model_optimizer, tape, loss,
                                  self.variables_of('model'),
                                  self._grad_clip_norm)
    metrics = dict(metrics)
    metrics['model_loss'] = metrics.pop('loss')
    return dict(_per_replica(metrics, replicas), model_grad_norm=norm), posteriors

  def actor_update(self, start):
    """The actor step on trajectories imagined from `start` `[N, ...]`.

    Returns:


    """
    replicas = gradient_step.replica_count()
    with tf.GradientTape() as tape:
      loss, targets, metrics = self._actor_loss(start)
      if replicas > 1:
        loss /= replicas
    norm = gradient_step.minimize(self._actor_optimizer, tape, loss,
                                  self.variables_of('actor'),
                                  self._grad_clip_norm)
    return dict(_per_replica(metrics, replicas), actor_grad_norm=norm), targets

  def value_update(self, targets):
    """The value step on `behavior.ValueTargets`.

    Returns:
      `{'value_loss', 'value_grad_norm'}`.
    """
    replicas = gradient_step.replica_count()
    with tf.GradientTape() as tape:
      loss = behavior.value_loss(self._value, targets) / replicas
    norm = gradient_step.minimize(self._value_optimizer, tape, loss,
                                  self.variables_of('value'),
                                  self._grad_clip_norm)
    return {'value_loss': loss, 'value_grad_norm': norm}

  def _actor_loss(self, start):
    return behavior.actor_loss(
        self._world_model, self._actor, self._value, start, self._horizon,
        self._discount, self._lambda, self._reward_head,
        entropy_scale=self._actor_entropy_scale)

  def _train_step(self, experience):
    """The three steps; returns every metric, and their losses' sum as `loss`."""
    metrics, posteriors = self.model_update(experience)
    actor_metrics, targets = self.actor_update(
        behavior.start_states(posteriors))
    metrics.update(actor_metrics)
    metrics.update(self.value_update(targets))
    metrics['loss'] = (metrics['model_loss'] + metrics['actor_loss'] +
                       metrics['value_loss'])
    return metrics

  def _train(self, experience, weights=None):
    """One update of the model, the actor and the value on `experience` `[B, L, ...]`.

    Returns:
      `LossInfo(loss=sum of the three losses, extra=every term)`, scalar
      float32 tensors.
    """
    experience = experience_lib.checked_chunk(
        experience, weights, self.train_sequence_length, 'DreamerAgent.train')
    if not self._variables_built:
      self._initialize()
    metrics = gradient_step.run(self._train_step, self._train_step_fn,
                                experience)
    self.train_step_counter.assign_add(1)
    return tf_agent.LossInfo(loss=metrics['loss'], extra=metrics)

  def _loss(self, experience, weights=None, training=False):
    """The three losses on `experience`, without an update."""
    del training
    experience = experience_lib.checked_chunk(
        experience, weights, self.train_sequence_length, 'DreamerAgent.loss')
    model_loss, metrics, posteriors = self._world_model.loss_and_posteriors(
        experience)
    metrics = dict(metrics)
    metrics['model_loss'] = metrics.pop('loss')
    actor_loss, targets, actor_metrics = self._actor_loss(
        behavior.start_states(posteriors))
    value_loss = behavior.value_loss(self._value, targets)
    loss = model_loss + actor_loss + value_loss
    metrics.update(actor_metrics, value_loss=value_loss, loss=loss)
    return tf_agent.LossInfo(loss=loss, extra=metrics)


def _per_replica(metrics, replicas):
  """`metrics` divided by R, so that their sum over replicas is the batch's."""
  if replicas == 1:
    return metrics
  return {k: v / replicas for k, v in metrics.items()}
