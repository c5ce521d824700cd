"""The run directory: its stored configuration, lock, checkpoints, returns.csv,
and what a run tells about itself (its task, environment settings, policy)."""

import os

import pytest
import tensorflow as tf

from planet_tf import run_dir
from planet_tf.loops import planet as train_eval
from planet_tf.loops import registry


def test_a_root_dir_holding_other_files_is_refused(tmp_path):
  (tmp_path / 'notes.txt').write_text('mine')
  with pytest.raises(FileExistsError, match='holds no planet_tf run'):
    run_dir.check_config(str(tmp_path), {'train_eval.task_name': "'x'"},
                         train_eval.RESUMABLE, train_eval.NAME)
  assert os.listdir(tmp_path) == ['notes.txt']


def test_config_check_allows_resumable_changes_only(tmp_path):
  root = str(tmp_path)
  bindings = {'train_eval.batch_size': '50', 'RSSM.deter_size': '200'}
  check = lambda b: run_dir.check_config(root, b, train_eval.RESUMABLE,  # pylint: disable=unnecessary-lambda-assignment
                                         train_eval.NAME)
  assert check(bindings) is False
  os.makedirs(os.path.join(root, 'train', 'episodes'))
  open(os.path.join(root, 'train', 'episodes', 'episode-000001-3.npz'),
       'w').close()
  assert check(dict(bindings)) is True
  with pytest.raises(run_dir.ConfigMismatchError, match='train_eval.batch_size'):
    check(dict(bindings, **{'train_eval.batch_size': '16'}))


def test_resumable_settings_are_left_out_of_the_stored_config():
  assert train_eval.RESUMABLE == {
      'num_episodes', 'eval_interval', 'num_eval_episodes', 'export_interval',
      'video_interval', 'checkpoint_interval', 'max_minutes',
      'final_eval_episodes'}
  bindings = run_dir.run_bindings({'batch_size': 50, 'num_episodes': 9},
                                  train_eval.RESUMABLE, train_eval.NAME)
  assert bindings['train_eval.batch_size'] == '50'
  assert 'train_eval.num_episodes' not in bindings


def test_settings_are_frozen_and_checked():
  settings = train_eval.Settings(
      task_name='cartpole_balance', task_names=None, num_seed_episodes=1,
      num_episodes=2,
      train_steps_per_episode=1, batch_size=1, sequence_length=2,
      eval_interval=1, num_eval_episodes=1, export_interval=1,
      video_interval=1, checkpoint_interval=1, seed=None, max_minutes=None)
  with pytest.raises(AttributeError):
    settings.batch_size = 3  # pylint: disable=assigning-non-slot
  with pytest.raises(ValueError, match='sequence_length must be >= 2'):
    train_eval.Settings(**dict(vars(settings), sequence_length=1))
  with pytest.raises(ValueError, match='max_minutes must be > 0'):
    train_eval.Settings(**dict(vars(settings), max_minutes=0))


def test_parse_bindings_reads_multiline_values():
  text = ('# Parameters for f:\n# ====\nf.a = 3\nf.b = \\\n    (1,\n     2)\n'
          "f.c = @g\nf.d = 'x'\n")
  assert run_dir.parse_bindings(text) == {
      'f.a': '3', 'f.b': '(1, 2)', 'f.c': '@g', 'f.d': "'x'"}


def test_two_runs_never_share_a_root_dir(tmp_path):
  first = run_dir.lock(str(tmp_path))
  with pytest.raises(run_dir.RunLockedError, match=f'pid {os.getpid()}'):
    run_dir.lock(str(tmp_path))
  first.close()  # What the OS does when a run ends, even by kill -9.
  run_dir.lock(str(tmp_path)).close()


def test_a_seeded_run_draws_new_random_streams_on_each_resume(tmp_path):
  root = str(tmp_path)
  episodes = tmp_path / 'train' / 'episodes'
  episodes.mkdir(parents=True)
  assert run_dir.invocation_seed(None, root) is None
  assert run_dir.invocation_seed(5, root) == 5  # A new run.
  (episodes / 'episode-000001-11.npz').write_bytes(b'')
  first_resume = run_dir.invocation_seed(5, root)
  assert first_resume != 5
  assert first_resume == run_dir.invocation_seed(5, root)
  (episodes / 'episode-000002-11.npz').write_bytes(b'')
  assert run_dir.invocation_seed(5, root) not in (5, first_resume)
  assert run_dir.invocation_seed(6, root) != run_dir.invocation_seed(5, root)


def test_a_run_tells_its_task_and_environment_settings(tmp_path):
  root = str(tmp_path)
  (tmp_path / 'train').mkdir()
  (tmp_path / 'train' / 'config.gin').write_text(
      "train_eval.task_name = 'cheetah_run'\n")
  (tmp_path / 'operative_config.gin').write_text(
      "# Parameters for envs.load:\nenvs.load.action_repeat = 4\n"
      "planet_tf.envs.load.image_size = 32\nload.episode_length = None\n"
      "other.load.image_size = 1\nWorldModel.dynamics_fn = @RSSM\n"
      "train_eval.task_name = 'cartpole_balance'\n")
  assert registry.task_of_run(root) == 'cheetah_run'  # config.gin wins.
  assert run_dir.env_settings_of_run(root) == {
      'action_repeat': 4, 'image_size': 32, 'episode_length': None}
  assert run_dir.configurable_settings(root, 'WorldModel') == {
      'dynamics_fn': '@RSSM'}
  assert registry.task_of_run(str(tmp_path / 'elsewhere')) is None


def test_returns_csv_has_named_columns_that_later_agents_extend(tmp_path):
  root = str(tmp_path)
  run_dir.append_return(root, 1, 125, 0, 'random', 12.34567)
  run_dir.append_return(root, 2, 250, 100, 'greedy', 80.0)
  with open(run_dir.RunDir(root).returns_path) as f:
    assert f.readline().strip() == ','.join(run_dir.COLUMNS)
  rows = run_dir.read_returns(root)
  assert [(r.episodes, r.env_steps, r.train_steps, r.policy, r.value)
          for r in rows] == [(1, 125, 0, 'random', 12.346),
                             (2, 250, 100, 'greedy', 80.0)]
  with pytest.raises(ValueError, match='no column'):
    run_dir.append_return(root, 3, 375, 200, 'greedy', 1.0, task='walk')
  other = str(tmp_path / 'multi')
  run_dir.append_return(other, 1, 10, 0, 'greedy', 1.0, task='walk',
                        success_rate=0.5)
  [row] = run_dir.read_returns(run_dir.RunDir(other).returns_path)
  assert row.extra == {'task': 'walk', 'success_rate': '0.5'}


def test_finding_a_policy_needs_an_export(tmp_path):
  with pytest.raises(FileNotFoundError, match='neither a SavedModel'):
    run_dir.find_policy_dir(str(tmp_path))
  for step in ('5', '40', '.tmp-export-7'):
    (tmp_path / 'policies' / step).mkdir(parents=True)
    (tmp_path / 'policies' / step / 'saved_model.pb').write_bytes(b'')
  assert run_dir.find_policy_dir(str(tmp_path)) == str(
      tmp_path / 'policies' / '40')
  assert run_dir.find_run_dir(str(tmp_path / 'policies' / '40')) is None
  (tmp_path / 'operative_config.gin').write_text('')
  assert run_dir.find_run_dir(str(tmp_path / 'policies' / '40')) == str(
      tmp_path)


def test_a_checkpoint_restores_the_objects_it_names(tmp_path):
  directory = str(tmp_path / 'train')
  saved = tf.Variable(3.0)
  run_dir.RunCheckpoint(directory, model=tf.train.Checkpoint(v=saved),
                        metrics=tf.train.Checkpoint(n=tf.Variable(7))).save(1)
  restored = tf.Variable(0.0)
  checkpoint = run_dir.RunCheckpoint(directory,
                                     model=tf.train.Checkpoint(v=restored))
  assert checkpoint.restore().endswith('ckpt-1')
  assert float(restored.numpy()) == 3.0
  assert run_dir.RunCheckpoint(str(tmp_path / 'new'), v=restored).restore() is (
      None)


def test_a_checkpoint_from_before_the_agent_owned_its_optimizer_is_refused(
    tmp_path):
  directory = str(tmp_path / 'train')
  # The layout of such a checkpoint: the optimizer under the world model.
  old = tf.train.Checkpoint(agent=tf.train.Checkpoint(
      _world_model=tf.train.Checkpoint(optimizer=tf.train.Checkpoint(
          iterations=tf.Variable(3, dtype=tf.int64)))))
  tf.train.CheckpointManager(old, directory, 3).save(checkpoint_number=3)
  checkpoint = run_dir.RunCheckpoint(
      directory, agent=tf.train.Checkpoint(v=tf.Variable(1.0)))
  with pytest.raises(run_dir.CheckpointError) as error:
    checkpoint.restore()
  message = str(error.value)
  assert 'written by an older planet_tf' in message
  assert 'collected episodes stay usable' in message
  assert 'Nothing was changed' in message


def test_a_runs_settings_are_read_through_its_included_gin_files(tmp_path):
  (tmp_path / 'operative_config.gin').write_text(
      "include 'tiny.gin'\nplanet_tf.envs.load.action_repeat = 2\n")
  assert registry.task_of_run(str(tmp_path)) == 'cartpole_balance'
  settings = run_dir.env_settings_of_run(str(tmp_path))
  assert settings['action_repeat'] == 2 and settings['episode_length'] == 80
