"""The learning-curve reader and plot (bin/plot_returns)."""

import os
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from planet_tf import learning_curve

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CSV = """episodes,env_steps,train_steps,policy,return
1,125,0,random,250.0
2,250,0,random,270.0
3,375,100,collect,300.0
4,500,200,collect,500.0
4,500,200,greedy,600.0
"""


def _write_run(root):
  os.makedirs(os.path.join(root, 'eval'))
  with open(os.path.join(root, 'eval', 'returns.csv'), 'w') as f:
    f.write(CSV)


def test_summary_per_policy(tmp_path):
  _write_run(tmp_path)
  rows = learning_curve.read_returns(str(tmp_path / 'eval' / 'returns.csv'))
  summary = learning_curve.summarize(rows)
  assert summary['random'] == {'count': 2, 'mean': 260.0, 'max': 270.0,
                               'last_episode': 2}
  assert summary['collect']['mean'] == 400.0
  assert summary['greedy']['max'] == 600.0


def test_plot_draws_every_policy_in_its_colour(tmp_path):
  _write_run(tmp_path)
  rows = learning_curve.read_returns(str(tmp_path / 'eval' / 'returns.csv'))
  out = str(tmp_path / 'plot' / 'curve.png')
  learning_curve.plot(rows, out, 'test')
  pixels = np.asarray(Image.open(out).convert('RGB')).reshape(-1, 3)
  colours = {tuple(p) for p in pixels}
  for _, colour in learning_curve.POLICIES.values():
    assert colour in colours


def test_a_file_that_is_not_a_returns_csv_is_named(tmp_path):
  path = tmp_path / 'returns.csv'
  path.write_text('a,b\n1,2\n')
  with pytest.raises(ValueError, match='not a planet_tf returns.csv'):
    learning_curve.read_returns(str(path))


def test_bin_plot_returns(tmp_path):
  _write_run(tmp_path)
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       f'--root_dir={tmp_path}'], capture_output=True, text=True, timeout=120,
      check=False)
  assert result.returncode == 0, result.stderr
  assert 'greedy' in result.stdout and os.path.isfile(tmp_path / 'returns.png')
  missing = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       f'--root_dir={tmp_path / "nope"}'], capture_output=True, text=True,
      timeout=120, check=False)
  assert missing.returncode != 0 and 'returns.csv' in missing.stderr
