"""Times one world-model update at paper size and prints JSON.

Usage: python benchmarks/train_step.py [--batch 50] [--length 50] [--steps 3]
         [--mixed_steps 1] [--timeout 600]
         [--variants onednn+keras,onednn+keras+xla,...]

A variant is `+`-joined tokens: `onednn` or `eigen` (TF_ENABLE_ONEDNN_OPTS=1/0,
which must be set before TensorFlow is imported), `keras` or `subpixel` (the
decoder's transposed convolutions), optionally `xla` (jit_compile the update) and
`mixed_bfloat16` / `mixed_float16` (dtype policy of the conv encoder and decoder,
where the FLOPs are; the RSSM stays float32). Each variant runs in a fresh
subprocess, so its environment and peak memory (ru_maxrss) are its own.

The default variants show the effect of oneDNN, of the subpixel decoder, of XLA
and of each mixed-precision policy. Every variant runs under `--timeout`
seconds (first call included); one that runs out is killed and recorded as
`{"variant": ..., "error": "timeout after N s"}`, one that fails as its stderr's
tail, and the benchmark goes on. Mixed-precision variants time `--mixed_steps`
updates after the first call (default 1): without native float16 arithmetic
they can be very slow. On the 2-core development CPU at paper size,
`mixed_bfloat16` took 5.2 s per update (float32: 3.3 s) and `mixed_float16`
finished no update within 420 s.
Not part of the test suite.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Before TensorFlow loads: planet_tf sets what TensorFlow reads as it loads
# (Keras 2 for tf.keras on TF 2.20; planet_tf/tf_stack.py).
import planet_tf  # pylint: disable=g-import-not-at-top,unused-import,wrong-import-position

VARIANTS = ('onednn+keras', 'onednn+keras+xla', 'onednn+subpixel',
            'eigen+keras', 'onednn+keras+mixed_bfloat16',
            'onednn+keras+mixed_float16')


def _experience(batch, length, action_size, image_size):
  import numpy as np
  import tensorflow as tf
  from tf_agents.trajectories import trajectory
  rng = np.random.default_rng(0)
  step_type = np.ones([batch, length], np.int32)
  step_type[:, 0] = 0
  return trajectory.Trajectory(
      step_type=tf.constant(step_type),
      observation=tf.constant(rng.integers(
          0, 256, [batch, length, image_size, image_size, 3], dtype=np.uint8)),
      action=tf.constant(rng.uniform(-1, 1, [batch, length, action_size]),
                         tf.float32),
      policy_info=(),
      next_step_type=tf.constant(step_type),
      reward=tf.constant(rng.normal(size=[batch, length]), tf.float32),
      discount=tf.ones([batch, length]))


def _cpu_seconds():
  usage = resource.getrusage(resource.RUSAGE_SELF)
  return usage.ru_utime + usage.ru_stime


def run_variant(variant, batch, length, steps):
  """Builds a paper-size model for `variant`, times `steps` updates, returns a dict."""
  # pylint: disable=g-direct-tensorflow-import
  from tensorflow.python.util import _pywrap_util_port
  # pylint: enable=g-direct-tensorflow-import
  import tensorflow as tf
  from tf_agents.specs import tensor_spec
  from tf_agents.trajectories import time_step as ts
  from planet_tf.agents import PlanetAgent
  from planet_tf.models import WorldModel
  from planet_tf.networks import ConvDecoder, ConvEncoder
  tokens = variant.split('+')
  dtype = next((t for t in tokens if t.startswith('mixed_')), None)
  model = WorldModel(
      action_size=6,
      encoder=ConvEncoder(dtype=dtype),
      decoder=ConvDecoder(dtype=dtype, transposed_conv=(
          'subpixel' if 'subpixel' in tokens else 'keras')))
  agent = PlanetAgent(
      ts.time_step_spec(tf.TensorSpec([64, 64, 3], tf.uint8)),
      tensor_spec.BoundedTensorSpec([6], tf.float32, -1.0, 1.0),
      world_model=model, train_sequence_length=length,
      jit_compile='xla' in tokens)
  agent.initialize()
  experience = _experience(batch, length, 6, 64)
  start = time.perf_counter()
  metrics = agent.train(experience).extra
  float(metrics['loss'])
  first = time.perf_counter() - start
  times, cpu_times = [], []
  for _ in range(steps):
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    metrics = agent.train(experience).extra
    float(metrics['loss'])
    times.append(time.perf_counter() - start)
    cpu_times.append(_cpu_seconds() - cpu_start)
  return {
      'variant': variant,
      'steps': steps,
      'onednn_enabled': bool(_pywrap_util_port.IsMklEnabled()),
      'seconds_per_update': min(times),
      'seconds_per_update_all': [round(t, 3) for t in times],
      # User + system CPU seconds of this process per update: what the update
      # costs regardless of how many other processes share the cores.
      'cpu_seconds_per_update': round(min(cpu_times), 2),
      'first_call_seconds': round(first, 2),
      'peak_rss_mib': round(
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
      'loss': float(metrics['loss']),
      'parameters': int(sum(v.shape.num_elements()
                            for v in model.trainable_variables)),
  }


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--batch', type=int, default=50)
  parser.add_argument('--length', type=int, default=50)
  parser.add_argument('--steps', type=int, default=3,
                      help='timed updates per variant, after the first call')
  parser.add_argument('--mixed_steps', type=int, default=1,
                      help='timed updates of the mixed-precision variants')
  parser.add_argument('--timeout', type=float, default=600,
                      help='seconds a variant may run (first call included) '
                      'before it is killed and recorded as a timeout')
  parser.add_argument('--variants', default=','.join(VARIANTS))
  parser.add_argument('--child', default=None, help=argparse.SUPPRESS)
  args = parser.parse_args()
  if args.steps < 1 or args.mixed_steps < 1 or args.timeout <= 0:
    parser.error('--steps and --mixed_steps must be >= 1, --timeout > 0.')
  if args.child:
    print(json.dumps(run_variant(args.child, args.batch, args.length,
                                 args.steps)))
    return
  start_load = os.getloadavg()
  results = []
  for variant in args.variants.split(','):
    tokens = variant.split('+')
    mixed = any(t.startswith('mixed_') for t in tokens)
    steps = args.mixed_steps if mixed else args.steps
    command = [sys.executable, __file__, '--child', variant,
               '--batch', str(args.batch), '--length', str(args.length),
               '--steps', str(steps)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', TF_ENABLE_ONEDNN_OPTS=(
        '0' if 'eigen' in tokens else '1'))
    try:
      # On timeout, subprocess.run kills the child and waits for it.
      proc = subprocess.run(command, capture_output=True, text=True, env=env,
                            check=False, timeout=args.timeout)
    except subprocess.TimeoutExpired:
      results.append({'variant': variant, 'steps': steps,
                      'error': f'timeout after {args.timeout:g} s'})
      continue
    lines = [l for l in proc.stdout.splitlines() if l.startswith('{')]
    if proc.returncode or not lines:
      results.append({'variant': variant, 'steps': steps,
                      'error': proc.stderr[-2000:]})
    else:
      results.append(json.loads(lines[-1]))
  print(json.dumps({
      'batch': args.batch, 'length': args.length, 'image': [64, 64, 3],
      'timeout_seconds': args.timeout,
      'cpu_count': os.cpu_count(),
      'load_average_at_start': start_load,
      'load_average_at_end': os.getloadavg(),
      'reference_seconds': {'pytorch_planet': 8.8, 'tf2_dreamer': 5.7,
                            'goal': 4.4},
      'results': results}, indent=1))


if __name__ == '__main__':
  main()
