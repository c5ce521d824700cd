"""Episodes and updates per hour: `bin/train` against the launcher, as JSON.

  python benchmarks/distributed_throughput.py --minutes=4 \\
      [--gin_file=cartpole_balance_cpu.gin] [--actors=1,2] [--output=FILE]

Each configuration trains a fresh run (in a temporary directory) from the same
gin file, so the launcher keeps `bin/train`'s ratio of updates to collected
episodes (`ReplayTable.samples_per_insert` derives it). Timing starts once the
run holds its random seed episodes and its first C updates are done (model
building, tracing and seed collection are left out) and lasts `--minutes`;
then the run is stopped with Ctrl-C (SIGINT). Counted in that window: planner
episodes stored (`eval/returns.csv` `collect` rows) and updates (its
`train_steps` column for `bin/train`, `train/learner_status.json` for the
learner); the CPU-seconds each process used in the window (from /proc), which says
where the time goes; and each process's resident memory at the end (the
replay server's, against the episodes stored, bounds Reverb's memory per
window). Run it
alone: anything else on the machine changes every number.
"""

import csv
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

from planet_tf.distributed import status

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
flags.DEFINE_float('minutes', 4.0, 'Timed minutes per configuration.')
flags.DEFINE_string('gin_file', 'cartpole_balance_cpu.gin', 'Config of every run.')
flags.DEFINE_list('actors', ['1', '2'], 'Actor counts of the launcher runs.')
flags.DEFINE_multi_string('gin_param', [], 'Extra bindings for every run.')
flags.DEFINE_string('output', None, 'Write the JSON there too.')
FLAGS = flags.FLAGS
_CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def _counts(root_dir):
  """`(planner episodes, updates)` the run has written so far."""
  episodes, updates = 0, 0
  try:
    with open(os.path.join(root_dir, 'eval', 'returns.csv')) as f:
      for row in csv.DictReader(f):
        if row['policy'] == 'collect':
          episodes += 1
          updates = max(updates, int(row['train_steps']))
  except (OSError, KeyError, ValueError):
    pass
  learner = status.read(root_dir)
  if learner:
    updates = max(updates, int(learner['train_steps']))
  return episodes, updates


def _stored_episodes(root_dir):
  """Episode files the run holds (seed episodes included)."""
  count = 0
  for _, _, names in os.walk(os.path.join(root_dir, 'train', 'episodes')):
    count += sum(n.startswith('episode-') and n.endswith('.npz') for n in names)
  return count


def _descendants(pid):
  """`pid` and every process below it."""
  found, frontier = [pid], [pid]
  while frontier:
    parent = frontier.pop()
    try:
      with open(f'/proc/{parent}/task/{parent}/children') as f:
        children = [int(c) for c in f.read().split()]
    except OSError:
      children = []
    found += children
    frontier += children
  return found


def _role(args, pid):
  """`train`, `train_distributed`, `replay_server`, `learner`, `actor-<k>`."""
  for arg in args:
    if arg.startswith('planet_tf.cli.'):
      role = arg[len('planet_tf.cli.'):]
      ids = [a.split('=', 1)[1] for a in args if a.startswith('--actor_id=')]
      return f'{role}-{ids[0]}' if ids else role
  for arg in args:
    if os.path.basename(arg) in ('train', 'train_distributed'):
      return os.path.basename(arg)
  return str(pid)


def _process_stats(pids):
  """`{role: (CPU-seconds, resident MiB)}` of each live process in `pids`."""
  stats = {}
  for pid in pids:
    try:
      with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
      with open(f'/proc/{pid}/status') as f:
        rss = next(int(line.split()[1]) for line in f
                   if line.startswith('VmRSS:'))
      with open(f'/proc/{pid}/cmdline') as f:
        args = f.read().split('\0')
    except (OSError, StopIteration):
      continue
    seconds = (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    stats[_role(args, pid)] = (seconds, round(rss / 1024, 1))
  return stats


def _measure(command, root_dir, minutes):
  """Runs `command` for the timed window; returns the measurement dict."""
  env = dict(os.environ, MUJOCO_GL=os.environ.get('MUJOCO_GL', 'egl'))
  log = open(os.path.join(os.path.dirname(root_dir),
                          os.path.basename(root_dir) + '.log'), 'w')
  process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log,
                             stderr=subprocess.STDOUT)
  try:
    while _counts(root_dir)[1] == 0:  # Seed episodes, first C updates.
      if process.poll() is not None:
        raise RuntimeError(f'{command} exited with {process.returncode}; see '
                           f'{log.name}')
      time.sleep(1.0)
    start, (episodes0, updates0) = time.monotonic(), _counts(root_dir)
    before = _process_stats(_descendants(process.pid))
    time.sleep(60 * minutes)
    seconds, (episodes1, updates1) = (time.monotonic() - start,
                                      _counts(root_dir))
    after = _process_stats(_descendants(process.pid))
    stored = _stored_episodes(root_dir)
    cpu = {role: round(seconds_ - before.get(role, (0.0,))[0], 1)
           for role, (seconds_, _) in after.items()}
    rss = {role: mib for role, (_, mib) in after.items()}
  finally:
    process.send_signal(signal.SIGINT)
    try:
      process.wait(timeout=300)
    except subprocess.TimeoutExpired:
      process.kill()
    log.close()
  hours = seconds / 3600
  return {
      'timed_s': round(seconds, 1),
      'episodes': episodes1 - episodes0,
      'updates': updates1 - updates0,
      'episodes_per_hour': round((episodes1 - episodes0) / hours, 1),
      'updates_per_hour': round((updates1 - updates0) / hours, 1),
      'cpu_seconds_in_window_by_process': cpu,
      'rss_mib_at_end_by_process': rss,
      'stored_episodes_at_end': stored,
  }


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  params = ['--gin_param=train_eval.num_episodes=100000'] + [
      f'--gin_param={p}' for p in FLAGS.gin_param]
  configurations = [('bin/train', ['bin/train'])] + [
      (f'bin/train_distributed --num_actors={n}',
       ['bin/train_distributed', f'--num_actors={n}']) for n in FLAGS.actors]
  results = []
  with tempfile.TemporaryDirectory() as scratch:
    for i, (name, command) in enumerate(configurations):
      root_dir = os.path.join(scratch, f'run{i}')
      full = [sys.executable] + command + [
          f'--root_dir={root_dir}', f'--gin_file={FLAGS.gin_file}'] + params
      print(f'timing {name} for {FLAGS.minutes} min', file=sys.stderr)
      results.append(dict(configuration=name,
                          **_measure(full, root_dir, FLAGS.minutes)))
  report = {
      'what': 'planner episodes and updates per hour, bin/train against '
              'bin/train_distributed, same gin file and ratio',
      'date': time.strftime('%Y-%m-%d'),
      'machine': f'{platform.machine()}, {os.cpu_count()} cores',
      'gin_file': FLAGS.gin_file,
      'gin_params': params,
      'minutes_per_configuration': FLAGS.minutes,
      'results': results,
  }
  text = json.dumps(report, indent=2)
  print(text)
  if FLAGS.output:
    with open(FLAGS.output, 'w') as f:
      f.write(text + '\n')


if __name__ == '__main__':
  app.run(main)
