"""One agent on two tasks end to end (gin_configs/multitask_tiny.gin): cartpole
swingup (1-d action, 10 agent steps) and cheetah run (6-d, 20 steps) in round
robin; returns per task; a kill and a resume continue the turn and every count;
one export acts on both tasks; bad input is a clear error."""

import os
import shutil

import gin
import numpy as np
import pytest
import tensorflow as tf

import bin_commands
from planet_tf import config
from planet_tf.loops import evaluate as evaluation
from planet_tf.loops import registry
from planet_tf.evaluation import episodes
from planet_tf.evaluation import learning_curve
from planet_tf import run_dir
from planet_tf.loops import planet as train_eval

TASKS = ['cartpole_swingup', 'cheetah_run']
STEPS = {'cartpole_swingup': 10, 'cheetah_run': 20}  # 80 simulator steps / R.


def _train(root_dir, *params):
  return bin_commands.train(root_dir, 'multitask_tiny.gin', *params)


def _check_round_robin(rows, count):
  """Episodes 1..count alternate the tasks; env steps add each task's length."""
  collected = [r for r in rows if r['policy'] != 'greedy']
  assert [int(r['episodes']) for r in collected] == list(range(1, count + 1))
  assert [r['task'] for r in collected] == [TASKS[i % 2] for i in range(count)]
  steps = np.cumsum([STEPS[TASKS[i % 2]] for i in range(count)])
  assert [int(r['env_steps']) for r in collected] == list(steps)


@pytest.fixture(scope='module')
def run(tmp_path_factory, finished_run):
  """Trained to 4 episodes; then killed at its fifth episode and resumed to 7."""
  first_copy, first = finished_run('multitask_tiny')
  root = str(tmp_path_factory.mktemp('multitask'))
  shutil.copytree(first_copy, root, dirs_exist_ok=True)
  bin_commands.kill_at_episodes(root, 'multitask_tiny.gin', 5,
                                'train_eval.num_episodes = 7')
  resumed = _train(root, 'train_eval.num_episodes = 7')
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  return {'root': root, 'first': first, 'first_copy': first_copy}


@pytest.mark.slow
def test_tasks_take_turns_and_every_task_is_evaluated(run):
  first = run['first'].stdout
  assert 'random seed episode | cartpole_swingup' in first
  assert 'random seed episode | cheetah_run' in first
  rows = bin_commands.rows(run['root'])
  _check_round_robin(rows, 7)
  greedy = [(r['episodes'], r['task']) for r in rows if r['policy'] == 'greedy']
  assert greedy[:2] == [('4', 'cartpole_swingup'), ('4', 'cheetah_run')]
  videos = os.listdir(os.path.join(run['root'], 'eval', 'videos'))
  assert {'episode-000004-cartpole_swingup-0.gif',
          'episode-000004-cheetah_run-0.gif'} <= set(videos)
  assert {'Metrics/AverageReturn/cartpole_swingup',
          'Metrics/AverageReturn/cheetah_run', 'Metrics/AverageReturn',
          'eval/episode/cheetah_run'} <= bin_commands.tags(
              os.path.join(run['root'], 'eval'))
  assert {'Metrics/CollectReturn/cartpole_swingup',
          'Metrics/CollectReturn/cheetah_run'} <= bin_commands.tags(
              os.path.join(run['root'], 'train'))
  # The replay's episodes carry their task, in the same order.
  tasks = []
  for path in bin_commands.episodes(run['root']):
    with np.load(path) as data:
      tasks.append(str(data['task']))
  assert tasks == [TASKS[i % 2] for i in range(7)]


@pytest.mark.slow
def test_an_episode_saved_after_the_checkpoint_keeps_the_turn(run, tmp_path):
  # A kill between saving episode 5 (cartpole's turn) and its checkpoint.
  root = str(tmp_path / 'run')
  shutil.copytree(run['first_copy'], root)
  # A cartpole episode, labelled as such.
  third = bin_commands.episodes(root)[2]
  shutil.copy(third, third.replace('episode-000003-', 'episode-000005-'))
  result = _train(root, 'train_eval.num_episodes = 6')
  assert result.returncode == 0, result.stderr[-3000:]
  assert '1 episode(s) were collected after the last checkpoint' in result.stderr
  _check_round_robin(bin_commands.rows(root), 6)
  assert os.path.basename(
      bin_commands.episodes(root)[-1]) == 'episode-000006-21.npz'


@pytest.mark.slow
def test_one_export_acts_on_every_task(run, tmp_path):
  root = run['root']
  exported = bin_commands.command('export', f'--root_dir={root}',
                                  f'--output={tmp_path / "policy"}')
  assert exported.returncode == 0, exported.stderr[-3000:]
  policy = tf.saved_model.load(str(tmp_path / 'policy'))
  assert int(policy.get_train_step()) > 0
  for task in TASKS:
    returns = evaluation.evaluate(str(tmp_path / 'policy'), 1,
                                  task_name=task, seed=0).returns
    assert len(returns) == 1 and np.isfinite(returns[0])
  with pytest.raises(ValueError, match='pass one of them'):
    evaluation.evaluate(root, 1)
  with pytest.raises(ValueError, match="'walker_walk' is not one of them"):
    evaluation.evaluate(root, 1, task_name='walker_walk')
  result = bin_commands.command('evaluate', f'--policy={root}',
                                '--num_episodes=1', '--task_name=cheetah_run')
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'mean return' in result.stdout


@pytest.mark.slow
def test_plot_returns_draws_one_curve_per_task(run, tmp_path):
  curves = learning_curve.split_by_task(learning_curve.load_run(run['root']))
  assert [c.task for c in curves] == TASKS
  assert all(c.name.endswith('/' + c.task) for c in curves)
  output = str(tmp_path / 'curves.png')
  result = bin_commands.command('plot_returns', f'--root_dir={run["root"]}',
                                f'--output={output}')
  assert result.returncode == 0, result.stderr[-3000:]
  assert os.path.getsize(output) > 0
  name = os.path.basename(run['root'])
  for task in TASKS:  # A table row per task, against the paper's score.
    score = learning_curve.PAPER_SCORES[task]
    assert f'| {name}/{task} | {task} |' in result.stdout
    assert f'| {score} |' in result.stdout


def _settings(**changes):
  values = dict(task_name=None, task_names=tuple(TASKS), num_seed_episodes=1,
                num_episodes=2, train_steps_per_episode=1, batch_size=1,
                sequence_length=2, eval_interval=1, num_eval_episodes=1,
                export_interval=1, video_interval=1, checkpoint_interval=1,
                seed=None, max_minutes=None)
  values.update(changes)
  return train_eval.Settings(**values)


def test_a_run_has_one_task_or_several_never_both_or_neither():
  assert _settings().task_names == tuple(TASKS)
  with pytest.raises(ValueError, match='not both'):
    _settings(task_name='cheetah_run')
  with pytest.raises(ValueError, match='not neither'):
    _settings(task_names=None)
  with pytest.raises(ValueError, match='two or more'):
    _settings(task_names=('cheetah_run',))
  with pytest.raises(ValueError, match='Unknown task .cheetah_fly'):
    _settings(task_names=('cheetah_run', 'cheetah_fly'))


def test_a_one_task_run_stores_what_it_stored_before():
  one = _settings(task_name='cheetah_run', task_names=None)
  assert 'task_names' not in train_eval.stored_settings(one)
  assert train_eval.stored_settings(_settings())['task_names'] == tuple(TASKS)


def test_a_multitask_run_tells_its_tasks(tmp_path):
  root = str(tmp_path)
  (tmp_path / 'train').mkdir()
  (tmp_path / 'train' / 'config.gin').write_text(
      "train_eval.task_name = None\n"
      "train_eval.task_names = ('cartpole_swingup', 'cheetah_run')\n")
  assert registry.tasks_of_run(root) == TASKS
  assert registry.task_of_run(root) is None
  (tmp_path / 'train' / 'config.gin').write_text(
      "train_eval.task_name = 'cheetah_run'\n")
  assert registry.tasks_of_run(root) == ['cheetah_run']
  assert registry.tasks_of_run(str(tmp_path / 'elsewhere')) is None


def test_a_one_task_run_plots_as_before():
  rows = [run_dir.ReturnRow(1, 10, 0, 'random', 1.0)]
  one = learning_curve.Run('runs/cheetah', 'cheetah_run', rows)
  assert learning_curve.split_by_task(one) == [one]


def test_multitask_gin_holds_the_six_paper_tasks_at_their_own_repeats():
  config.parse_gin(['multitask.gin'], finalize=False)
  names = gin.query_parameter('train_eval.task_names')
  assert sorted(names) == sorted(learning_curve.PAPER_SCORES)
  with pytest.raises(ValueError):  # Unbound: each task keeps its own.
    gin.query_parameter('planet_tf.envs.load.action_repeat')
  config.parse_gin(['multitask_cpu.gin'], finalize=False)
  assert gin.query_parameter('train_eval.task_names') == TASKS


@pytest.mark.slow
def test_multitask_gin_trains_at_tiny_sizes(tmp_path):
  root = str(tmp_path / 'six')
  result = bin_commands.command(
      'train', f'--root_dir={root}', '--gin_file=multitask.gin',
      '--gin_file=tiny_sizes.gin', '--gin_param=train_eval.num_seed_episodes = 1',
      '--gin_param=train_eval.num_episodes = 7',
      '--gin_param=train_eval.eval_interval = 100')
  assert result.returncode == 0, result.stderr[-3000:]
  rows = bin_commands.rows(root)
  six = sorted(learning_curve.PAPER_SCORES)
  assert sorted(r['task'] for r in rows if r['policy'] == 'random') == six
  assert [r['task'] for r in rows if r['policy'] == 'collect'] == [
      'cartpole_swingup']
  # One SavedModel for all six, acting in the longest action (6-d).
  policy = episodes.load_saved_policy(os.path.join(root, 'policies', '2'))
  assert policy.action_spec.shape == (6,)


def test_a_task_files_action_repeat_is_refused_before_the_run_starts(tmp_path):
  config.parse_gin(['multitask_tiny.gin', 'cheetah.gin'], finalize=False)
  with pytest.raises(ValueError, match='load.action_repeat is bound to 4'):
    train_eval.train_eval(str(tmp_path / 'run'), task_name=None)
  assert not os.path.exists(tmp_path / 'run')
