"""One optimizer's step on one loss: clipped gradients applied to chosen variables.

Under a `tf.distribute` strategy with R replicas (each given B / R chunks),
each replica passes 1/R of its mean loss; the gradients are summed over
replicas before clipping (so the global norm is the one of the whole batch)
and applied once: the same update as one replica on the B chunks.
"""

import tensorflow as tf


def replica_count() -> int:
  """R, the replicas a train step runs on (1 outside a strategy)."""
  replica = tf.distribute.get_replica_context()
  return replica.num_replicas_in_sync if replica is not None else 1


def run(step, traced_step, experience):
  """`traced_step(experience)`, or `step(experience)` under R > 1 replicas:
  they synchronise (all-reduce), which a nested `tf.function` cannot, so the
  caller traces `strategy.run` (as `Learner` does).

  Returns:
    what the step returns.
  """
  if replica_count() > 1:
    return step(experience)
  return traced_step(experience)


def minimize(optimizer, tape, loss, variables, clip_norm):
  """Applies the gradient of `loss` to `variables`, clipped by global norm.

  Args:
    optimizer: a Keras optimizer.
    tape: the `tf.GradientTape` that recorded `loss` (closed).
    loss: scalar; under R replicas, 1/R of the replica's loss.
    variables: the variables to update; no other variable changes, even where
      `loss` depends on it.
    clip_norm: the global norm the gradients are clipped to.

  Returns:
    The gradients' global norm before clipping (1/R of it on each replica, so
    that summing over replicas, as `tf_agents.train.Learner` does, gives it).
  """
  replicas = replica_count()
  grads = tape.gradient(loss, variables)
  if replicas > 1:
    grads = tf.distribute.get_replica_context().all_reduce(
        tf.distribute.ReduceOp.SUM, grads)
  grads, norm = tf.clip_by_global_norm(grads, clip_norm)
  if replicas > 1:
    norm /= replicas  # Equal on every replica; the Learner sums it.
  optimizer.apply_gradients(
      zip(grads, variables), skip_gradients_aggregation=replicas > 1)
  return norm
