"""`--max_minutes`: a run stops cleanly on its wall-clock budget and resumes."""

import csv
import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, MUJOCO_GL=os.environ.get('MUJOCO_GL', 'egl'),
           TF_CPP_MIN_LOG_LEVEL='2')


def _train(root_dir, *flags):
  return subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'train'),
       f'--root_dir={root_dir}', '--gin_file=tiny.gin', *flags],
      env=ENV, capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.slow
def test_a_spent_budget_stops_cleanly_and_the_same_command_resumes(tmp_path):
  root = str(tmp_path / 'run')
  # A budget spent during the seed episodes: the loop stops before its first
  # update, with a checkpoint and an export of what it has.
  first = _train(root, '--max_minutes=0.001')
  assert first.returncode == 0, first.stderr[-3000:]
  assert 'train_eval.max_minutes' in first.stderr
  assert '2/4 episodes' in first.stdout and '3/4 episodes' not in first.stdout
  assert glob.glob(os.path.join(root, 'train', 'ckpt-*.index'))
  assert os.listdir(os.path.join(root, 'policies'))
  # The budget may change on resume; without one the run goes to the end.
  second = _train(root)
  assert second.returncode == 0, second.stderr[-3000:]
  assert 'Resuming' in second.stderr and '4/4 episodes' in second.stdout
  with open(os.path.join(root, 'eval', 'returns.csv')) as f:
    episodes = [int(r['episodes']) for r in csv.DictReader(f)
                if r['policy'] != 'greedy']
  assert episodes == [1, 2, 3, 4]


@pytest.mark.slow
def test_a_budget_must_be_positive(tmp_path):
  result = _train(str(tmp_path / 'run'), '--max_minutes=0')
  assert result.returncode != 0
  assert 'max_minutes must be > 0' in result.stderr
