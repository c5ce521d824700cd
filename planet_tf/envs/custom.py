"""Any environment, not only the seven tasks: the user's own constructors.

A constructor is any callable `constructor(seed=...) -> PyEnvironment`, bound by
task name in `train_eval.env_constructors`, e.g.

  import my_envs
  train_eval.task_name = 'pendulum_swingup'
  train_eval.env_constructors = {'pendulum_swingup': @pendulum_swingup_env}

A bound name is a task like those of `TASKS` (and overrides one of them): one
run's task, or one of `train_eval.task_names`. The environment must be what the
world model and the planner take (`check_env`): uint8 `[64, 64, 3]` pixels (the
bound `ConvDecoder.image_shape`), a bounded float32 action `[A]` with finite
bounds, and a float32 scalar reward (or a dict of them: named rewards).
"""

import collections.abc
import copy
import functools

import gin
import numpy as np
from tf_agents.specs import array_spec

from planet_tf.envs import suite
from planet_tf.envs.tasks import TASKS
from planet_tf.envs.tasks import get_task

# What `train_eval` binds; read back when a run's environment is rebuilt.
BINDING = 'train_eval.env_constructors'
# ConvDecoder's default image shape: what PlaNet's networks model.
DEFAULT_IMAGE_SHAPE = (64, 64, 3)


def check_constructors(constructors):
  """Returns `constructors` as a dict `{task name: callable}`; `{}` for None.

  Raises:
    ValueError: if it is not a mapping of names to callables, naming the entry.
  """
  if constructors is None:
    return {}
  example = "{'pendulum_swingup': @pendulum_swingup_env}"
  if not isinstance(constructors, collections.abc.Mapping):
    raise ValueError(f'{BINDING} must map task names to environment '
                     f'constructors, e.g. {example}; got {constructors!r}.')
  for name, constructor in constructors.items():
    if not isinstance(name, str) or not name:
      raise ValueError(f'{BINDING}: task names must be non-empty strings, got '
                       f'{name!r}.')
    if not callable(constructor):
      # `@fn()` in gin calls fn once and binds the environment it returns.
      raise ValueError(
          f'{BINDING}[{name!r}] must be a callable (seed) -> PyEnvironment, '
          f'e.g. @my_env without parentheses; got {constructor!r}.')
  return dict(constructors)


def check_task(task_name, constructors=None):
  """Raises ValueError unless `task_name` is bound in `constructors` or a `TASKS` key.

  The message lists both and says how to bind a constructor.
  """
  if task_name in (constructors or {}):
    return
  try:
    get_task(task_name)
  except ValueError:
    bound = (f' (bound in {BINDING}: {", ".join(sorted(constructors))})'
             if constructors else '')
    raise ValueError(
        f'Unknown task {task_name!r}; valid tasks are: '
        f'{", ".join(sorted(set(TASKS) | set(constructors or ())))}{bound}. '
        f'For your own environment bind a constructor for it: {BINDING} = '
        f"{{{task_name!r}: @my_env}} (README, 'Your own environment')."
    ) from None


def python_names(constructors):
  """`{task name: 'module.qualname'}` of `constructors`: how a run stores them.

  Stable across processes (a function's repr holds its address), so a resumed
  run compares what it would build with what it built.
  """
  return {name: (f'{getattr(fn, "__module__", "?")}.'
                 f'{getattr(fn, "__qualname__", type(fn).__name__)}')
          for name, fn in sorted(constructors.items())}


def bound_constructors():
  """The constructors bound in gin (`train_eval.env_constructors`), or `{}`.

  Used where a run's environment is rebuilt after its operative config is
  parsed (its `import` lines bring the user's module).
  """
  try:
    bound = gin.query_parameter(BINDING)
  except ValueError:  # Not bound, or train_eval not registered.
    return {}
  # Deep-copying gin's references yields the configurables they name.
  return check_constructors(copy.deepcopy(bound))


def configured_image_shape():
  """The image shape the world model is built for (`ConvDecoder.image_shape`)."""
  try:
    return tuple(int(d) for d in gin.query_parameter('ConvDecoder.image_shape'))
  except ValueError:  # Not bound: the decoder's default.
    return DEFAULT_IMAGE_SHAPE


def check_env(env, task_name, image_shape=None):
  """Raises ValueError unless `env`'s specs are what PlaNet trains on.

  Args:
    env: a `PyEnvironment`.
    task_name: its name, for the message.
    image_shape: `(H, W, C)` of the observation; `configured_image_shape()`
      when None.

  Raises:
    ValueError: naming the environment, each spec that does not fit and what
      it needs instead.
  """
  image_shape = tuple(image_shape or configured_image_shape())
  observation, action = env.observation_spec(), env.action_spec()
  reward = env.reward_spec()
  problems = []
  if not (isinstance(observation, array_spec.ArraySpec) and
          observation.dtype == np.uint8 and
          tuple(observation.shape) == image_shape):
    problems.append(
        f'observations uint8 {list(image_shape)} (the images the world model '
        f'is built for, ConvDecoder.image_shape), not {observation}')
  if not (isinstance(action, array_spec.BoundedArraySpec) and
          action.dtype == np.float32):
    problems.append(
        'continuous actions: a float32 BoundedArraySpec [A] (the planner '
        'searches real-valued action sequences; discrete or integer actions '
        f'do not fit), not {action}')
  elif len(action.shape) != 1 or action.shape[0] < 1:
    problems.append(f'an action vector of shape [A], not shape {action.shape}')
  elif not _finite_bounds(action):
    problems.append('finite action bounds with minimum < maximum (the planner '
                    'samples within them; a BoundedArraySpec without bounds, '
                    'or with infinite ones, spans the whole float32 range), '
                    f'not minimum {action.minimum}, maximum {action.maximum}')
  if not (_is_float_scalar(reward) or (
      isinstance(reward, dict) and reward and
      all(_is_float_scalar(r) for r in reward.values()))):
    problems.append('a float32 scalar reward (or a dict of them, named '
                    f'rewards), not {reward}')
  if problems:
    raise ValueError(
        f'The environment of task {task_name!r} ({type(env).__name__}) does '
        'not fit PlaNet. It needs ' + '; '.join(problems) + '.')


def _finite_bounds(spec):
  """Whether `spec`'s bounds are finite, inside its dtype's range, and ordered.

  `BoundedArraySpec` turns unset or infinite bounds into the dtype's extremes.
  """
  info = np.finfo(spec.dtype)
  low, high = np.asarray(spec.minimum), np.asarray(spec.maximum)
  return bool(np.all(np.isfinite(low)) and np.all(np.isfinite(high)) and
              np.all(low > info.min) and np.all(high < info.max) and
              np.all(low < high))


def _is_float_scalar(spec):
  return (isinstance(spec, array_spec.ArraySpec) and spec.dtype == np.float32
          and tuple(spec.shape) == ())


def load(task_name, constructors=None, seed=None):
  """The task's environment: its bound constructor's (checked), else `suite.load`'s.

  Args:
    task_name: a key of `constructors` or of `TASKS`.
    constructors: `{task name: constructor}`, e.g. `train_eval.env_constructors`.
    seed: passed to the constructor as `seed=`.

  Returns:
    A `PyEnvironment`; a bound one is checked with `check_env`.

  Raises:
    ValueError: for an unknown task or an environment that does not fit.
  """
  constructors = constructors or {}
  if task_name not in constructors:
    return suite.load(task_name, seed=seed)
  env = constructors[task_name](seed=seed)
  try:
    check_env(env, task_name)
  except ValueError:
    env.close()
    raise
  return env


def load_tf(task_name, constructors=None, seed=None):
  """As `load`, a `TFPyEnvironment` built and stepped on its own thread
  (`suite.isolated_tf_env`)."""
  check_task(task_name, constructors)  # Fail fast, on the caller's thread.
  return suite.isolated_tf_env(
      functools.partial(load, task_name, constructors, seed=seed))
