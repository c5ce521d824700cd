"""Times `[B, L]` chunk sampling and reports memory per 1M pixel steps, as JSON.

Compares planet_tf's `EpisodeReplay` with TF-Agents' `EpisodicReplayBuffer` (which
also keeps episodes apart) and `TFUniformReplayBuffer` (whose chunks cross episode
boundaries), on the same synthetic 64x64x3 episodes.

  python benchmarks/replay_sampling.py --episodes=20 --episode_length=251
"""

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

from planet_tf import replay as replay_lib

flags.DEFINE_integer('batch_size', 50, 'Chunks per batch (B).')
flags.DEFINE_integer('length', 50, 'Steps per chunk (L).')
flags.DEFINE_integer('episodes', 20, 'Synthetic episodes stored.')
flags.DEFINE_integer('episode_length', 251, 'Steps per episode (boundary included).')
flags.DEFINE_integer('repeats', 20, 'Timed batches per store.')
flags.DEFINE_integer('action_size', 6, 'A.')
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
  }
  print(json.dumps(results, indent=2))


if __name__ == '__main__':
  app.run(main)
