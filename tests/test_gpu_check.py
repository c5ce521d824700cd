"""benchmarks/gpu_check.sh in its CPU smoke mode: all three steps run and write."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_gpu_check_smoke_mode_writes_timings_run_and_curve(tmp_path):
  out = tmp_path / 'check'
  env = dict(os.environ, OUT=str(out), PYTHON=sys.executable,
             MUJOCO_GL=os.environ.get('MUJOCO_GL', 'egl'))
  result = subprocess.run(
      ['bash', os.path.join(ROOT, 'benchmarks', 'gpu_check.sh'), '--smoke'],
      env=env, capture_output=True, text=True, timeout=900, check=False)
  assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
  train = json.loads((out / 'train_step.json').read_text())
  assert 'seconds_per_update' in train['results'][0], train
  plan = json.loads((out / 'plan_step.json').read_text())
  assert plan['results'] and 'error' not in plan['results'][0], plan
  assert (out / 'run' / 'eval' / 'returns.csv').is_file()
  assert (out / 'curve.png').stat().st_size > 0
