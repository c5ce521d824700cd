"""The exported policy acts like the live one, and without planet_tf."""

import functools
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from planet_tf import models
from planet_tf import networks
from planet_tf.planning import cem
from planet_tf.policies import CemPolicy
from planet_tf.policies import CollectCemPolicy
from planet_tf.policies import export_policy
from planet_tf.policies import saver

IMAGE = (64, 64, 3)
SMALL_CEM = functools.partial(cem, horizon=3, iterations=2, candidates=50,
                              top_k=5)
XLA_CEM = functools.partial(cem, horizon=3, iterations=2, candidates=50,
                            top_k=5, jit_compile=True)


def small_world_model(action_size):
  """A real WorldModel with tiny layers (64x64 images)."""
  return models.WorldModel(
      action_size=action_size,
      encoder=networks.ConvEncoder(filters=(4, 4, 4, 4)),
      dynamics=models.RSSM(stoch_size=4, deter_size=8, hidden_size=8),
      decoder=networks.ConvDecoder(dense_units=8, filters=(4, 4, 4)),
      reward_heads={'reward': networks.DenseHead(units=(8,))})


def _specs(action_size, dtype=tf.float32):
  observation = tensor_spec.BoundedTensorSpec(IMAGE, tf.uint8, 0, 255, 'pixels')
  action = tensor_spec.BoundedTensorSpec((action_size,), dtype, -1.0, 1.0,
                                         'action')
  return ts.time_step_spec(observation), action


def _inputs(steps, batch, seed=0):
  """`steps` batched TimeSteps: FIRST, then MID, with fixed random frames."""
  rng = np.random.RandomState(seed)
  for t in range(steps):
    kind = ts.StepType.FIRST if t == 0 else ts.StepType.MID
    yield ts.TimeStep(
        step_type=tf.fill([batch], tf.constant(kind, tf.int32)),
        reward=tf.constant(rng.randn(batch), tf.float32),
        discount=tf.ones([batch]),
        observation=tf.constant(rng.randint(0, 256, (batch,) + IMAGE),
                                tf.uint8))


def _run(policy, batch, steps=3):
  state = policy.get_initial_state(batch_size=batch)
  actions, returns = [], []
  for time_step in _inputs(steps, batch):
    step = policy.action(time_step, state)
    state = step.state
    actions.append(step.action.numpy())
    returns.append(step.info['predicted_return'].numpy())
  return np.stack(actions), np.stack(returns)


@pytest.mark.parametrize('policy_class, dtype, planner', [
    (CemPolicy, tf.float32, SMALL_CEM),
    (CollectCemPolicy, tf.float32, SMALL_CEM),
    (CemPolicy, tf.float64, SMALL_CEM),  # Planned in float32, emitted cast.
    (CollectCemPolicy, tf.float32, XLA_CEM),  # The planner XLA-compiled.
], ids=['greedy', 'collect', 'greedy-float64', 'collect-xla'])
def test_export_reload_gives_the_live_policys_actions(policy_class, dtype,
                                                      planner, tmp_path):
  time_step_spec, action_spec = _specs(action_size=2, dtype=dtype)
  policy = policy_class(time_step_spec, action_spec, small_world_model(2),
                        planner=planner, seed=11)
  path = export_policy(policy, str(tmp_path / 'policy'), train_step=7)
  with open(os.path.join(path, 'saved_model.pb'), 'rb') as f:
    # The planner's XLA compilation is kept in the export (and only there).
    assert (b'_XlaMustCompile' in f.read()) == (planner is XLA_CEM)
  # The generator state is saved at export; the live policy continues from it.
  live_actions, live_returns = _run(policy, batch=2)
  loaded = tf.saved_model.load(path)
  loaded_actions, loaded_returns = _run(loaded, batch=2)
  assert live_actions.dtype == loaded_actions.dtype == dtype.as_numpy_dtype
  assert np.all(np.abs(loaded_actions) <= 1.0)
  np.testing.assert_allclose(loaded_actions, live_actions, atol=1e-5)
  np.testing.assert_allclose(loaded_returns, live_returns, rtol=1e-4, atol=1e-5)
  assert int(loaded.get_train_step()) == 7
  # Acting again continues the random stream: a second run differs (so the
  # comparison above is not between constant outputs).
  again, _ = _run(loaded, batch=2)
  assert not np.allclose(again, loaded_actions)


def _tensorflow_loads_with_global_symbols():
  """Whether TensorFlow, imported without planet_tf, loads its libraries with
  RTLD_GLOBAL: the TF 2.16+ wheels, which ship `pywrap_dlopen_global_flags`."""
  return os.path.exists(os.path.join(os.path.dirname(tf.__file__), 'python',
                                     'pywrap_dlopen_global_flags.py'))


_EPISODE_SCRIPT = textwrap.dedent("""
    import os, sys
    os.environ.setdefault('MUJOCO_GL', 'egl')
    import numpy as np
    # TensorFlow before dm_control: TF 2.20 hangs loading beside Mesa's LLVM.
    from tf_agents.policies import py_tf_eager_policy
    from tf_agents.trajectories import time_step as ts
    from dm_control import suite

    policy = py_tf_eager_policy.SavedModelPyTFEagerPolicy(
        sys.argv[1], load_specs_from_pbtxt=True)
    env = suite.load('cartpole', 'balance', task_kwargs={'random': 0})
    repeat = 8

    def frame():
      return env.physics.render(height=64, width=64, camera_id=0)

    env.reset()
    time_step = ts.restart(frame())
    state = policy.get_initial_state(batch_size=1)
    steps, total = 0, 0.0
    while True:
      action_step = policy.action(time_step, state)
      action, state = action_step.action, action_step.state
      assert action.shape == (1,) and np.all(np.abs(action) <= 1.0), action
      assert np.isfinite(action_step.info['predicted_return']).all()
      reward = 0.0
      for _ in range(repeat):
        dm_step = env.step(action)
        reward += dm_step.reward or 0.0
        if dm_step.last():
          break
      steps += 1
      total += reward
      if dm_step.last():
        break
      time_step = ts.transition(frame(), np.float32(reward))
    assert 'planet_tf' not in sys.modules, 'planet_tf was imported'
    assert not any(m.startswith('planet_tf') for m in sys.modules)
    print('EPISODE', steps, total)
""")


@pytest.mark.slow
def test_exported_policy_runs_an_episode_without_planet_tf(tmp_path):
  time_step_spec, action_spec = _specs(action_size=1)  # cartpole: one action.
  policy = CemPolicy(time_step_spec, action_spec, small_world_model(1),
                     planner=SMALL_CEM, seed=0)
  path = export_policy(policy, str(tmp_path / 'policy'))
  script = tmp_path / 'run_episode.py'
  script.write_text(_EPISODE_SCRIPT)
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  env.setdefault('MUJOCO_GL', 'egl')
  env.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  if _tensorflow_loads_with_global_symbols():
    # As the README says for a process without planet_tf: Mesa's llvmpipe
    # crashes beside TensorFlow's global LLVM symbols, and softpipe does not.
    env.setdefault('GALLIUM_DRIVER', 'softpipe')
  result = subprocess.run([sys.executable, str(script), path], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600,
                          check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  # A whole cartpole episode: 1000 simulator steps at action repeat 8.
  assert 'EPISODE 125 ' in result.stdout, result.stdout


@pytest.fixture
def tiny_run(tmp_path):
  """A run directory as `train_eval` leaves it: config and a checkpoint (step 5).

  Yields `(root_dir, agent)`; the agent is the live one whose state was saved.
  """
  import gin  # pylint: disable=g-import-not-at-top
  from planet_tf import config  # pylint: disable=g-import-not-at-top
  from planet_tf import envs  # pylint: disable=g-import-not-at-top
  from planet_tf import run_dir  # pylint: disable=g-import-not-at-top
  from planet_tf.agents import PlanetAgent  # pylint: disable=g-import-not-at-top
  root = tmp_path / 'run'
  root.mkdir()
  (root / run_dir.OPERATIVE_CONFIG_FILE).write_text("include 'tiny.gin'\n")
  gin.clear_config()
  try:
    config.parse_gin([str(root / run_dir.OPERATIVE_CONFIG_FILE)],
                     finalize=False)
    env = envs.load('cartpole_balance')
    agent = PlanetAgent(tensor_spec.from_spec(env.time_step_spec()),
                        tensor_spec.from_spec(env.action_spec()), seed=0)
    env.close()
    agent.initialize()
    agent.train_step_counter.assign(5)
    run_dir.RunCheckpoint(str(root / 'train'), agent=agent).save(5)
    yield str(root), agent
  finally:
    gin.clear_config()


@pytest.mark.slow
def test_bin_export_writes_the_checkpointed_policy(tiny_run):
  root, agent = tiny_run
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
      [sys.executable, os.path.join(repo, 'bin', 'export'),
       f'--root_dir={root}'], env=env, capture_output=True, text=True,
      timeout=600, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  path = os.path.join(root, 'policies', '5')
  assert result.stdout.strip().splitlines()[-1] == path
  loaded = tf.saved_model.load(path)
  assert int(loaded.get_train_step()) == 5
  # The checkpoint holds the weights and the generator state: the export acts
  # exactly like the live greedy policy from the saved state.
  np.testing.assert_allclose(_run(loaded, batch=1)[0],
                             _run(agent.policy, batch=1)[0], atol=1e-5)


def test_bin_export_fails_clearly_without_a_run(tmp_path):
  repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
  result = subprocess.run(
      [sys.executable, os.path.join(repo, 'bin', 'export'),
       f'--root_dir={tmp_path}'], capture_output=True, text=True, timeout=600,
      check=False)
  assert result.returncode != 0
  assert 'not a planet_tf run directory' in result.stderr


def test_export_replaces_an_existing_directory_atomically(tmp_path):
  time_step_spec, action_spec = _specs(2)
  policy = CemPolicy(time_step_spec, action_spec, small_world_model(2),
                     planner=SMALL_CEM, seed=0)
  output = tmp_path / 'policy'
  output.mkdir()
  (output / 'old.txt').write_text('an older export')
  (tmp_path / '.tmp-export-policy-999').mkdir()  # Left by a crashed export.
  export_policy(policy, str(output), train_step=7)
  assert (output / 'saved_model.pb').exists()
  assert not (output / 'old.txt').exists()
  assert tf.saved_model.load(str(output)).get_train_step().numpy() == 7
  # Only the stale directory of the crashed export is left beside it; a run
  # removes those when it starts.
  assert sorted(os.listdir(tmp_path)) == ['.tmp-export-policy-999', 'policy']
  saver.remove_stale_exports(str(tmp_path))
  assert sorted(os.listdir(tmp_path)) == ['policy']


def test_export_of_a_cem_policy_with_a_value_includes_the_value(tmp_path):
  time_step_spec, action_spec = _specs(action_size=2)
  world_model = small_world_model(2)
  value = networks.DenseHead(units=(8,), name='value')
  policy = CemPolicy(time_step_spec, action_spec, world_model,
                     planner=SMALL_CEM, value=value, discount=0.99, seed=5)
  path = export_policy(policy, str(tmp_path / 'policy'))
  live_actions, live_returns = _run(policy, batch=2)
  loaded = tf.saved_model.load(path)
  saved = {v.name: v.numpy() for v in loaded.model_variables}
  for variable in value.trainable_variables:
    np.testing.assert_array_equal(saved[variable.name], variable.numpy())
  loaded_actions, loaded_returns = _run(loaded, batch=2)
  np.testing.assert_allclose(loaded_actions, live_actions, atol=1e-5)
  np.testing.assert_allclose(loaded_returns, live_returns, rtol=1e-4, atol=1e-5)
