"""GLAMOR's pieces together: a goal task collected by the agent's collect policy
through a TF-Agents driver into HindsightReplay, trained on relabelled
examples (the loss falls), evaluated by success where it stops, and exported
as a SavedModel that acts as the live policy does in a process that never
imports planet_tf. One test, since tracing the train step and exporting cost
~25 s together."""

import functools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.environments import tf_py_environment

from planet_tf.evaluation import goals as goal_evaluation
from planet_tf.data import hindsight_replay
from planet_tf.agents import GlamorAgent
from planet_tf.envs import goal_env
from planet_tf.models import InverseDynamics
from planet_tf.networks import ImpalaEncoder
from planet_tf.planning import sample_plans
from planet_tf.policies import CollectGoalPolicy
from planet_tf.policies import GoalPolicy
from planet_tf.policies import export_policy

TASK, SIZE, HORIZON, ACTIONS = 'point_mass_easy', 16, 6, 9
PLANNER = functools.partial(sample_plans, candidates=8)

_RELOAD_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    from tf_agents.trajectories import time_step as ts

    data = np.load(sys.argv[2])
    policy = tf.saved_model.load(sys.argv[1])
    state = policy.get_initial_state(1)
    for t in range(len(data['actions'])):
      step = ts.TimeStep(
          tf.constant([data['step_type'][t]]), tf.zeros([1]), tf.ones([1]),
          {'observation': tf.constant(data['observation'][t:t + 1]),
           'goal': tf.constant(data['goal'][t:t + 1])})
      action_step = policy.action(step, state)
      state = action_step.state
      assert int(action_step.action[0]) == int(data['actions'][t]), (
          t, action_step.action, data['actions'])
    assert not any(m.startswith('planet_tf') for m in sys.modules)
    print('SAME ACTIONS', len(data['actions']))
""")


def _small_model():
  def encoder(name):
    return ImpalaEncoder(channels=(4, 4, 4), feature_size=16, groups=2,
                         name=name)
  return InverseDynamics(ACTIONS, encoder('obs'), encoder('goal'), mix_units=8,
                         context_size=12, lstm_units=6)


def _greedy_episode(py_env, policy):
  """As `goal_evaluation.run_goal_episode`, keeping what the policy saw.

  Returns `(success, steps, inputs)`; `inputs` are the time steps and actions.
  """
  time_step = py_env.reset()
  state = policy.get_initial_state(1)
  inputs = {'step_type': [], 'observation': [], 'goal': [], 'actions': []}
  for steps in range(1, HORIZON + 1):
    batched = tf.nest.map_structure(lambda x: tf.constant(x)[None], time_step)
    action_step = policy.action(batched, state)
    state = action_step.state
    for key, value in [('step_type', time_step.step_type),
                       ('observation', time_step.observation['observation']),
                       ('goal', time_step.observation['goal']),
                       ('actions', action_step.action[0].numpy())]:
      inputs[key].append(np.asarray(value))
    time_step = py_env.step(action_step.action[0].numpy())
    if bool(action_step.info['stop'][0]) or time_step.is_last():
      break
  return py_env.success(), steps, {k: np.stack(v) for k, v in inputs.items()}


@pytest.mark.slow
def test_collect_train_evaluate_export_and_reload_without_planet_tf(tmp_path):
  tf.keras.utils.set_random_seed(0)  # The model's initial weights.
  goals = goal_env.make_goal_set(TASK, num_goals=2, num_episodes=4,
                                 horizon=HORIZON, image_size=SIZE, seed=0)
  tf_env = tf_py_environment.TFPyEnvironment(goal_env.load_goal_env(
      TASK, goals, HORIZON, image_size=SIZE, seed=0))
  agent = GlamorAgent(
      tf_env.time_step_spec(), tf_env.action_spec(), model=_small_model(),
      horizon=HORIZON, seed=0, learning_rate=1e-2,
      policy_class=functools.partial(GoalPolicy, planner=PLANNER),
      collect_policy_class=functools.partial(CollectGoalPolicy, epsilon=0.5,
                                             planner=PLANNER))
  replay = hindsight_replay.HindsightReplay(agent.collect_data_spec, ACTIONS,
                                            seed=0)
  dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, agent.collect_policy, observers=[replay], num_episodes=2).run()
  assert replay.num_episodes == 2 and replay.num_steps == 2 * (HORIZON + 1)

  # Updates fit a fixed batch (the step is traced once, then cheap).
  examples = replay.sample_examples(16, HORIZON)
  losses = []
  for _ in range(40):
    info = agent.train(examples)
    losses.append(float(info.loss))
  assert set(info.extra) == {'loss', 'goal_nll', 'prior_nll', 'grad_norm'}
  assert int(agent.train_step_counter) == 40
  assert losses[-1] < 0.75 * losses[0], losses  # Seen: 4.77 -> 2.61.

  eval_env = goal_env.load_goal_env(TASK, goals, HORIZON, image_size=SIZE,
                                    seed=1, sequential=True)
  rate, episodes = goal_evaluation.success_rate(eval_env, agent.policy, 2)
  assert 0.0 <= rate <= 1.0 and [e.goal_index for e in episodes] == [0, 1]
  assert all(1 <= e.steps <= HORIZON for e in episodes)

  path = export_policy(agent.policy, str(tmp_path / 'policy'), train_step=40)
  # The generator state is saved at export: the live policy, acting from
  # here, is what a fresh load must reproduce.
  _, _, inputs = _greedy_episode(eval_env, agent.policy)
  np.savez(tmp_path / 'inputs.npz', **inputs)
  script = tmp_path / 'reload.py'
  script.write_text(_RELOAD_SCRIPT)
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  result = subprocess.run(
      [sys.executable, str(script), path, str(tmp_path / 'inputs.npz')],
      cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
      check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert f'SAME ACTIONS {len(inputs["actions"])}' in result.stdout
  eval_env.close()
  tf_env.close()
