"""GLAMOR's agent as a TF-Agents policy: plan toward the goal image, act, replan.

The observation is `{'observation': uint8 [H, W, C] (stacked frames), 'goal':
uint8 [H, W, 1]}`; the action is one discrete index. Every step plans from
scratch with `sample_plans` (closed loop) within the steps left of `horizon`.
"""

import gin
import numpy as np
import tensorflow as tf
from tf_agents.policies import tf_policy
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import policy_step

from planet_tf.planning import sampling


class GoalPolicy(tf_policy.TFPolicy):
  """Acts with the first action of the best sampled plan toward the goal.

  Policy state: `{'steps': int32 []}`, this episode's steps so far (zeroed by
  `TFPolicy`'s automatic reset at FIRST); the plan may have at most
  `horizon - steps` actions (at least 1). `info`: `{'stop': bool [],
  'plan_length': int32 [], 'score': float32 []}`; `stop` says the plan was this
  action then END, i.e. the model expects the goal after this action: an
  evaluation ends the episode there and judges success at the state it reaches.

  With `epsilon > 0` (see `CollectGoalPolicy`) each batch entry takes a uniform
  random action with probability epsilon instead (its `info` is then that of the
  plan it did not follow, or zeros when no entry planned); planning is skipped
  when every entry acts at random. All randomness comes from `self.generator`,
  saved with the policy; `action(seed=...)` is ignored.
  """

  def __init__(self, time_step_spec, action_spec, model, horizon,
               planner=sampling.sample_plans, epsilon=0.0, seed=None,
               name=None):
    """Args:

      time_step_spec: a `TimeStep` spec whose observation is `{'observation':
        uint8 [H, W, C], 'goal': uint8 [H, W, 1]}`.
      action_spec: a bounded int scalar spec `[0, A - 1]`.
      model: a `planet_tf.models.InverseDynamics` with `num_actions == A`;
        its variables are created here if they are not.
      horizon: k, the most actions a plan has (an episode's length).
      planner: `sample_plans` or a callable with its signature (its
        hyper-parameters come from gin unless bound here).
      epsilon: probability of a uniform random action, a float in [0, 1] or a
        callable returning one (e.g. a schedule over environment steps).
      seed: seed of the policy's generator; non-deterministic when None.
      name: name of the policy.

    Raises:
      ValueError: for specs the policy cannot handle, naming them.
    """
    _check_specs(time_step_spec.observation, action_spec, model)
    if int(horizon) < 1:
      raise ValueError(f'horizon must be >= 1, got {horizon}.')
    policy_state_spec = {'steps': tf.TensorSpec([], tf.int32, 'steps')}
    info_spec = {'stop': tf.TensorSpec([], tf.bool, 'stop'),
                 'plan_length': tf.TensorSpec([], tf.int32, 'plan_length'),
                 'score': tf.TensorSpec([], tf.float32, 'score')}
    super().__init__(time_step_spec, action_spec, policy_state_spec, info_spec,
                     name=name)
    self._model = model
    self._horizon = int(horizon)
    self._planner = planner
    self._epsilon = epsilon
    self._action_dtype = action_spec.dtype
    if seed is None:
      self._generator = tf.random.Generator.from_non_deterministic_state()
    else:
      self._generator = tf.random.Generator.from_seed(seed)
    model.build_variables(tuple(time_step_spec.observation['observation'].shape),
                          tuple(time_step_spec.observation['goal'].shape))
    # The planner's tf.function keys its trace cache on the step function:
    # bind it once, or every eager action() would retrace the planner.
    self._planner_step = self._step

  @property
  def model(self):
    return self._model

  @property
  def generator(self):
    """The `tf.random.Generator` behind every random draw of the policy."""
    return self._generator

  @property
  def horizon(self):
    return self._horizon

  def _step(self, state, prev_token):
    """Planner step over `(context, ActionState)` `[N, ...]`: the log-probs."""
    context, lstm_state = state
    goal_dist, prior_dist, lstm_state = self._model.step(context, prev_token,
                                                         lstm_state)
    return goal_dist.logits, prior_dist.logits, (context, lstm_state)

  def _plan(self, observation, steps):
    """`(action [B], info)` of the best plan from each observation."""
    context = self._model.context(observation['observation'],
                                  observation['goal'])
    plan = self._planner(
        (context, self._model.initial_state(context)), self._planner_step,
        self._model.num_actions, self._horizon, generator=self._generator,
        max_length=self._horizon - steps)
    # The planner's loop forgets the static batch size; a driver's loop needs it.
    batch = tf.compat.dimension_value(context.observation.shape[0])
    action = tf.ensure_shape(plan.tokens[:, 0], [batch])
    info = {'stop': tf.ensure_shape(plan.length == 1, [batch]),
            'plan_length': tf.ensure_shape(plan.length, [batch]),
            'score': tf.ensure_shape(plan.score, [batch])}
    return action, info

  def _action(self, time_step, policy_state, seed):
    del seed  # All randomness comes from self._generator.
    steps = policy_state['steps']
    batch = tf.shape(steps)[0]
    epsilon = self._epsilon() if callable(self._epsilon) else self._epsilon
    if callable(self._epsilon) or self._epsilon > 0:
      explore = self._generator.uniform([batch]) < tf.cast(epsilon, tf.float32)
      random_action = self._generator.uniform(
          [batch], 0, self._model.num_actions, dtype=tf.int32)
      action, info = tf.cond(
          tf.reduce_all(explore),
          lambda: (random_action, self._no_plan_info(steps)),
          lambda: self._plan(time_step.observation, steps))
      action = tf.where(explore, random_action, action)
    else:
      action, info = self._plan(time_step.observation, steps)
    return policy_step.PolicyStep(tf.cast(action, self._action_dtype),
                                  {'steps': steps + 1}, info)

  def _no_plan_info(self, steps):
    zeros = tf.zeros_like(steps)
    return {'stop': tf.zeros_like(steps, tf.bool), 'plan_length': zeros,
            'score': tf.cast(zeros, tf.float32)}

  def _distribution(self, time_step, policy_state):
    raise NotImplementedError(
        'GoalPolicy plans one action and has no distribution(); use action().')


@gin.configurable
class CollectGoalPolicy(GoalPolicy):
  """`GoalPolicy` with epsilon-greedy exploration (gin: `epsilon`)."""

  def __init__(self, time_step_spec, action_spec, model, horizon, epsilon=1.0,
               **kwargs):
    super().__init__(time_step_spec, action_spec, model, horizon,
                     epsilon=epsilon, **kwargs)


def linear_epsilon(step, start=1.0, end=0.1, steps=300_000):
  """Epsilon decaying linearly from `start` to `end` over `steps`, then `end`.

  Args:
    step: the environment steps so far, an int or a scalar tensor.

  Returns:
    a float32 scalar tensor (the paper's: 1.0 to 0.1 over 3e5 steps).
  """
  fraction = tf.minimum(tf.cast(step, tf.float32) / float(steps), 1.0)
  return start + (end - start) * fraction


def _check_specs(observation_spec, action_spec, model):
  """Raises ValueError unless the specs are GLAMOR's observation and actions."""
  problem = None
  if not isinstance(observation_spec, dict) or set(observation_spec) != {
      'observation', 'goal'}:
    problem = (f'observation spec {observation_spec} must be a dict with keys '
               "'observation' and 'goal'")
  elif any(s.dtype != tf.uint8 or s.shape.rank != 3 or
           not s.shape.is_fully_defined() for s in observation_spec.values()):
    problem = (f'observation spec {observation_spec} must hold uint8 images '
               '[H, W, C] of known shape')
  elif observation_spec['goal'].shape[-1] != 1:
    problem = f'the goal must be one frame [H, W, 1], got {observation_spec["goal"]}'
  elif not (isinstance(action_spec, tensor_spec.BoundedTensorSpec) and
            action_spec.dtype.is_integer and action_spec.shape.rank == 0):
    problem = f'action spec {action_spec} must be a bounded int scalar'
  elif (int(np.min(action_spec.minimum)) != 0 or
        int(np.max(action_spec.maximum)) + 1 != model.num_actions):
    problem = (f'action spec {action_spec} must be [0, {model.num_actions - 1}] '
               f'for a model of {model.num_actions} actions')
  if problem:
    raise ValueError(f'GoalPolicy cannot act: {problem}.')
