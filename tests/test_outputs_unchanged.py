"""The tiny runs of PlaNet, several tasks, several heads and GLAMOR write what
they wrote when `tests/golden/` was made (`tests/golden_runs.py`): the same
`returns.csv` bytes, checkpoint variables, files and console output.

The numbers are the pinned stack's (Python 3.11, TensorFlow 2.15.1), with one
TensorFlow thread; another stack computes other sums, so there it is skipped.
"""

import sys

import pytest
import tensorflow as tf

import golden_runs

PINNED = sys.version_info[:2] == (3, 11) and tf.__version__ == '2.15.1'


@pytest.mark.slow
@pytest.mark.skipif(not PINNED, reason='the golden outputs are the pinned '
                    'stack\'s (Python 3.11, TensorFlow 2.15.1)')
@pytest.mark.parametrize('config', golden_runs.CONFIGS)
def test_a_tiny_run_writes_its_golden_outputs(config, finished_run):
  root, result = finished_run(config)
  found = golden_runs.outputs(root, result.stdout)
  expected = golden_runs.golden(config)
  for key in expected:
    assert found[key] == expected[key], key
