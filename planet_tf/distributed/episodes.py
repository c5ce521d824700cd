"""The run directory's stored episodes, as the distributed processes see them.

Every actor stores its episodes under `train/episodes/actor-<k>/`; `bin/train`
stores them in `train/episodes/` itself. An actor's episode file is
`episode-<n>-<length>.npz` with n the episode's number in the run (claimed
under the run's episode lock: n - 1 episodes were stored before it), the
`EpisodeReplay` fields, and the labels its `returns.csv` row needs beside
them (`policy`, `train_step`), so every row can be rebuilt from its file.
Counting reads file names only, never the arrays.
"""

import contextlib
import fcntl
import glob
import os
import re

import numpy as np
import tensorflow as tf

from planet_tf import files
from planet_tf.data import replay

_NAME = re.compile(r'^episode-(\d+)-(\d+)\.npz$')
# The labels of an actor's episode file.
POLICY_KEY, TRAIN_STEP_KEY = 'policy', 'train_step'


def actor_dir(episodes_dir, actor_id):
  """Where actor `actor_id` stores its episodes."""
  return os.path.join(episodes_dir, f'actor-{int(actor_id)}')


def episode_files(episodes_dir):
  """Every stored episode file of the run (`bin/train`'s and every actor's),
  by episode number."""
  paths = glob.glob(os.path.join(episodes_dir, replay.FILE_PATTERN))
  paths += glob.glob(os.path.join(episodes_dir, 'actor-*', replay.FILE_PATTERN))
  return sorted((p for p in paths if _NAME.match(os.path.basename(p))),
                key=lambda p: (episode_number(p), p))


def episode_number(path):
  """The number of the episode in file `path`, from its name."""
  return int(_NAME.match(os.path.basename(path)).group(1))


def episode_length(path):
  """Steps stored in episode file `path` (boundary step included), from its name."""
  return int(_NAME.match(os.path.basename(path)).group(2))


def counts(episodes_dir):
  """`(episodes, env_steps)` stored: env steps count agent steps, as `bin/train`."""
  paths = episode_files(episodes_dir)
  return len(paths), sum(max(episode_length(p) - 1, 0) for p in paths)


def env_steps_through(paths, episode):
  """Env steps of the episodes numbered up to `episode` among files `paths`."""
  return sum(max(episode_length(p) - 1, 0) for p in paths
             if episode_number(p) <= episode)


def store(episodes_dir, directory, episode, num_episodes, **labels):
  """Stores a finished episode as the run's next one, unless the run holds
  `num_episodes` already; call it under `locked(episodes_dir)`.

  Args:
    episodes_dir: the run's `train/episodes/` (its episodes are counted).
    directory: where the episode is stored (the actor's own).
    episode: its flat fields without `policy_info`, each `[T, ...]`.
    num_episodes: the run's episodes; a surplus episode is not stored.
    **labels: the labels stored beside the fields.

  Returns:
    `(episode number, env_steps)` after it, or None for a surplus episode.
  """
  count, env_steps = counts(episodes_dir)
  if count >= num_episodes:
    return None
  replay.save_episode(directory, count + 1, episode,
                      **{k: np.asarray(v) for k, v in labels.items()})
  return count + 1, env_steps + max(len(episode[0]) - 1, 0)


def read_labels(path):
  """`{label: value}` stored beside an actor's episode fields (numpy scalars)."""
  with np.load(path) as data:
    return {k: data[k][()] for k in (POLICY_KEY, TRAIN_STEP_KEY)
            if k in data.files}


def remove_unfinished(directory):
  """Removes the files a store left unfinished when its process was killed."""
  for path in glob.glob(os.path.join(directory, files.TMP_PREFIX + '*')):
    os.remove(path)


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
