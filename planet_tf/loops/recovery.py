"""Kill recovery: a run killed at any moment resumes with every stored episode
counted once and every `returns.csv` row written.

A loop writes an episode's file, then its row, then (every
`checkpoint_interval` episodes) a checkpoint. A kill between the file and the
checkpoint leaves episodes the checkpoint does not count; `restore` counts them
and `lost_rows` names those whose row is missing, so the loop rebuilds them
from the stored episodes and does the work due after the newest one
(`AgentLoop.after_seed_episodes`). The distributed learner asks `rowless` for
every stored episode, since its actors store them concurrently.
"""

import os
from typing import List, NamedTuple, Tuple

from absl import logging

from planet_tf import run_dir

# The `returns.csv` policies of collected episodes (the rest are evaluations).
COLLECTED = ('random', 'collect')


class Restored(NamedTuple):
  """What `restore` found.

  `counted`: the episodes the checkpoint counts; `work_missed`: True if
  episodes were stored after it (the run was killed, and the work due after
  the newest is still to do).
  """
  counted: int
  work_missed: bool


def restore(root_dir, checkpoint, replay, metrics, resumed,
            episodes_dir=None) -> Restored:
  """Restores the newest checkpoint and counts the episodes stored after it.

  Args:
    root_dir: the run directory, as given (logged on resume).
    checkpoint, replay, metrics: the run's `RunCheckpoint`, replay (its stored
      episodes) and `collect.TrainMetrics` (its counts are raised to them).
    resumed: True if the run directory held this run.
    episodes_dir: named in a warning when the checkpoint counts more episodes
      than are stored; None warns of nothing.
  """
  restored = checkpoint.restore()
  if resumed:
    logging.info('Resuming %s from %s with %d stored episodes.', root_dir,
                 restored or 'no checkpoint', replay.total_episodes)
  counted = metrics.episodes
  return Restored(counted, _count_unsaved_episodes(metrics, replay,
                                                   episodes_dir))


def _count_unsaved_episodes(metrics, replay, episodes_dir):
  """Counts the episodes stored after the last checkpoint (a kill).

  Returns:
    True if there were any.
  """
  stored, counted = replay.total_episodes, metrics.episodes
  if stored > counted:
    logging.warning(
        '%d episode(s) were collected after the last checkpoint; keeping '
        'them and counting them.', stored - counted)
    lengths = replay.episode_lengths()[counted - stored:]
    metrics.number_of_episodes.number_episodes.assign(stored)
    metrics.environment_steps.environment_steps.assign_add(
        sum(max(n - 1, 0) for n in lengths))
    return True
  if stored < counted and episodes_dir is not None:
    logging.warning(
        'The checkpoint counts %d episodes but only %d are stored in %s; '
        'continuing with what is stored.', counted, stored, episodes_dir)
  return False


def lost_rows(paths, replay, metrics, counted) -> List[Tuple[int, int]]:
  """The episodes after `counted` (stored after the checkpoint) whose
  `returns.csv` row a kill lost.

  Args:
    paths: the run's `run_dir.RunDir`.
    replay, metrics: the run's, after `restore`.
    counted: `Restored.counted`.

  Returns:
    list of `(episode, env_steps)`, the counts after each such episode.
  """
  total = metrics.episodes
  if total <= counted:
    return []
  lengths = replay.episode_lengths()[counted - total:]
  env_steps = metrics.env_steps - sum(max(n - 1, 0) for n in lengths)
  return rowless(paths, zip(range(counted + 1, total + 1), lengths), env_steps)


def rowless(paths, episodes, env_steps=0) -> List[Tuple[int, int]]:
  """The stored episodes without a collected row in `returns.csv`.

  Args:
    paths: the run's `run_dir.RunDir`.
    episodes: `(episode, stored steps)` of consecutive episodes, in order.
    env_steps: the run's env steps before the first of them.

  Returns:
    list of `(episode, env_steps)`, the counts after each such episode.
  """
  logged = set()
  if os.path.exists(paths.returns_path):
    logged = {int(r.episodes) for r in run_dir.read_returns(paths.root)
              if r.policy in COLLECTED}
  lost = []
  for episode, length in episodes:
    env_steps += max(length - 1, 0)
    if episode not in logged:
      lost.append((episode, env_steps))
  return lost
