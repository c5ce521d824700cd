"""The bin/ commands in a subprocess, and the files a run directory holds:
helpers of the end-to-end tests (PlaNet, several tasks, GLAMOR, the
distributed launcher)."""

import csv
import glob
import os
import shutil
import signal
import subprocess
import sys
import time

import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, 'bin')
TRAIN = os.path.join(BIN, 'train')
ENV = dict(os.environ, MUJOCO_GL=os.environ.get('MUJOCO_GL', 'egl'),
           TF_CPP_MIN_LOG_LEVEL='2')


def command(name, *args, timeout=300, cwd=None, env=None):
  """Runs `bin/<name> args` to its end; `env` adds to the environment.

  Returns:
    its `subprocess.CompletedProcess`, output captured as text.
  """
  return subprocess.run([sys.executable, os.path.join(BIN, name), *args],
                        env=dict(ENV, **(env or {})), cwd=cwd,
                        capture_output=True, text=True, timeout=timeout,
                        check=False)


def train_args(root_dir, gin_file, *params):
  """The arguments of `bin/train` on `gin_file` with `--gin_param`s."""
  return [f'--root_dir={root_dir}', f'--gin_file={gin_file}'] + [
      f'--gin_param={p}' for p in params]


def train(root_dir, gin_file, *params, timeout=300):
  """Runs `bin/train` to its end; see `command`."""
  return command('train', *train_args(root_dir, gin_file, *params),
                 timeout=timeout)


def kill_at_episodes(root_dir, gin_file, count, *params, timeout=240):
  """Starts `bin/train` and kills it (-9) once `count` episodes are stored.

  The kill lands just before or just after the checkpoint that counts the
  `count`-th episode: the resume must cope with either.
  """
  process = subprocess.Popen(
      [sys.executable, TRAIN, *train_args(root_dir, gin_file, *params)],
      env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
  deadline = time.time() + timeout
  while len(episodes(root_dir)) < count and time.time() < deadline:
    assert process.poll() is None, f'the run ended before episode {count}'
    time.sleep(0.05)
  process.send_signal(signal.SIGKILL)
  process.wait()


def distributed_env():
  """The environment of a distributed test run: this checkout and
  `examples/` first on the Python path."""
  env = dict(os.environ)
  env['PYTHONPATH'] = os.pathsep.join(
      [ROOT, os.path.join(ROOT, 'examples')] +
      [p for p in [env.get('PYTHONPATH')] if p])
  return env


def launch_distributed(root_dir, *params):
  """Starts `bin/train_distributed` on tiny.gin with two actors and
  `--gin_param`s, in a session of its own, its output (text) in `stdout`.

  Returns:
    its `subprocess.Popen`.
  """
  return subprocess.Popen(
      [sys.executable, os.path.join(BIN, 'train_distributed'),
       f'--root_dir={root_dir}', '--gin_file=tiny.gin', '--num_actors=2'] +
      [f'--gin_param={p}' for p in params],
      env=distributed_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
      text=True, start_new_session=True)


def running(root_dir):
  """PIDs of processes whose command line names `root_dir` (from /proc)."""
  pids = []
  for path in glob.glob('/proc/[0-9]*/cmdline'):
    try:
      with open(path, 'rb') as f:
        if root_dir.encode() in f.read():
          pids.append(int(path.split('/')[2]))
    except OSError:
      pass
  return pids


def resume_killed(source, root_dir, gin_file, count, *params):
  """Copies the finished run `source` to `root_dir`, resumes it with `params`,
  kills it (-9) once `count` episodes are stored (`kill_at_episodes`) and
  resumes it to its end.

  Returns:
    `(episodes stored at the kill, the last resume's CompletedProcess)`.
  """
  shutil.copytree(source, root_dir, dirs_exist_ok=True)
  kill_at_episodes(root_dir, gin_file, count, *params)
  killed = episodes(root_dir)
  return killed, train(root_dir, gin_file, *params)


def episodes(root_dir):
  """The stored episode files of a run, oldest first."""
  return sorted(glob.glob(os.path.join(root_dir, 'train', 'episodes',
                                       'episode-*')))


def rows(root_dir):
  """The rows of a run's `eval/returns.csv`: dicts of strings, in file order."""
  with open(os.path.join(root_dir, 'eval', 'returns.csv')) as f:
    return list(csv.DictReader(f))


def checkpoint_variables(root_dir):
  """The variable names of a run's newest checkpoint."""
  return [name for name, _ in tf.train.list_variables(
      tf.train.latest_checkpoint(os.path.join(root_dir, 'train')))]


def tags(directory):
  """Every summary tag in the TensorBoard event files of `directory`."""
  found = set()
  for path in glob.glob(os.path.join(directory, 'events.out.tfevents.*')):
    for event in tf.compat.v1.train.summary_iterator(path):
      found.update(value.tag for value in event.summary.value)
  return found
