"""Any environment: the user's own constructor (`train_eval.env_constructors`)
trains with bin/train and evaluates with bin/evaluate unchanged; an environment
that does not fit is a clear error saying what PlaNet needs."""

import os
import subprocess
import sys

import gin
import numpy as np
import pytest
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from planet_tf.loops import planet as train_eval
from planet_tf.distributed import settings as distributed_settings
from planet_tf.envs import custom
from planet_tf.envs import multitask

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, MUJOCO_GL=os.environ.get('MUJOCO_GL', 'egl'),
           TF_CPP_MIN_LOG_LEVEL='2')
PIXELS = array_spec.BoundedArraySpec((64, 64, 3), np.uint8, 0, 255)


class _Env(py_environment.PyEnvironment):
  """A user's environment with the given specs; black frames, reward 1."""

  def __init__(self, observation=PIXELS, action=None, reward=None):
    super().__init__()
    self._observation = observation
    self._action = action or array_spec.BoundedArraySpec(
        (2,), np.float32, -1.0, 1.0)
    self._reward = reward
    self.closed = False

  def observation_spec(self):
    return self._observation

  def action_spec(self):
    return self._action

  def reward_spec(self):
    return self._reward or super().reward_spec()

  def _reset(self):
    return ts.restart(np.zeros(self._observation.shape, np.uint8))

  def _step(self, action):
    return ts.transition(np.zeros(self._observation.shape, np.uint8),
                         np.float32(1))

  def close(self):
    self.closed = True


def _my_env(seed=None):
  del seed
  return _Env()


def _settings(**changes):
  values = dict(task_name='my_env', task_names=None, num_seed_episodes=1,
                num_episodes=2, train_steps_per_episode=1, batch_size=1,
                sequence_length=2, eval_interval=1, num_eval_episodes=1,
                export_interval=1, video_interval=1, checkpoint_interval=1,
                seed=None, max_minutes=None,
                env_constructors={'my_env': _my_env})
  values.update(changes)
  return train_eval.Settings(**values)


def test_a_fitting_environment_is_built_with_its_seed():
  seeds = []

  def constructor(seed):
    seeds.append(seed)
    return _Env()

  env = custom.load('my_env', {'my_env': constructor}, seed=3)
  assert seeds == [3] and isinstance(env, _Env)


def test_another_image_size_is_refused_naming_what_is_needed():
  env = _Env(observation=array_spec.BoundedArraySpec((32, 32, 3), np.uint8, 0,
                                                     255))
  with pytest.raises(ValueError) as error:
    custom.load('my_env', {'my_env': lambda seed: env})
  message = str(error.value)
  assert "'my_env' (_Env) does not fit PlaNet" in message
  assert 'observations uint8 [64, 64, 3]' in message
  assert '(32, 32, 3)' in message
  assert env.closed


def test_discrete_actions_are_refused_saying_planet_needs_continuous_ones():
  env = _Env(action=array_spec.BoundedArraySpec((), np.int32, 0, 3))
  with pytest.raises(ValueError, match=r'continuous actions: a float32 '
                     r'BoundedArraySpec \[A\].*discrete or integer actions do '
                     r'not fit.*int32'):
    custom.check_env(env, 'my_env')


def test_unbounded_actions_and_a_vector_reward_are_refused():
  # No bounds given: BoundedArraySpec spans the whole float32 range.
  env = _Env(action=array_spec.BoundedArraySpec((2,), np.float32),
             reward=array_spec.ArraySpec((3,), np.float32))
  with pytest.raises(ValueError, match='finite action bounds.*; a float32 '
                     'scalar reward'):
    custom.check_env(env, 'my_env')
  named = _Env(reward={'forward': array_spec.ArraySpec((), np.float32)})
  custom.check_env(named, 'my_env')  # Named rewards fit.


def test_a_constructor_must_be_a_callable_not_an_environment():
  with pytest.raises(ValueError, match='without parentheses'):
    custom.check_constructors({'my_env': _Env()})


def test_a_bound_name_is_a_task_and_an_unbound_one_says_how_to_bind_it():
  assert _settings().task_name == 'my_env'
  with pytest.raises(ValueError, match="Unknown task 'my_env'.*"
                     r"train_eval.env_constructors = \{'my_env': @my_env\}"):
    _settings(env_constructors=None)
  several = _settings(task_name=None, task_names=('my_env', 'cheetah_run'))
  assert several.task_names == ('my_env', 'cheetah_run')


def test_a_run_stores_its_constructors_by_python_name():
  assert train_eval.stored_settings(_settings())['env_constructors'] == {
      'my_env': f'{__name__}._my_env'}
  paper = _settings(task_name='cheetah_run', env_constructors=None)
  assert 'env_constructors' not in train_eval.stored_settings(paper)


def test_own_tasks_share_one_padded_action_spec():
  def one_d(seed):
    del seed
    return _Env(action=array_spec.BoundedArraySpec((1,), np.float32, -1, 1))

  tasks = multitask.load(['a', 'b'], seed=0,
                         constructors={'a': one_d, 'b': _my_env})
  assert [t.action_spec().shape for t in tasks] == [(2,), (2,)]
  assert [t.task_action_size for t in tasks] == [1, 2]


def test_distributed_training_refuses_an_own_environment():
  gin.bind_parameter('train_eval.task_name', 'my_env')
  gin.bind_parameter('train_eval.env_constructors', {'my_env': _my_env})
  with pytest.raises(ValueError, match='bin/train'):
    distributed_settings.loop_settings()


def _command(program, *args):
  return subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', program), *args], cwd=ROOT,
      env=ENV, capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope='module')
def pendulum_run(tmp_path_factory):
  """examples/pendulum_swingup.gin at tiny sizes, as the README runs it."""
  root = str(tmp_path_factory.mktemp('pendulum'))
  args = [f'--root_dir={root}', '--gin_file=examples/pendulum_swingup.gin',
          '--gin_file=tiny_sizes.gin',
          '--gin_param=pendulum_swingup_env.episode_length = 40']
  first = _command('train', *args)
  assert first.returncode == 0, first.stderr[-3000:]
  return {'root': root, 'args': args, 'first': first}


@pytest.mark.slow
def test_bin_train_trains_pendulum_swingup_and_resumes_it(pendulum_run):
  root = pendulum_run['root']
  assert '4/4 episodes' in pendulum_run['first'].stdout
  with open(os.path.join(root, 'train', 'config.gin')) as f:
    assert ("train_eval.env_constructors = {'pendulum_swingup': "
            "'examples.pendulum_env.pendulum_swingup_env'}") in f.read()
  with open(os.path.join(root, 'operative_config.gin')) as f:
    operative = f.read()
  assert 'import examples.pendulum_env' in operative
  assert 'pendulum_swingup_env.episode_length = 40' in operative
  # The same command again resumes the finished run: the stored constructor
  # is the same one.
  again = _command('train', *pendulum_run['args'])
  assert again.returncode == 0, again.stderr[-3000:]


@pytest.mark.slow
def test_bin_evaluate_rebuilds_the_runs_own_environment(pendulum_run):
  result = _command('evaluate', f'--policy={pendulum_run["root"]}',
                    '--num_episodes=1')
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'mean return' in result.stdout
