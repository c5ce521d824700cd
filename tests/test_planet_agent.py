"""PlanetAgent: train fits the world model the policies plan with."""

import os
import sys

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.agents import tf_agent
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)),
                                'examples'))
import tf_agents_pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position

L = 6
A = 2


@pytest.fixture(scope='module')
def agent():
  time_step_spec = ts.time_step_spec(tf.TensorSpec([64, 64, 3], tf.uint8))
  action_spec = tensor_spec.BoundedTensorSpec([A], tf.float32, -1, 1)
  agent = tf_agents_pipeline.tiny_agent(time_step_spec, action_spec, L, seed=0)
  agent.initialize()
  return agent


def _chunk(agent, batch_size=3, length=L, seed=0, policy_info=True):
  """A `[B, L]` chunk of smooth images whose brightness follows the reward."""
  rng = np.random.default_rng(seed)
  spec = agent.collect_data_spec
  reward = rng.uniform(0, 1, [batch_size, length]).astype(np.float32)
  base = np.linspace(0, 255, 64, dtype=np.float32)[None, None, :, None, None]
  images = np.broadcast_to(base * reward[..., None, None, None],
                           [batch_size, length, 64, 64, 3]).astype(np.uint8)
  experience = tf.nest.map_structure(
      lambda s: np.zeros([batch_size, length] + s.shape.as_list(),
                         s.dtype.as_numpy_dtype), spec)
  step_type = np.full([batch_size, length], ts.StepType.MID, np.int32)
  step_type[:, 0] = ts.StepType.FIRST
  experience = experience._replace(
      observation=images, reward=reward, step_type=step_type,
      action=rng.uniform(-1, 1, [batch_size, length, A]).astype(np.float32),
      discount=np.ones([batch_size, length], np.float32))
  if not policy_info:
    experience = experience._replace(policy_info=())
  return experience


def test_train_returns_loss_info_with_every_loss_term(agent):
  before = int(agent.train_step_counter.numpy())
  loss_info = agent.train(_chunk(agent))
  assert isinstance(loss_info, tf_agent.LossInfo)
  assert {'loss', 'image_nll', 'reward_nll', 'kl', 'kl_loss'} <= set(
      loss_info.extra)
  assert float(loss_info.loss) == float(loss_info.extra['loss'])
  assert all(np.isfinite(float(v)) for v in loss_info.extra.values())
  assert int(agent.train_step_counter.numpy()) == before + 1
  assert agent.train_sequence_length == L


def test_policies_plan_with_the_trained_model(agent):
  assert agent.policy.world_model is agent.world_model
  assert agent.collect_policy.world_model is agent.world_model
  assert agent.collect_policy.exploration_noise > 0
  assert agent.policy.exploration_noise == 0
  variable = agent.world_model.reward_heads['reward'].trainable_variables[0]
  before = variable.numpy().copy()
  agent.train(_chunk(agent, seed=1))
  assert not np.allclose(before, variable.numpy())


def test_training_lowers_the_loss_of_a_batch(agent):
  experience = _chunk(agent, seed=2)
  first = float(agent.loss(experience).loss)
  for _ in range(20):
    agent.train(experience)
  assert float(agent.loss(experience).loss) < first - 1.0


def test_loss_does_not_train(agent):
  step = int(agent.train_step_counter.numpy())
  variables = [v.numpy() for v in agent.world_model.trainable_variables]
  agent.loss(_chunk(agent, seed=3))
  assert int(agent.train_step_counter.numpy()) == step
  for before, v in zip(variables, agent.world_model.trainable_variables):
    np.testing.assert_array_equal(before, v.numpy())


def test_accepts_chunks_without_policy_info(agent):
  # EpisodeReplay drops policy_info; a TFUniformReplayBuffer keeps it.
  assert np.isfinite(float(agent.train(_chunk(agent, policy_info=False)).loss))


def test_rejects_chunks_of_another_length(agent):
  with pytest.raises(ValueError, match='train_sequence_length=6'):
    agent.train(_chunk(agent, length=L + 1))


def test_rejects_observations_of_another_shape(agent):
  experience = _chunk(agent)
  experience = experience._replace(observation=experience.observation[..., :32, :])
  with pytest.raises(ValueError, match='observation'):
    agent.train(experience)


def test_rejects_sample_weights(agent):
  with pytest.raises(ValueError, match='weights'):
    agent.train(_chunk(agent), weights=tf.ones([3]))


def test_rejects_a_too_short_sequence_length():
  time_step_spec = ts.time_step_spec(tf.TensorSpec([64, 64, 3], tf.uint8))
  action_spec = tensor_spec.BoundedTensorSpec([1], tf.float32, -1, 1)
  with pytest.raises(ValueError, match='train_sequence_length'):
    tf_agents_pipeline.tiny_agent(time_step_spec, action_spec, 1)


def test_rejects_fields_of_different_batch_sizes(agent):
  experience = _chunk(agent)
  experience = experience._replace(reward=experience.reward[:2])
  with pytest.raises(ValueError, match='experience.reward has outer'):
    agent.train(experience)
