"""End to end on gin_configs/tiny.gin: train, stop, resume after a kill, export,
evaluate; and every bad input is a clear error that leaves the run untouched."""

import glob
import os
import shutil

import pytest
import tensorflow as tf

import bin_commands
from planet_tf import run_dir


def _train(root_dir, *params, gin_file='tiny.gin', timeout=300):
  return bin_commands.train(root_dir, gin_file, *params, timeout=timeout)


def _snapshot(root):
  """Every file of a run with its size and modification time."""
  return {p: (os.path.getsize(p), os.path.getmtime(p))
          for p in glob.glob(os.path.join(root, '**', '*'), recursive=True)
          if os.path.isfile(p)}


@pytest.fixture(scope='module')
def run(tmp_path_factory, finished_run):
  """A tiny run: trained to 4 episodes, killed while going on, resumed to 6."""
  first_copy, first = finished_run('tiny')
  assert '4/4 episodes' in first.stdout
  assert '1/4 episodes' in first.stdout and 'random seed episode' in first.stdout
  root = str(tmp_path_factory.mktemp('run'))
  shutil.copytree(first_copy, root, dirs_exist_ok=True)
  after_first = {'episodes': bin_commands.episodes(root),
                 'returns': bin_commands.rows(root)}

  # Kill -9 the resumed run as soon as it has saved its fifth episode: just
  # before or just after the checkpoint that counts it.
  bin_commands.kill_at_episodes(root, 'tiny.gin', 5,
                                'train_eval.num_episodes = 6')
  killed = {'episodes': bin_commands.episodes(root)}

  resumed = _train(root, 'train_eval.num_episodes = 6')
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  return {'root': root, 'first': after_first, 'killed': killed,
          'resumed': resumed, 'first_copy': first_copy}


@pytest.mark.slow
def test_a_run_writes_the_documented_layout(run):
  root = run['root']
  for path in ['operative_config.gin', 'train/checkpoint', 'train/config.gin',
               'eval/returns.csv', 'policies/4/saved_model.pb']:
    assert os.path.exists(os.path.join(root, path)), path
  assert glob.glob(os.path.join(root, 'train', 'events.out.tfevents.*'))
  assert glob.glob(os.path.join(root, 'eval', 'events.out.tfevents.*'))
  assert glob.glob(os.path.join(root, 'eval', 'videos', 'episode-*.gif'))
  assert glob.glob(os.path.join(root, 'open_loop', 'episode-*.gif'))
  names = [n for n, _ in tf.train.list_variables(
      tf.train.latest_checkpoint(os.path.join(root, 'train')))]
  for part in ['agent/_optimizer/_iterations', '_train_step_counter',
               '_collect_policy/_generator', 'number_episodes',
               'environment_steps']:
    assert any(part in n for n in names), part
  assert {'losses/loss', 'losses/image_nll', 'losses/reward_nll', 'losses/kl',
          'speed/updates_per_second', 'speed/env_steps_per_second',
          'Metrics/AverageReturn', 'Metrics/EnvironmentSteps',
          'open_loop/prediction'} <= bin_commands.tags(
              os.path.join(root, 'train'))
  assert {'Metrics/AverageReturn', 'eval/episode'} <= bin_commands.tags(
      os.path.join(root, 'eval'))
  policies = [r['policy'] for r in run['first']['returns']]
  assert policies[:2] == ['random', 'random']  # S = 2 seed episodes.
  assert 'greedy' in policies and 'collect' in policies


@pytest.mark.slow
def test_a_killed_run_resumes_without_losing_episodes(run):
  root = run['root']
  assert len(run['first']['episodes']) == 4
  assert len(run['killed']['episodes']) == 5
  episodes = bin_commands.episodes(root)
  assert len(episodes) == 6
  assert set(run['killed']['episodes']) <= set(episodes)
  rows = bin_commands.rows(root)
  # Seed episodes were not collected again, and the counters include the
  # episode saved after the last checkpoint (10 agent steps per episode).
  assert [r['policy'] for r in rows].count('random') == 2
  assert rows[-1]['episodes'] == '6' and rows[-1]['env_steps'] == '60'
  assert 'Resuming' in run['resumed'].stderr


@pytest.mark.slow
def test_an_episode_saved_after_the_last_checkpoint_is_kept_with_its_work(
    run, tmp_path):
  # The state a kill leaves between saving an episode and the checkpoint after
  # it: the first run (checkpoint at 4 episodes) plus a fifth episode file.
  root = str(tmp_path / 'run')
  shutil.copytree(run['first_copy'], root)
  fourth = bin_commands.episodes(root)[-1]
  assert os.path.basename(fourth).startswith('episode-000004-')
  shutil.copy(fourth, fourth.replace('episode-000004-', 'episode-000005-'))
  result = _train(root, 'train_eval.num_episodes = 6',
                  'train_eval.eval_interval = 1')
  assert result.returncode == 0, result.stderr[-3000:]
  assert '1 episode(s) were collected after the last checkpoint' in result.stderr
  assert len(bin_commands.episodes(root)) == 6
  rows = bin_commands.rows(root)
  assert rows[-1]['episodes'] == '6' and rows[-1]['env_steps'] == '60'
  # The evaluation due after episode 5 (eval_interval = 1 now) was not skipped.
  greedy = [r['episodes'] for r in rows if r['policy'] == 'greedy']
  assert greedy[-2:] == ['5', '6']


@pytest.mark.slow
def test_resuming_a_finished_run_changes_nothing(run):
  root = run['root']
  before = _snapshot(os.path.join(root, 'policies'))
  result = _train(root, 'train_eval.num_episodes = 6')
  assert result.returncode == 0, result.stderr[-3000:]
  assert len(bin_commands.episodes(root)) == 6
  assert _snapshot(os.path.join(root, 'policies')) == before


@pytest.mark.slow
def test_evaluate_runs_the_newest_export_with_videos(run, tmp_path):
  result = bin_commands.command('evaluate', f'--policy={run["root"]}',
                                '--num_episodes=2', f'--video_dir={tmp_path}')
  assert result.returncode == 0, result.stderr[-3000:]
  newest = max(int(d) for d in os.listdir(os.path.join(run['root'], 'policies'))
               if d.isdigit())
  assert f'policies/{newest}: mean return' in result.stdout
  assert sorted(os.listdir(tmp_path)) == ['episode-0.gif', 'episode-1.gif']


@pytest.mark.slow
def test_a_different_config_is_refused_and_the_run_untouched(run):
  before = _snapshot(run['root'])
  result = _train(run['root'], 'RSSM.deter_size = 16')
  assert result.returncode != 0
  assert 'different configuration' in result.stderr
  assert 'RSSM.deter_size: 8 in the stored run, 16 now' in result.stderr
  assert _snapshot(run['root']) == before


@pytest.mark.slow
def test_a_corrupt_checkpoint_is_refused_and_the_run_untouched(run, tmp_path):
  root = str(tmp_path / 'run')
  shutil.copytree(run['root'], root)
  index = os.path.join(root, 'train', 'checkpoint')
  with open(index) as f:
    latest = f.readline().split('"')[1]
  data = glob.glob(os.path.join(root, 'train', latest + '.data-*'))[0]
  with open(data, 'r+b') as f:
    f.truncate(os.path.getsize(data) // 2)
  before = _snapshot(root)
  result = _train(root, 'train_eval.num_episodes = 7')
  assert result.returncode != 0
  assert f'Cannot restore checkpoint' in result.stderr
  assert latest in result.stderr
  assert _snapshot(root) == before


@pytest.mark.slow
def test_a_second_process_never_touches_a_live_runs_config(tmp_path):
  # A run has started (config stored, nothing collected yet) and holds the
  # lock; a second bin/train with another config must not rewrite its config.
  root = str(tmp_path / 'run')
  live = run_dir.lock(root)
  try:
    run_dir.check_config(root, {'train_eval.task_name': "'cartpole_balance'"},
                         (), 'train_eval')
    config = os.path.join(root, 'train', 'config.gin')
    before = open(config).read()
    result = _train(root, 'RSSM.deter_size = 16')
    assert result.returncode != 0
    assert 'Another process' in result.stderr
    assert open(config).read() == before
  finally:
    live.close()


@pytest.mark.slow
def test_a_bad_value_is_a_clear_error_not_a_traceback(tmp_path):
  result = _train(str(tmp_path / 'run'), "train_eval.task_name = 'pendulum'")
  assert result.returncode != 0
  assert 'bin/train: error:' in result.stderr
  assert 'cheetah_run' in result.stderr  # Lists the valid tasks.
  assert 'Traceback' not in result.stderr
  refused = tmp_path / 'other'
  refused.mkdir()
  (refused / 'notes.txt').write_text('mine')
  result = _train(str(refused))
  assert 'holds no planet_tf run' in result.stderr
  assert os.listdir(refused) == ['notes.txt']  # Left as it was: no train/.


@pytest.mark.slow
def test_unknown_gin_file_is_a_clear_error(tmp_path):
  result = _train(str(tmp_path / 'run'), gin_file='no_such_task.gin')
  assert result.returncode != 0
  assert "Unknown gin file 'no_such_task.gin'" in result.stderr
  assert 'cheetah.gin' in result.stderr  # Lists the bundled files.
  assert not os.path.exists(tmp_path / 'run')


@pytest.mark.slow
def test_unknown_gin_binding_is_a_clear_error(tmp_path):
  result = _train(str(tmp_path / 'run'), 'train_eval.num_episodez = 3')
  assert result.returncode != 0
  assert 'num_episodez' in result.stderr
  assert not os.path.exists(tmp_path / 'run')


@pytest.mark.slow
def test_bin_train_defaults_the_root_dir_to_runs_and_the_gin_file_name(tmp_path):
  # A file in runs/tiny makes the run refuse to start, which shows the directory
  # it chose without training anything.
  (tmp_path / 'runs' / 'tiny').mkdir(parents=True)
  (tmp_path / 'runs' / 'tiny' / 'notes.txt').write_text('mine')
  result = bin_commands.command('train', '--gin_file=tiny.gin', cwd=tmp_path)
  assert result.returncode != 0
  assert os.path.join('runs', 'tiny') in result.stderr
  assert 'holds no planet_tf run' in result.stderr
  no_gin = bin_commands.command('train', cwd=tmp_path)
  assert no_gin.returncode != 0 and '--gin_file' in no_gin.stderr
