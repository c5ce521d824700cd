"""The `returns.csv` rows of a distributed run, each a function of a stored
episode.

An actor stores its episode as the run's next one and appends its row in one
step under the run's episode lock (`record`); the learner appends its
evaluations' rows under the same lock (`record_greedy`) and, when it starts,
rebuilds from the episode files the rows a kill lost between a file and its
row (`rebuild`, with `recovery.rowless`). A row's `train_steps` is the train
step of the weights that collected or evaluated its episode, or the newest
row's if greater: a restarted learner redoes the updates its checkpoint lacks,
and the column never goes back in the order rows are written.
"""

import os

from absl import logging
from tf_agents.trajectories import time_step as ts

from planet_tf import run_dir
from planet_tf.data import episode_runner
from planet_tf.distributed import episodes
from planet_tf.loops import recovery


def _newest_train_steps(root_dir):
  """The largest `train_steps` in `returns.csv` (0 without rows)."""
  if not os.path.exists(run_dir.RunDir(root_dir).returns_path):
    return 0
  return max((r.train_steps for r in run_dir.read_returns(root_dir)),
             default=0)


def record(root_dir, directory, episode, num_episodes, policy, value,
           train_step):
  """Stores a collected episode as the run's next one and appends its row.

  Args:
    root_dir: the run directory.
    directory: where the episode is stored (the actor's own).
    episode: its flat fields without `policy_info`, each `[T, ...]`.
    num_episodes: the run's episodes; a surplus episode is neither stored nor
      counted.
    policy: `random` or `collect`.
    value: its return (`episode_runner.episode_return`).
    train_step: the train step of the weights that collected it.

  Returns:
    the episode's number in the run, or None if it is surplus.
  """
  episodes_dir = run_dir.RunDir(root_dir).episodes_dir
  with episodes.locked(episodes_dir):
    train_steps = max(int(train_step), _newest_train_steps(root_dir))
    stored = episodes.store(
        episodes_dir, directory, episode, num_episodes,
        **{episodes.POLICY_KEY: policy, episodes.TRAIN_STEP_KEY: train_steps})
    if stored is None:
      return None
    number, env_steps = stored
    run_dir.append_return(root_dir, number, env_steps, train_steps, policy,
                          value)
  return number


def record_greedy(root_dir, episode, env_steps, train_step, values):
  """Appends the rows of an evaluation after episode `episode`.

  Args:
    root_dir: the run directory.
    episode, env_steps: the run's counts after that episode.
    train_step: the train step of the evaluated weights.
    values: the return of each greedy episode.
  """
  with episodes.locked(run_dir.RunDir(root_dir).episodes_dir):
    train_steps = max(int(train_step), _newest_train_steps(root_dir))
    for value in values:
      run_dir.append_return(root_dir, episode, env_steps, train_steps,
                            'greedy', value)


def evaluated(root_dir):
  """The episodes after which an evaluation has rows (a set of ints)."""
  if not os.path.exists(run_dir.RunDir(root_dir).returns_path):
    return set()
  return {r.episodes for r in run_dir.read_returns(root_dir)
          if r.policy == 'greedy'}


def rebuild(root_dir, data_spec):
  """Appends the row of every stored episode that has none, read from its file
  as the actor's live row was.

  Args:
    root_dir: the run directory.
    data_spec: the agent's `collect_data_spec`.

  Returns:
    the number of rows rebuilt.
  """
  paths = run_dir.RunDir(root_dir)
  with episodes.locked(paths.episodes_dir):
    files = episodes.episode_files(paths.episodes_dir)
    numbers = [episodes.episode_number(p) for p in files]
    if numbers != list(range(1, len(files) + 1)):
      logging.warning('The episode files in %s are not numbered 1 to %d; '
                      'rebuilding no rows.', paths.episodes_dir, len(files))
      return 0
    lost = recovery.rowless(paths, [(n, episodes.episode_length(p))
                                    for n, p in zip(numbers, files)])
    for number, env_steps in lost:
      path = files[number - 1]
      episode = episodes.read_episode(path, data_spec)
      rewards = episode.reward[episode.step_type != ts.StepType.LAST]
      labels = episodes.read_labels(path)
      train_steps = max(int(labels.get(episodes.TRAIN_STEP_KEY, 0)),
                        _newest_train_steps(root_dir))
      run_dir.append_return(
          root_dir, number, env_steps, train_steps,
          str(labels.get(episodes.POLICY_KEY, 'collect')),
          episode_runner.episode_return(list(rewards)))
  if lost:
    logging.warning('Rebuilt the returns.csv rows of episode(s) %s from their '
                    'files.', [n for n, _ in lost])
  return len(lost)
