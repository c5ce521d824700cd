"""The PlaNet pixel tasks as TF-Agents environments."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from dm_control import suite
from tf_agents.drivers import dynamic_episode_driver
from tf_agents.policies import random_tf_policy
from tf_agents.trajectories import time_step as ts

from planet_tf import envs
from planet_tf.data import replay as replay_lib

PAPER_REPEATS = {
    'cartpole_balance': 8, 'cartpole_swingup': 8, 'reacher_easy': 4,
    'cheetah_run': 4, 'finger_spin': 2, 'cup_catch': 4, 'walker_walk': 2,
}


def test_registry_holds_the_papers_tasks_and_action_repeats():
  assert {name: task.action_repeat for name, task in envs.TASKS.items()} == (
      PAPER_REPEATS)


@pytest.mark.parametrize('task_name', sorted(PAPER_REPEATS))
def test_specs_and_dtypes(task_name):
  env = envs.load(task_name, seed=0)
  obs_spec = env.observation_spec()
  assert obs_spec.shape == (64, 64, 3) and obs_spec.dtype == np.uint8
  action_spec = env.action_spec()
  assert action_spec.dtype == np.float32 and len(action_spec.shape) == 1
  np.testing.assert_array_equal(action_spec.minimum, -1)
  np.testing.assert_array_equal(action_spec.maximum, 1)
  assert env.action_repeat == PAPER_REPEATS[task_name]
  first = env.reset()
  assert first.step_type == ts.StepType.FIRST
  assert first.observation.shape == (64, 64, 3)
  assert first.observation.dtype == np.uint8
  step = env.step(np.zeros(action_spec.shape, np.float32))
  assert step.observation.dtype == np.uint8
  assert step.reward.dtype == np.float32 and step.discount.dtype == np.float32
  assert step.observation.std() > 0  # A real picture, not a blank frame.
  env.close()


def test_unknown_task_names_the_valid_ones():
  with pytest.raises(ValueError, match='cheetah_run.*walker_walk') as e:
    envs.load('cheetah_fly')
  assert 'cheetah_fly' in str(e.value)
  with pytest.raises(ValueError, match='Unknown task'):
    envs.load_tf('cartpole')


def test_action_repeat_sums_rewards_and_renders_once_per_agent_step():
  repeat = 3
  env = envs.load('cartpole_swingup', action_repeat=repeat, seed=7)
  reference = suite.load('cartpole', 'swingup', task_kwargs={'random': 7})
  renders = []
  real_render = env.physics.render
  env.physics.render = lambda *a, **k: renders.append(1) or real_render(*a, **k)
  env.reset()
  reference.reset()
  rng = np.random.default_rng(0)
  for step in range(1, 6):
    action = rng.uniform(-1, 1, (1,)).astype(np.float32)
    total = sum(reference.step(action).reward for _ in range(repeat))
    time_step = env.step(action)
    assert time_step.reward == pytest.approx(total, rel=1e-5)
    assert len(renders) == step + 1  # One frame per agent step, plus reset.
  np.testing.assert_allclose(env.physics.data.qpos,
                             reference.physics.data.qpos)


def test_first_and_last_survive_auto_reset_and_repeat_stops_at_the_end():
  # 20 simulator steps with a repeat of 8: steps of 8, 8 and then 4.
  env = envs.load('cartpole_balance', episode_length=20, seed=0)
  types = [env.reset().step_type]
  for _ in range(5):
    types.append(env.step(np.zeros(1, np.float32)).step_type)
  F, M, L = ts.StepType.FIRST, ts.StepType.MID, ts.StepType.LAST
  assert [int(t) for t in types] == [F, M, M, L, F, M]


def test_full_suite_episode_is_1000_simulator_steps():
  env = envs.load('cartpole_balance', seed=0)  # Repeat 8: 125 agent steps.
  time_step = env.reset()
  steps = 0
  while not time_step.is_last():
    time_step = env.step(np.zeros(1, np.float32))
    steps += 1
  assert steps == 1000 // 8
  assert time_step.discount == 1.0  # A time limit, not a terminal state.


@pytest.mark.slow
def test_tf_function_driver_runs_a_random_episode_on_a_pixel_env():
  tf_env = envs.load_tf('cartpole_balance', seed=1)
  policy = random_tf_policy.RandomTFPolicy(tf_env.time_step_spec(),
                                           tf_env.action_spec())
  replay = replay_lib.EpisodeReplay(policy.trajectory_spec)
  driver = dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, policy, observers=[replay], num_episodes=1)
  run = tf.function(driver.run)
  time_step, _ = run(tf_env.reset())
  # 125 agent steps, plus the boundary step that holds the last observation.
  assert replay.episode_lengths() == [126]
  chunk = replay.sample(1, 126)
  step_types = chunk.step_type[0]
  assert step_types[0] == ts.StepType.FIRST
  assert step_types[-1] == ts.StepType.LAST
  assert np.all(step_types[1:-1] == ts.StepType.MID)
  assert chunk.observation.dtype == np.uint8
  assert chunk.observation.shape == (1, 126, 64, 64, 3)
  # Real pictures (rendering on the wrong thread gives black or garbage frames):
  # every frame has content, the cart moves between frames, and the first frame
  # is the one an env with the same seed renders on this thread.
  frames = chunk.observation[0].astype(np.float32)
  assert frames.reshape(126, -1).std(axis=1).min() > 0
  assert len({frame.tobytes() for frame in chunk.observation[0]}) > 1
  reference_env = envs.load('cartpole_balance', seed=1)
  reference = reference_env.reset().observation
  reference_env.close()
  np.testing.assert_allclose(frames[0], reference, atol=2)
  assert int(time_step.step_type[0]) == ts.StepType.FIRST  # Auto-reset.


def _mujoco_gl_in_subprocess(value):
  env = {k: v for k, v in os.environ.items() if k != 'MUJOCO_GL'}
  if value is not None:
    env['MUJOCO_GL'] = value
  code = 'import os, planet_tf.envs; print(os.environ["MUJOCO_GL"])'
  out = subprocess.run([sys.executable, '-c', code], env=env, check=True,
                       capture_output=True, text=True)
  return out.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_mujoco_gl_defaults_to_egl_but_respects_the_user():
  assert _mujoco_gl_in_subprocess(None) == 'egl'
  assert _mujoco_gl_in_subprocess('osmesa') == 'osmesa'


def test_isolated_env_exits_without_egl_errors():
  code = ('import planet_tf.envs as e; env = e.load_tf("cartpole_balance"); '
          'env.reset(); env.step(env.action_spec().minimum[None])')
  out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                       text=True, check=True)
  assert 'EGLError' not in out.stderr and 'Exception ignored' not in out.stderr
