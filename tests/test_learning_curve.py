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
    assert tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) in colours


def test_a_file_that_is_not_a_returns_csv_is_named(tmp_path):
  path = tmp_path / 'returns.csv'
  path.write_text('a,b\n1,2\n')
  with pytest.raises(ValueError, match='not a planet_tf returns.csv'):
    learning_curve.read_returns(str(path))


@pytest.mark.slow
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


def _write_fake_run(root, task, greedy):
  """A run directory with a stored task and greedy returns at episodes 5, 10..."""
  os.makedirs(os.path.join(root, 'eval'))
  os.makedirs(os.path.join(root, 'train'))
  with open(os.path.join(root, 'train', 'config.gin'), 'w') as f:
    f.write(f"train_eval.task_name = '{task}'\n")
  lines = ['episodes,env_steps,train_steps,policy,return',
           '1,125,0,random,100.0']
  for i, value in enumerate(greedy):
    episode = 5 * (i + 1)
    lines.append(f'{episode},{125 * episode},{100 * episode},collect,'
                 f'{value - 50}')
    lines.append(f'{episode},{125 * episode},{100 * episode},greedy,{value}')
  with open(os.path.join(root, 'eval', 'returns.csv'), 'w') as f:
    f.write('\n'.join(lines) + '\n')


def test_markdown_table_sets_the_last_greedy_returns_against_the_paper(tmp_path):
  _write_fake_run(tmp_path / 'a', 'cheetah_run', [100, 200, 300, 400, 500, 600])
  _write_fake_run(tmp_path / 'b', 'cartpole_balance', [900])
  runs = [learning_curve.load_run(str(tmp_path / name)) for name in 'ab']
  assert runs[0].task == 'cheetah_run'
  table = learning_curve.markdown_table(runs).splitlines()
  assert len(table) == 4
  # Mean of the newest 5 greedy returns (200..600), against 662 in Table 1.
  assert table[2] == ('| a | cheetah_run | 30 | 600.0 | 400.0 | 662 | 60% |')
  # A task without a Table 1 score has no paper column.
  assert table[3] == '| b | cartpole_balance | 5 | 900.0 | 900.0 | - | - |'


def test_plot_runs_draws_each_run_and_the_paper_line(tmp_path):
  _write_fake_run(tmp_path / 'a', 'cheetah_run', [100, 200, 300])
  _write_fake_run(tmp_path / 'b', 'walker_walk', [50, 60, 70])
  runs = [learning_curve.load_run(str(tmp_path / name)) for name in 'ab']
  out = str(tmp_path / 'fig' / 'runs.png')
  learning_curve.plot_runs(runs, out, 'two runs')
  image = np.asarray(Image.open(out).convert('RGB'))
  assert image.shape[0] > 300 and image.shape[1] > 500
  # matplotlib's first two cycle colours: one per run.
  colours = {tuple(p) for p in image.reshape(-1, 3)}
  assert (31, 119, 180) in colours and (255, 127, 14) in colours


@pytest.mark.slow
def test_bin_plot_returns_several_runs(tmp_path):
  _write_fake_run(tmp_path / 'a', 'cheetah_run', [100, 200, 300])
  _write_fake_run(tmp_path / 'b', 'finger_spin', [400])
  out = tmp_path / 'all.png'
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       str(tmp_path / 'a'), str(tmp_path / 'b'), f'--output={out}'],
      capture_output=True, text=True, timeout=120, check=False)
  assert result.returncode == 0, result.stderr
  assert '| a | cheetah_run | 15 | 300.0 | 200.0 | 662 | 30% |' in result.stdout
  assert '| b | finger_spin | 5 | 400.0 | 400.0 | 700 | 57% |' in result.stdout
  assert os.path.isfile(out)
