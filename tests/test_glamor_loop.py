"""GLAMOR's loop without running it: its settings, the updates it owes, its
goals on disk, and how bin/train chooses it (PlaNet's files stay PlaNet's)."""

import dataclasses

import gin
import numpy as np
import pytest

from planet_tf import config
from planet_tf.loops import glamor as glamor_train_eval
from planet_tf import run_dir
from planet_tf.loops import planet as train_eval
from planet_tf.cli import train as train_cli
from planet_tf.loops import registry
from planet_tf.envs import goal_suite

GLAMOR_FILES = [f for f in config.available_gin_files()
                if f.startswith('glamor_')]


def _settings(**changes):
  values = dict(
      task_name='grid_world', horizon=10, image_size=28, num_goals=49,
      num_goal_episodes=1, num_seed_steps=100, num_env_steps=1000,
      samples_per_step=4.0, batch_size=50, epsilon_start=1.0, epsilon_end=0.1,
      epsilon_steps=500, eval_interval=1, video_interval=1,
      checkpoint_interval=1, export_interval=1, seed=0, max_minutes=None)
  values.update(changes)
  return glamor_train_eval.Settings(**values)


def test_no_update_is_due_before_learning_starts_then_four_samples_per_step():
  settings = _settings()
  assert glamor_train_eval.updates_due(settings, 0) == 0
  assert glamor_train_eval.updates_due(settings, 100) == 0
  # 4 examples per step in batches of 50: 2 updates per 25 steps.
  assert glamor_train_eval.updates_due(settings, 125) == 2
  assert glamor_train_eval.updates_due(settings, 137) == 2
  assert glamor_train_eval.updates_due(settings, 1100) == 80
  half = _settings(samples_per_step=2.0)
  assert glamor_train_eval.updates_due(half, 1100) == 40


@pytest.mark.parametrize('change,message', [
    ({'task_name': 'no_task'}, 'Unknown GLAMOR task'),
    ({'image_size': 30}, 'multiple of 7'),
    ({'batch_size': 0}, 'batch_size must be >= 1'),
    ({'samples_per_step': 0.0}, 'samples_per_step'),
    ({'epsilon_end': 1.5}, 'epsilon_end must be in'),
    ({'max_minutes': 0}, 'max_minutes must be > 0'),
])
def test_bad_settings_are_refused_naming_the_setting(change, message):
  with pytest.raises(ValueError, match=message):
    _settings(**change)


def test_only_counts_intervals_and_time_may_change_on_resume():
  assert glamor_train_eval.RESUMABLE == {
      'num_env_steps', 'eval_interval', 'video_interval',
      'checkpoint_interval', 'export_interval', 'max_minutes'}
  assert {f.name for f in dataclasses.fields(glamor_train_eval.Settings)} > (
      glamor_train_eval.RESUMABLE)


def test_grid_goals_far_apart_and_stored_as_made(tmp_path):
  every = goal_suite.make_goals('grid_world', 49, 0, 10, 28)
  assert every.images.shape == (49, 28, 28, 1) and len(every.labels) == 49
  corners = goal_suite.make_goals('grid_world', 4, 0, 10, 28, seed=3)
  assert corners.images.shape == (4, 28, 28, 1)
  # Farthest-point choice over a 7x7 grid: the four goals are spread out.
  distances = np.abs(corners.labels[:, None] - corners.labels[None]).sum(-1)
  assert distances[np.triu_indices(4, 1)].min() >= 4  # Seen: 5.
  path = str(tmp_path / 'goals.npz')
  goal_suite.save_goal_set(path, corners)
  loaded = goal_suite.load_goal_set(path)
  for field in loaded._fields:
    np.testing.assert_array_equal(getattr(loaded, field),
                                  getattr(corners, field))
  env = goal_suite.load('grid_world', loaded, 10, 28, sequential=True)
  assert env.num_goals == 4
  assert env.observation_spec()['goal'].shape == (28, 28, 1)


@pytest.mark.parametrize('name', GLAMOR_FILES)
def test_glamor_files_choose_glamor_s_loop(name):
  config.parse_gin([name], finalize=False)
  loop = gin.query_parameter('train.loop')
  assert loop.configurable.name == 'glamor_train_eval'
  if name == 'glamor_base.gin':
    return  # No task: included by the task files.
  task = gin.query_parameter('glamor_train_eval.task_name')
  goal_suite.check_task(task, gin.query_parameter('glamor_train_eval.image_size'))


def test_the_control_task_files_are_at_the_paper_s_sizes():
  assert {'glamor_reacher.gin', 'glamor_point_mass.gin', 'glamor_grid_world.gin',
          'glamor_tiny.gin'} <= set(GLAMOR_FILES)
  config.parse_gin(['glamor_reacher.gin'], finalize=False)
  for key, value in [('glamor_train_eval.horizon', 100),
                     ('glamor_train_eval.batch_size', 200),
                     ('glamor_train_eval.samples_per_step', 4.0),
                     ('glamor_train_eval.num_seed_steps', 50000),
                     ('glamor_train_eval.epsilon_steps', 300000),
                     ('sample_plans.candidates', 200),
                     ('InverseDynamics.lstm_units', 64),
                     ('GlamorAgent.learning_rate', 5e-4)]:
    assert gin.query_parameter(key) == value, key


@pytest.mark.parametrize('name', ['cheetah.gin', 'tiny.gin', 'multitask.gin'])
def test_planet_files_bind_no_loop_and_train_runs_planet(name, monkeypatch):
  config.parse_gin([name], finalize=False)
  assert 'train.loop' not in gin.config_str()
  # Without train.loop, train builds PlaNet's settings and runs PlaNet's kind.
  calls = []
  planet_kind = registry.kind(registry.DEFAULT)
  monkeypatch.setitem(registry.KINDS, registry.DEFAULT, dataclasses.replace(
      planet_kind, run=lambda root, settings: calls.append((root, settings))))
  train_cli.train('/nowhere')
  train_cli.train('/nowhere', max_minutes=2.0)
  assert [root for root, _ in calls] == ['/nowhere'] * 2
  assert all(isinstance(s, train_eval.Settings) for _, s in calls)
  assert calls[0][1].max_minutes is None and calls[1][1].max_minutes == 2.0


def test_a_run_without_a_stored_loop_is_planet_s(tmp_path):
  assert registry.loop_of_run(str(tmp_path)) == 'train_eval'
  (tmp_path / 'train').mkdir()
  (tmp_path / 'train' / 'config.gin').write_text(
      "train.loop = @glamor_train_eval\nglamor_train_eval.horizon = 10\n")
  assert registry.loop_of_run(str(tmp_path)) == 'glamor_train_eval'
