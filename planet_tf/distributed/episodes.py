"""The run directory's stored episodes, as the distributed processes see them.

Every actor stores its episodes under `train/episodes/actor-<k>/` (one
`EpisodeReplay` directory each, so numbering never collides); `bin/train`
stores them in `train/episodes/` itself. Counting reads file names only
(`episode-<n>-<length>.npz`), never the arrays.
"""

import contextlib
import fcntl
import glob
import os
import re

import numpy as np
import tensorflow as tf

from planet_tf.data import replay

_NAME = re.compile(r'^episode-\d+-(\d+)\.npz$')


def actor_dir(episodes_dir, actor_id):
  """Where actor `actor_id` stores its episodes."""
  return os.path.join(episodes_dir, f'actor-{int(actor_id)}')


def episode_files(episodes_dir):
  """Every stored episode file of the run (`bin/train`'s and every actor's), sorted."""
  paths = glob.glob(os.path.join(episodes_dir, replay.FILE_PATTERN))
  paths += glob.glob(os.path.join(episodes_dir, 'actor-*', replay.FILE_PATTERN))
  return sorted(p for p in paths if _NAME.match(os.path.basename(p)))


def episode_length(path):
  """Steps stored in episode file `path` (boundary step included), from its name."""
  return int(_NAME.match(os.path.basename(path)).group(1))


def counts(episodes_dir):
  """`(episodes, env_steps)` stored: env steps count agent steps, as `bin/train`."""
  paths = episode_files(episodes_dir)
  return len(paths), sum(max(episode_length(p) - 1, 0) for p in paths)


@contextlib.contextmanager
def locked(episodes_dir):
  """Holds the run's episode lock: one actor at a time stores an episode and
  counts the run's episodes, so two actors finishing together get different
  counts. An advisory `flock` on `episodes_dir/.lock`, released on exit (and by
  the OS when a killed actor's process ends)."""
  os.makedirs(episodes_dir, exist_ok=True)
  with open(os.path.join(episodes_dir, '.lock'), 'a') as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    try:
      yield
    finally:
      fcntl.flock(f, fcntl.LOCK_UN)


def read_episode(path, data_spec):
  """One stored episode as a `Trajectory` of numpy arrays `[T, ...]`.

  Args:
    path: an `episode-*.npz` written by `EpisodeReplay`.
    data_spec: the replay's `Trajectory` spec (`policy_info` is dropped).
  """
  spec = replay.without_policy_info(data_spec)
  count = len(tf.nest.flatten(spec))
  with np.load(path) as data:
    flat = [data[f'f{i}'] for i in range(count)]
  return tf.nest.pack_sequence_as(spec, flat)


def steps(episode):
  """Yields the single steps `[...]` of an episode `Trajectory` `[T, ...]`."""
  for t in range(len(episode.step_type)):
    yield tf.nest.map_structure(lambda x, t=t: x[t], episode)
