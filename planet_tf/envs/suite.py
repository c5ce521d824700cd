"""Loading a PlaNet task: dm_control through pixels, as a TF-Agents environment.

Like TF-Agents' `suite_dm_control.py`; `planet_tf.envs` re-exports `load` and
`load_tf`. `load` is registered with gin as `planet_tf.envs.load` (what gin files
bind, e.g. `planet_tf.envs.load.image_size = 64`).
"""

import atexit
import functools

import gin
from tf_agents.environments import tf_py_environment

from planet_tf.envs import rewards as rewards_lib
from planet_tf.envs.pixels import PixelControlEnv
from planet_tf.envs.tasks import get_task


@gin.configurable('load', module='planet_tf.envs')
def load(task_name, action_repeat=None, image_size=64, seed=None,
         episode_length=None, rewards=None):
  """Returns the task as a TF-Agents `PyEnvironment` observed through pixels.

  Args:
    task_name: a key of `TASKS`, e.g. `'cheetah_run'`.
    action_repeat: simulator steps per agent step; the paper's value when None.
    image_size: height and width of the uint8 `[size, size, 3]` observation.
    seed: seed of the task's random state (initial positions).
    episode_length: optional cap on simulator steps per episode (the suite's
      episodes are 1000 steps); for quick tests.
    rewards: optional names of rewards of the task's domain
      (`planet_tf.envs.rewards.REWARDS`, e.g. `('forward', 'backward')` for
      cheetah); the reward is then a dict `{name: float32}` per step. None: the
      task's own scalar reward.

  Returns:
    A `PixelControlEnv`.

  Raises:
    ValueError: for an unknown task name, listing the valid ones, or unknown
      reward names.
  """
  task = get_task(task_name)
  reward_fns = (None if rewards is None
                else rewards_lib.reward_functions(task.domain, rewards))
  # Imported here so that MUJOCO_GL is set first and `get_task` errors are cheap.
  from dm_control import suite  # pylint: disable=g-import-not-at-top
  dm_env = suite.load(task.domain, task.task, task_kwargs={'random': seed})
  return PixelControlEnv(
      dm_env,
      action_repeat=task.action_repeat if action_repeat is None else action_repeat,
      image_size=image_size, episode_length=episode_length,
      reward_fns=reward_fns)


def load_tf(task_name, **kwargs):
  """Returns the task as a `TFPyEnvironment` usable in a `tf.function` driver.

  The Python environment is built and always stepped on one dedicated thread
  (`isolation=True`), so the EGL context that rendering creates stays current on
  the thread that uses it.

  Args:
    task_name: a key of `TASKS`.
    **kwargs: passed to `load`.
  """
  get_task(task_name)  # Fail fast, on the caller's thread.
  return isolated_tf_env(functools.partial(load, task_name, **kwargs))


def isolated_tf_env(constructor):
  """A `TFPyEnvironment` over `constructor()`, built and stepped on one thread.

  Args:
    constructor: returns a rendering `PyEnvironment` (e.g. a `functools.partial`
      of `load`).
  """
  return _IsolatedTFPyEnvironment(constructor)


class _IsolatedTFPyEnvironment(tf_py_environment.TFPyEnvironment):
  """A `TFPyEnvironment` whose Python env lives, renders and dies on one thread.

  dm_control frees an EGL context at interpreter exit on the main thread, which
  fails for a context current on the isolation thread; here the context is made
  on that thread at construction and freed there by `close()`, which also runs
  at exit (registered after the context exists, so it runs first).
  """

  def __init__(self, constructor):
    super().__init__(constructor, isolation=True)
    try:
      self._execute(self.pyenv.render)
    except NotImplementedError:
      pass  # A user's environment that does not render has no context to make.
    atexit.register(self.close)

  def close(self):
    # Unregistered so that atexit does not keep every closed environment (and
    # its thread pool) alive until the process ends.
    atexit.unregister(self.close)
    if self._pool is not None:
      self._execute(self.pyenv.close)
      # TFPyEnvironment.close joins the pool before closing it, which raises.
      self._pool.close()
      self._pool.join()
      self._pool = None
