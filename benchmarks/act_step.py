"""Times one action of Dreamer's actor policy against PlaNet's CEM policy and CEM
with Dreamer's value at a shorter horizon; prints JSON.

Usage: python benchmarks/act_step.py [--batch_size 1] [--repeats 5]
         [--action_size 6] [--small]

The policies act on the same world model (by default the paper's: RSSM with
stoch 30, belief 200, hidden 200, reward head 3 x 300): one action is encoding
the observation, one posterior step, and then either CEM (H=12, I=10, J=1000,
K=100, `CemPolicy`), CEM at H=5 whose plans end in Dreamer's value (3 ELU
layers of 400, `CemPolicy(value=...)`, as `bin/evaluate --acting=cem_value
--horizon=5` plans), or one pass of the actor (4 ELU layers of 400,
`ActorPolicy`, its mode). Each is a `tf.function` of `policy.action`, timed after a warm-up
call. `--small` shrinks every size for a smoke run. Not part of the test suite.

`cpu_seconds_per_action` is the process's CPU time (all threads) per action; on
a shared CPU it is steadier than wall time.
"""

import argparse
import functools
import json
import os
import sys
import time

os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')  # Before TensorFlow loads.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Before TensorFlow loads: planet_tf sets what TensorFlow reads as it loads
# (Keras 2 for tf.keras on TF 2.20; planet_tf/tf_stack.py).
import planet_tf  # pylint: disable=g-import-not-at-top,unused-import,wrong-import-position

import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

PAPER = {'stoch': 30, 'deter': 200, 'hidden': 200, 'reward_units': 300,
         'actor_units': 400, 'value_units': 400, 'horizon': 12,
         'value_horizon': 5, 'iterations': 10, 'candidates': 1000,
         'top_k': 100}
SMALL = {'stoch': 4, 'deter': 8, 'hidden': 8, 'reward_units': 8,
         'actor_units': 8, 'value_units': 8, 'horizon': 3, 'value_horizon': 2,
         'iterations': 2, 'candidates': 16, 'top_k': 4}


def time_policy(policy, batch_size, repeats):
  """Median wall and CPU seconds of `policy.action` after a warm-up call."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.trajectories import time_step as ts  # pylint: disable=g-import-not-at-top
  action_fn = tf.function(policy.action)
  frames = np.random.RandomState(0).randint(0, 256, [batch_size, 64, 64, 3])
  time_step = ts.TimeStep(
      tf.fill([batch_size], 1), tf.zeros([batch_size]), tf.ones([batch_size]),
      tf.constant(frames, tf.uint8))
  state = policy.get_initial_state(batch_size)
  start = time.perf_counter()
  action_fn(time_step, state).action.numpy()
  first = time.perf_counter() - start
  walls, cpus = [], []
  for _ in range(repeats):
    start, cpu_start = time.perf_counter(), time.process_time()
    action_fn(time_step, state).action.numpy()
    walls.append(time.perf_counter() - start)
    cpus.append(time.process_time() - cpu_start)
  return {'seconds_per_action_median': round(float(np.median(walls)), 5),
          'seconds_per_action_min': round(min(walls), 5),
          'cpu_seconds_per_action': round(float(np.median(cpus)), 5),
          'first_call_seconds': round(first, 2)}


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--batch_size', type=int, default=1)
  parser.add_argument('--repeats', type=int, default=5)
  parser.add_argument('--action_size', type=int, default=6)
  parser.add_argument('--small', action='store_true',
                      help='tiny networks and planner, for a smoke run')
  args = parser.parse_args()
  sizes = SMALL if args.small else PAPER

  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from tf_agents.specs import tensor_spec  # pylint: disable=g-import-not-at-top
  from tf_agents.trajectories import time_step as ts  # pylint: disable=g-import-not-at-top
  from planet_tf import models  # pylint: disable=g-import-not-at-top
  from planet_tf import networks  # pylint: disable=g-import-not-at-top
  from planet_tf import policies  # pylint: disable=g-import-not-at-top
  from planet_tf.planning import cem  # pylint: disable=g-import-not-at-top

  world_model = models.WorldModel(
      action_size=args.action_size,
      dynamics=models.RSSM(stoch_size=sizes['stoch'],
                           deter_size=sizes['deter'],
                           hidden_size=sizes['hidden']),
      reward_heads={'reward': networks.DenseHead(
          units=(sizes['reward_units'],) * 3)})
  time_step_spec = ts.time_step_spec(
      tensor_spec.BoundedTensorSpec([64, 64, 3], tf.uint8, 0, 255))
  action_spec = tensor_spec.BoundedTensorSpec([args.action_size], tf.float32,
                                              -1, 1)
  planner = functools.partial(
      cem, **{k: sizes[k] for k in ('horizon', 'iterations', 'candidates',
                                    'top_k')})
  value_planner = functools.partial(planner, horizon=sizes['value_horizon'])
  candidates = {
      'cem': policies.CemPolicy(time_step_spec, action_spec, world_model,
                                planner=planner, seed=0),
      'cem_value': policies.CemPolicy(
          time_step_spec, action_spec, world_model, planner=value_planner,
          value=networks.DenseHead(units=(sizes['value_units'],) * 3,
                                   activation='elu', name='value'),
          discount=0.99, seed=0),
      'actor': policies.ActorPolicy(
          time_step_spec, action_spec, world_model,
          networks.ActorHead(args.action_size,
                             units=(sizes['actor_units'],) * 4),
          seed=0),
  }
  results = {name: time_policy(policy, args.batch_size, args.repeats)
             for name, policy in candidates.items()}
  for name in ('cem', 'cem_value'):
    results[f'{name}_over_actor'] = round(
        results[name]['seconds_per_action_median'] /
        results['actor']['seconds_per_action_median'], 1)
  print(json.dumps({'benchmark': 'act_step', 'sizes': sizes,
                    'batch_size': args.batch_size,
                    'action_size': args.action_size, 'repeats': args.repeats,
                    'cpu_count': os.cpu_count(), 'results': results},
                   indent=2))


if __name__ == '__main__':
  main()
