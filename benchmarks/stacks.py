"""Times one model update and one planned action on each installed stack,
interleaved, and prints JSON.

Usage: python benchmarks/stacks.py \\
         --pythons 3.11=.venv/bin/python,3.12=.venv-3.12/bin/python \\
         [--rounds 2] [--output benchmarks/results/stacks.json] [--small]

Each round runs `train_step.py` (paper size, B=50, L=50; oneDNN with and without
XLA) and `plan_step.py` (paper-size CEM, B=1, graph mode) with every stack's
python in turn, so that a slow spell of the machine falls on both stacks. Each
stack's python needs planet_tf installed as the README says. Run it on an idle
machine. `--small` runs the same steps at tiny sizes, to check the harness.
Not part of the test suite.
"""

import argparse
import json
import os
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_STEP = ['train_step.py', '--variants', 'onednn+keras,onednn+keras+xla',
              '--steps', '3', '--timeout', '600']
PLAN_STEP = ['plan_step.py', '--batch_sizes', '1', '--variants', 'graph',
             '--repeats', '5', '--timeout', '600']
SMALL = {'train_step.py': ['--batch', '4', '--length', '8'],
         'plan_step.py': ['--candidates', '50', '--top_k', '5',
                          '--iterations', '2']}


def _run(python, script_args):
  """Runs a benchmark script with `python`; returns its JSON output."""
  done = subprocess.run([python, os.path.join(HERE, script_args[0]),
                         *script_args[1:]], capture_output=True, text=True,
                        check=True, timeout=1800)
  return json.loads(done.stdout)


def _versions(python):
  code = ('import importlib.metadata as m, sys; print(sys.version.split()[0], '
          'm.version("tensorflow"), m.version("tensorflow-probability"), '
          'm.version("numpy"))')
  out = subprocess.run([python, '-c', code], capture_output=True, text=True,
                       check=True).stdout.split()
  return dict(zip(['python', 'tensorflow', 'tensorflow_probability', 'numpy'],
                  out))


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--pythons', required=True,
                      help='NAME=PYTHON,... : each stack and its interpreter')
  parser.add_argument('--rounds', type=int, default=2)
  parser.add_argument('--output', default=None)
  parser.add_argument('--small', action='store_true')
  args = parser.parse_args()
  train_args, plan_args = TRAIN_STEP, PLAN_STEP
  if args.small:
    train_args = TRAIN_STEP + SMALL[TRAIN_STEP[0]]
    plan_args = PLAN_STEP + SMALL[PLAN_STEP[0]]
  stacks = dict(item.split('=', 1) for item in args.pythons.split(','))
  rounds = {name: [] for name in stacks}
  start_load = os.getloadavg()
  for _ in range(args.rounds):
    for name, python in stacks.items():
      train = _run(python, train_args)
      plan = _run(python, plan_args)
      rounds[name].append({
          'train_step': {r['variant']: {k: r.get(k) for k in (
              'seconds_per_update', 'cpu_seconds_per_update',
              'first_call_seconds', 'peak_rss_mib', 'onednn_enabled',
              'error')} for r in train['results']},
          'plan_step': {k: plan['results'][0].get(k) for k in (
              'seconds_per_action_median', 'cpu_seconds_per_action',
              'first_call_seconds', 'onednn_enabled', 'error')},
          'finished': time.strftime('%H:%M:%S'),
      })
  summary = {}
  for name, runs in rounds.items():
    summary[name] = {
        'train_step_seconds_per_update_median_of_rounds': {
            variant: statistics.median(
                r['train_step'][variant]['seconds_per_update'] for r in runs)
            for variant in runs[0]['train_step']},
        'plan_step_seconds_per_action_median_of_rounds': statistics.median(
            r['plan_step']['seconds_per_action_median'] for r in runs),
    }
  result = {
      'benchmark': 'stacks',
      'date': time.strftime('%Y-%m-%d'),
      'commands': [' '.join(['python benchmarks/' + a[0]] + a[1:])
                   for a in (train_args, plan_args)],
      'rounds': args.rounds,
      'stacks': {name: _versions(python) for name, python in stacks.items()},
      'cpu_count': os.cpu_count(),
      'load_average_at_start': start_load,
      'load_average_at_end': os.getloadavg(),
      'summary': summary,
      'per_round': rounds,
  }
  text = json.dumps(result, indent=1)
  if args.output:
    with open(args.output, 'w') as f:
      f.write(text + '\n')
  print(text)


if __name__ == '__main__':
  main()
