"""Times GLAMOR at the paper's sizes on this machine: one update, one planned action.

  python benchmarks/glamor_step.py [--batch 200] [--horizon 100] [--actions 9]
      [--steps 3]

The model of `glamor_base.gin` (IMPALA encoders 16/32/32 to 512, mixing 256 to
512, LSTMs of 64) on 64x64 frames, 4 stacked gray frames per observation:
`GlamorAgent.train` on `--batch` relabelled examples with targets of
`--horizon` + 1 tokens, and `GoalPolicy.action` (200 sampled plans of up to
`--horizon` actions) for one observation. Prints JSON with seconds and
CPU-seconds (user + system of this process) per call, the fastest of `--steps`
after a first (tracing) call, and what the paper's schedule (1e6 environment
steps, 4 examples per step learnt from 5e4 on) would take at those speeds.
Not part of the test suite; time it alone.
"""

import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Before TensorFlow loads: planet_tf sets what TensorFlow reads as it loads
# (Keras 2 for tf.keras on TF 2.20; planet_tf/tf_stack.py).
import planet_tf  # pylint: disable=g-import-not-at-top,unused-import,wrong-import-position

PAPER_STEPS, PAPER_SEED_STEPS, PAPER_SAMPLES_PER_STEP = 1_000_000, 50_000, 4


def _cpu_seconds():
  usage = resource.getrusage(resource.RUSAGE_SELF)
  return usage.ru_utime + usage.ru_stime


def _time(call, steps):
  call()
  walls, cpus = [], []
  for _ in range(steps):
    start, cpu = time.perf_counter(), _cpu_seconds()
    call()
    walls.append(time.perf_counter() - start)
    cpus.append(_cpu_seconds() - cpu)
  return min(walls), min(cpus), [round(w, 3) for w in walls]


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--batch', type=int, default=200)
  parser.add_argument('--horizon', type=int, default=100)
  parser.add_argument('--actions', type=int, default=9)
  parser.add_argument('--steps', type=int, default=3)
  args = parser.parse_args()
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.specs import tensor_spec  # pylint: disable=g-import-not-at-top
  from tf_agents.trajectories import time_step as ts  # pylint: disable=g-import-not-at-top
  from planet_tf.data import relabel  # pylint: disable=g-import-not-at-top
  from planet_tf.agents import GlamorAgent  # pylint: disable=g-import-not-at-top
  from planet_tf.models import InverseDynamics  # pylint: disable=g-import-not-at-top
  from planet_tf.networks import ImpalaEncoder  # pylint: disable=g-import-not-at-top

  size, a, k = 64, args.actions, args.horizon
  model = InverseDynamics(a, ImpalaEncoder(name='obs'), ImpalaEncoder(name='goal'))
  observation = {
      'observation': tensor_spec.BoundedTensorSpec([size, size, 4], tf.uint8,
                                                   0, 255),
      'goal': tensor_spec.BoundedTensorSpec([size, size, 1], tf.uint8, 0, 255)}
  agent = GlamorAgent(ts.time_step_spec(observation),
                      tensor_spec.BoundedTensorSpec([], tf.int32, 0, a - 1),
                      model=model, horizon=k, seed=0)
  agent.initialize()
  rng = np.random.default_rng(0)
  frames = rng.integers(0, 256, [2 * k + 1, size, size, 4]).astype(np.uint8)
  actions = rng.integers(0, a, 2 * k).astype(np.int32)
  examples = relabel.sample_examples(frames, actions, a, k, args.batch, rng)
  update, update_cpu, updates = _time(
      lambda: float(agent.train(examples).loss), args.steps)

  time_step = ts.restart({
      'observation': tf.constant(frames[None, 0]),
      'goal': tf.constant(frames[None, 1, :, :, :1])}, batch_size=1)
  policy = agent.policy
  state = policy.get_initial_state(1)
  act, act_cpu, acts = _time(
      lambda: policy.action(time_step, state).action.numpy(), args.steps)

  learning_steps = PAPER_STEPS - PAPER_SEED_STEPS
  paper_updates = learning_steps * PAPER_SAMPLES_PER_STEP / args.batch
  print(json.dumps({
      'batch': args.batch, 'horizon': k, 'actions': a,
      'parameters': int(sum(v.shape.num_elements()
                            for v in model.trainable_variables)),
      'seconds_per_update': round(update, 3),
      'cpu_seconds_per_update': round(update_cpu, 3),
      'seconds_per_update_all': updates,
      'seconds_per_action': round(act, 3),
      'cpu_seconds_per_action': round(act_cpu, 3),
      'seconds_per_action_all': acts,
      'paper_schedule_updates': int(paper_updates),
      'paper_schedule_hours_updates': round(paper_updates * update / 3600, 1),
      'paper_schedule_hours_planning_at_most': round(learning_steps * act / 3600, 1),
      'peak_rss_mib': round(
          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
  }, indent=2))


if __name__ == '__main__':
  main()
