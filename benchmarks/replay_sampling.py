"""Times `[B, L]` chunk sampling and reports memory per 1M pixel steps, as JSON.

Compares planet_tf's `EpisodeReplay` with TF-Agents' `EpisodicReplayBuffer` (which
also keeps episodes apart) and `TFUniformReplayBuffer` (whose chunks cross episode
boundaries), on the same synthetic 64x64x3 episodes; and, when `dm-reverb` is
installed (`pip install dm-reverb==0.14.0`, tf-agents 0.19's `reverb` extra; not
part of the pinned stack), TF-Agents' Reverb path: an in-process `reverb.Server`
fed by `ReverbAddTrajectoryObserver(sequence_length=L, stride_length=1)` and read
by `ReverbReplayBuffer.as_dataset`. Each section also reports `crossing_fraction`,
the measured share of sampled chunks that span two episodes.

  python benchmarks/replay_sampling.py --episodes=20 --episode_length=251
"""

import importlib.metadata
import json
import os
import resource
import time

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf
from tf_agents.replay_buffers import episodic_replay_buffer
from tf_agents.replay_buffers import tf_uniform_replay_buffer
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf.data import replay as replay_lib

try:
  import reverb  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_replay_buffer  # pylint: disable=g-import-not-at-top
  from tf_agents.replay_buffers import reverb_utils  # pylint: disable=g-import-not-at-top
except ImportError as e:  # Optional: not part of the pinned stack.
  reverb = None
  _REVERB_IMPORT_ERROR = str(e)

flags.DEFINE_integer('batch_size', 50, 'Chunks per batch (B).')
flags.DEFINE_integer('length', 50, 'Steps per chunk (L).')
flags.DEFINE_integer('episodes', 20, 'Synthetic episodes stored.')
flags.DEFINE_integer('episode_length', 251, 'Steps per episode (boundary included).')
flags.DEFINE_integer('repeats', 20, 'Timed batches per store.')
flags.DEFINE_integer('action_size', 6, 'A.')
flags.DEFINE_integer('crossing_batches', 10,
                     'Untimed batches per store checked for episode crossing.')
FLAGS = flags.FLAGS


def _spec(action_size):
  return trajectory.Trajectory(
      step_type=tf.TensorSpec([], tf.int32),
      observation=tf.TensorSpec([64, 64, 3], tf.uint8),
      action=tensor_spec.BoundedTensorSpec([action_size], tf.float32, -1, 1),
      policy_info=(), next_step_type=tf.TensorSpec([], tf.int32),
      reward=tf.TensorSpec([], tf.float32), discount=tf.TensorSpec([], tf.float32))


def _episode(rng, length, action_size):
  step_type = np.full([length], ts.StepType.MID, np.int32)
  step_type[0], step_type[-1] = ts.StepType.FIRST, ts.StepType.LAST
  next_step_type = np.roll(step_type, -1)
  return trajectory.Trajectory(
      step_type=step_type,
      observation=rng.integers(0, 256, [length, 64, 64, 3], np.uint8),
      action=rng.uniform(-1, 1, [length, action_size]).astype(np.float32),
      policy_info=(), next_step_type=next_step_type,
      reward=rng.uniform(size=[length]).astype(np.float32),
      discount=np.ones([length], np.float32))


def _time(sample, repeats):
  sample()  # Warm up (graph building, first allocations).
  start = time.perf_counter()
  for _ in range(repeats):
    sample()
  return (time.perf_counter() - start) / repeats


def _crossing_fraction(next_batch, batches):
  """Share of sampled `[B, L]` chunks that span two episodes.

  A chunk crosses iff a FIRST step follows its first position or a LAST step (the
  episode's boundary step) precedes its final position; the synthetic episodes
  have FIRST and LAST only at their ends, so this is exact.
  """
  crossing = total = 0
  for _ in range(batches):
    step_type = np.asarray(next_batch().step_type)
    crossing += int(np.sum(
        np.any(step_type[:, 1:] == ts.StepType.FIRST, axis=1) |
        np.any(step_type[:, :-1] == ts.StepType.LAST, axis=1)))
    total += step_type.shape[0]
  return crossing / total


def _rss_bytes():
  """Current (not peak) resident set size of this process."""
  with open('/proc/self/status') as f:
    for line in f:
      if line.startswith('VmRSS:'):
        return int(line.split()[1]) * 1024
  return 0


def _reverb(spec, episodes, b, l):
  """TF-Agents' Reverb replay: in-process server, trajectory observer, dataset."""
  if reverb is None:
    return {'installed': False, 'error': _REVERB_IMPORT_ERROR}
  steps = sum(len(e.step_type) for e in episodes)
  # Every window of l steps inside one episode, once each (stride 1).
  windows = sum(max(len(e.step_type) - l + 1, 0) for e in episodes)
  table_name = 'uniform_table'
  signature = tensor_spec.add_outer_dim(tensor_spec.from_spec(spec))
  rss_start = _rss_bytes()
  # As in TF-Agents' examples (sac/dqn train_eval): uniform sampling, FIFO
  # removal, sampling allowed once one item exists.
  table = reverb.Table(
      table_name, max_size=max(windows, 1),
      sampler=reverb.selectors.Uniform(), remover=reverb.selectors.Fifo(),
      rate_limiter=reverb.rate_limiters.MinSize(1), signature=signature)
  server = reverb.Server([table])  # Same process: items live in our RSS.
  buffer = reverb_replay_buffer.ReverbReplayBuffer(
      spec, table_name, sequence_length=l, local_server=server)
  observer = reverb_utils.ReverbAddTrajectoryObserver(
      buffer.py_client, table_name, sequence_length=l, stride_length=1)
  rss_before = _rss_bytes()  # Server, clients and writer up; no data yet.
  start = time.perf_counter()
  for episode in episodes:
    for t in range(len(episode.step_type)):
      observer(tf.nest.map_structure(lambda x, t=t: x[t], episode))
  observer.flush()
  write_s = time.perf_counter() - start
  rss_after = _rss_bytes()
  items = int(buffer.py_client.server_info()[table_name].current_size)

  dataset = buffer.as_dataset(sample_batch_size=b, num_steps=l)
  iterator = iter(dataset)  # As TF-Agents returns it: no prefetch.
  iterator_p = iter(dataset.prefetch(2))  # Like EpisodeReplay.as_dataset.
  next_batch = lambda: next(iterator)[0]
  result = {
      'installed': True,
      'version': importlib.metadata.version('dm-reverb'),
      'as_dataset_s': _time(lambda: next(iterator), FLAGS.repeats),
      'as_dataset_prefetched_s': _time(lambda: next(iterator_p), FLAGS.repeats),
      'observer_write_s_per_step': write_s / steps,
      'items': items,
      'windows_inside_episodes': windows,
      'crossing_fraction': _crossing_fraction(next_batch, FLAGS.crossing_batches),
      'server_startup_rss_bytes': rss_before - rss_start,
      'measured_rss_growth_bytes_per_step': (rss_after - rss_before) / steps,
      'preallocates': False,
  }
  result['crosses_episodes'] = (
      result['crossing_fraction'] > 0 or items != windows)
  del iterator, iterator_p, dataset
  observer.close()
  server.stop()
  return result


def _bytes_per_step(spec):
  return sum(np.prod(s.shape, dtype=np.int64) * s.dtype.size
             for s in tf.nest.flatten(spec))


def main(_):
  spec = _spec(FLAGS.action_size)
  rng = np.random.default_rng(0)
  episodes = [_episode(rng, FLAGS.episode_length, FLAGS.action_size)
              for _ in range(FLAGS.episodes)]
  steps = FLAGS.episodes * FLAGS.episode_length
  b, l = FLAGS.batch_size, FLAGS.length
  results = {'batch_size': b, 'length': l, 'stored_steps': steps,
             'cpu_count': os.cpu_count()}

  rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  ours = replay_lib.EpisodeReplay(spec, seed=0)
  for episode in episodes:
    for t in range(FLAGS.episode_length):
      ours(tf.nest.map_structure(lambda x, t=t: x[t], episode))
  rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
  iterator = iter(ours.as_dataset(b, l))
  results['EpisodeReplay'] = {
      'sample_s': _time(lambda: ours.sample(b, l), FLAGS.repeats),
      'as_dataset_s': _time(lambda: next(iterator), FLAGS.repeats),
      'bytes_per_step': int(_bytes_per_step(spec)),
      'gib_per_1m_steps': float(_bytes_per_step(spec) * 1e6 / 2**30),
      'measured_rss_growth_bytes_per_step': (rss_after - rss_before) * 1024 / steps,
      'preallocates': False, 'crosses_episodes': False,
      'crossing_fraction': _crossing_fraction(
          lambda: ours.sample(b, l), FLAGS.crossing_batches),
  }

  episodic = episodic_replay_buffer.EpisodicReplayBuffer(
      spec, capacity=FLAGS.episodes + 1, completed_only=True, seed=0,
      begin_episode_fn=lambda _: tf.constant(True),
      end_episode_fn=lambda _: tf.constant(True))
  episode_id = tf.constant(-1, tf.int64)
  for episode in episodes:
    episode_id = episodic.add_sequence(episode, episode_id)
  dataset = episodic.as_dataset(sample_batch_size=b, num_steps=l)
  iterator_e = iter(dataset)
  results['EpisodicReplayBuffer'] = {
      'as_dataset_s': _time(lambda: next(iterator_e), FLAGS.repeats),
      'crosses_episodes': False,
      'crossing_fraction': _crossing_fraction(
          lambda: next(iterator_e)[0], FLAGS.crossing_batches),
  }

  uniform = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      spec, batch_size=1, max_length=steps)
  for episode in episodes[:4]:  # Step by step is slow; 4 episodes suffice.
    for t in range(FLAGS.episode_length):
      uniform.add_batch(tf.nest.map_structure(lambda x, t=t: x[t][None], episode))
  iterator_u = iter(uniform.as_dataset(sample_batch_size=b, num_steps=l))
  results['TFUniformReplayBuffer'] = {
      'as_dataset_s': _time(lambda: next(iterator_u), FLAGS.repeats),
      'gib_preallocated_per_1m_steps': float(_bytes_per_step(spec) * 1e6 / 2**30),
      'preallocates': True, 'crosses_episodes': True,
      'crossing_fraction': _crossing_fraction(
          lambda: next(iterator_u)[0], FLAGS.crossing_batches),
  }
  results['ReverbReplayBuffer'] = _reverb(spec, episodes, b, l)
  print(json.dumps(results, indent=2))


if __name__ == '__main__':
  app.run(main)
