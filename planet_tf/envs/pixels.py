"""A TF-Agents PyEnvironment over a dm_control task, observed through pixels."""

import numpy as np
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts


class PixelControlEnv(py_environment.PyEnvironment):
  """Repeats each action on the state environment and renders once per step.

  Wrapping the pixel environment in TF-Agents' `ActionRepeat` would render every
  repeated frame; here the simulator is stepped `action_repeat` times, the rewards
  are summed, and one `[image_size, image_size, 3]` uint8 frame is rendered from the
  camera. The repeat stops early at the end of the episode, and an episode is
  `episode_length` simulator steps (1000 in the suite).

  Observation: uint8 `[image_size, image_size, 3]`. Action: float32 `[A]` within the
  task's bounds. Reward and discount: float32 scalars; with `reward_fns`, the
  reward is a dict `{name: float32 scalar}` instead (`planet_tf.envs.rewards`).
  """

  def __init__(self, dm_env, action_repeat, image_size=64, camera_id=0,
               episode_length=None, reward_fns=None):
    """Args:

      dm_env: a dm_control `control.Environment` (state observations are ignored).
      action_repeat: simulator steps per agent step, >= 1.
      image_size: height and width of the rendered frame.
      camera_id: the camera to render from.
      episode_length: optional cap on simulator steps per episode; the task's own
        time limit applies when it is shorter.
      reward_fns: optional `{name: physics -> float}`; each is read after every
        simulator step and summed over the repeat, and the reward is that dict
        (the task's own reward is then not returned).
    """
    super().__init__(handle_auto_reset=True)
    if action_repeat < 1:
      raise ValueError(f'action_repeat must be >= 1, got {action_repeat}.')
    if episode_length is not None and episode_length < 1:
      raise ValueError(f'episode_length must be >= 1, got {episode_length}.')
    self._env = dm_env
    self._action_repeat = int(action_repeat)
    self._image_size = int(image_size)
    self._camera_id = camera_id
    self._episode_length = episode_length
    self._sim_steps = 0
    self._reward_fns = dict(reward_fns) if reward_fns else None
    spec = dm_env.action_spec()
    self._action_spec = array_spec.BoundedArraySpec(
        shape=spec.shape, dtype=np.float32,
        minimum=spec.minimum.astype(np.float32),
        maximum=spec.maximum.astype(np.float32), name='action')
    self._observation_spec = array_spec.BoundedArraySpec(
        shape=(self._image_size, self._image_size, 3), dtype=np.uint8,
        minimum=0, maximum=255, name='pixels')

  @property
  def action_repeat(self):
    return self._action_repeat

  @property
  def physics(self):
    return self._env.physics

  def observation_spec(self):
    return self._observation_spec

  def reward_spec(self):
    if self._reward_fns is None:
      return super().reward_spec()
    return {name: array_spec.ArraySpec((), np.float32, name=name)
            for name in self._reward_fns}

  def action_spec(self):
    return self._action_spec

  def render(self, mode='rgb_array'):
    del mode
    return self._render()

  def _render(self):
    return self._env.physics.render(
        height=self._image_size, width=self._image_size,
        camera_id=self._camera_id)

  def _reset(self):
    self._env.reset()
    self._sim_steps = 0
    return ts.restart(self._render(), reward_spec=self.reward_spec())

  def _step(self, action):
    action = np.asarray(action, dtype=np.float32)
    if action.shape != self._action_spec.shape:
      raise ValueError(
          f'Action of shape {action.shape} does not match the action spec '
          f'{self._action_spec}.')
    reward = 0.0
    named = dict.fromkeys(self._reward_fns or (), 0.0)
    discount = 1.0
    last = False
    for _ in range(self._action_repeat):
      step = self._env.step(action)
      self._sim_steps += 1
      reward += step.reward or 0.0
      for name in named:
        named[name] += self._reward_fns[name](self._env.physics)
      discount = step.discount if step.discount is not None else 1.0
      last = step.last() or (self._episode_length is not None and
                             self._sim_steps >= self._episode_length)
      if last:
        break
    observation = self._render()
    if self._reward_fns is None:
      reward = np.float32(reward)
    else:
      reward = {name: np.float32(value) for name, value in named.items()}
    if last:
      return ts.termination(observation, reward)._replace(
          discount=np.asarray(discount, np.float32))
    return ts.transition(observation, reward, np.float32(discount))

  def close(self):
    """Frees the rendering context; call it on the thread that rendered."""
    if self._env is not None:
      self._env.physics.free()
      self._env = None
