"""Time alignment of `[B, L]` trajectory chunks (docs/architecture.md, "Trajectories").

`prev_action[t] = action[t-1]`; the reward head at step t predicts `reward[t-1]`;
both are undefined at t = 0 and where `step_type[t] == FIRST` (a LAST -> FIRST
boundary carries no transition). `zero_where` is the one place that resets
states and actions at FIRST.
"""

import tensorflow as tf
from tf_agents.trajectories import time_step as ts


def is_reset(step_types):
  """Bool `[B, T]`: true at t = 0 and wherever `step_types [B, T]` is FIRST."""
  step_types = tf.convert_to_tensor(step_types)
  first = tf.equal(step_types, ts.StepType.FIRST)
  return tf.concat([tf.ones_like(first[:, :1]), first[:, 1:]], axis=1)


def zero_where(mask, nest):
  """Zeros every tensor of `nest` where the bool `mask` is true.

  Args:
    mask: bool `[B]` or `[B, T]`, the leading dimensions of every tensor.
    nest: tensors `mask.shape + [...]`, e.g. a `LatentState` or actions.
  """
  def zero(x):
    m = tf.reshape(mask, tf.concat(
        [tf.shape(mask), tf.ones([x.shape.rank - mask.shape.rank], tf.int32)], 0))
    return tf.where(m, tf.zeros_like(x), x)
  return tf.nest.map_structure(zero, nest)


def shift_right(x, fill=0):
  """`[B, T, ...]` -> `[B, T, ...]` with `out[:, t] = x[:, t-1]`, `fill` at t = 0."""
  pad = tf.fill(tf.shape(x[:, :1]), tf.cast(fill, x.dtype))
  return tf.concat([pad, x[:, :-1]], axis=1)


def shift_left(x, k):
  """`out[:, t] = x[:, t + k]`; past the end it repeats the last step.

  Repeating (rather than zero-padding) keeps masked-out KL terms finite, so
  they cannot put NaNs into the gradients. `x` is `[B, T, ...]`.
  """
  if k == 0:
    return x
  length = tf.shape(x)[1]
  index = tf.minimum(tf.range(length) + k, length - 1)
  return tf.gather(x, index, axis=1)


def previous_actions(actions, step_types):
  """`[B, T, A]` actions taken before each step; zero at t = 0 and at FIRST."""
  return zero_where(is_reset(step_types), shift_right(actions))


def previous_rewards(rewards, step_types):
  """Reward targets `[B, T]` (`rewards[:, t-1]`) and their float mask `[B, T]`."""
  mask = 1.0 - tf.cast(is_reset(step_types), tf.float32)
  return shift_right(rewards), mask
