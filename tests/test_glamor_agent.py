"""GlamorAgent owns its train step (AdamW, global-norm clipping) on relabelled
examples, and its policies plan with the model it trains. Its train step's
updates are tested in test_glamor_end_to_end.py (tracing it takes ~10 s)."""

import numpy as np
import pytest
import tensorflow as tf

from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from planet_tf.data import relabel
from planet_tf.agents import GlamorAgent
from planet_tf.models import InverseDynamics
from planet_tf.networks import ImpalaEncoder
from planet_tf.policies import CollectGoalPolicy
from planet_tf.policies import GoalPolicy

A, SIZE = 3, 16
K = 6  # The agent's horizon: targets have K + 1 tokens.


def small_model():
  def encoder(name):
    return ImpalaEncoder(channels=(4, 4, 4), feature_size=16, groups=2,
                         name=name)
  return InverseDynamics(A, encoder('obs'), encoder('goal'), mix_units=8,
                         context_size=12, lstm_units=6)


def _specs():
  observation = {
      'observation': tensor_spec.BoundedTensorSpec(
          [SIZE, SIZE, 4], tf.uint8, 0, 255),
      'goal': tensor_spec.BoundedTensorSpec([SIZE, SIZE, 1], tf.uint8, 0, 255)}
  action = tensor_spec.BoundedTensorSpec([], tf.int32, 0, A - 1)
  return ts.time_step_spec(observation), action


def _agent(**kwargs):
  return GlamorAgent(*_specs(), model=small_model(), horizon=K, seed=0,
                     **kwargs)


def _examples(size=8, seed=0):
  """Relabelled examples of one random trajectory of 12 steps."""
  rng = np.random.default_rng(seed)
  frames = rng.integers(0, 256, [13, SIZE, SIZE, 4]).astype(np.uint8)
  actions = rng.integers(0, A, 12).astype(np.int32)
  return relabel.sample_examples(frames, actions, A, K, size, rng)


def test_the_policies_plan_with_the_trained_model():
  agent = _agent()
  assert isinstance(agent.policy, GoalPolicy)
  assert isinstance(agent.collect_policy, CollectGoalPolicy)
  assert agent.policy.model is agent.model is agent.collect_policy.model
  assert agent.policy.horizon == K
  # The paper's optimizer.
  assert isinstance(agent.optimizer, tf.keras.optimizers.AdamW)
  np.testing.assert_allclose(float(agent.optimizer.learning_rate), 5e-4)
  assert agent.training_data_spec.targets.shape == (K + 1,)


def test_loss_without_an_update_is_the_models():
  agent = _agent()
  examples = _examples()
  info = agent.loss(examples)
  loss, _ = agent.model.loss(examples.observation, examples.goal,
                             examples.targets)
  np.testing.assert_allclose(info.loss, loss, rtol=1e-6)
  assert set(info.extra) == {'loss', 'goal_nll', 'prior_nll'}


def test_what_the_agent_cannot_train_on_is_named():
  agent = _agent()
  examples = _examples()
  with pytest.raises(ValueError, match='relabel.Examples'):
    agent.train(tuple(examples))
  with pytest.raises(ValueError, match='horizon=6'):
    agent.train(examples._replace(targets=examples.targets[:, :-1]))
  with pytest.raises(ValueError, match='weights'):
    agent.train(examples, weights=tf.ones([8]))


def test_initialize_creates_what_a_checkpoint_restores(tmp_path):
  agent = _agent()
  agent.initialize()
  assert agent.optimizer.variables  # AdamW's slots exist before any update.
  path = tf.train.Checkpoint(agent=agent).save(str(tmp_path / 'ckpt'))
  other = _agent()
  other.initialize()
  tf.train.Checkpoint(agent=other).restore(path).assert_consumed()
  for mine, theirs in zip(agent.model.variables, other.model.variables):
    np.testing.assert_array_equal(mine, theirs)
