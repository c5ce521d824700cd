"""What GLAMOR's environments add to a pixel task: discrete actions, stacked gray frames.

Both are TF-Agents `PyEnvironment` wrappers, so they compose with `PixelControlEnv`
and with `TFPyEnvironment`.
"""

import itertools

import numpy as np
from tf_agents.environments import wrappers
from tf_agents.specs import array_spec

# ITU-R BT.601 luma weights, as common RGB -> gray conversions use.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def discrete_actions(minimum, maximum):
  """Every combination of {-1, 0, 1} per action dimension, in the bounds.

  -1 maps to `minimum`, 1 to `maximum` and 0 to their midpoint (0 for
  dm_control's [-1, 1] actions).

  Args:
    minimum, maximum: `[A]` bounds of a continuous action spec.

  Returns:
    float32 `[3**A, A]`; row i is the action of discrete index i (the first
    dimension varies slowest), row `(3**A - 1) // 2` is the middle action.
  """
  minimum, maximum = np.broadcast_arrays(np.asarray(minimum, np.float32),
                                         np.asarray(maximum, np.float32))
  minimum, maximum = minimum.reshape(-1), maximum.reshape(-1)
  levels = np.array(list(itertools.product((-1.0, 0.0, 1.0),
                                           repeat=len(minimum))), np.float32)
  middle, half = (maximum + minimum) / 2, (maximum - minimum) / 2
  return (middle + levels * half).astype(np.float32)


class DiscreteActions(wrappers.PyEnvironmentBaseWrapper):
  """Acts with one int32 index into `discrete_actions` of a continuous spec.

  Action spec: int32 scalar in `[0, 3**A - 1]` (3 actions for a 1-d task, 9
  for a 2-d one).
  """

  def __init__(self, env):
    super().__init__(env)
    spec = env.action_spec()
    if len(spec.shape) != 1:
      raise ValueError(f'DiscreteActions needs a continuous [A] spec, got {spec}.')
    # Bounds may be scalars in a spec; every dimension gets its own.
    self._actions = discrete_actions(
        np.broadcast_to(spec.minimum, spec.shape),
        np.broadcast_to(spec.maximum, spec.shape)).astype(spec.dtype)
    self._action_spec = array_spec.BoundedArraySpec(
        shape=(), dtype=np.int32, minimum=0,
        maximum=len(self._actions) - 1, name='action')

  @property
  def actions(self):
    """The continuous action of each index, `[3**A, A]`."""
    return self._actions

  def action_spec(self):
    return self._action_spec

  def _step(self, action):
    index = int(np.asarray(action).reshape(()))
    if not 0 <= index < len(self._actions):
      raise ValueError(
          f'Action {index} is outside [0, {len(self._actions) - 1}].')
    return self._env.step(self._actions[index])


def grayscale(frames):
  """uint8 `[..., H, W, 3]` RGB -> uint8 `[..., H, W, 1]` luma."""
  gray = np.asarray(frames, np.float32) @ _LUMA
  return np.clip(np.round(gray), 0, 255).astype(np.uint8)[..., None]


class GrayscaleFrameStack(wrappers.PyEnvironmentBaseWrapper):
  """Observes the last `num_frames` frames in gray, stacked on the channel axis.

  Observation: uint8 `[H, W, num_frames]`, the newest frame last. At the start
  of an episode (a reset, or a FIRST step from an auto-resetting environment)
  the first frame fills every slot, so the stack never mixes two episodes.
  """

  def __init__(self, env, num_frames=4):
    super().__init__(env)
    if num_frames < 1:
      raise ValueError(f'num_frames must be >= 1, got {num_frames}.')
    spec = env.observation_spec()
    if spec.dtype != np.uint8 or len(spec.shape) != 3 or spec.shape[-1] != 3:
      raise ValueError(
          f'GrayscaleFrameStack needs uint8 RGB frames [H, W, 3], got {spec}.')
    self._num_frames = int(num_frames)
    self._observation_spec = array_spec.BoundedArraySpec(
        shape=tuple(spec.shape[:2]) + (self._num_frames,), dtype=np.uint8,
        minimum=0, maximum=255, name='pixels')
    self._stack = None

  def observation_spec(self):
    return self._observation_spec

  def _stacked(self, time_step):
    frame = grayscale(time_step.observation)
    if self._stack is None or time_step.is_first():
      self._stack = np.repeat(frame, self._num_frames, axis=-1)
    else:
      self._stack = np.concatenate([self._stack[..., 1:], frame], axis=-1)
    return time_step._replace(observation=self._stack.copy())

  def _reset(self):
    return self._stacked(self._env.reset())

  def _step(self, action):
    return self._stacked(self._env.step(action))
