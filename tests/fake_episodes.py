"""Fake episodes for the replay tests: each step's observation is its place.

A step's observation is `(episode, step index)` `[2]` int32, so a test can
check that every chunk or window it samples lies inside one episode, in order.
"""

import numpy as np
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST


def spec(policy_info=True):
  """The `Trajectory` spec of `steps`: 1-D actions in [-1, 1].

  Args:
    policy_info: True for a planner's policy info, `{'predicted_return': []}`;
      False for none, `()`.
  """
  return trajectory.Trajectory(
      step_type=tf.TensorSpec([], tf.int32),
      observation=tf.TensorSpec([2], tf.int32),
      action=tensor_spec.BoundedTensorSpec([1], tf.float32, -1, 1),
      policy_info=({'predicted_return': tf.TensorSpec([], tf.float32)}
                   if policy_info else ()),
      next_step_type=tf.TensorSpec([], tf.int32),
      reward=tf.TensorSpec([], tf.float32),
      discount=tf.TensorSpec([], tf.float32))


def steps(episode, length, policy_info=True):
  """Yields the `length + 1` steps of one episode, its boundary step last.

  Step `t` has observation `[episode, t]` and reward `t`; `policy_info` as in
  `spec`.
  """
  for t in range(length + 1):
    step_type = F if t == 0 else (L if t == length else M)
    next_type = F if t == length else (L if t == length - 1 else M)
    yield trajectory.Trajectory(
        step_type=np.int32(step_type),
        observation=np.array([episode, t], np.int32),
        action=np.array([0.5], np.float32),
        policy_info={'predicted_return': np.float32(1)} if policy_info else (),
        next_step_type=np.int32(next_type),
        reward=np.float32(t), discount=np.float32(1))
