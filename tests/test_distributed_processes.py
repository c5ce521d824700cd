"""Distributed PlaNet as separate processes: the launcher runs, stops and
resumes a tiny run; two replicas make the update of one."""

import glob
import os
import signal
import subprocess
import sys
import time

import pytest

from planet_tf.distributed import status

import bin_commands

pytest.importorskip('reverb', reason='the reverb extra (dm-reverb)')

# Two logical CPUs; the model's random draws (dequantisation and latent
# noise) are fixed, since each replica draws its own.
_REPLICAS = r'''
import numpy as np
import tensorflow as tf
cpus = tf.config.list_physical_devices('CPU')
tf.config.set_logical_device_configuration(
    cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)
tf.random.normal = lambda shape, *a, **k: tf.zeros(shape)
tf.random.uniform = lambda shape, *a, **k: tf.fill(shape, 0.5)
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory
import tf_agents_pipeline

def chunks(b=4, l=6):
  rng = np.random.default_rng(0)
  step_type = np.ones([b, l], np.int32)
  step_type[0, 2] = step_type[1, 0] = 0  # The two halves mask differently.
  step_type[2, -1] = 2
  return trajectory.Trajectory(
      step_type=step_type,
      observation=rng.integers(0, 256, [b, l, 64, 64, 3]).astype(np.uint8),
      action=rng.uniform(-1, 1, [b, l, 1]).astype(np.float32), policy_info=(),
      next_step_type=np.roll(step_type, -1, 1),
      reward=rng.uniform(size=[b, l]).astype(np.float32),
      discount=np.ones([b, l], np.float32))

def update(strategy):
  with strategy.scope():
    tf.keras.utils.set_random_seed(0)
    agent = tf_agents_pipeline.tiny_agent(
        ts.time_step_spec(tf.TensorSpec([64, 64, 3], tf.uint8)),
        tensor_spec.BoundedTensorSpec([1], tf.float32, -1, 1), 6, seed=0)
    agent.initialize()
  before = [v.numpy() for v in agent.world_model.trainable_variables]
  data = iter(strategy.experimental_distribute_dataset(
      tf.data.Dataset.from_tensors(chunks()).repeat()))

  @tf.function
  def step(x):  # As tf_agents.train.Learner: strategy.run, sum over replicas.
    info = strategy.run(agent.train, args=(x,))
    return [strategy.reduce(tf.distribute.ReduceOp.SUM, v, axis=None)
            for v in (info.loss, info.extra['grad_norm'],
                      info.extra['reward_nll'])]
  metrics = [float(m) for m in step(next(data))]
  after = [v.numpy() for v in agent.world_model.trainable_variables]
  return metrics, [a - b for a, b in zip(after, before)]

one = update(tf.distribute.OneDeviceStrategy('/cpu:0'))
two = update(tf.distribute.MirroredStrategy(['/cpu:0', '/cpu:1']))
print('METRICS', one[0], two[0])
print('UPDATE', max(float(np.abs(a - b).max()) for a, b in zip(one[1], two[1])),
      max(float(np.abs(a).max()) for a in one[1]))
'''


@pytest.mark.slow
def test_two_replicas_make_the_update_of_one_on_the_same_batch():
  out = subprocess.run([sys.executable, '-c', _REPLICAS],
                       env=bin_commands.distributed_env(),
                       capture_output=True, text=True, timeout=600, check=True)
  lines = dict(line.split(' ', 1) for line in out.stdout.splitlines()
               if line.startswith(('METRICS', 'UPDATE')))
  metrics = lines['METRICS'].replace('[', '').replace(']', '').replace(',', '')
  values = [float(v) for v in metrics.split()]
  one, two = values[:3], values[3:]
  assert two == pytest.approx(one, rel=1e-5)  # Loss, gradient norm, reward NLL.
  difference, size = (float(v) for v in lines['UPDATE'].split())
  assert size > 1e-4  # The step moved the weights,
  assert difference < 1e-6  # the same way on one replica and on two.


def _launch(root_dir, num_episodes):
  return bin_commands.launch_distributed(
      root_dir, f'train_eval.num_episodes = {num_episodes}',
      # tiny.gin's own ratio (C x B / W = 2) lets the actors store every
      # episode before the first checkpoint; 25 keeps them behind the
      # learner, so a stopped run still has episodes to collect and train on.
      'ReplayTable.samples_per_insert = 25.0',
      # A checkpoint past step 0 while it runs, which the test waits for.
      'LearnerCheckpoint.updates = 4')


def _log(root_dir, name):
  with open(os.path.join(root_dir, 'logs', f'{name}.log')) as f:
    return f.read()


@pytest.mark.slow
def test_launcher_trains_is_stopped_and_resumes_with_every_episode(tmp_path):
  root_dir = str(tmp_path / 'run')
  launcher = _launch(root_dir, 6)
  try:
    deadline = time.time() + 600
    # Stop it once the learner has trained and checkpointed past step 0.
    while time.time() < deadline and launcher.poll() is None:
      state = status.read(root_dir)
      if state and state['train_steps'] > 0 and glob.glob(
          os.path.join(root_dir, 'train', 'ckpt-[1-9]*.index')):
        break
      time.sleep(0.5)
    assert launcher.poll() is None, launcher.communicate()[0]
    launcher.send_signal(signal.SIGTERM)
    output = launcher.communicate(timeout=120)[0]
  finally:
    if launcher.poll() is None:
      os.killpg(launcher.pid, signal.SIGKILL)
  assert 'run the same command to resume' in output
  assert not bin_commands.running(root_dir)  # Server, learner and actors all stopped.
  stored = glob.glob(os.path.join(root_dir, 'train', 'episodes', 'actor-*',
                                  'episode-*.npz'))
  assert stored
  checkpointed = status.read(root_dir)['train_steps']

  launcher = _launch(root_dir, 6)  # The same command resumes.
  try:
    output = launcher.communicate(timeout=900)[0]
  finally:
    if launcher.poll() is None:
      os.killpg(launcher.pid, signal.SIGKILL)
  assert launcher.returncode == 0, output
  assert 'done' in output
  assert not bin_commands.running(root_dir)
  # The server refilled every stored episode; the learner restored a checkpoint.
  assert f'of {len(stored)} stored episodes' in _log(root_dir, 'replay_server')
  starts = [line for line in _log(root_dir, 'learner').splitlines()
            if line.startswith('Learner at train step')]
  assert len(starts) == 2 and 'ckpt-' in starts[-1], starts
  final = status.read(root_dir)
  assert final['episodes'] >= 6 and final['train_steps'] > checkpointed
  with open(os.path.join(root_dir, 'eval', 'returns.csv')) as f:
    rows = f.read().splitlines()[1:]
  assert {'random', 'collect', 'greedy'} <= {r.split(',')[3] for r in rows}
  assert os.listdir(os.path.join(root_dir, 'policies'))
