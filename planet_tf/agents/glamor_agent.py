"""GLAMOR as a TF-Agents agent: `train` fits the inverse dynamics and the action
prior to relabelled examples, the policies plan with them toward goal images."""

from typing import Optional

import gin
import tensorflow as tf
from tf_agents.agents import tf_agent

from planet_tf import models
from planet_tf import policies
from planet_tf.data import relabel


@gin.configurable
class GlamorAgent(tf_agent.TFAgent):
  """Fits an `InverseDynamics` model; acts by sampling plans toward the goal.

  `policy` (`GoalPolicy`) and `collect_policy` (`CollectGoalPolicy`,
  epsilon-greedy) plan with the very Keras objects that `train` updates.

  `train(experience)` takes a batch of hindsight-relabelled examples,
  `relabel.Examples` of `[B, ...]` tensors (`observation` uint8 `[B, H, W, C]`,
  `goal` uint8 `[B, H, W, 1]`, `targets` int32 `[B, horizon + 1]`; `horizon`
  and `start` are not read). Like `PlanetAgent`, the agent owns the step:
  `InverseDynamics.loss` under a gradient tape, gradients clipped by global
  norm, its AdamW optimizer applied. It returns a `LossInfo` whose `loss` is
  the summed NLL of both models and whose `extra` holds `goal_nll`,
  `prior_nll` and `grad_norm`.
  """

  def __init__(self,
               time_step_spec,
               action_spec,
               model: Optional[models.InverseDynamics] = None,
               horizon: int = 100,
               policy_class=policies.GoalPolicy,
               collect_policy_class=policies.CollectGoalPolicy,
               seed: Optional[int] = None,
               learning_rate: float = 5e-4,
               weight_decay: float = 0.01,
               adam_epsilon: float = 1e-8,
               grad_clip_norm: float = 1.0,
               train_step_counter: Optional[tf.Variable] = None,
               name: Optional[str] = 'GlamorAgent'):
    """Args:

      time_step_spec: `TimeStep` spec whose observation is `{'observation':
        uint8 [H, W, C], 'goal': uint8 [H, W, 1]}`.
      action_spec: bounded int32 scalar spec `[0, A - 1]`.
      model: the `InverseDynamics` to train; the paper's sizes for A actions
        (gin) if None.
      horizon: k, the longest relabelled horizon and the policies' planning
        horizon (100 on the control tasks).
      policy_class, collect_policy_class: build the policies,
        `(time_step_spec, action_spec, model, horizon, seed=...)`.
      seed: seeds the policies' generators (the collect policy gets `seed + 1`).
      learning_rate, weight_decay, adam_epsilon: AdamW's settings (the paper's
        code: lr 5e-4 and PyTorch's AdamW defaults, weight decay 0.01, eps 1e-8).
      grad_clip_norm: global norm the gradients are clipped to (1 in the paper).
      train_step_counter: int64 variable incremented by every `train`; a new
        one if None.
      name: name of the agent's `tf.Module`.
    """
    tf.Module.__init__(self, name=name)
    if int(horizon) < 1:
      raise ValueError(f'horizon must be >= 1, got {horizon}.')
    if model is None:
      model = models.InverseDynamics(int(action_spec.maximum) + 1)
    self._model = model
    self._horizon = int(horizon)
    self._optimizer = tf.keras.optimizers.AdamW(
        learning_rate, weight_decay=weight_decay, epsilon=adam_epsilon)
    self._grad_clip_norm = float(grad_clip_norm)
    # Traced once per batch shape (fixed in training).
    self._train_step_fn = tf.function(self._train_step)
    policy = policy_class(time_step_spec, action_spec, model, self._horizon,
                          seed=seed)
    collect_policy = collect_policy_class(
        time_step_spec, action_spec, model, self._horizon,
        seed=None if seed is None else seed + 1)
    observation = time_step_spec.observation
    training_data_spec = relabel.Examples(
        observation=observation['observation'], goal=observation['goal'],
        targets=tf.TensorSpec([self._horizon + 1], tf.int32, 'targets'),
        horizon=tf.TensorSpec([], tf.int32, 'horizon'),
        start=tf.TensorSpec([], tf.int32, 'start'))
    if train_step_counter is None:
      train_step_counter = tf.Variable(0, dtype=tf.int64, trainable=False,
                                       name='train_step')
    super().__init__(
        time_step_spec, action_spec, policy, collect_policy,
        train_sequence_length=None, num_outer_dims=1,
        training_data_spec=training_data_spec,
        train_step_counter=train_step_counter)

  @property
  def model(self) -> models.InverseDynamics:
    return self._model

  @property
  def horizon(self) -> int:
    return self._horizon

  @property
  def optimizer(self) -> tf.keras.optimizers.Optimizer:
    """The AdamW optimizer of the train step (checkpointed with the agent)."""
    return self._optimizer

  _variables_built = False

  def _initialize(self):
    """Creates every model and optimizer variable (so a checkpoint restores now)."""
    observation = self.time_step_spec.observation
    self._model.build_variables(tuple(observation['observation'].shape),
                                tuple(observation['goal'].shape))
    self._optimizer.build(self._model.trainable_variables)
    self._variables_built = True

  def _examples(self, experience, weights, caller):
    """`experience` as tensors after the agent's checks."""
    if weights is not None:
      raise ValueError(f'GlamorAgent.{caller} does not support sample weights.')
    if not isinstance(experience, relabel.Examples):
      raise ValueError(f'GlamorAgent.{caller} expects relabel.Examples [B, ...], '
                       f'got {type(experience).__name__}.')
    experience = tf.nest.map_structure(tf.convert_to_tensor, experience)
    width = experience.targets.shape[-1]
    if width is not None and width != self._horizon + 1:
      raise ValueError(
          f'GlamorAgent.{caller}: targets have {width} tokens, but the agent '
          f'was built with horizon={self._horizon} ({self._horizon + 1}).')
    return experience

  def _train_step(self, observation, goal, targets):
    """The gradient step: loss under a tape, clipped gradients, AdamW."""
    variables = self._model.trainable_variables
    with tf.GradientTape() as tape:
      loss, metrics = self._model.loss(observation, goal, targets)
    grads = tape.gradient(loss, variables)
    grads, norm = tf.clip_by_global_norm(grads, self._grad_clip_norm)
    self._optimizer.apply_gradients(zip(grads, variables))
    return dict(metrics, grad_norm=norm)

  def _train(self, experience, weights=None):
    """One update on relabelled `experience`.

    Returns:
      `LossInfo(loss, extra={'loss', 'goal_nll', 'prior_nll', 'grad_norm'})`,
      scalar float32 tensors.
    """
    experience = self._examples(experience, weights, 'train')
    if not self._variables_built:
      self._initialize()
    metrics = self._train_step_fn(experience.observation, experience.goal,
                                  experience.targets)
    self.train_step_counter.assign_add(1)
    return tf_agent.LossInfo(loss=metrics['loss'], extra=metrics)

  def _loss(self, experience, weights=None, training=False):
    """The model's loss on `experience`, without an update."""
    del training
    experience = self._examples(experience, weights, 'loss')
    loss, metrics = self._model.loss(experience.observation, experience.goal,
                                     experience.targets)
    return tf_agent.LossInfo(loss=loss, extra=dict(metrics))
