"""Dreamer's loop without running it: its settings, what it refuses, its gin
files at the published values, and how bin/train chooses it."""

import dataclasses

import gin
import pytest

from planet_tf import config
from planet_tf.cli import train as train_cli
from planet_tf.loops import dreamer
from planet_tf.loops import planet
from planet_tf.loops import registry

DREAMER_FILES = [f for f in config.available_gin_files()
                 if f.startswith('dreamer_')]
# The bindings Dreamer's CPU file shares with PlaNet's cheetah_cpu.gin: the
# world model, its optimizer, the environment and the loop.
SHARED = ('ConvEncoder.', 'ConvDecoder.', 'RSSM.', 'DenseHead.', 'WorldModel.',
          'EpisodeReplay.', 'envs.load.')
LOOP = ('num_seed_episodes', 'num_episodes', 'train_steps_per_episode',
        'batch_size', 'sequence_length', 'eval_interval', 'num_eval_episodes',
        'final_eval_episodes', 'seed')


def _bindings(name):
  gin.clear_config()
  config.parse_gin([name], finalize=False)
  return {k: gin.query_parameter(k) for k in _bound_keys()}


def _bound_keys():
  keys = []
  for line in gin.config_str().splitlines():
    if ' = ' in line and not line.startswith(('#', ' ')):
      keys.append(line.split(' = ')[0])
  return keys


def test_dreamer_s_settings_are_planet_s_under_its_own_name():
  settings = dreamer.Settings(task_name='cheetah_run', batch_size=7)
  assert isinstance(settings, planet.Settings)
  assert registry.kind_of_settings(settings).name == 'dreamer_train_eval'
  assert registry.kind_of_settings(
      planet.Settings(task_name='cheetah_run')).name == 'train_eval'
  assert dreamer.RESUMABLE == planet.RESUMABLE
  # Stored as PlaNet's one-task runs are: no task_names, reward_free, ...
  assert set(planet.stored_settings(settings)) == set(
      planet.stored_settings(planet.Settings(task_name='cheetah_run')))
  assert registry.kind(registry.DREAMER).acting == 'actor'


@pytest.mark.parametrize('change,message', [
    ({'task_names': ('cartpole_balance', 'cheetah_run')},
     'dreamer_train_eval.task_names: Dreamer learns one task'),
    ({'reward_free': True}, 'dreamer_train_eval.reward_free'),
    ({'env_constructors': {'mine': dict}}, 'your own environments'),
    ({'task_name': None}, 'dreamer_train_eval needs a task'),
    ({'batch_size': 0}, 'dreamer_train_eval: batch_size must be >= 1'),
    ({'batch_size': 'big'}, 'dreamer_train_eval.batch_size takes an int'),
])
def test_what_dreamer_does_not_learn_is_refused_naming_the_setting(change,
                                                                   message):
  values = dict(task_name='cartpole_balance')
  values.update(change)
  with pytest.raises(ValueError, match=message):
    dreamer.Settings(**values)


def test_named_rewards_are_refused_before_the_run_directory(tmp_path):
  config.parse_gin(['dreamer_tiny.gin'], [
      "planet_tf.envs.load.rewards = ('forward', 'backward')"], finalize=False)
  with pytest.raises(ValueError, match='one reward'):
    dreamer.run(str(tmp_path / 'run'), dreamer.Settings())
  assert not (tmp_path / 'run').exists()


@pytest.mark.parametrize('name', DREAMER_FILES)
def test_dreamer_files_choose_dreamer_s_loop(name):
  config.parse_gin([name], finalize=False)
  assert gin.query_parameter('train.loop').configurable.name == (
      'dreamer_train_eval')
  if name != 'dreamer_base.gin':  # No task: included by the task files.
    dreamer.Settings()


def test_the_base_file_holds_dreamer_s_published_values():
  config.parse_gin(['dreamer_cheetah.gin'], finalize=False)
  for key, value in [('DreamerAgent.horizon', 15),
                     ('DreamerAgent.lambda_', 0.95),
                     ('DreamerAgent.discount', 0.99),
                     ('DreamerAgent.model_learning_rate', 6e-4),
                     ('DreamerAgent.actor_learning_rate', 8e-5),
                     ('DreamerAgent.value_learning_rate', 8e-5),
                     ('DreamerAgent.grad_clip_norm', 100.0),
                     ('CollectActorPolicy.exploration_noise', 0.3),
                     ('planet_tf.envs.load.action_repeat', 2),
                     ('dreamer_train_eval.batch_size', 50),
                     ('dreamer_train_eval.sequence_length', 50),
                     ('dreamer_train_eval.train_steps_per_episode', 100),
                     ('dreamer_train_eval.num_seed_episodes', 5)]:
    assert gin.query_parameter(key) == value, key


def test_the_cpu_file_shares_cheetah_cpu_s_model_and_loop():
  planet_cpu = _bindings('cheetah_cpu.gin')
  dreamer_cpu = _bindings('dreamer_cheetah_cpu.gin')
  shared = {k for k in set(planet_cpu) | set(dreamer_cpu)
            if k.startswith(SHARED)}
  assert len(shared) > 20
  for key in sorted(shared):
    assert dreamer_cpu.get(key) == planet_cpu.get(key), key
  for setting in LOOP:
    assert (dreamer_cpu[f'dreamer_train_eval.{setting}'] ==
            planet_cpu[f'train_eval.{setting}']), setting
  for planet_key, dreamer_key in [
      ('PlanetAgent.learning_rate', 'DreamerAgent.model_learning_rate'),
      ('PlanetAgent.adam_epsilon', 'DreamerAgent.adam_epsilon'),
      ('PlanetAgent.grad_clip_norm', 'DreamerAgent.grad_clip_norm')]:
    assert dreamer_cpu[dreamer_key] == planet_cpu[planet_key], dreamer_key


def test_train_runs_dreamer_for_a_dreamer_file(monkeypatch):
  config.parse_gin(['dreamer_tiny.gin'], finalize=False)
  calls = []
  monkeypatch.setitem(registry.KINDS, registry.DREAMER, dataclasses.replace(
      registry.kind(registry.DREAMER),
      run=lambda root, settings: calls.append(settings)))
  train_cli.train('/nowhere', max_minutes=2.0)
  assert [type(s) for s in calls] == [dreamer.Settings]
  assert calls[0].task_name == 'cartpole_balance'
  assert calls[0].max_minutes == 2.0
