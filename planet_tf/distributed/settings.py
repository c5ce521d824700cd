"""What every distributed process reads from gin: the loop's settings, the
replay table's and the learner's checkpoints.

The loop's settings are `train_eval`'s (`train_eval.batch_size`, ...), so one
gin file configures `bin/train` and the distributed processes alike.
"""

import dataclasses
import math
from typing import Optional

import gin

from planet_tf import envs
from planet_tf import run_dir
from planet_tf.loops import planet as train_eval
from planet_tf.loops import typed_settings


def loop_settings() -> train_eval.Settings:
  """PlaNet's `Settings` from the bound `train_eval.*` values (else defaults).

  Raises:
    ValueError: as `Settings`, or for what needs `bin/train`: another agent
      kind (`train.loop`), several tasks, the user's own environments, a
      final evaluation of its own size.
  """
  try:
    loop = gin.query_parameter('train.loop')
  except ValueError:
    loop = None  # Unbound: PlaNet's.
  if loop is not None and loop.configurable.name != train_eval.NAME:
    raise ValueError(f'Distributed training runs PlaNet only; this '
                     'configuration binds train.loop = '
                     f'@{loop.configurable.name}: train it with bin/train.')
  settings = train_eval.Settings()
  if settings.task_names is not None:
    raise ValueError('Distributed PlaNet trains one task (train_eval.task_name); '
                     'several tasks (train_eval.task_names) need bin/train.')
  if settings.env_constructors:
    raise ValueError('Distributed PlaNet trains the tasks of planet_tf.envs.'
                     'TASKS only; your own environment '
                     '(train_eval.env_constructors) trains with bin/train.')
  if settings.final_eval_episodes is not None:
    raise ValueError('Distributed PlaNet evaluates every eval_interval '
                     'episodes only; a final evaluation of its own size '
                     '(train_eval.final_eval_episodes) needs bin/train.')
  return settings


def check_run_config(root_dir, settings):
  """Stores the run's configuration, or refuses one that differs (as `bin/train`).

  Every process checks it, so whichever starts first stores it.

  Raises:
    planet_tf.run_dir.ConfigMismatchError, FileExistsError: as
      `run_dir.check_config`.
  """
  bindings = run_dir.run_bindings(train_eval.stored_settings(settings),
                                  train_eval.RESUMABLE, train_eval.NAME)
  return run_dir.check_config(root_dir, bindings, train_eval.RESUMABLE,
                              train_eval.NAME)


@gin.configurable
@dataclasses.dataclass(frozen=True)
class ReplayTable:
  """The `windows` table's settings (gin name `ReplayTable`).

  Attributes:
    samples_per_insert: learner samples (windows) per inserted window; None
      (the default) is the single-process loop's ratio, C updates of B chunks
      per episode of W windows, C * B / W (`train_eval.train_steps_per_episode`,
      `train_eval.batch_size`, W from the episode length and
      `train_eval.sequence_length`): about 25 at the paper's C = 100, B = 50 and
      an episode of 251 steps at L = 50 (W = 202).
    error_buffer_episodes: how far the learner may run ahead of (or behind)
      that ratio, in episodes' worth of samples: 1 lets it do the C updates
      before the next episode, as `bin/train` does.
    capacity_steps: most windows kept (oldest removed first), as
      `EpisodeReplay`'s capacity.
    min_size_to_sample: windows in the table before the learner samples; None
      is the windows of `num_seed_episodes` seed episodes.
  """
  samples_per_insert: Optional[float] = None
  error_buffer_episodes: float = 1.0
  capacity_steps: int = 1_000_000
  min_size_to_sample: Optional[int] = None

  def __post_init__(self):
    if (self.samples_per_insert is not None
        and not float(self.samples_per_insert) > 0):
      raise ValueError('ReplayTable.samples_per_insert must be > 0, got '
                       f'{self.samples_per_insert}.')
    if not float(self.error_buffer_episodes) > 0:
      raise ValueError('ReplayTable.error_buffer_episodes must be > 0, got '
                       f'{self.error_buffer_episodes}.')


@gin.configurable
@dataclasses.dataclass(frozen=True)
class LearnerCheckpoint(typed_settings.TypedSettings):
  """When the learner checkpoints (gin name `LearnerCheckpoint`), in place of
  `train_eval.checkpoint_interval`: every `updates` updates or every `minutes`
  minutes, whichever comes first, and when it stops or finishes. A kill of the
  learner costs the updates since its last checkpoint, at most `updates` or
  `minutes`' worth; the run's episodes and rows are not lost (the actors store
  them).

  Attributes:
    updates: updates between checkpoints; None: by time only. 1000 is ten
      episodes' updates at the paper's C = 100.
    minutes: minutes between checkpoints; None: by updates only.
  """
  updates: Optional[int] = 1000
  minutes: Optional[float] = 10.0

  def check(self):
    for name in ('updates', 'minutes'):
      value = getattr(self, name)
      if value is not None and not value > 0:
        raise ValueError(f'LearnerCheckpoint.{name} must be > 0 or None, got '
                         f'{value}.')

  def due(self, updates, seconds):
    """Whether a checkpoint is due `updates` updates and `seconds` seconds
    after the last one."""
    return ((self.updates is not None and updates >= self.updates) or
            (self.minutes is not None and seconds >= 60 * self.minutes))


def stored_steps_per_episode(task_name):
  """Steps an episode of `task_name` stores (its boundary step included).

  From the bound `planet_tf.envs.load` settings: the episode length in
  simulator steps (the suite's 1000 when unbound) over the action repeat.
  """
  def bound(name, default):
    try:
      value = gin.query_parameter(f'planet_tf.envs.load.{name}')
    except ValueError:
      value = None
    return default if value is None else value
  length = bound('episode_length', 1000)
  repeat = bound('action_repeat', envs.get_task(task_name).action_repeat)
  return math.ceil(length / repeat) + 1


def windows_per_episode(stored_steps, sequence_length):
  """L-step windows inside an episode of `stored_steps` steps."""
  return max(int(stored_steps) - int(sequence_length) + 1, 0)


def samples_per_insert(table, loop, windows_per_episode_):
  """The table's samples per inserted window: its own, else C * B / W.

  Args:
    table: `ReplayTable`.
    loop: `train_eval.Settings` (C = `train_steps_per_episode`, B =
      `batch_size`).
    windows_per_episode_: W, the windows of one collected episode.

  Raises:
    ValueError: if the ratio is derived and an episode holds no window.
  """
  if table.samples_per_insert is not None:
    return float(table.samples_per_insert)
  if windows_per_episode_ < 1:
    raise ValueError(
        f'An episode holds no window of train_eval.sequence_length = '
        f'{loop.sequence_length} steps: shorten the windows or set '
        'ReplayTable.samples_per_insert.')
  return loop.train_steps_per_episode * loop.batch_size / windows_per_episode_
