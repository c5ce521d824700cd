"""The cross-entropy method over action sequences in latent space (PlaNet, Sec. 3).

`cem` knows nothing of TF-Agents or of any particular model: it optimises a
Gaussian over `[horizon, A]` action sequences for each of B starting states by
rolling out a transition function and summing a reward function (and, given
one, a value function of the last state).
"""

import gin
import numpy as np
import tensorflow as tf


def _cem(initial_state, transition_fn, reward_fn, action_size, minimum, maximum,
         horizon, iterations, candidates, top_k, generator, value_fn, discount):
  """The CEM loop; see `cem` for the arguments. Must run inside a tf.function."""
  batch_size = tf.shape(tf.nest.flatten(initial_state)[0])[0]
  # [B, ...] -> [B * J, ...], candidate j of batch entry b at row b * J + j.
  start = tf.nest.map_structure(
      lambda x: tf.repeat(x, candidates, axis=0), initial_state)
  shape = tf.stack([batch_size, horizon, action_size])
  mean = tf.zeros(shape)
  stddev = tf.ones(shape)
  predicted_return = tf.zeros([batch_size])
  for _ in tf.range(iterations):
    tf.autograph.experimental.set_loop_options(shape_invariants=[
        (mean, tf.TensorShape([None, horizon, action_size])),
        (stddev, tf.TensorShape([None, horizon, action_size])),
        (predicted_return, tf.TensorShape([None]))])
    noise = generator.normal(
        tf.stack([batch_size, candidates, horizon, action_size]))
    actions = tf.clip_by_value(
        mean[:, None] + stddev[:, None] * noise, minimum, maximum)  # [B, J, H, A]
    flat_actions = tf.reshape(actions, [-1, horizon, action_size])
    state, returns = start, 0.0
    for t in range(horizon):
      state = transition_fn(state, flat_actions[:, t])
      reward = reward_fn(state)  # The reward of a_t is read from s_{t+1}.
      returns += reward if discount == 1.0 else discount**t * reward
    if value_fn is not None:
      returns += discount**horizon * value_fn(state)
    returns = tf.reshape(returns, [batch_size, candidates])
    elite_returns, elite_index = tf.math.top_k(returns, top_k)  # [B, K]
    elite = tf.gather(actions, elite_index, batch_dims=1)  # [B, K, H, A]
    mean, variance = tf.nn.moments(elite, axes=[1])
    stddev = tf.sqrt(variance)
    predicted_return = tf.reduce_mean(elite_returns, axis=1)
  return mean, predicted_return


_CEM = tf.function(_cem, autograph=True)
_CEM_XLA = tf.function(_cem, autograph=True, jit_compile=True)


@gin.configurable(denylist=['initial_state', 'transition_fn', 'reward_fn',
                            'action_size', 'minimum', 'maximum', 'generator',
                            'value_fn', 'discount'])
def cem(initial_state, transition_fn, reward_fn, action_size, minimum, maximum,
        horizon=12, iterations=10, candidates=1000, top_k=100, generator=None,
        jit_compile=False, value_fn=None, discount=1.0):
  """Plans `horizon` actions for each of B starting states by the cross-entropy method.

  Starting from Normal(0, 1) over `[horizon, A]`, each of `iterations` rounds
  samples `candidates` action sequences per batch entry, clips them to
  `[minimum, maximum]`, rolls the transition out from the starting state, scores
  each sequence by its return and refits the mean and standard deviation to the
  `top_k` best. Batch entries are planned independently. The return of a
  sequence reaching `s_H` is `sum_t discount^t r_{t+1} + discount^H v(s_H)`:
  the sum of its rewards by default (PlaNet), an H-step return bootstrapped
  with a value function `v` (Dreamer's) when `value_fn` is given.

  The loop runs as one `tf.function` (optionally XLA-compiled); calling again with
  the same callables, generator, Python hyper-parameters and tensor shapes does
  not retrace. Inside another `tf.function` it is inlined as a function call.

  Args:
    initial_state: a nest of float tensors `[B, ...]`, the states to plan from.
    transition_fn: `(state [N, ...], action [N, A]) -> state [N, ...]`, with
      N = B * candidates; for a latent model, one step of the prior.
    reward_fn: `state [N, ...] -> [N]`, the predicted reward of the action that led
      into `state` (e.g. the mean of the reward head on the state's features).
    action_size: A, a Python int.
    minimum, maximum: the action bounds, scalars or `[A]`.
    horizon: H, actions per sequence.
    iterations: I, refits of the sampling distribution.
    candidates: J, sequences sampled per batch entry and iteration.
    top_k: K, elite sequences the distribution is refit to.
    generator: a `tf.random.Generator`; the global generator when None.
    jit_compile: whether to compile the loop with XLA.
    value_fn: None, or `state [N, ...] -> [N]`, the predicted discounted return
      after `state`, added (discounted) at the last state of every sequence.
    discount: a Python float in (0, 1]; 1.0 adds rewards undiscounted.

  Returns:
    `(plan, predicted_return)`: the final mean of the action distribution
    `[B, H, A]` (within the bounds), and the mean predicted return of the final
    top-K sequences `[B]`.

  Raises:
    ValueError: for hyper-parameters out of range (e.g. `top_k > candidates`).
  """
  for name, value in [('action_size', action_size), ('horizon', horizon),
                      ('iterations', iterations), ('candidates', candidates),
                      ('top_k', top_k)]:
    if not isinstance(value, (int, np.integer)) or value < 1:
      raise ValueError(f'cem: {name} must be a positive int, got {value!r}.')
  if top_k > candidates:
    raise ValueError(
        f'cem: top_k ({top_k}) must not exceed candidates ({candidates}).')
  if not 0.0 < discount <= 1.0:
    raise ValueError(f'cem: discount must be in (0, 1], got {discount!r}.')
  if generator is None:
    generator = tf.random.get_global_generator()
  minimum = tf.cast(minimum, tf.float32)
  maximum = tf.cast(maximum, tf.float32)
  fn = _CEM_XLA if jit_compile else _CEM
  return fn(initial_state, transition_fn, reward_fn, int(action_size), minimum,
            maximum, int(horizon), int(iterations), int(candidates), int(top_k),
            generator, value_fn, float(discount))
