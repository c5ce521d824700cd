"""GLAMOR's inverse dynamics p(a_1..k, END | o, g) and action prior p(a_1..k, END | o).

Paster et al. (2021). Both are autoregressive over tokens: the A
actions, then `END` (= A, "the goal is reached here") and `PAD` (= A + 1, after
END; never a target of the loss). The goal model reads the stacked observation
and the goal frame, the prior only the observation (sharing its encoder); each
has its own LSTM, whose state starts from its context and whose input at each
step is the context and the previous action, one-hot (zeros at the first step
and after END).
"""

from typing import NamedTuple, Optional, Tuple

import gin
import tensorflow as tf
import tensorflow_probability as tfp

from planet_tf.networks.action_lstm import ActionLSTM
from planet_tf.networks.action_lstm import ContextMix
from planet_tf.networks.impala import ImpalaEncoder

tfd = tfp.distributions

# The previous token of the first step; like END and PAD its one-hot is zeros.
START = -1


def end_token(num_actions: int) -> int:
  """The END token: the sequence has reached the goal."""
  return num_actions


def pad_token(num_actions: int) -> int:
  """The PAD token: fills a target sequence after END; ignored by the loss."""
  return num_actions + 1


def num_tokens(num_actions: int) -> int:
  """A actions, END and PAD."""
  return num_actions + 2


class Context(NamedTuple):
  """What the two LSTMs are conditioned on, computed once per start and goal.

  observation: `[B, F]`, the encoded stacked observation (the prior's context).
  goal: `[B, M]`, the observation and goal features mixed (the goal model's).
  goal_input, prior_input: `[B, I]`, each LSTM's input from its context (the
    part of every step's input that does not change along a sequence).
  """
  observation: tf.Tensor
  goal: tf.Tensor
  goal_input: tf.Tensor
  prior_input: tf.Tensor


class ActionState(NamedTuple):
  """The LSTMs' states, each `(h [B, U], c [B, U])`."""
  goal: Tuple[tf.Tensor, tf.Tensor]
  prior: Tuple[tf.Tensor, tf.Tensor]


def previous_tokens(targets):
  """Teacher forcing: the token before each target, `START` first.

  Args:
    targets: int `[B, T]`.

  Returns:
    int32 `[B, T]`: `[START, targets[:, 0], ..., targets[:, T - 2]]`.
  """
  targets = tf.cast(targets, tf.int32)
  start = tf.fill([tf.shape(targets)[0], 1], START)
  return tf.concat([start, targets[:, :-1]], axis=1)


def sequence_loss(goal_dist, prior_dist, targets, pad):
  """Negative log-likelihood of both models, PAD targets ignored.

  Each term is the mean over the non-PAD targets of the batch (actions and
  END), as a cross-entropy with an ignored index.

  Args:
    goal_dist, prior_dist: `Categorical`s with batch shape `[B, T]`.
    targets: int `[B, T]`.
    pad: the PAD token.

  Returns:
    `(loss, metrics)`: scalar `goal_nll + prior_nll`, and a dict of scalars
    `loss`, `goal_nll`, `prior_nll`.
  """
  targets = tf.cast(targets, tf.int32)
  goal_log_prob = goal_dist.log_prob(targets)  # [B, T]
  prior_log_prob = prior_dist.log_prob(targets)
  mask = tf.cast(tf.not_equal(targets, pad), goal_log_prob.dtype)
  count = tf.maximum(tf.reduce_sum(mask), 1.0)
  goal_nll = -tf.reduce_sum(goal_log_prob * mask) / count
  prior_nll = -tf.reduce_sum(prior_log_prob * mask) / count
  loss = goal_nll + prior_nll
  return loss, {'loss': loss, 'goal_nll': goal_nll, 'prior_nll': prior_nll}


@gin.configurable
class InverseDynamics(tf.keras.Model):
  """The goal-conditioned action model and the action prior of GLAMOR.

  Sizes are the paper's: IMPALA encoders to 512 features for the observation
  and the goal; their concatenation through dense 256, layer norm, ReLU, dense
  512, ReLU (the goal model's context); LSTMs of 64 units. Heads return
  `tfd.Categorical`s over `num_tokens(A)` tokens whose `logits` are
  log-probabilities.
  """

  def __init__(self,
               num_actions: int,
               observation_encoder: Optional[tf.keras.layers.Layer] = None,
               goal_encoder: Optional[tf.keras.layers.Layer] = None,
               mix_units: int = 256,
               context_size: int = 512,
               lstm_units: int = 64,
               name: str = 'inverse_dynamics'):
    """Args:
      num_actions: A, the discrete actions.
      observation_encoder: uint8 `[B, H, W, C]` -> `[B, F]`; an
        `ImpalaEncoder` when None.
      goal_encoder: uint8 `[B, H, W, 1]` -> `[B, F']`; its own `ImpalaEncoder`
        when None.
      mix_units: hidden width of the observation-goal MLP.
      context_size: M, the goal model's context (and both LSTMs' input) size.
      lstm_units: U, the LSTMs' size.
      name: the model's name.
    """
    super().__init__(name=name)
    if num_actions < 1:
      raise ValueError(f'num_actions must be >= 1, got {num_actions}.')
    self.num_actions = int(num_actions)
    self.end_token = end_token(self.num_actions)
    self.pad_token = pad_token(self.num_actions)
    self.num_tokens = num_tokens(self.num_actions)
    self.observation_encoder = (observation_encoder or
                                ImpalaEncoder(name='observation_encoder'))
    self.goal_encoder = goal_encoder or ImpalaEncoder(name='goal_encoder')
    self.mix = ContextMix(mix_units, context_size, name='mix')
    self.goal_lstm = ActionLSTM(self.num_actions, self.num_tokens, lstm_units,
                                context_size, name='goal_lstm')
    self.prior_lstm = ActionLSTM(self.num_actions, self.num_tokens, lstm_units,
                                 context_size, name='prior_lstm')

  def context(self, observation, goal) -> Context:
    """uint8 `observation [B, H, W, C]`, `goal [B, H, W, 1]` -> `Context`."""
    features = self.observation_encoder(observation)
    mixed = self.mix(features, self.goal_encoder(goal))
    return Context(observation=features, goal=mixed,
                   goal_input=self.goal_lstm.project(mixed),
                   prior_input=self.prior_lstm.project(features))

  def initial_state(self, context: Context) -> ActionState:
    """Both LSTMs' states before the first token, from `context`."""
    return ActionState(goal=self.goal_lstm.initial_state(context.goal),
                       prior=self.prior_lstm.initial_state(context.observation))

  def step(self, context: Context, prev_token, state: ActionState):
    """The next token's distributions given the previous one.

    Args:
      context: from `context`, `[B, ...]`.
      prev_token: int32 `[B]`: `START` at the first step, then the token drawn.
      state: from `initial_state` or the previous `step`.

    Returns:
      `(goal_dist, prior_dist, state)`: `Categorical`s with batch shape `[B]`
      (p(. | o, g, previous tokens) and p(. | o, previous tokens)), and the
      next `ActionState`.
    """
    goal_log_probs, goal_state = self.goal_lstm.step(
        context.goal_input, prev_token, state.goal)
    prior_log_probs, prior_state = self.prior_lstm.step(
        context.prior_input, prev_token, state.prior)
    return (tfd.Categorical(logits=goal_log_probs),
            tfd.Categorical(logits=prior_log_probs),
            ActionState(goal=goal_state, prior=prior_state))

  def distributions(self, observation, goal, prev_tokens):
    """Teacher-forced distributions of every token of a sequence.

    Args:
      observation: uint8 `[B, H, W, C]`.
      goal: uint8 `[B, H, W, 1]`.
      prev_tokens: int32 `[B, T]` (`previous_tokens(targets)`).

    Returns:
      `(goal_dist, prior_dist)`: `Categorical`s with batch shape `[B, T]`;
      equal to `T` calls of `step`.
    """
    context = self.context(observation, goal)
    state = self.initial_state(context)
    prev_tokens = tf.cast(prev_tokens, tf.int32)
    goal_log_probs = self.goal_lstm.sequence(context.goal_input, prev_tokens,
                                             state.goal)
    prior_log_probs = self.prior_lstm.sequence(context.prior_input,
                                               prev_tokens, state.prior)
    return (tfd.Categorical(logits=goal_log_probs),
            tfd.Categorical(logits=prior_log_probs))

  def loss(self, observation, goal, targets):
    """`sequence_loss` of relabelled examples (`planet_tf.relabel`).

    Args:
      observation: uint8 `[B, H, W, C]`, the start.
      goal: uint8 `[B, H, W, 1]`, the frame reached k' steps later.
      targets: int `[B, T]`: k' actions, END, then PAD.

    Returns:
      `(scalar loss, dict of scalar metrics)`.
    """
    goal_dist, prior_dist = self.distributions(observation, goal,
                                               previous_tokens(targets))
    return sequence_loss(goal_dist, prior_dist, targets, self.pad_token)

  def build_variables(self, observation_shape, goal_shape=None):
    """Creates every variable once (zeros through `distributions`).

    Args:
      observation_shape: `(H, W, C)`.
      goal_shape: `(H, W, 1)` by default.
    """
    observation_shape = tuple(int(d) for d in observation_shape)
    goal_shape = tuple(goal_shape or observation_shape[:2] + (1,))
    self.distributions(tf.zeros((1,) + observation_shape, tf.uint8),
                       tf.zeros((1,) + goal_shape, tf.uint8),
                       tf.fill([1, 1], START))
