"""A diagnostic for issue 10: cartpole balance with a pole drawn thicker.

Only the pole's drawn radius changes (`model.geom_size` after compilation);
its mass and inertia come from the compiled model, so the physics, the reward
and the initial states are dm_control's cartpole balance unchanged. If
PlaNet's plateau on the real task comes from a pole too thin to be learned
from 64x64 pixels in a few dozen episodes, this task is learned much faster.

  bin/train --gin_file=docs/evidence/thick_pole/thick_pole.gin \
      --root_dir=runs/thick_pole
"""

import gin

from planet_tf import envs
# After planet_tf.envs, which chooses the rendering backend (MUJOCO_GL).
from dm_control import suite  # pylint: disable=g-bad-import-order,wrong-import-order


@gin.configurable
def cartpole_balance_thick_pole_env(seed=None, radius_scale=3.0,
                                    action_repeat=8, image_size=64):
  """cartpole balance whose pole is drawn `radius_scale` times thicker.

  Returns:
    A `planet_tf.envs.PixelControlEnv`: observation uint8 `[image_size,
    image_size, 3]`, action float32 `[1]` in [-1, 1], reward float32 scalar.
  """
  dm_env = suite.load('cartpole', 'balance', task_kwargs={'random': seed})
  # Compiled inertia stays; only the capsule's drawn radius grows.
  dm_env.physics.named.model.geom_size['pole_1', 0] *= radius_scale
  return envs.PixelControlEnv(dm_env, action_repeat=action_repeat,
                              image_size=image_size)
