"""Several named rewards of one physics (cheetah forward / backward)."""

import numpy as np
import pytest
import tensorflow as tf
from dm_control import suite
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf.data import episode_runner
from planet_tf import envs
from planet_tf.data import replay as replay_lib
from planet_tf.envs import rewards as rewards_lib


def test_forward_is_dm_controls_run_reward_and_backward_its_mirror():
  dm_env = suite.load('cheetah', 'run', task_kwargs={'random': 3})
  dm_env.reset()
  rng = np.random.default_rng(0)
  speeds = []
  for _ in range(60):
    step = dm_env.step(rng.uniform(-1, 1, dm_env.action_spec().shape))
    speed = dm_env.physics.speed()
    speeds.append(speed)
    assert rewards_lib.cheetah_forward(dm_env.physics) == pytest.approx(
        step.reward)
    assert rewards_lib.cheetah_backward(dm_env.physics) == pytest.approx(
        min(max(-speed, 0.0), 10.0) / 10.0)
  assert min(speeds) < 0 < max(speeds)  # Both directions were exercised.
  # The ramp: 0 at rest, 1 at 10 m/s (and above), linear in between.
  assert rewards_lib._run_reward(0.0) == 0.0
  assert rewards_lib._run_reward(5.0) == pytest.approx(0.5)
  assert rewards_lib._run_reward(12.0) == 1.0


def test_env_returns_a_dict_of_rewards_summed_over_the_repeat():
  env = envs.load('cheetah_run', seed=1, rewards=('forward', 'backward'),
                  episode_length=40)
  plain = envs.load('cheetah_run', seed=1, episode_length=40)
  assert set(env.reward_spec()) == {'forward', 'backward'}
  assert env.time_step_spec().reward == env.reward_spec()
  first = env.reset()
  plain.reset()
  assert set(first.reward) == {'forward', 'backward'}
  rng = np.random.default_rng(1)
  while True:
    action = rng.uniform(-1, 1, env.action_spec().shape).astype(np.float32)
    step, plain_step = env.step(action), plain.step(action)
    assert step.reward['forward'].dtype == np.float32
    # Same physics and seed: forward is the task's own reward.
    assert step.reward['forward'] == pytest.approx(plain_step.reward, abs=1e-6)
    assert 0 <= step.reward['backward'] <= env.action_repeat
    if step.step_type == ts.StepType.LAST:
      break
  env.close()
  plain.close()


def test_unknown_rewards_are_refused_naming_what_exists():
  with pytest.raises(ValueError, match='backward, forward'):
    envs.load('cheetah_run', rewards=('sideways',))
  with pytest.raises(ValueError, match='domains with them: cheetah'):
    envs.load('cartpole_swingup', rewards=('forward',))
  with pytest.raises(ValueError, match='more than once'):
    envs.load('cheetah_run', rewards=('forward', 'forward'))


def test_replay_stores_reward_dicts_and_reads_them_back(tmp_path):
  env = envs.load('cheetah_run', seed=0, rewards=('forward', 'backward'),
                  episode_length=24)
  spec = env.time_step_spec()
  assert set(spec.reward) == {'forward', 'backward'}
  data_spec = trajectory.Trajectory(
      spec.step_type, spec.observation, env.action_spec(), (),
      spec.step_type, spec.reward, spec.discount)
  replay = replay_lib.EpisodeReplay(data_spec, directory=str(tmp_path), seed=0)
  returns = episode_runner.EpisodeReturn()
  episode_runner.run(env, episode_runner.random_policy(env), [replay, returns],
                     num_episodes=2)
  env.close()
  chunk = replay.sample(3, 4)
  assert set(chunk.reward) == {'forward', 'backward'}
  assert chunk.reward['forward'].shape == (3, 4)
  stored = replay.episode_returns()
  assert [set(r) for r in stored] == [{'forward', 'backward'}] * 2
  for ours, theirs in zip(returns.returns, stored):  # Summed in other orders.
    for name in ('forward', 'backward'):
      assert ours[name] == pytest.approx(theirs[name], rel=1e-5)
  again = replay_lib.EpisodeReplay(data_spec, directory=str(tmp_path))
  assert again.episode_returns() == stored
