"""Every bundled gin file parses, and bad gin input fails with a clear error."""

import logging

import gin
import pytest

from planet_tf import config
from planet_tf import envs

TASK_FILES = {
    'cartpole.gin': 'cartpole_swingup', 'cartpole_balance.gin': 'cartpole_balance',
    'reacher.gin': 'reacher_easy', 'cheetah.gin': 'cheetah_run',
    'finger.gin': 'finger_spin', 'cup.gin': 'cup_catch',
    'walker.gin': 'walker_walk',
}


@pytest.mark.parametrize('name', config.available_gin_files())
def test_every_gin_file_parses(name):
  config.parse_gin([name], finalize=False)


@pytest.mark.parametrize('name,task', sorted(TASK_FILES.items()))
def test_task_files_bind_the_task_and_its_paper_action_repeat(name, task):
  assert name in config.available_gin_files()
  config.parse_gin([name], finalize=False)
  assert gin.query_parameter('train_eval.task_name') == task
  assert (gin.query_parameter('planet_tf.envs.load.action_repeat') ==
          envs.TASKS[task].action_repeat)


@pytest.mark.parametrize('name,task', sorted(TASK_FILES.items()))
def test_each_task_file_has_a_dreamer_file_at_dreamer_s_action_repeat(name,
                                                                      task):
  config.parse_gin([f'dreamer_{name}'], finalize=False)
  assert gin.query_parameter('dreamer_train_eval.task_name') == task
  assert gin.query_parameter('planet_tf.envs.load.action_repeat') == 2


def test_unknown_gin_file_lists_the_bundled_ones():
  with pytest.raises(FileNotFoundError, match='cheetah.gin'):
    config.parse_gin(['cheetha.gin'])


def test_gin_file_names_resolve_without_the_extension():
  assert config.resolve_gin_file('cheetah').endswith('cheetah.gin')


def test_malformed_bindings_name_the_problem(tmp_path):
  with pytest.raises(ValueError, match='no_such_configurable'):
    config.parse_gin(['cheetah.gin'], ['no_such_configurable.x = 1'])
  broken = tmp_path / 'broken.gin'
  broken.write_text("include 'base.gin'\ntrain_eval.task_name = = 3\n")
  with pytest.raises(ValueError, match='broken.gin'):
    config.parse_gin([str(broken)])


def test_includes_resolve_without_error_logs(caplog):
  with caplog.at_level(logging.INFO):
    config.parse_gin(['cheetah.gin'], finalize=False)
  errors = [r.getMessage() for r in caplog.records
            if r.levelno >= logging.ERROR]
  assert not errors


def test_a_missing_include_is_a_clear_error(tmp_path):
  path = tmp_path / 'mine.gin'
  path.write_text("include 'no_such_base.gin'\n")
  with pytest.raises(FileNotFoundError, match='no_such_base.gin'):
    config.parse_gin([str(path)], finalize=False)
