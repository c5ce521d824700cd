"""Distributed PlaNet killed with SIGKILL while an episode is being stored
(the actor that stores it, the learner and the replay server at one moment:
each kind once, in one launch) and resumed by the same command: every stored episode has exactly one row, no
counter goes back, the run ends at exactly `num_episodes` episodes."""

import collections
import glob
import os
import re
import signal
import time

import numpy as np
import pytest
from tf_agents.trajectories import trajectory

from planet_tf.data import episode_runner

import bin_commands

pytest.importorskip('reverb', reason='the reverb extra (dm-reverb)')

NUM_EPISODES = 6
EVAL_INTERVAL = 2
# The kills wait for an episode stored past the seed episodes, so the
# learner has pushed and the actors plan.
FIRST_KILL_AT = 3


def _launch(root_dir):
  return bin_commands.launch_distributed(
      root_dir, f'train_eval.num_episodes = {NUM_EPISODES}',
      f'train_eval.eval_interval = {EVAL_INTERVAL}')


def _episode_files(root_dir):
  return sorted(glob.glob(os.path.join(root_dir, 'train', 'episodes', '**',
                                       'episode-*.npz'), recursive=True))


def _pid(root_dir, module, actor_id=None):
  """The PID of the run's process `planet_tf.cli.<module>` (actor `actor_id`)."""
  for pid in bin_commands.running(root_dir):
    try:
      with open(f'/proc/{pid}/cmdline', 'rb') as f:
        argv = f.read().decode().split('\0')
    except OSError:
      continue
    if f'planet_tf.cli.{module}' in argv and (
        actor_id is None or f'--actor_id={actor_id}' in argv):
      return pid
  return None


def _kill_while_storing(root_dir, kinds, deadline):
  """Launches, SIGKILLs the processes `kinds` as a new episode file appears
  (`actor`: the actor that stored it), and waits for the launcher to end.

  Returns:
    the number of stored episodes when the kills were sent, or None if the
    run finished first.
  """
  launcher = _launch(root_dir)
  try:
    known = set(_episode_files(root_dir))
    while time.time() < deadline and launcher.poll() is None:
      new = set(_episode_files(root_dir)) - known
      known |= new
      if new and len(known) >= FIRST_KILL_AT:
        actor_dir = os.path.basename(os.path.dirname(sorted(new)[0]))
        pids = [_pid(root_dir, kind, actor_dir.split('-')[-1]
                     if kind == 'actor' else None) for kind in kinds]
        if None not in pids:
          for pid in pids:
            os.kill(pid, signal.SIGKILL)
          output = launcher.communicate(timeout=120)[0]
          assert launcher.returncode != 0, output
          return len(known)
      time.sleep(0.02)
    output = launcher.communicate(timeout=120)[0]
    assert launcher.returncode == 0, output
    return None
  finally:
    if launcher.poll() is None:
      os.killpg(launcher.pid, signal.SIGKILL)


def _stored_returns(paths):
  """Each stored episode's return, as its row holds it (`%.3f`)."""
  # A file holds the flat `Trajectory` fields, `policy_info` left out.
  fields = [f for f in trajectory.Trajectory._fields if f != 'policy_info']
  values = []
  for path in paths:
    with np.load(path) as data:
      step_type = data[f'f{fields.index("step_type")}']
      reward = data[f'f{fields.index("reward")}']
    value = episode_runner.episode_return(list(reward[step_type != 2]))
    values.append(f"{value:.3f}")
  return sorted(values)


@pytest.mark.slow
def test_every_process_killed_while_storing_resumes_with_one_row_per_episode(
    tmp_path):
  root_dir = str(tmp_path / 'run')
  deadline = time.time() + 900
  killed_at = _kill_while_storing(
      root_dir, ('actor', 'learner', 'replay_server'), deadline)
  assert killed_at, 'the run finished before the kills'
  stored = len(_episode_files(root_dir))
  launcher = _launch(root_dir)  # The same command resumes to the end.
  try:
    output = launcher.communicate(timeout=max(deadline - time.time(), 60))[0]
  finally:
    if launcher.poll() is None:
      os.killpg(launcher.pid, signal.SIGKILL)
  assert launcher.returncode == 0, output
  assert not bin_commands.running(root_dir)

  files = _episode_files(root_dir)
  with open(os.path.join(root_dir, 'eval', 'returns.csv')) as f:
    rows = [r.split(',') for r in f.read().splitlines()[1:]]
  collected = [r for r in rows if r[3] in ('random', 'collect')]
  numbers = [int(r[0]) for r in collected]
  repeated = [n for n, c in collections.Counter(numbers).items() if c > 1]
  summary = (f'killed at {killed_at} episodes; {len(files)} episode files, '
             f'rows of episodes {sorted(numbers)}')
  assert len(files) == NUM_EPISODES, summary
  assert not repeated and sorted(numbers) == list(
      range(1, NUM_EPISODES + 1)), summary
  # Rebuilt rows read as live ones: the same returns as the stored episodes.
  assert sorted(r[4] for r in collected) == _stored_returns(files)
  by_episode = sorted(collected, key=lambda r: int(r[0]))
  steps = [int(r[1]) for r in by_episode]
  assert steps == sorted(steps) and len(set(steps)) == len(steps), by_episode
  train_steps = [int(r[2]) for r in rows]
  assert train_steps == sorted(train_steps), rows  # In the order written.
  greedy = sorted({int(r[0]) for r in rows if r[3] == 'greedy'})
  # After every eval_interval-th episode past tiny.gin's 2 seed episodes.
  assert greedy == list(range(4, NUM_EPISODES + 1, EVAL_INTERVAL)), rows
  # The progress line shows the stored episodes from its first count on.
  counts = [int(n) for n in re.findall(rf'\b(\d+)/{NUM_EPISODES} episodes\b',
                                       output)]
  assert counts[0] >= stored and counts[-1] == NUM_EPISODES, output
