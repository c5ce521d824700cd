"""Trains PlaNet with a Reverb replay server, N actors and a learner on one machine.

  bin/train_distributed --gin_file=cheetah.gin --num_actors=4
  bin/train_distributed --root_dir=runs/tiny --gin_file=tiny.gin --num_actors=2

Starts `bin/replay_server`, `bin/learner` and N `bin/actor`s as separate
processes on a free local port, or the one --port chooses (the clients connect
through localhost; Reverb itself listens on every interface, so keep the
machine behind a firewall),
shows one progress line, and stops them all on Ctrl-C or when one of them
fails (printing the end of its log, `<root_dir>/logs/<process>.log`). The same
command resumes, after a stop or a kill of any process: the learner from its
checkpoint (taken when stopped, else by `LearnerCheckpoint`), the server
refilled from the stored episodes, the rows a kill lost rebuilt from them. For several machines, run the three commands yourself.
"""

import glob
import os
import re
import signal
import socket
import subprocess
import sys
import time

from absl import flags

import planet_tf
from planet_tf import cli
from planet_tf import console
from planet_tf.distributed import ports
from planet_tf.distributed import status as status_lib

FLAGS = flags.FLAGS
_POLL_SECONDS = 1.0
# A process's refusal of bad input: its last line (`cli.fail`).
_ERROR_LINE = re.compile(r'^\S+: error: (.*)$')


def define_flags():
  flags.DEFINE_string('root_dir', None, 'Directory of the run (resumed if '
                      'present); runs/<name of the last --gin_file> if unset.')
  cli.define_gin_flags()
  flags.DEFINE_integer('num_actors', 1, 'Actor processes.', lower_bound=1)
  flags.DEFINE_integer('port', None, 'Port of the replay server (Reverb '
                       'listens on every interface); a free one if unset.')


def default_root_dir(gin_files):
  """`runs/<name>` for the last gin file `<name>.gin`, as `bin/train`.

  Not imported from `planet_tf.cli.train`: the launcher loads no TensorFlow.
  """
  if not gin_files:
    cli.fail('pass --gin_file (e.g. --gin_file=cheetah.gin) and, optionally, '
             '--root_dir.')
  name = os.path.basename(gin_files[-1])
  return os.path.join('runs', name[:-4] if name.endswith('.gin') else name)


def commands(root_dir, gin_files, gin_params, num_actors, port):
  """`{name: argv}` of every process, the server first."""
  common = [f'--root_dir={root_dir}']
  common += [f'--gin_file={f}' for f in gin_files]
  common += [f'--gin_param={p}' for p in gin_params]
  address = f'localhost:{port}'

  def module(name):
    return [sys.executable, '-m', f'planet_tf.cli.{name}'] + common

  procs = {'replay_server': module('replay_server') + [f'--port={port}'],
           'learner': module('learner') + [f'--replay_address={address}']}
  for k in range(num_actors):
    procs[f'actor-{k}'] = module('actor') + [
        f'--replay_address={address}', f'--actor_id={k}',
        f'--num_actors={num_actors}']
  return procs


def _wait_for_port(port, process, timeout=300.0):
  deadline = time.time() + timeout
  while time.time() < deadline and process.poll() is None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
      if s.connect_ex(('127.0.0.1', port)) == 0:
        return True
    time.sleep(0.2)
  return False


def _tail(path, lines=20):
  try:
    with open(path, errors='replace') as f:
      return ''.join(f.readlines()[-lines:])
  except OSError:
    return ''


def progress(status):
  """The launcher's one line, from the learner's status."""
  if not status:
    return 'starting: replay server, learner and actors'
  loss = status.get('loss')
  return (f'{status["episodes"]}/{status["num_episodes"]} episodes | '
          f'{status["env_steps"]} env steps | {status["train_steps"]} updates'
          f' | loss {"-" if loss is None else f"{loss:.2f}"}')


def refusal(log_text):
  """The one-line error (`cli.fail`) a process ended with, or None."""
  lines = log_text.strip().splitlines()
  match = _ERROR_LINE.search(lines[-1]) if lines else None
  return match and match.group(1)


class Processes:
  """The run's child processes, each in its own session with its own log."""

  def __init__(self, root_dir):
    self.log_dir = os.path.join(root_dir, 'logs')
    self._new_dirs = [d for d in (root_dir, self.log_dir)
                      if not os.path.isdir(d)]
    os.makedirs(self.log_dir, exist_ok=True)
    # Each existing log's size and times, for `undo`.
    self._found = {
        p: (os.path.getsize(p), os.stat(p).st_atime_ns, os.stat(p).st_mtime_ns)
        for p in glob.glob(os.path.join(self.log_dir, '*.log'))}
    self.procs = {}
    self._logs = []

  def start(self, name, argv):
    env = dict(os.environ)
    # The children import this very planet_tf (a checkout or an install).
    package_root = os.path.dirname(os.path.dirname(planet_tf.__file__))
    env['PYTHONPATH'] = os.pathsep.join(
        [package_root] + [p for p in [env.get('PYTHONPATH')] if p])
    log = open(os.path.join(self.log_dir, f'{name}.log'), 'ab')
    self._logs.append(log)
    # A session of its own: Ctrl-C reaches the launcher only, which stops
    # the children in order.
    self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=log, env=env,
                                        start_new_session=True)
    return self.procs[name]

  def failed(self):
    """`(name, exit code)` of a process that ended badly, or None."""
    for name, proc in self.procs.items():
      code = proc.poll()
      if code is not None and (code != 0 or name == 'replay_server'):
        return name, code
    return None

  def stop(self, timeout=20.0):
    """Stops every process still running: SIGTERM, then SIGKILL after
    `timeout` seconds; the replay server last, so that the learner's calls to
    it return and it checkpoints."""
    clients = [p for name, p in self.procs.items() if name != 'replay_server']
    self._stop(clients, timeout)
    self._stop([p for p in self.procs.values() if p not in clients], timeout)
    for log in self._logs:
      log.close()

  @staticmethod
  def _stop(procs, timeout):
    for proc in procs:
      if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    deadline = time.time() + timeout
    for proc in procs:
      try:
        proc.wait(max(deadline - time.time(), 0.1))
      except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

  def log_path(self, name):
    return os.path.join(self.log_dir, f'{name}.log')

  def undo(self):
    """Leaves the logs as they were found (after `stop`): for a launch its
    processes refused, which changes nothing in the run directory."""
    for path in glob.glob(os.path.join(self.log_dir, '*.log')):
      if path not in self._found:
        os.remove(path)
        continue
      size, atime, mtime = self._found[path]
      os.truncate(path, size)
      os.utime(path, ns=(atime, mtime))
    for directory in self._new_dirs[::-1]:
      try:
        os.rmdir(directory)
      except OSError:
        pass  # Not empty: it holds someone's files.


def launch(root_dir, gin_files, gin_params, num_actors, port=None,
           out=sys.stdout):
  """Runs the processes until the learner finishes; returns the exit code.

  `port` is the replay server's (`ports.check_free` already passed), a free
  one if None.
  """
  cli.interrupt_on_sigterm()  # Stopped: stop the children too.
  started = time.time()  # An older status is a previous launch's.
  port = port or ports.free_port()
  argvs = commands(root_dir, gin_files, gin_params, num_actors, port)
  processes = Processes(root_dir)
  tty = out.isatty()
  last = None
  try:
    server = processes.start('replay_server', argvs.pop('replay_server'))
    served = _wait_for_port(port, server)
    if not served:
      name, code = 'replay_server', server.poll()
    else:
      for name, argv in argvs.items():
        processes.start(name, argv)
      while True:
        failure = processes.failed()
        if failure:
          name, code = failure
          break
        if processes.procs['learner'].poll() == 0:
          print(('\r' if tty else '') + progress(status_lib.read(root_dir, started)) +
                f' | done; run directory {os.path.abspath(root_dir)}',
                file=out, flush=True)
          return 0
        line = progress(status_lib.read(root_dir, started))
        if line != last:
          print(('\r' + line) if tty else line, end='' if tty else '\n',
                file=out, flush=True)
          last = line
        time.sleep(_POLL_SECONDS)
    refused = refusal(_tail(processes.log_path(name)))
    if not served and refused:
      # The server checks the run first (gin, settings, stored
      # configuration), before any other process starts: its one line is
      # the launch's.
      processes.stop()
      processes.undo()
      print(f'{cli.program_name()}: error: {refused}', file=sys.stderr,
            flush=True)
      return 1
    print(f'\n{name} stopped (exit code {code}); stopping the others. The end '
          f'of {processes.log_path(name)}:\n{_tail(processes.log_path(name))}',
          file=out, flush=True)
    return 1
  except KeyboardInterrupt:
    print('\nStopping; run the same command to resume.', file=out, flush=True)
    return 130
  finally:
    processes.stop()


def main(argv):
  cli.require_reverb()
  console.quiet_logging()
  if len(argv) > 1:
    cli.fail(f'unexpected arguments {argv[1:]}')
  root_dir = FLAGS.root_dir or default_root_dir(FLAGS.gin_file)
  with cli.exit_on(OSError):  # A port in use, a root_dir that is a file, ...
    if FLAGS.port is not None:  # Before the logs are opened in root_dir.
      ports.check_free(FLAGS.port)
    code = launch(root_dir, FLAGS.gin_file, FLAGS.gin_param, FLAGS.num_actors,
                  FLAGS.port)
  sys.exit(code)


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
