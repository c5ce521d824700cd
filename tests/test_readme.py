"""The README's quick start is what CI runs, and it names what exists."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _read(path):
  with open(os.path.join(ROOT, path)) as f:
    return f.read()


def _quick_start_commands():
  section = _read('README.md').split('## Quick start', 1)[1].split('\n## ', 1)[0]
  return re.findall(r'```sh\n(.*?)\n```', section, re.S)


def test_quick_start_is_two_commands_install_and_train_then_install_and_test():
  train, test = _quick_start_commands()
  assert 'pip install' in train and 'bin/train' in train
  assert 'pip install' in test and test.rstrip().endswith('pytest')


def test_ci_runs_the_readmes_test_command_verbatim():
  _, test = _quick_start_commands()
  ci_lines = [l for l in _read('.ci/run').splitlines()
              if l and not l.startswith('#')]
  assert test.strip() in ci_lines


def test_the_gin_file_of_the_quick_start_exists():
  train, _ = _quick_start_commands()
  gin_file = re.search(r'--gin_file=(\S+)', train).group(1)
  assert os.path.isfile(os.path.join(ROOT, 'gin_configs', gin_file))


def test_task_table_lists_every_task_file():
  readme = _read('README.md')
  for name in ['cartpole', 'cartpole_balance', 'reacher', 'cheetah', 'finger',
               'cup', 'walker']:
    assert f'`{name}.gin`' in readme
