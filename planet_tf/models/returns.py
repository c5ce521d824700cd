"""Dreamer's value targets (Hafner et al., 2020, eq. 4-6) as arithmetic on tensors.

Indexing follows planet_tf's time alignment: an imagined trajectory of H actions
has states `s_0 .. s_H`, `rewards[:, t]` is the reward of action `a_t` (read from
`s_{t+1}`), and `next_values[:, t]` is the value of `s_{t+1}`. A value is the
discounted sum of the rewards *after* its state, so the planner can add the value
of its last imagined state to the rewards of its plan without counting one twice.
This module imports nothing of planet_tf.
"""

import tensorflow as tf


def lambda_returns(rewards, next_values, discount=0.99, lambda_=0.95):
  """The λ-return from each state `s_t` of an imagined trajectory.

  `G_t = r_t + γ_t ((1 - λ) v(s_{t+1}) + λ G_{t+1})`, with `G_H = v(s_H)`: an
  exponentially weighted mix of the k-step returns
  `sum_{n=t}^{h-1} (prod_{m=t}^{n-1} γ_m) r_n + (prod_{m=t}^{h-1} γ_m) v(s_h)`,
  `h = min(t + k, H)`, whose weights `(1 - λ) λ^{k-1}` give every return that
  reaches the horizon the remaining weight `λ^{H-t-1}`. λ = 1 is the discounted
  return bootstrapped at the horizon, λ = 0 the one-step return.

  Args:
    rewards: `[B, H]`, the predicted reward of each imagined action.
    next_values: `[B, H]`, the predicted value of the state after each action.
    discount: γ, a float or `[B, H]` (the discount of each step).
    lambda_: λ in [0, 1].

  Returns:
    `[B, H]`: `G_t`, the target of the value of `s_t` (the state the action
    `a_t` is taken in).
  """
  rewards = tf.convert_to_tensor(rewards, tf.float32)
  next_values = tf.convert_to_tensor(next_values, tf.float32)
  discount = tf.broadcast_to(tf.cast(discount, tf.float32), tf.shape(rewards))
  # What G_t adds to λ γ_t G_{t+1}; the scan runs backwards from G_H = v(s_H).
  inputs = rewards + discount * (1.0 - lambda_) * next_values
  returns = tf.scan(
      lambda later, step: step[0] + step[1] * lambda_ * later,
      (tf.transpose(inputs), tf.transpose(discount)),
      initializer=next_values[:, -1], reverse=True)
  return tf.transpose(returns)


def cumulative_discounts(discount, horizon=None):
  """The weight of each step of a trajectory: the discount accumulated before it.

  Args:
    discount: `[B, H]` per-step discounts, or a float with `horizon`.
    horizon: H when `discount` is a float.

  Returns:
    `[B, H]` (or `[H]` for a float): `prod_{m<t} γ_m`, i.e. `1, γ, γ², ...`.
  """
  if horizon is not None:
    discount = tf.fill([int(horizon)], tf.cast(discount, tf.float32))
  return tf.math.cumprod(tf.convert_to_tensor(discount, tf.float32), axis=-1,
                         exclusive=True)
