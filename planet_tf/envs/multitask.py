"""Several PlaNet tasks behind one action spec, for one agent trained on all.

Every task's action is padded to the longest one: the agent acts in `[A]`
(A = the largest action size of the tasks, bounds [-1, 1]) and each environment
receives only its own first `a` dimensions. Each task keeps its own action repeat
(the paper's, `planet_tf.envs.TASKS`) and so its own episode length (1000 / R
agent steps); observations stay uint8 `[64, 64, 3]`. No task id is given to the
agent: as in the original PlaNet, the model tells the tasks apart from pixels.
A task may also be the user's own environment (`constructors`, see
`planet_tf.envs.custom`); its action must then be bounded by [-1, 1].
"""

import functools
from typing import List, Sequence

import gin
import numpy as np
from tf_agents.environments import wrappers
from tf_agents.specs import array_spec

from planet_tf.envs import custom
from planet_tf.envs import suite
from planet_tf.envs.tasks import TASKS
from planet_tf.envs.tasks import get_task


class PaddedActionEnv(wrappers.PyEnvironmentBaseWrapper):
  """Acts in `[action_size]`, passing only the first `a` dimensions to `env`.

  Action: float32 `[action_size]` in [-1, 1]; the extra dimensions are ignored.
  Everything else (observations, rewards, auto-reset) is the wrapped env's.
  """

  def __init__(self, env, action_size):
    """Args:

      env: a `PyEnvironment` with a float32 `[a]` action in [-1, 1], a <=
        `action_size`.
      action_size: A, the size of the padded action.

    Raises:
      ValueError: if the env's action is larger than `action_size`, not a
        vector, or not bounded by [-1, 1].
    """
    super().__init__(env)
    spec = env.action_spec()
    if len(spec.shape) != 1:
      raise ValueError(f'PaddedActionEnv needs a vector action; got {spec}.')
    if spec.shape[0] > action_size:
      raise ValueError(
          f'The environment\'s action has {spec.shape[0]} dimensions, more than '
          f'the padded action size {action_size}.')
    if not (np.all(spec.minimum == -1) and np.all(spec.maximum == 1)):
      raise ValueError(
          'Padding needs actions bounded by [-1, 1] (every PlaNet task\'s); got '
          f'{spec}.')
    self._size = int(spec.shape[0])
    self._action_spec = array_spec.BoundedArraySpec(
        (int(action_size),), np.float32, -1.0, 1.0, name='action')

  @property
  def task_action_size(self):
    """a: the dimensions of the action the wrapped environment receives."""
    return self._size

  def action_spec(self):
    return self._action_spec

  def _step(self, action):
    action = np.asarray(action, np.float32)
    if action.shape != self._action_spec.shape:
      raise ValueError(f'Action of shape {action.shape} does not match the '
                       f'padded action spec {self._action_spec}.')
    return self._env.step(action[:self._size])


def check_task_names(task_names: Sequence[str],
                     constructors=None) -> List[str]:
  """Returns `task_names` as a list of two or more distinct known tasks.

  A task is known if it is a key of `TASKS` or of `constructors`.

  Raises:
    ValueError: naming the problem (not a list, fewer than two, a repeat, an
      unknown task with the valid ones).
  """
  if isinstance(task_names, str) or not isinstance(task_names, (list, tuple)):
    raise ValueError(f'task_names must be a list of task names, got '
                     f'{task_names!r}.')
  names = list(task_names)
  if len(names) < 2:
    raise ValueError(f'task_names needs two or more tasks, got {names}; for one '
                     'task bind train_eval.task_name instead.')
  repeated = sorted({n for n in names if names.count(n) > 1})
  if repeated:
    raise ValueError(f'task_names lists {repeated} more than once: {names}.')
  for name in names:
    custom.check_task(name, constructors)
  return names


def check_no_shared_action_repeat():
  """Refuses a gin-bound `load.action_repeat`: each task keeps its own.

  Raises:
    ValueError: naming the binding.
  """
  try:
    bound = gin.query_parameter('planet_tf.envs.load.action_repeat')
  except ValueError:
    return  # Not bound.
  if bound is not None:
    raise ValueError(
        f'planet_tf.envs.load.action_repeat is bound to {bound}, but in a '
        'multi-task run every task keeps its own action repeat '
        '(planet_tf.envs.TASKS); remove the binding (a task gin file such as '
        'cheetah.gin sets it).')


def task_action_sizes(task_names: Sequence[str],
                      constructors=None) -> List[int]:
  """The action size of each task, read from its dm_control environment (a
  bound constructor's task: from its environment, built once and closed)."""
  # Imported here so that MUJOCO_GL is set first (planet_tf.envs sets it).
  from dm_control import suite as dm_suite  # pylint: disable=g-import-not-at-top
  sizes = []
  for name in task_names:
    if name in (constructors or {}):
      env = custom.load(name, constructors)
      sizes.append(int(env.action_spec().shape[0]))
      env.close()
      continue
    task = get_task(name)
    dm_env = dm_suite.load(task.domain, task.task)
    sizes.append(int(dm_env.action_spec().shape[0]))
    dm_env.close()
  return sizes


def load_task(task_name, action_size, seed=None, constructors=None, **kwargs):
  """One task with its action padded to `action_size`, at its paper action repeat.

  Args:
    task_name: a key of `TASKS` or of `constructors`.
    action_size: A, at least the task's action size.
    seed: seed of the task's random state.
    constructors: `{task name: constructor}` of the user's own environments
      (`planet_tf.envs.custom`); such a task is its constructor's environment
      (`kwargs` do not apply to it).
    **kwargs: `planet_tf.envs.load` arguments but `action_repeat` (e.g.
      `episode_length`, `image_size`); unset ones are its gin bindings.

  Returns:
    A `PaddedActionEnv` over the task's `PixelControlEnv`.
  """
  if kwargs.get('action_repeat') is not None:
    raise ValueError('load_task keeps the task\'s own action repeat; got '
                     f'action_repeat={kwargs["action_repeat"]}.')
  kwargs.pop('action_repeat', None)
  if task_name in (constructors or {}):
    return PaddedActionEnv(custom.load(task_name, constructors, seed),
                           action_size)
  env = suite.load(task_name, action_repeat=TASKS[task_name].action_repeat,
                   seed=seed, **kwargs)
  return PaddedActionEnv(env, action_size)


def load(task_names, seed=None, constructors=None, **kwargs):
  """Every task of `task_names` behind one padded action spec.

  Args:
    task_names: two or more keys of `TASKS` or `constructors`, e.g.
      `['cartpole_swingup', 'cheetah_run']`.
    seed: task i's environment is seeded with `seed + i` (None: unseeded).
    constructors: as `load_task`.
    **kwargs: `planet_tf.envs.load` arguments but `action_repeat`.

  Returns:
    A list of `PaddedActionEnv`s, one per task in order, with equal specs.

  Raises:
    ValueError: for bad task names, or a gin-bound shared action repeat.
  """
  names = check_task_names(task_names, constructors)
  check_no_shared_action_repeat()
  size = max(task_action_sizes(names, constructors))
  return [load_task(name, size, seed=None if seed is None else seed + i,
                    constructors=constructors, **kwargs)
          for i, name in enumerate(names)]


def load_tf(task_names, seed=None, constructors=None, **kwargs):
  """As `load`, each task a `TFPyEnvironment` on its own thread (`suite.load_tf`).

  Returns:
    A list of isolated `TFPyEnvironment`s, one per task, with equal specs.
  """
  names = check_task_names(task_names, constructors)
  check_no_shared_action_repeat()
  size = max(task_action_sizes(names, constructors))
  return [suite.isolated_tf_env(functools.partial(
      load_task, name, size, seed=None if seed is None else seed + i,
      constructors=constructors, **kwargs)) for i, name in enumerate(names)]
