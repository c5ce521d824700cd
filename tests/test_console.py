"""The commands print progress, the run directory, results and real warnings;
library noise stays off the console unless --verbosity asks for it."""

import logging
import os
import re
import shutil
import subprocess
import sys

import pytest

from planet_tf import console

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, 'bin')
# The console a user gets: no log level of ours (conftest sets one for pytest).
ENV = {k: v for k, v in os.environ.items()
       if k not in ('TF_CPP_MIN_LOG_LEVEL', 'PYTHONWARNINGS')}
PROGRESS = re.compile(r'^\[[#.]+\] \d+/\d+ episodes \| ')
# Known noise, each silenced by default: TensorFlow's C++ logs and CUDA-factory
# lines, gym's notice, SavedModel signature renames, Keras' "not built" warning,
# the UserWarning of every export, other libraries' INFO logs.
NOISE = ('cuda', 'Gym has been unmaintained', 'signature_serialization',
         'unknown_0', 'because it is not built', 'UserWarning',
         'MuJoCo library version', 'unsaved custom gradients')


def _command(name, *args):
  return subprocess.run([sys.executable, os.path.join(BIN, name)] + list(args),
                        env=ENV, capture_output=True, text=True, timeout=600,
                        check=False, cwd=ROOT)


def _assert_no_noise(output):
  for noise in NOISE:
    assert noise not in output, output


@pytest.fixture(scope='module')
def tiny_run(finished_run):
  """The session's `tiny.gin` run (conftest.finished_run), trained by
  `bin/train` on a user's console: (root_dir, result)."""
  return finished_run('tiny')


@pytest.mark.slow
def test_train_prints_at_most_three_lines_beyond_progress_and_summary(tiny_run):
  root, result = tiny_run
  progress = [l for l in result.stdout.splitlines() if PROGRESS.match(l)]
  assert [l.split('] ')[1].split(' | ')[0] for l in progress] == [
      f'{i}/4 episodes' for i in range(1, 5)]
  summary = result.stdout.splitlines()[-1]
  assert summary.startswith('4 episodes, 40 env steps, ')
  assert summary.endswith(f'run directory {root}')
  others = [l for l in (result.stdout + result.stderr).splitlines()
            if l.strip() and not PROGRESS.match(l) and l != summary]
  assert len(others) <= 3, '\n'.join(others)
  assert any(f'Run directory: {root}' in l for l in others), others
  assert any('Evaluation after 4 episodes: return' in l for l in others), others
  _assert_no_noise(result.stdout + result.stderr)


@pytest.mark.slow
def test_export_prints_the_policy_directory_only(tiny_run, tmp_path):
  root, _ = tiny_run
  output = str(tmp_path / 'policy')
  result = _command('export', f'--root_dir={root}', f'--output={output}')
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.splitlines() == [output]
  _assert_no_noise(result.stderr)


@pytest.mark.slow
def test_evaluate_prints_returns_and_verbosity_brings_the_logs_back(tiny_run):
  root, _ = tiny_run
  quiet = _command('evaluate', f'--policy={root}', '--num_episodes=1')
  assert quiet.returncode == 0, quiet.stderr[-3000:]
  assert quiet.stdout.splitlines()[0].startswith('episode 0: return ')
  assert ': mean return ' in quiet.stdout.splitlines()[1]
  _assert_no_noise(quiet.stderr)
  verbose = _command('evaluate', f'--policy={root}', '--num_episodes=1',
                     '--verbosity=0')
  assert verbose.returncode == 0, verbose.stderr[-3000:]
  assert 'MuJoCo library version' in verbose.stderr


@pytest.mark.slow
def test_a_real_warning_reaches_the_console(tiny_run, tmp_path):
  root, _ = tiny_run
  copy = str(tmp_path / 'run')
  shutil.copytree(root, copy)
  episodes = sorted(os.listdir(os.path.join(copy, 'train', 'episodes')))
  os.remove(os.path.join(copy, 'train', 'episodes', episodes[-1]))
  result = _command('train', f'--root_dir={copy}', '--gin_file=tiny.gin')
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'The checkpoint counts 4 episodes but only 3 are stored' in (
      result.stderr)
  _assert_no_noise(result.stderr)


def _record(pathname, level, message):
  return logging.LogRecord('x', level, pathname, 1, message, None, None)


def test_the_filter_passes_planet_tf_logs_and_real_warnings_only():
  quiet = console.QuietFilter()
  ours = os.path.join(os.path.dirname(console.__file__), 'train_eval.py')
  theirs = os.path.join(os.path.dirname(logging.__file__), 'save_impl.py')
  assert quiet.filter(_record(ours, logging.INFO, 'Run directory: /tmp/x'))
  assert not quiet.filter(_record(theirs, logging.INFO, 'Assets written'))
  assert quiet.filter(_record(theirs, logging.WARNING, 'Out of disk space'))
  assert quiet.filter(_record(ours, logging.ERROR, 'A real error'))
  assert not quiet.filter(_record(
      theirs, logging.WARNING, 'Skipping full serialization of Keras layer '
      '<WorldModel object at 0x1>, because it is not built.'))


def _defaults_in_a_new_process(env):
  code = ('import os; from planet_tf import console; console.set_defaults(); '
          'print(os.environ["TF_CPP_MIN_LOG_LEVEL"])')
  return subprocess.run([sys.executable, '-c', code], env=env, cwd=ROOT,
                        capture_output=True, text=True, timeout=120, check=True)


def test_defaults_hide_tensorflows_cpp_logs_and_gyms_notice_unless_set():
  quiet = _defaults_in_a_new_process(ENV)
  assert quiet.stdout.strip() == '3'  # 2 still shows the CUDA-factory lines.
  assert 'Gym' not in quiet.stderr
  assert _defaults_in_a_new_process(
      dict(ENV, TF_CPP_MIN_LOG_LEVEL='0')).stdout.strip() == '0'
