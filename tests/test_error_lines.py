"""The one line a bad input gets, piece by piece; the commands end to end:
`tests/test_bad_input.py`."""

import errno
import os
import socket

import gin
import numpy as np
import pytest

from planet_tf import cli
from planet_tf import files
from planet_tf import run_dir
from planet_tf.distributed import ports
from planet_tf.envs import goal_env
from planet_tf.envs import goal_suite
from planet_tf.loops import glamor
from planet_tf.loops import planet
from planet_tf.loops import typed_settings
from planet_tf.run_dir import mismatch


def test_one_line_drops_gins_call_context_and_keeps_its_location():
  message = ("glamor_train_eval.num_goals takes an int, not 'many' (a str).\n"
             "  In call to configurable 'glamor_train_eval' (<class "
             "'planet_tf.loops.glamor.Settings'>)\n"
             "  In call to configurable 'train' (<function train at "
             "0x7f3a2c1d0e50>)")
  assert cli.one_line(message) == (
      "glamor_train_eval.num_goals takes an int, not 'many' (a str).")
  parse = ("Invalid gin configuration (x): No configurable matching 'RSM'.\n"
           '  In bindings string line 1\n    RSM.deter_size = 8\n    ^')
  assert cli.one_line(parse) == (
      "Invalid gin configuration (x): No configurable matching 'RSM'. In "
      'bindings string line 1 RSM.deter_size = 8')


def test_an_os_error_names_the_path_the_cause_and_what_to_do():
  error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), '/runs/a/x.npz')
  assert cli.os_error_message(error) == (
      '/runs/a/x.npz: No space left on device; free space on that disk or '
      'choose another directory.')
  assert cli.os_error_message(FileNotFoundError('No checkpoint in /x.')) == (
      'No checkpoint in /x.')


@gin.configurable('read_for_test_error_lines')
def _read(path):
  with open(path) as f:
    return f.read()


def test_an_os_error_raised_through_gin_keeps_its_path(tmp_path):
  missing = str(tmp_path / 'missing.gin')
  with pytest.raises(FileNotFoundError) as raised:
    _read(missing)
  assert raised.value.filename is None  # Gin's copy of the error.
  assert cli.unwrap_gin(raised.value).filename == missing
  assert cli.os_error_message(cli.unwrap_gin(raised.value)) == (
      f'{missing}: No such file or directory.')


def test_a_path_through_a_file_names_the_file(tmp_path):
  (tmp_path / 'run').write_text('mine')
  error = NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR),
                             str(tmp_path / 'run' / 'train'))
  assert cli.os_error_message(error) == (
      f'{tmp_path / "run"} is a file where a directory is expected; choose '
      'another directory or move the file away.')


def test_a_value_of_the_wrong_type_names_its_setting_and_an_example():
  with pytest.raises(ValueError) as raised:
    glamor.Settings(task_name='grid_world', image_size=28, num_goals='many')
  # Gin adds its call's context on the next line (`cli.one_line` drops it).
  assert str(raised.value).splitlines()[0] == (
      "glamor_train_eval.num_goals takes an int, not 'many' (a str); e.g. "
      'glamor_train_eval.num_goals = 20.')
  with pytest.raises(ValueError, match=r'train_eval.max_minutes takes a '
                     r'number or None, not \'soon\''):
    planet.Settings(task_name='cartpole_balance', max_minutes='soon')


def test_types_admit_what_gin_gives():
  admits = typed_settings.matches
  assert admits(4, float) and not admits(True, float)
  assert admits(1, bool) and not admits('yes', bool)
  assert not admits(4.5, int) and not admits(False, int)
  assert admits(['a', 'b'], planet.Settings.__annotations__['task_names'])
  assert not admits([1], planet.Settings.__annotations__['task_names'])
  assert admits({'x': len}, planet.Settings.__annotations__['env_constructors'])
  assert not admits({'x': 3},
                    planet.Settings.__annotations__['env_constructors'])
  # Every default is of its own type.
  planet.Settings(task_name='cartpole_balance')
  glamor.Settings()


def _differences(count):
  return [(f'RSSM.size_{i:02d}', '1', '2') for i in range(count)]


def test_a_refused_resume_leads_with_another_agent_kind():
  differences = sorted(_differences(75) + [
      ('train.loop', 'None', '@glamor_train_eval')])
  line = mismatch.message('runs/a', 'runs/a/train/config.gin', differences,
                          {'num_env_steps'}, 'glamor_train_eval')
  assert line.startswith(
      'root_dir runs/a holds a run of another agent kind than '
      'glamor_train_eval (runs/a/train/config.gin): train.loop: None in the '
      'stored run, @glamor_train_eval now; 75 more settings differ with it, '
      'e.g. RSSM.size_00: 1 in the stored run, 2 now;')
  assert 'RSSM.size_03' not in line and '\n' not in line


def test_a_refused_resume_shows_three_differences_and_counts_the_rest():
  line = mismatch.message('runs/a', 'c.gin', _differences(5), {'b', 'a'},
                          'train_eval')
  assert 'RSSM.size_02: 1 in the stored run, 2 now; and 2 more.' in line
  assert 'Only train_eval.{a, b} may change on resume.' in line
  assert 'and' not in mismatch.message('r', 'c', _differences(1), set(), 'x'
                                       ).split('. Resume')[0]


def test_a_taken_port_is_named_before_anything_is_written():
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
    holder.bind(('', 0))
    holder.listen()
    port = holder.getsockname()[1]
    with pytest.raises(ports.PortError, match=f'port {port} \\(--port\\) '
                       'cannot be served: another process listens on it'):
      ports.check_free(port)
  ports.check_free(port)  # Free again once its holder is gone.
  with pytest.raises(ports.PortError, match='is not a port'):
    ports.check_free(0)


@pytest.mark.parametrize('data', [b'', b'PK\x03\x04trunc', None],
                         ids=['empty', 'truncated', 'foreign'])
def test_a_damaged_goal_file_is_named_with_what_to_do(tmp_path, data):
  path = str(tmp_path / 'goals.npz')
  if data is None:
    np.savez(path, weights=np.zeros(2))
  else:
    with open(path, 'wb') as f:
      f.write(data)
  with pytest.raises(ValueError, match=f'Cannot read goal file {path}: .*'
                     'move it away to continue'):
    goal_suite.load_goal_set(path)


def test_a_goal_file_round_trips(tmp_path):
  goals = goal_env.GoalSet(*(np.zeros([2, 3], np.float32),) * len(
      goal_env.GoalSet._fields))
  path = str(tmp_path / 'goals.npz')
  goal_suite.save_goal_set(path, goals)
  assert goal_suite.load_goal_set(path).images.shape == (2, 3)


def test_an_unknown_reward_head_is_named_with_the_runs_heads(tmp_path):
  for head in ('forward', 'backward'):
    export = tmp_path / 'policies' / f'8-{head}'
    export.mkdir(parents=True)
    (export / 'saved_model.pb').write_bytes(b'')
  with pytest.raises(FileNotFoundError) as raised:
    run_dir.find_policy_dir(str(tmp_path), 'sideways')
  assert str(raised.value) == (
      f"'sideways' is not a reward head of {tmp_path}: it exported the heads "
      'backward, forward; pass one of them as --reward_head.')


def test_a_failed_atomic_write_names_its_file_and_leaves_nothing(tmp_path):
  path = str(tmp_path / 'config.gin')

  def full_disk(f):
    del f
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
  with pytest.raises(OSError) as raised:
    files.atomic_write(path, full_disk)
  assert raised.value.filename == path
  assert raised.value.errno == errno.ENOSPC
  assert not os.listdir(tmp_path)
