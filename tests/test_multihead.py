"""The poster's multi-head recipe: reward-free dynamics on cheetah, one reward
head per task (forward, backward), a policy and an export per head."""

import csv
import dataclasses
import os
import shutil

import gin
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

import bin_commands
from planet_tf import config
from planet_tf.loops import evaluate as evaluation
from planet_tf import run_dir
from planet_tf.loops import planet as train_eval
from planet_tf.agents import heads
from planet_tf.policies import export_policy
from planet_tf.loops import restore

HORIZON = 3


class ConstantHead(tf.keras.layers.Layer):
  """A hand-set reward head: `value` for every state, whatever the action."""

  def __init__(self, value, **kwargs):
    super().__init__(**kwargs)
    self.value = float(value)

  def call(self, features):
    return tfp.distributions.Normal(
        tf.zeros_like(features[..., 0]) + self.value, 1.0)


def _agent(reward_names=('forward', 'backward')):
  """A tiny agent for 64x64 images with a dict reward; heads +1 and -1."""
  observation = tensor_spec.BoundedTensorSpec((64, 64, 3), tf.uint8, 0, 255)
  reward = {name: tf.TensorSpec((), tf.float32, name) for name in reward_names}
  time_step_spec = ts.time_step_spec(observation, reward)
  action_spec = tensor_spec.BoundedTensorSpec((2,), tf.float32, -1.0, 1.0)
  gin.bind_parameter('cem.horizon', HORIZON)
  gin.bind_parameter('cem.iterations', 2)
  gin.bind_parameter('cem.candidates', 16)
  gin.bind_parameter('cem.top_k', 4)
  gin.bind_parameter('ConvEncoder.filters', (4, 4, 4, 4))
  gin.bind_parameter('ConvDecoder.dense_units', 8)
  gin.bind_parameter('ConvDecoder.filters', (4, 4, 4))
  gin.bind_parameter('RSSM.stoch_size', 4)
  gin.bind_parameter('RSSM.deter_size', 8)
  gin.bind_parameter('RSSM.hidden_size', 8)
  gin.bind_parameter('DenseHead.units', (8,))
  agent = heads.make_agent(time_step_spec, action_spec, seed=0)
  agent.world_model.reward_heads.update(
      forward=ConstantHead(1.0), backward=ConstantHead(-1.0))
  return agent


def _first_step(time_step_spec, batch=1):
  rng = np.random.default_rng(0)
  return ts.TimeStep(
      step_type=tf.fill([batch], ts.StepType.FIRST),
      reward={k: tf.zeros([batch]) for k in time_step_spec.reward},
      discount=tf.ones([batch]),
      observation=tf.constant(rng.integers(0, 256, (batch, 64, 64, 3)),
                              tf.uint8))


def test_a_dict_reward_spec_gives_one_head_per_name_and_policies_of_the_first():
  agent = _agent()
  assert heads.reward_names(agent.time_step_spec.reward) == (
      'forward', 'backward')
  assert heads.reward_names(tf.TensorSpec((), tf.float32)) is None
  assert agent.policy.reward_head == 'forward'
  assert agent.collect_policy.reward_head == 'forward'
  assert heads.head_policy(agent, 'forward') is agent.policy
  assert heads.head_policy(agent, 'backward').reward_head == 'backward'
  with pytest.raises(ValueError, match='forward, backward'):
    heads.head_policy(agent, 'sideways')


def test_the_policy_plans_with_the_head_it_is_given():
  agent = _agent()
  time_step = _first_step(agent.time_step_spec)
  for head, value in (('forward', 1.0), ('backward', -1.0)):
    policy = heads.head_policy(agent, head)
    step = policy.action(time_step, policy.get_initial_state(1))
    # The planner's return is the head's reward summed over the horizon.
    np.testing.assert_allclose(step.info['predicted_return'],
                               [HORIZON * value], rtol=1e-6)


@pytest.mark.slow
def test_an_export_plans_with_its_head_without_planet_tf(tmp_path):
  agent = _agent()
  time_step = _first_step(agent.time_step_spec)
  path = export_policy(heads.head_policy(agent, 'backward'),
                       str(tmp_path / 'backward'))
  loaded = tf.saved_model.load(path)
  exported = loaded.action(time_step, loaded.get_initial_state(1))
  np.testing.assert_allclose(exported.info['predicted_return'], [-HORIZON],
                             rtol=1e-6)


def test_reward_free_is_refused_unless_no_head_shapes_the_latent(tmp_path):
  config.parse_gin(['cheetah.gin'], ['train_eval.reward_free = True'])
  root = tmp_path / 'run'
  with pytest.raises(ValueError, match=r'WorldModel.shaping_heads = \[\]'):
    train_eval.train_eval(str(root))
  assert not root.exists()  # A refused start changes nothing.


def test_a_planet_run_stores_its_settings_as_before():
  settings = train_eval.Settings(
      task_name='cheetah_run', task_names=None, num_seed_episodes=5,
      num_episodes=10, train_steps_per_episode=100, batch_size=50,
      sequence_length=50, eval_interval=10, num_eval_episodes=1,
      export_interval=100, video_interval=10, checkpoint_interval=1, seed=None,
      max_minutes=None)
  assert 'reward_free' not in train_eval.stored_settings(settings)
  assert 'task_names' not in train_eval.stored_settings(settings)
  stored = train_eval.stored_settings(
      dataclasses.replace(settings, reward_free=True))
  assert stored['reward_free'] is True
  with pytest.raises(ValueError, match='task_name, not task_names'):
    train_eval.Settings(**dict(
        stored, task_name=None, task_names=('cheetah_run', 'walker_walk')))


def test_each_head_has_its_own_export_directory(tmp_path):
  root = str(tmp_path)
  assert run_dir.policy_dir(root, 7) == os.path.join(root, 'policies', '7')
  assert run_dir.policy_dir(root, 7, 'backward') == os.path.join(
      root, 'policies', '7-backward')
  assert run_dir.head_of_policy_dir(os.path.join(root, 'policies', '7-a')) == 'a'
  assert run_dir.head_of_policy_dir(os.path.join(root, 'policies', '7')) is None
  for name in ('2-forward', '10-forward', '10-backward', '3'):
    os.makedirs(os.path.join(root, 'policies', name))
    open(os.path.join(root, 'policies', name, 'saved_model.pb'), 'w').close()
  assert run_dir.find_policy_dir(root, 'forward').endswith('10-forward')
  assert run_dir.find_policy_dir(root).endswith(os.sep + '3')
  with pytest.raises(FileNotFoundError, match='backward, forward'):
    run_dir.find_policy_dir(root, 'sideways')


@pytest.mark.slow
def test_the_recipe_end_to_end_at_tiny_sizes(tmp_path, finished_run):
  """Reward-free random episodes with reward dicts, two heads, one export each,
  evaluation of each head by its export."""
  finished, result = finished_run('cheetah_multihead_tiny')
  root = str(tmp_path / 'run')
  shutil.copytree(finished, root)
  assert result.stdout.splitlines()[-1].startswith(
      '4 episodes, 80 env steps, 4 updates,')
  rows = bin_commands.rows(root)
  # Never a reward-seeking agent's episode; one row per head and episode.
  assert {r['policy'] for r in rows} == {'random', 'greedy'}
  assert [(r['episodes'], r['head']) for r in rows if r['policy'] == 'random'
         ] == [(e, h) for e in '1234' for h in ('forward', 'backward')]
  assert {r['head'] for r in rows if r['policy'] == 'greedy'} == {
      'forward', 'backward'}
  episodes = sorted(os.listdir(os.path.join(root, 'train', 'episodes')))
  assert len(episodes) == 4
  stored = run_dir.configurable_settings(root, 'train_eval')
  assert stored['reward_free'] is True
  exports = sorted(os.listdir(os.path.join(root, 'policies')))
  assert exports == ['0-backward', '0-forward', '4-backward', '4-forward']
  # bin/evaluate's logic: the head picks its export and its reward.
  for head in ('forward', 'backward'):
    policy_dir, returns, _, _ = evaluation.evaluate(
        root, num_episodes=1, seed=0, reward_head=head)
    assert policy_dir == os.path.join(root, 'policies', f'4-{head}')
    assert len(returns) == 1 and returns[0] >= 0
  # bin/export's logic: one head per SavedModel, named by --reward_head.
  with pytest.raises(ValueError, match='forward, backward.*--reward_head'):
    restore.export_from_run(root)
  assert restore.export_from_run(root, reward_head='backward') == os.path.join(
      root, 'policies', '4-backward')
  with pytest.raises(FileNotFoundError, match='backward, forward: pass one'):
    evaluation.evaluate(root)
  with pytest.raises(ValueError, match="plans with the reward head 'forward'"):
    evaluation.evaluate(os.path.join(root, 'policies', '4-forward'),
                        reward_head='backward')

  # A kill after episode 4 was stored, before its checkpoint and its rows: the
  # resumed run rebuilds each head's row from the stored reward dicts.
  train = os.path.join(root, 'train')
  for name in os.listdir(train):
    if name.startswith('ckpt-4.'):
      os.remove(os.path.join(train, name))
  with open(os.path.join(train, 'checkpoint'), 'w') as f:
    f.write('model_checkpoint_path: "ckpt-2"\n'
            'all_model_checkpoint_paths: "ckpt-0"\n'
            'all_model_checkpoint_paths: "ckpt-2"\n')
  kept = [r for r in rows if r['episodes'] != '4']
  with open(os.path.join(root, 'eval', 'returns.csv'), 'w', newline='') as f:
    writer = csv.DictWriter(f, list(rows[0]), lineterminator='\n')
    writer.writeheader()
    writer.writerows(kept)
  config.parse_gin(['cheetah_multihead_tiny.gin'])
  train_eval.train_eval(root)
  gin.clear_config()
  def random_rows(table):
    return [(r['env_steps'], r['head'], r['return']) for r in table
            if r['episodes'] == '4' and r['policy'] == 'random']
  assert random_rows(bin_commands.rows(root)) == random_rows(rows)
  assert len(random_rows(rows)) == 2


def test_the_recipes_gin_file_is_the_papers_sizes_with_the_poster_settings():
  config.parse_gin(['cheetah_multihead.gin'], finalize=False)
  assert gin.query_parameter('planet_tf.envs.load.rewards') == (
      'forward', 'backward')
  assert list(gin.query_parameter('WorldModel.shaping_heads')) == []
  assert gin.query_parameter('train_eval.reward_free') is True
  assert gin.query_parameter('train_eval.task_name') == 'cheetah_run'
  assert gin.query_parameter('RSSM.deter_size') == 200
  assert gin.query_parameter('cem.candidates') == 1000
  assert gin.query_parameter('train_eval.batch_size') == 50
