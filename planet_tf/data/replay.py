"""Episode replay: `[B, L]` training chunks that never span two episodes.

Why our own store rather than TF-Agents' buffers or Reverb: docs/replay.md.

`EpisodeReplay` keeps each finished episode as contiguous numpy arrays, grows as
data arrives (12,328 bytes per 64x64x3 step with a 6-d action: 11.5 GiB per 1M pixel
steps, measured RSS growth 12.4 KB per step, nothing preallocated), and, given a
`directory`, writes every finished episode to disk atomically (compressed) and reads
them back on construction, so a resumed run has every episode it had finished.

The reward may be a dict of named rewards (one physics, several tasks:
`planet_tf.envs.rewards`); it is stored and sampled as any other field.
Episodes may carry a task label (`observer(task)`, for one agent trained on
several tasks); labelled episodes are sampled task by task (`sample`), so a task
with short episodes gets as many chunks as one with long episodes.
"""

import functools
import glob
import os
import re
import threading

import gin
import numpy as np
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from planet_tf import files
from planet_tf.data import episode_runner

# The stored episodes of a run: `episode-<number>-<length>.npz`.
FILE_PATTERN = 'episode-*.npz'
_FILE_NAME = re.compile(r'^episode-(\d+)-\d+\.npz$')
# The task label of an episode in its file (absent for unlabelled episodes).
_TASK_KEY = 'task'


@gin.configurable
class EpisodeReplay:
  """Stores whole episodes of `Trajectory` steps and samples chunks within them.

  `policy_info` is not stored: sampled chunks carry `policy_info=()`, so seed
  episodes from a random policy and planner episodes share one store.

  It is a TF-Agents driver observer: call it with a `Trajectory` of one step,
  unbatched (a `PyDriver` on a Python environment) or batched `[N, ...]` (a
  `TFPyEnvironment` driver, eager or inside a `tf.function`). An episode is
  finished by its boundary step (`step_type == LAST`, which holds the final
  observation), or when a new FIRST step arrives for the same environment.

  Capacity is in environment steps; past it the oldest episodes leave memory (their
  files, if any, stay on disk).

  An episode added through `observer(task)` is labelled with `task` (kept in its
  file too); see `sample` for how labels change sampling.
  """

  def __init__(self, data_spec, capacity_steps=1_000_000, directory=None,
               seed=None, recent_fraction=0.0):
    """Args:

      data_spec: a `Trajectory` nest of `TensorSpec`s or `ArraySpec`s without a
        batch dimension (an agent's `collect_data_spec`).
      capacity_steps: most environment steps kept in memory.
      directory: where finished episodes are saved and, on construction,
        loaded from; None keeps them in memory only.
      seed: seed of the chunk sampler.
      recent_fraction: share of each batch drawn from the recent episodes (those
        finished since the last `mark_recent()`); 0 draws every chunk uniformly
        over all windows, which is what the original PlaNet's 'recent' loader
        amounts to (docs/fidelity.md). A lever for small training budgets.
    """
    if capacity_steps < 1:
      raise ValueError(f'capacity_steps must be >= 1, got {capacity_steps}.')
    if not 0.0 <= float(recent_fraction) <= 1.0:
      raise ValueError(
          f'recent_fraction must be in [0, 1], got {recent_fraction}.')
    self._recent_fraction = float(recent_fraction)
    data_spec = without_policy_info(data_spec)
    self._data_spec = data_spec
    self._flat_specs = tf.nest.flatten(data_spec)
    self._capacity = int(capacity_steps)
    self._directory = directory
    self._rng = np.random.default_rng(seed)
    self._lock = threading.Lock()
    self._episodes = []  # Each a list of flat arrays `[T, ...]`.
    self._tasks = []  # The task label of each episode in memory, or None.
    self._num_steps = 0
    self._total_episodes = 0  # Counts evicted ones too.
    self._next_number = 1  # Of the next episode file: above every file on disk.
    self._open = {}  # Environment index -> list of flat single-step arrays.
    self._open_tasks = {}  # Environment index -> task label of its episode.
    if directory:
      os.makedirs(directory, exist_ok=True)
      self._load(directory)
    # Episodes finished at or after this count are recent. On a resume the
    # last loaded episode is the newest one, as it was when the run stopped.
    self._recent_from = max(self._total_episodes - 1, 0)

  @property
  def data_spec(self):
    return self._data_spec

  @property
  def num_steps(self):
    """Environment steps held in finished episodes in memory."""
    return self._num_steps

  @property
  def num_episodes(self):
    """Finished episodes held in memory."""
    return len(self._episodes)

  @property
  def total_episodes(self):
    """Finished episodes ever added (loaded ones included)."""
    return self._total_episodes

  def episode_lengths(self):
    return [len(e[0]) for e in self._episodes]

  def episode_returns(self):
    """The undiscounted return of each episode in memory (boundary step left out).

    Returns:
      A list of floats; of dicts `{name: float}` when the reward is a dict of
      named rewards (`planet_tf.envs.rewards`).
    """
    returns = []
    for episode in self._episodes:
      steps = tf.nest.pack_sequence_as(self._data_spec, episode)
      kept = steps.step_type != ts.StepType.LAST
      returns.append(tf.nest.map_structure(
          lambda r, kept=kept: episode_runner.episode_return(
              list(np.asarray(r)[kept]), np.float32), steps.reward))
    return returns

  def episode_tasks(self):
    """The task label of each episode in memory (None for unlabelled ones)."""
    return list(self._tasks)

  def __call__(self, trajectory, task=None):
    """Adds one step; the observer entry point. Returns a no-op in graph mode.

    Args:
      trajectory: one step, unbatched or `[N, ...]`.
      task: label of the episode this step belongs to (str), or None.
    """
    flat = tf.nest.flatten(without_policy_info(trajectory))
    add = functools.partial(self._add_flat, task=task)
    if any(tf.is_tensor(x) for x in flat):
      if not tf.executing_eagerly():
        return tf.numpy_function(add, flat, tf.int64, name='episode_replay_add')
      flat = [x.numpy() if tf.is_tensor(x) else x for x in flat]
    add(*flat)
    return None

  add = __call__

  def observer(self, task):
    """A driver observer that adds steps to episodes labelled `task` (str)."""
    if not isinstance(task, str) or not task:
      raise ValueError(f'A task label is a non-empty string, got {task!r}.')
    return functools.partial(self.__call__, task=task)

  def _add_flat(self, *flat, task=None):
    flat = [np.asarray(x) for x in flat]
    outer = flat[0].ndim - len(self._flat_specs[0].shape)
    if outer not in (0, 1):
      raise ValueError(
          f'Expected one step, unbatched or with one batch dimension, matching '
          f'{self._data_spec}; got shapes {[x.shape for x in flat]}.')
    if outer == 0:
      flat = [x[None] for x in flat]
    for x, spec in zip(flat, self._flat_specs):
      if tuple(x.shape[1:]) != tuple(spec.shape):
        raise ValueError(
            f'Step field of shape {x.shape[1:]} does not match spec {spec}.')
    step_types = self._step_type(flat)
    with self._lock:
      for i in range(len(step_types)):
        step = [x[i] for x in flat]
        current = self._open.setdefault(i, [])
        if step_types[i] == ts.StepType.FIRST and current:
          self._finish(i)
          current = self._open.setdefault(i, [])
        if not current:
          self._open_tasks[i] = task
        current.append(step)
        if step_types[i] == ts.StepType.LAST:
          self._finish(i)
    return np.int64(0)

  def _step_type(self, flat):
    return tf.nest.pack_sequence_as(self._data_spec, flat).step_type

  def _finish(self, index):
    steps = self._open.pop(index)
    task = self._open_tasks.pop(index, None)
    episode = stack_steps(steps)
    self._total_episodes += 1
    if self._directory:
      self._save(episode, self._next_number, task)
      self._next_number += 1
    self._append(episode, task)

  def _append(self, episode, task):
    self._episodes.append(episode)
    self._tasks.append(task)
    self._num_steps += len(episode[0])
    while self._num_steps > self._capacity and len(self._episodes) > 1:
      self._num_steps -= len(self._episodes.pop(0)[0])
      self._tasks.pop(0)

  def _save(self, episode, number, task=None):
    """Writes `episode-<number>-<length>.npz` atomically; never overwrites."""
    labels = {} if task is None else {_TASK_KEY: np.array(task)}
    save_episode(self._directory, number, episode, **labels)

  def _load(self, directory):
    # Left by a run killed while writing: incomplete, never renamed.
    for stale in glob.glob(os.path.join(directory,
                                        files.TMP_PREFIX + '*' + FILE_PATTERN)):
      os.remove(stale)
    paths = sorted(glob.glob(os.path.join(directory, FILE_PATTERN)))
    for path in paths:
      match = _FILE_NAME.match(os.path.basename(path))
      if match:
        self._next_number = max(self._next_number, int(match.group(1)) + 1)
      try:
        with np.load(path) as data:
          episode = [data[f'f{i}'] for i in range(len(self._flat_specs))]
          task = str(data[_TASK_KEY]) if _TASK_KEY in data.files else None
      except Exception as e:  # pylint: disable=broad-except
        raise ValueError(
            f'Cannot read episode file {path}: {e}. It does not match this '
            f'replay\'s data spec or is corrupt; move it away to continue.'
        ) from e
      for x, spec in zip(episode, self._flat_specs):
        if tuple(x.shape[1:]) != tuple(spec.shape):
          raise ValueError(
              f'Episode file {path} holds a field of shape {x.shape[1:]}, '
              f'which does not match spec {spec}.')
      self._total_episodes += 1
      self._append(episode, task)

  def mark_recent(self):
    """Starts a new collection phase: episodes finished from now on are recent.

    The training loop calls it before it collects; until the next call, a
    `recent_fraction` of every batch comes from the episodes of that phase.
    """
    with self._lock:
      self._recent_from = self._total_episodes

  @property
  def num_recent_episodes(self):
    """Finished episodes in memory that count as recent."""
    evicted = self._total_episodes - len(self._episodes)
    return max(self._total_episodes - max(self._recent_from, evicted), 0)

  def sample(self, batch_size, length):
    """Returns a `Trajectory` of numpy arrays `[batch_size, length, ...]`.

    Chunks are drawn uniformly over all windows of `length` consecutive steps that
    lie inside one finished episode; with `recent_fraction > 0`, that share of
    the batch (rounded) is drawn the same way from the recent episodes only.

    When episodes carry task labels (`observer(task)`), each chunk draws a task
    first (uniformly among the tasks with an episode of `length` steps), then
    one of its episodes, then a window inside it: every task gets an equal share
    of the chunks whatever its episode length, as the original PlaNet, which
    draws episodes rather than steps. The recent share draws a recent episode,
    then a window.

    Raises:
      ValueError: if no finished episode has `length` steps.
    """
    with self._lock:
      episodes = self._episodes
      starts = np.array([max(len(e[0]) - length + 1, 0) for e in episodes])
      total = starts.sum() if len(starts) else 0
      if total == 0:
        raise ValueError(
            f'No finished episode has {length} steps to sample from '
            f'(episode lengths: {self.episode_lengths()[:10]}...).')
      if any(task is not None for task in self._tasks):
        which, offsets = self._sample_by_task(starts, batch_size)
      else:
        which, offsets = self._sample_windows(starts, total, batch_size)
      fields = []
      for f in range(len(self._flat_specs)):
        fields.append(np.stack([
            episodes[e][f][o:o + length] for e, o in zip(which, offsets)]))
    return tf.nest.pack_sequence_as(self._data_spec, fields)

  def _sample_windows(self, starts, total, batch_size):
    """Uniform over every window. Returns `(episode indices, offsets)` `[B]`."""
    bounds = np.cumsum(starts)
    flat_index = self._rng.integers(0, total, size=batch_size)
    num_recent = self.num_recent_episodes
    recent_total = starts[len(starts) - num_recent:].sum() if num_recent else 0
    num_from_recent = int(round(self._recent_fraction * batch_size))
    if num_from_recent and recent_total:
      # The recent episodes are the last ones in memory: their windows are
      # the last `recent_total` flat indices.
      flat_index[:num_from_recent] = total - recent_total + self._rng.integers(
          0, recent_total, size=num_from_recent)
    which = np.searchsorted(bounds, flat_index, side='right')
    offsets = flat_index - (bounds[which] - starts[which])
    return which, offsets

  def _sample_by_task(self, starts, batch_size):
    """A task, one of its episodes, a window. Returns `(indices, offsets)` `[B]`."""
    eligible = np.flatnonzero(starts > 0)
    tasks = list(dict.fromkeys(self._tasks[i] for i in eligible))
    by_task = [eligible[[self._tasks[i] == t for i in eligible]] for t in tasks]
    chosen = self._rng.integers(0, len(tasks), size=batch_size)
    which = np.array([by_task[t][self._rng.integers(0, len(by_task[t]))]
                      for t in chosen], dtype=np.int64)
    num_recent = self.num_recent_episodes
    recent = eligible[eligible >= len(starts) - num_recent] if num_recent else []
    num_from_recent = int(round(self._recent_fraction * batch_size))
    if num_from_recent and len(recent):
      which[:num_from_recent] = self._rng.choice(recent, size=num_from_recent)
    offsets = self._rng.integers(0, starts[which])
    return which, offsets

  def as_dataset(self, batch_size, length, prefetch=2):
    """Returns a `tf.data.Dataset` of `(Trajectory [B, L, ...], ())` like TF-Agents.

    Each element is a fresh `sample(batch_size, length)`; the dataset is infinite.
    """
    dtypes = [tf.as_dtype(s.dtype) for s in self._flat_specs]

    def _sample(_):
      return [np.asarray(x) for x in tf.nest.flatten(
          self.sample(batch_size, length))]

    def _map(x):
      flat = tf.numpy_function(_sample, [x], dtypes, name='episode_replay_sample')
      for tensor, spec in zip(flat, self._flat_specs):
        tensor.set_shape([batch_size, length] + list(spec.shape))
      return tf.nest.pack_sequence_as(self._data_spec, flat), ()

    dataset = tf.data.Dataset.range(1).repeat().map(_map)
    return dataset.prefetch(prefetch)


def without_policy_info(trajectory):
  """A `Trajectory` (of specs, arrays or tensors) with `policy_info=()`.

  The one way to drop it: the model never reads it, and seed episodes have none.
  Anything but a `Trajectory` is returned as is.
  """
  if hasattr(trajectory, 'policy_info'):
    return trajectory._replace(policy_info=())
  return trajectory


def stack_steps(steps):
  """An episode's fields from its steps: `steps` is a list of T steps, each a
  list of flat fields; returns the list of fields, each `[T, ...]`."""
  return [np.stack(field) for field in zip(*steps)]


def save_episode(directory, number, episode, **labels):
  """Writes `directory/episode-<number>-<length>.npz` atomically; never
  overwrites.

  Args:
    directory: where the episode is stored.
    number: the episode's number in its file name.
    episode: its flat `Trajectory` fields without `policy_info`, each `[T, ...]`
      (stored as `f0`, `f1`, ...).
    **labels: arrays stored beside the fields, under their names.

  Raises:
    FileExistsError: if an episode of that number is stored there.
  """
  base = f'episode-{number:06d}-{len(episode[0])}.npz'
  if glob.glob(os.path.join(directory, f'episode-{number:06d}-*.npz')):
    raise FileExistsError(
        f'Episode file number {number} already exists in {directory}; '
        'refusing to overwrite a stored episode (was a file added while this '
        'run was going on?).')
  arrays = {f'f{i}': x for i, x in enumerate(episode)}
  arrays.update(labels)
  files.atomic_write(os.path.join(directory, base),
                     lambda f: np.savez_compressed(f, **arrays))
