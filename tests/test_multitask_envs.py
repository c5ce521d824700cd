"""Several tasks behind one padded action spec: padding, slicing, own repeats."""

import gin
import numpy as np
import pytest
from tf_agents.environments import py_environment
from tf_agents.specs import array_spec
from tf_agents.trajectories import time_step as ts

from planet_tf.envs import multitask


class _RecordingEnv(py_environment.PyEnvironment):
  """A 2-d action env that records the actions it receives."""

  def __init__(self, minimum=-1.0):
    super().__init__()
    self.received = []
    self._spec = array_spec.BoundedArraySpec((2,), np.float32, minimum, 1.0)

  def action_spec(self):
    return self._spec

  def observation_spec(self):
    return array_spec.ArraySpec((1,), np.float32)

  def _reset(self):
    return ts.restart(np.zeros(1, np.float32))

  def _step(self, action):
    self.received.append(np.array(action))
    return ts.transition(np.zeros(1, np.float32), np.float32(0))


def test_padding_gives_the_longest_action_and_slices_each_tasks_own():
  inner = _RecordingEnv()
  env = multitask.PaddedActionEnv(inner, 6)
  spec = env.action_spec()
  assert spec.shape == (6,) and spec.dtype == np.float32
  np.testing.assert_array_equal(spec.minimum, -1)
  np.testing.assert_array_equal(spec.maximum, 1)
  assert env.task_action_size == 2
  env.reset()
  env.step(np.array([0.1, -0.2, 0.9, 0.9, 0.9, 0.9], np.float32))
  np.testing.assert_allclose(inner.received[-1], [0.1, -0.2])
  with pytest.raises(ValueError, match='does not match the padded action'):
    env.step(np.zeros(2, np.float32))


def test_padding_refuses_what_it_cannot_pad():
  with pytest.raises(ValueError, match='more than the padded action size 1'):
    multitask.PaddedActionEnv(_RecordingEnv(), 1)
  with pytest.raises(ValueError, match=r'bounded by \[-1, 1\]'):
    multitask.PaddedActionEnv(_RecordingEnv(minimum=0.0), 3)


def test_bad_task_lists_are_named():
  with pytest.raises(ValueError, match='two or more'):
    multitask.check_task_names(['cheetah_run'])
  with pytest.raises(ValueError, match='list of task names'):
    multitask.check_task_names('cheetah_run')
  with pytest.raises(ValueError, match="'cheetah_run'.*more than once"):
    multitask.check_task_names(['cheetah_run', 'cheetah_run'])
  with pytest.raises(ValueError, match='Unknown task .cheetah_fly'):
    multitask.check_task_names(['cartpole_swingup', 'cheetah_fly'])


def test_a_shared_action_repeat_binding_is_refused():
  gin.parse_config('planet_tf.envs.load.action_repeat = 8')
  with pytest.raises(ValueError, match='keeps its own action repeat'):
    multitask.load(['cartpole_swingup', 'cheetah_run'])


def test_real_tasks_share_one_spec_and_keep_their_repeats_and_lengths():
  tasks = multitask.load(['cartpole_swingup', 'cheetah_run'], seed=0,
                         episode_length=40)
  try:
    assert [t.action_spec() for t in tasks] == [tasks[1].action_spec()] * 2
    assert tasks[0].action_spec().shape == (6,)  # cheetah's 6 > cartpole's 1.
    assert [t.task_action_size for t in tasks] == [1, 6]
    assert [t.action_repeat for t in tasks] == [8, 4]
    lengths = []
    for env in tasks:
      assert env.observation_spec().shape == (64, 64, 3)
      assert env.observation_spec().dtype == np.uint8
      step, steps = env.reset(), 0
      while not step.is_last():
        step = env.step(np.full(6, 0.5, np.float32))
        steps += 1
      assert step.observation.dtype == np.uint8
      lengths.append(steps)
    assert lengths == [40 // 8, 40 // 4]
  finally:
    for env in tasks:
      env.close()
