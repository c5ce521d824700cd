"""Times one planned action (CemPolicy.action) at the paper's sizes and prints JSON.

Usage: python benchmarks/plan_step.py [--batch_sizes 1,8] [--variants graph,xla]
         [--repeats 3] [--action_size 6] [--timeout 1800]
         [--horizon 12 --iterations 10 --candidates 1000 --top_k 100]

One action = encode the observation, one posterior step, and CEM with H=12, I=10,
J=1000, K=100 over a paper-size RSSM (stoch 30, belief 200, hidden 200) and reward
head (2 x 200 ReLU), for B environments at once. Each variant runs in a fresh
subprocess (at most `--timeout` seconds each). Not part of the test suite. The CEM
sizes can be made smaller for a smoke run; the defaults are the paper's.

TensorFlow's oneDNN CPU kernels are on (`TF_ENABLE_ONEDNN_OPTS=1`, as
`import planet_tf` and `benchmarks/train_step.py` set it) unless the user has set
the variable: this script sets it before TensorFlow is imported, in the parent
(the matmul measurement) and in every worker. The JSON records the setting, who
chose it, and whether TensorFlow reports oneDNN enabled in each process.

FLOPs are counted analytically (multiply-add = 2 FLOPs, dense layers only;
elementwise ops, sampling, top-k and the single encoder/posterior step are left
out, < 1% at these sizes). Per candidate and imagined step, with S=30, D=200,
hidden 200, A actions:

    img_in     2 (S + A) 200          input layer on [s, a]
    GRU        2 (200 + D) 3D         input and recurrent kernels, 3 gates
    img_hidden 2 D 200, img_out 2 200 (2S)
    reward     2 (S + D) 200 + 2 200 200 + 2 200
  = 770,800 FLOPs for A=6; x H I J = 120,000 candidate-steps per environment:
    92.5 GFLOP per action for B=1, x B for B environments.

`cpu_seconds_per_action` is the process's CPU time (all threads) per action; on
a shared CPU it is steadier than wall time, and `busy_threads` = CPU / wall shows
how many cores the run actually got.

`cpu_x_nominal_bound` = (CPU seconds / 2 cores) / (GFLOP / 160 GFLOP/s), the
issue's bound for this CPU when idle.

`matmul_gflops` measures this machine's float32 matmul rate (1024^3, same thread
pool) right before the runs, so the bound `gflop / matmul_gflops` is the one
that holds while the (shared) CPU is as busy as it is now.
"""

import argparse
import json
import os
import subprocess
import sys
import time

# Before any TensorFlow import, in the parent and (inherited) in every worker:
# TensorFlow reads the variable once, when it is first imported.
ONEDNN_SET_BY = ('user' if 'TF_ENABLE_ONEDNN_OPTS' in os.environ
                 else 'plan_step.py')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Before TensorFlow loads: planet_tf sets what TensorFlow reads as it loads
# (Keras 2 for tf.keras on TF 2.20; planet_tf/tf_stack.py).
import planet_tf  # pylint: disable=g-import-not-at-top,unused-import,wrong-import-position

HORIZON, ITERATIONS, CANDIDATES, TOP_K = 12, 10, 1000, 100  # The paper's.
# The figure for this 2-core CPU's float32 matmul rate when idle.
NOMINAL_GFLOPS, NOMINAL_CORES = 160.0, 2
STOCH, DETER, HIDDEN, REWARD_UNITS = 30, 200, 200, (300, 300, 300)


def flop_per_candidate_step(action_size):
  """Dense-layer FLOPs of one prior step plus the reward head for one candidate."""
  s, d, h = STOCH, DETER, HIDDEN
  flops = 2 * (s + action_size) * h          # img_in
  flops += 2 * (h + d) * 3 * d               # GRU kernels
  flops += 2 * d * h + 2 * h * 2 * s         # img_hidden, img_out
  width = s + d
  for units in REWARD_UNITS:                 # reward head
    flops += 2 * width * units
    width = units
  flops += 2 * width * 1
  return flops


def gflop_per_action(batch_size, action_size, horizon=HORIZON,
                     iterations=ITERATIONS, candidates=CANDIDATES):
  steps = horizon * iterations * candidates * batch_size
  return steps * flop_per_candidate_step(action_size) / 1e9


def matmul_gflops(size=1024, repeats=10, trials=5):
  """Achieved float32 matmul GFLOP/s on this machine now (best of `trials`)."""
  import tensorflow as tf
  a = tf.random.normal([size, size])
  b = tf.random.normal([size, size])
  matmul = tf.function(lambda a, b: tf.matmul(a, b))
  matmul(a, b).numpy()
  best = float('inf')
  for _ in range(trials):
    start = time.perf_counter()
    for _ in range(repeats):
      matmul(a, b).numpy()
    best = min(best, time.perf_counter() - start)
  return 2 * size**3 * repeats / best / 1e9


def onednn_enabled():
  """Whether this process's TensorFlow runs with oneDNN kernels."""
  # pylint: disable=g-direct-tensorflow-import,g-import-not-at-top
  from tensorflow.python.util import _pywrap_util_port
  # pylint: enable=g-direct-tensorflow-import,g-import-not-at-top
  return bool(_pywrap_util_port.IsMklEnabled())


def run_variant(variant, batch_size, repeats, action_size, sizes):
  """Builds the policy, times `repeats` actions after a warm-up; returns a dict.

  `sizes` holds the CEM sizes: `horizon`, `iterations`, `candidates`, `top_k`.
  """
  import functools
  import numpy as np
  import tensorflow as tf
  from tf_agents.specs import tensor_spec
  from tf_agents.trajectories import time_step as ts
  from planet_tf import models
  from planet_tf import networks
  from planet_tf.planning import cem
  from planet_tf.policies import CemPolicy

  world_model = models.WorldModel(
      action_size=action_size,
      dynamics=models.RSSM(stoch_size=STOCH, deter_size=DETER,
                           hidden_size=HIDDEN),
      reward_heads={'reward': networks.DenseHead(units=REWARD_UNITS)})
  observation_spec = tensor_spec.BoundedTensorSpec([64, 64, 3], tf.uint8, 0, 255)
  action_spec = tensor_spec.BoundedTensorSpec([action_size], tf.float32, -1, 1)
  planner = functools.partial(cem, jit_compile=(variant == 'xla'), **sizes)
  policy = CemPolicy(ts.time_step_spec(observation_spec), action_spec,
                     world_model, planner=planner, seed=0)
  action_fn = tf.function(policy.action)
  frames = np.random.RandomState(0).randint(0, 256, [batch_size, 64, 64, 3])
  time_step = ts.TimeStep(
      tf.fill([batch_size], 1), tf.zeros([batch_size]), tf.ones([batch_size]),
      tf.constant(frames, tf.uint8))
  state = policy.get_initial_state(batch_size)

  start = time.perf_counter()
  action_fn(time_step, state).action.numpy()
  first = time.perf_counter() - start
  times, cpu_times = [], []
  for _ in range(repeats):
    start, cpu_start = time.perf_counter(), time.process_time()
    action_fn(time_step, state).action.numpy()
    times.append(time.perf_counter() - start)
    cpu_times.append(time.process_time() - cpu_start)
  best, median = min(times), float(np.median(times))
  cpu = float(np.median(cpu_times))
  gflop = gflop_per_action(batch_size, action_size, sizes['horizon'],
                           sizes['iterations'], sizes['candidates'])
  return {
      'variant': variant, 'batch_size': batch_size,
      'onednn_enabled': onednn_enabled(),
      'seconds_per_action_median': round(median, 4),
      'seconds_per_action_min': round(best, 4),
      'seconds_per_environment_action': round(median / batch_size, 4),
      'cpu_seconds_per_action': round(cpu, 4),
      'busy_threads': round(cpu / median, 2),
      'first_call_seconds': round(first, 2),
      'gflop_per_action': round(gflop, 2),
      'achieved_gflops': round(gflop / median, 1),
      'repeats': repeats,
  }


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--batch_sizes', default='1,8')
  parser.add_argument('--variants', default='graph,xla')
  parser.add_argument('--repeats', type=int, default=3)
  parser.add_argument('--action_size', type=int, default=6)
  parser.add_argument('--horizon', type=int, default=HORIZON)
  parser.add_argument('--iterations', type=int, default=ITERATIONS)
  parser.add_argument('--candidates', type=int, default=CANDIDATES)
  parser.add_argument('--top_k', type=int, default=TOP_K)
  parser.add_argument('--timeout', type=float, default=1800.0,
                      help='seconds allowed to each worker subprocess')
  parser.add_argument('--worker', default=None, help=argparse.SUPPRESS)
  args = parser.parse_args()
  sizes = {'horizon': args.horizon, 'iterations': args.iterations,
           'candidates': args.candidates, 'top_k': args.top_k}
  if args.worker:
    variant, batch_size = args.worker.split(':')
    print(json.dumps(run_variant(variant, int(batch_size), args.repeats,
                                 args.action_size, sizes)))
    return

  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  peak = matmul_gflops()
  results = []
  for batch_size in [int(b) for b in args.batch_sizes.split(',')]:
    for variant in args.variants.split(','):
      command = [sys.executable, __file__, f'--worker={variant}:{batch_size}',
                 f'--repeats={args.repeats}',
                 f'--action_size={args.action_size}'] + [
                     f'--{name}={value}' for name, value in sizes.items()]
      try:
        # The worker inherits TF_ENABLE_ONEDNN_OPTS (set above) and has it
        # before its first TensorFlow import.
        out = subprocess.run(command, capture_output=True, text=True,
                             timeout=args.timeout, check=False)
      except subprocess.TimeoutExpired:
        results.append({'variant': variant, 'batch_size': batch_size,
                        'error': f'timed out after {args.timeout:g} s'})
        continue
      if out.returncode != 0:
        results.append({'variant': variant, 'batch_size': batch_size,
                        'error': out.stderr.strip().splitlines()[-1:]})
        continue
      result = json.loads(out.stdout.strip().splitlines()[-1])
      result['bound_seconds'] = round(result['gflop_per_action'] / peak, 4)
      # CPU time spread over two idle cores, against the nominal bound: what
      # the wall time would be without other load, if both threads scaled.
      nominal = result['gflop_per_action'] / NOMINAL_GFLOPS
      result['nominal_bound_seconds'] = round(nominal, 4)
      result['cpu_x_nominal_bound'] = round(
          result['cpu_seconds_per_action'] / NOMINAL_CORES / nominal, 2)
      result['x_bound'] = round(
          result['seconds_per_action_median'] / result['bound_seconds'], 2)
      results.append(result)
  print(json.dumps({
      'benchmark': 'plan_step',
      'config': {**sizes, 'stoch': STOCH,
                 'belief': DETER, 'hidden': HIDDEN,
                 'reward_units': list(REWARD_UNITS),
                 'action_size': args.action_size},
      'flop_per_candidate_step': flop_per_candidate_step(args.action_size),
      'device': ', '.join(d.device_type for d in
                          tf.config.list_physical_devices()),
      'cpu_count': os.cpu_count(),
      'tf_enable_onednn_opts': os.environ['TF_ENABLE_ONEDNN_OPTS'],
      'tf_enable_onednn_opts_set_by': ONEDNN_SET_BY,
      'onednn_enabled': onednn_enabled(),  # In this process, for the matmul.
      'worker_timeout_seconds': args.timeout,
      'matmul_gflops': round(peak, 1),
      'results': results,
  }, indent=2))


if __name__ == '__main__':
  main()
