"""The outputs of the tiny runs that must not change when code is reorganised.

`outputs(root_dir, stdout)` reduces a finished run to what a refactoring must
keep byte for byte: its `returns.csv`, the names and shapes of its checkpoint
variables, its files (event files and timings aside), and its console output
with the speeds and the run directory masked. `tests/golden/<config>.json`
holds them for each of `CONFIGS`, made on the pinned Python 3.11 stack with one
TensorFlow thread:

  python tests/golden_runs.py            # rewrites tests/golden/*.json

Rewrite them only for a change that is meant to change a run's outputs, and
say so in its commit.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import tensorflow as tf

import bin_commands

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'golden')
CONFIGS = ('tiny', 'multitask_tiny', 'cheetah_multihead_tiny', 'glamor_tiny',
           'dreamer_tiny')
# One thread each: TensorFlow's sums then come out in one order.
ENV = {'TF_NUM_INTRAOP_THREADS': '1', 'TF_NUM_INTEROP_THREADS': '1'}
_SPEED = re.compile(r'\d+(\.\d+)? (updates|env steps)/s')


def run(config, root_dir):
  """Trains `<config>.gin` in `root_dir` with one TensorFlow thread, on the
  console a user gets (no log level of the tests'), so that the console tests
  can read the same run.

  Returns:
    its `subprocess.CompletedProcess`.
  """
  env = {k: v for k, v in dict(bin_commands.ENV, **ENV).items()
         if k not in ('TF_CPP_MIN_LOG_LEVEL', 'PYTHONWARNINGS')}
  return subprocess.run(
      [sys.executable, bin_commands.TRAIN,
       *bin_commands.train_args(root_dir, f'{config}.gin')],
      env=env, capture_output=True, text=True, timeout=600, check=False)


def outputs(root_dir, stdout):
  """What a run wrote that a reorganisation must keep: a JSON-ready dict."""
  with open(os.path.join(root_dir, 'eval', 'returns.csv')) as f:
    returns = f.read()
  checkpoint = tf.train.latest_checkpoint(os.path.join(root_dir, 'train'))
  variables = sorted(f'{name} {shape}'
                     for name, shape in tf.train.list_variables(checkpoint))
  files = sorted(
      os.path.relpath(p, root_dir)
      for p in glob.glob(os.path.join(root_dir, '**', '*'), recursive=True)
      if os.path.isfile(p) and 'tfevents' not in p and
      not p.endswith('timing.csv'))
  console = _SPEED.sub('<speed>', stdout.replace(
      os.path.abspath(root_dir), '<root_dir>'))
  return {'returns.csv': returns.splitlines(), 'checkpoint': checkpoint and
          os.path.basename(checkpoint), 'variables': variables,
          'files': files, 'console': console.splitlines()}


def golden(config):
  with open(os.path.join(GOLDEN_DIR, f'{config}.json')) as f:
    return json.load(f)


def main(configs):
  os.makedirs(GOLDEN_DIR, exist_ok=True)
  for config in configs or CONFIGS:
    with tempfile.TemporaryDirectory() as root:
      result = run(config, os.path.join(root, 'run'))
      if result.returncode:
        sys.exit(f'{config}: exit {result.returncode}\n{result.stderr[-3000:]}')
      found = outputs(os.path.join(root, 'run'), result.stdout)
    with open(os.path.join(GOLDEN_DIR, f'{config}.json'), 'w') as f:
      json.dump(found, f, indent=1)
      f.write('\n')
    print(f'wrote {config}.json')


if __name__ == '__main__':
  main(sys.argv[1:])
