"""The checks a world-model agent makes of its `[B, L]` training chunks."""

import tensorflow as tf
from tf_agents.trajectories import trajectory as trajectory_lib

from planet_tf.data import replay


def checked_chunk(experience, weights, train_sequence_length, caller):
  """`experience` as tensors without `policy_info`, after the agent's checks.

  The world model validates the fields it reads (`WorldModel.check_experience`);
  the agent checks what only it knows: the type and `train_sequence_length`.

  Args:
    experience: a `Trajectory` `[B, L, ...]`.
    weights: sample weights; must be None.
    train_sequence_length: L the agent was built with, or None for any.
    caller: `'<Agent>.<method>'`, named in the errors.

  Raises:
    ValueError: for weights, another type or another L.
  """
  if weights is not None:
    raise ValueError(f'{caller} does not support sample weights.')
  if not isinstance(experience, trajectory_lib.Trajectory):
    raise ValueError(f'{caller} expects a Trajectory [B, L, ...], '
                     f'got {type(experience).__name__}.')
  experience = tf.nest.map_structure(tf.convert_to_tensor,
                                     replay.without_policy_info(experience))
  length = tf.TensorShape(experience.step_type.shape)[1:2]
  if (train_sequence_length is not None and length.rank and
      length[0] is not None and length[0] != train_sequence_length):
    raise ValueError(
        f'{caller}: experience has L={length[0]} steps, but the agent was '
        f'built with train_sequence_length={train_sequence_length}.')
  return experience
