"""A Dreamer run's three ways to act, on the session's finished
dreamer_tiny run (conftest.finished_run): its actor, CEM in its world model,
and CEM whose plans end in its value; their evaluation with the cost of an
action (bin/evaluate --acting), and the export of CEM + value, which holds the
run's value network.
"""

import gin
import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

import bin_commands
from planet_tf.loops import evaluate as evaluation
from planet_tf.loops import registry
from planet_tf.loops import restore

# A planner small enough for a test: the paper's 1000 candidates, 10
# iterations, would only cost time.
SMALL_CEM = ('cem.iterations = 2', 'cem.candidates = 16', 'cem.top_k = 4')


@pytest.fixture(scope='module')
def root(finished_run):
  return finished_run('dreamer_tiny')[0]


@pytest.mark.slow
@pytest.mark.parametrize('acting, horizon', [
    (registry.ACTOR, None), (registry.CEM, 3), (registry.CEM_VALUE, 2)])
def test_each_acting_is_evaluated_with_the_cost_of_an_action(root, acting,
                                                              horizon):
  result = evaluation.evaluate(
      root, num_episodes=1, seed=0, acting=acting, horizon=horizon,
      gin_bindings=() if acting == registry.ACTOR else SMALL_CEM)
  assert len(result.returns) == 1 and np.isfinite(result.returns[0])
  assert result.train_step == 4
  assert result.policy.startswith(f'{root} at train step 4, acting {acting}')
  if horizon is not None:
    assert result.policy.endswith(f', horizon {horizon}')
  # dreamer_tiny.gin: 10 agent steps, 11 actions (LAST's included), the
  # first (which traces) left out.
  assert result.cost.actions == 10
  assert result.cost.wall_seconds > 0 and result.cost.cpu_seconds > 0


@pytest.mark.slow
def test_bin_evaluate_prints_the_returns_and_the_cost_per_action(root):
  result = bin_commands.command(
      'evaluate', f'--policy={root}', '--num_episodes=1', '--seed=0',
      '--acting=cem_value', '--horizon=2',
      *[f'--gin_param={b}' for b in SMALL_CEM])
  assert result.returncode == 0, result.stderr[-3000:]
  lines = result.stdout.splitlines()
  assert lines[0].startswith('episode 0: return ')
  assert lines[1].startswith(f'{root} at train step 4, acting cem_value, '
                             'horizon 2: mean return ')
  assert lines[2].startswith('per action: ') and lines[2].endswith(
      'CPU s (median of 10 actions)')


def _time_step(spec):
  """One batched FIRST step of fixed random frames."""
  frames = np.random.RandomState(0).randint(
      0, 256, (1,) + tuple(spec.observation.shape))
  return ts.TimeStep(tf.constant([0]), tf.zeros([1]), tf.ones([1]),
                     tf.constant(frames, tf.uint8))


@pytest.mark.slow
def test_the_export_planning_with_the_value_holds_the_run_s_value(root,
                                                                   tmp_path):
  path = restore.export_from_run(
      root, str(tmp_path / 'cem_value'), gin_bindings=SMALL_CEM,
      acting=registry.CEM_VALUE, horizon=2)
  # The planner's horizon is the binding --horizon adds to the run's.
  assert gin.query_parameter('cem.horizon') == 2
  agent = restore.restore_agent(root)
  value = {v.name: v.numpy() for v in agent.value.trainable_variables}
  loaded = tf.saved_model.load(path)
  saved = {v.name: v.numpy() for v in loaded.model_variables}
  assert value and set(value) <= set(saved)
  for name, weights in value.items():
    np.testing.assert_array_equal(saved[name], weights)
  step = loaded.action(_time_step(agent.time_step_spec),
                       loaded.get_initial_state(1))
  assert step.action.shape == (1,) + tuple(agent.action_spec.shape)
  # Plain CEM plans without it.
  plain = tf.saved_model.load(restore.export_from_run(
      root, str(tmp_path / 'cem'), gin_bindings=SMALL_CEM,
      acting=registry.CEM))
  assert not set(value) & {v.name for v in plain.model_variables}
