"""GLAMOR's sampling planner (Paster et al., 2021).

Samples action sequences token by token from softmax(log p(a|s,g) - log p(a|s))
and keeps, for each starting state, the one of highest
`sum_t [log p(a_t|s,g) - log p(a_t|s)] + k log(discount)`: the log of
gamma^k p(a_1..k, END | s, g) / p(a_1..k, END | s). Like `cem`, it knows nothing
of TF-Agents or of the model: it rolls out a step function.
"""

from typing import NamedTuple

import gin
import numpy as np
import tensorflow as tf

# The previous token of the first step (as `models.inverse_dynamics.START`).
START = -1


class Plan(NamedTuple):
  """The best sampled sequence of each batch entry.

  tokens: int32 `[B, horizon + 1]`: k actions, END (= A), then PAD (= A + 1).
  length: int32 `[B]`, k (1 <= k <= horizon).
  score: float32 `[B]`, its summed log-ratios (END's included) + k log(discount).
  """
  tokens: tf.Tensor
  length: tf.Tensor
  score: tf.Tensor


def _sample(initial_state, step_fn, num_actions, horizon, candidates, discount,
            use_prior, generator, max_length):
  """The sampling loop; see `sample_plans`. Must run inside a tf.function."""
  batch_size = tf.shape(tf.nest.flatten(initial_state)[0])[0]
  count = batch_size * candidates
  end, pad = num_actions, num_actions + 1
  # [B, ...] -> [B * J, ...], candidate j of batch entry b at row b * J + j.
  state = tf.nest.map_structure(
      lambda x: tf.repeat(x, candidates, axis=0), initial_state)
  if max_length is None:
    max_length = tf.fill([batch_size], horizon)
  last = tf.repeat(tf.clip_by_value(tf.cast(max_length, tf.int32), 1, horizon),
                   candidates)  # [N], the token position END is forced at.
  prev = tf.fill([count], START)
  alive = tf.ones([count], tf.bool)
  score = tf.zeros([count])
  length = tf.zeros([count], tf.int32)
  tokens = tf.TensorArray(tf.int32, size=horizon + 1)
  is_end = tf.range(num_actions + 1) == end  # [A + 1]
  for t in tf.range(horizon + 1):
    goal_log_probs, prior_log_probs, state = step_fn(state, prev)
    # PAD is never planned: the distributions are renormalised without it.
    ratio = tf.nn.log_softmax(goal_log_probs[:, :num_actions + 1])
    if use_prior:
      ratio -= tf.nn.log_softmax(prior_log_probs[:, :num_actions + 1])
    # END is forbidden first (a plan has an action) and forced last.
    logits = tf.where(is_end & (t == 0), -np.inf, ratio)
    gumbel = -tf.math.log(-tf.math.log(generator.uniform(
        tf.shape(logits), minval=np.finfo(np.float32).tiny, maxval=1.0)))
    token = tf.cast(tf.argmax(logits + gumbel, axis=-1), tf.int32)
    token = tf.where(t >= last, end, token)
    gained = tf.gather(ratio, token, batch_dims=1)
    score += tf.where(alive, gained, 0.0)
    length += tf.cast(alive & (token != end), tf.int32)
    tokens = tokens.write(t, tf.where(alive, token, pad))
    alive &= token != end
    prev = token
  score += tf.cast(length, tf.float32) * np.log(discount).astype(np.float32)
  tokens = tf.reshape(tf.transpose(tokens.stack()),
                      [batch_size, candidates, horizon + 1])
  score = tf.reshape(score, [batch_size, candidates])
  best = tf.argmax(score, axis=1, output_type=tf.int32)  # [B]
  return Plan(tokens=tf.gather(tokens, best, batch_dims=1),
              length=tf.gather(tf.reshape(length, [batch_size, candidates]),
                               best, batch_dims=1),
              score=tf.gather(score, best, batch_dims=1))


_SAMPLE = tf.function(_sample, autograph=True)


@gin.configurable(denylist=['initial_state', 'step_fn', 'num_actions',
                            'horizon', 'generator', 'max_length'])
def sample_plans(initial_state, step_fn, num_actions, horizon,
                 candidates=200, discount=0.99, use_prior=True,
                 generator=None, max_length=None) -> Plan:
  """Plans at most `horizon` actions toward a goal for each of B states.

  Each of `candidates` sequences per batch entry is drawn token by token from
  softmax over the A actions and END of `log p(.|s,g) - log p(.|s)` (of
  `log p(.|s,g)` alone when `use_prior` is False); END may not be the first
  token and is forced after `horizon` actions. A sequence's score is the sum of
  its tokens' log-ratios, END's included, plus `k * log(discount)` for its k
  actions; the best-scoring sequence of each entry is returned. (The log-ratio
  is both the sampling logit and the score, as in the paper.)

  The loop runs as one `tf.function`; calling again with the same `step_fn`,
  generator, Python hyper-parameters and tensor shapes does not retrace.

  Args:
    initial_state: a nest of tensors `[B, ...]` (e.g. a model's context and
      LSTM states).
    step_fn: `(state [N, ...], prev_token int32 [N]) -> (goal_log_probs
      [N, A + 2], prior_log_probs [N, A + 2], state [N, ...])`, N = B *
      candidates; `prev_token` is `START` (-1) at the first step, then the
      token drawn. PAD's column is dropped here. The prior's output is unused
      when `use_prior` is False.
    num_actions: A, a Python int (END = A, PAD = A + 1).
    horizon: the most actions a plan may have, >= 1.
    candidates: J, sequences sampled per batch entry (200 in the paper).
    discount: gamma in (0, 1] (0.99 in the paper).
    use_prior: divide by the action prior (the paper's method); False is the
      goal-model-only ablation.
    generator: a `tf.random.Generator`; the global generator when None.
    max_length: optional int `[B]`, each entry's own limit on actions (clipped
      to 1..horizon), e.g. the steps left in an episode; `horizon` when None.
      The loop still runs `horizon + 1` steps (tokens past END are PAD).

  Returns:
    A `Plan` of `[B, ...]` tensors.

  Raises:
    ValueError: for hyper-parameters out of range.
  """
  for name, value in [('num_actions', num_actions), ('horizon', horizon),
                      ('candidates', candidates)]:
    if not isinstance(value, (int, np.integer)) or value < 1:
      raise ValueError(
          f'sample_plans: {name} must be a positive int, got {value!r}.')
  if not 0 < discount <= 1:
    raise ValueError(
        f'sample_plans: discount must be in (0, 1], got {discount!r}.')
  if generator is None:
    generator = tf.random.get_global_generator()
  return _SAMPLE(initial_state, step_fn, int(num_actions), int(horizon),
                 int(candidates), float(discount), bool(use_prior), generator,
                 max_length)
