"""Your own environment: pendulum swingup, a control-suite task PlaNet's seven
tasks do not include, as an environment constructor for `train_eval`.

A constructor is any callable `(seed) -> PyEnvironment` whose environment has
uint8 [64, 64, 3] observations and a bounded float32 action `[A]`; made
gin-configurable here, examples/pendulum_swingup.gin imports this module and
binds it by task name (`train_eval.env_constructors`):

  bin/train --gin_file=examples/pendulum_swingup.gin
  bin/evaluate --policy=runs/pendulum_swingup
"""

import gin

from planet_tf import envs
# After planet_tf.envs, which chooses the rendering backend (MUJOCO_GL).
from dm_control import suite  # pylint: disable=g-bad-import-order,wrong-import-order


@gin.configurable
def pendulum_swingup_env(seed=None, action_repeat=4, image_size=64,
                         episode_length=None):
  """dm_control's pendulum swingup observed through pixels.

  Args:
    seed: seed of the task's random state (the pendulum's initial angle).
    action_repeat: simulator steps per agent step (no paper value: 4, as for
      reacher and cheetah, gives 250 agent steps per 1000-step episode).
    image_size: height and width of the observation.
    episode_length: optional cap on simulator steps per episode (the suite's
      episodes are 1000 steps); for quick tests.

  Returns:
    A `planet_tf.envs.PixelControlEnv`: observation uint8 `[image_size,
    image_size, 3]`, action float32 `[1]` in [-1, 1], reward float32 scalar.
  """
  dm_env = suite.load('pendulum', 'swingup', task_kwargs={'random': seed})
  return envs.PixelControlEnv(dm_env, action_repeat=action_repeat,
                              image_size=image_size,
                              episode_length=episode_length)
