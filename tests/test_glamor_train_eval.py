"""GLAMOR's loop end to end on gin_configs/glamor_tiny.gin through bin/train:
train, kill -9, resume, export from the checkpoint, evaluate the export.

One module fixture (two bin/train processes) shared by the slow tests: tracing
the planner, the train step and an export costs ~30 s per process.
"""

import glob
import os

import pytest
import tensorflow as tf

import bin_commands
from planet_tf.evaluation import goals as goal_evaluation
from planet_tf import run_dir
from planet_tf.loops import evaluate as evaluation
from planet_tf.loops import registry
from planet_tf.loops import restore

# glamor_tiny.gin: 3-step episodes, 2 seed episodes (6 steps), batches of 8,
# 4 examples per collected step: floor(4 * (steps - 6) / 8) updates are due.
STEPS_PER_EPISODE = 3


def _train(root_dir, *params):
  return bin_commands.train(root_dir, 'glamor_tiny.gin', *params)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
  """Killed (SIGKILL) once it has stored 4 episodes, then resumed to 6."""
  root = str(tmp_path_factory.mktemp('glamor_run'))
  bin_commands.kill_at_episodes(root, 'glamor_tiny.gin', 4,
                                'glamor_train_eval.num_env_steps = 60')
  killed = bin_commands.episodes(root)
  resumed = _train(root, 'glamor_train_eval.num_env_steps = 18')
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  return {'root': root, 'killed': killed, 'resumed': resumed}


@pytest.mark.slow
def test_a_killed_run_resumes_exactly(run):
  root = run['root']
  assert len(run['killed']) >= 4
  episodes = bin_commands.episodes(root)
  assert len(episodes) == 6 and set(run['killed']) <= set(episodes)
  rows = bin_commands.rows(root)
  collected = [r for r in rows if r['policy'] in ('random', 'collect')]
  # Every episode has one row, in order; the seed episodes were not redone.
  assert [int(r['episodes']) for r in collected] == [1, 2, 3, 4, 5, 6]
  assert [r['policy'] for r in collected[:3]] == ['random', 'random',
                                                  'collect']
  assert collected[-1]['env_steps'] == str(6 * STEPS_PER_EPISODE)
  # The updates follow from the env steps alone, whatever the kill
  # interrupted: those due before the 6th episode, 4 * (15 - 6) / 8.
  checkpoint = tf.train.latest_checkpoint(os.path.join(root, 'train'))
  assert checkpoint.endswith('ckpt-4')
  assert int(collected[-1]['train_steps']) == 4
  assert 'Resuming' in run['resumed'].stderr
  assert '18/18 env steps' in run['resumed'].stdout
  assert 'success rate' in run['resumed'].stdout


@pytest.mark.slow
def test_a_run_writes_success_rates_videos_and_its_loop(run):
  root = run['root']
  rows = bin_commands.rows(root)
  assert 'success_rate' in rows[0]
  evaluated = {r['policy'] for r in rows if r['episodes'] == '6'}
  assert {'greedy', 'greedy_no_prior', 'random_baseline'} <= evaluated
  for r in rows:
    if r['success_rate'] != 'nan':  # A row a kill lost is written as nan.
      assert 0.0 <= float(r['success_rate']) <= 1.0
      assert r['success_rate'] == r['return']
  assert os.path.isfile(os.path.join(root, 'train', 'goals.npz'))
  assert glob.glob(os.path.join(root, 'eval', 'videos',
                                'episode-000006-goal-*.gif'))
  assert {'Metrics/SuccessRate', 'Metrics/SuccessRate_NoPrior',
          'Metrics/SuccessRate_Random',
          'eval/goal_episode'} <= bin_commands.tags(os.path.join(root, 'eval'))
  assert {'losses/loss', 'losses/goal_nll', 'losses/prior_nll',
          'Metrics/Epsilon', 'Metrics/CollectSuccess'} <= bin_commands.tags(
              os.path.join(root, 'train'))
  assert registry.loop_of_run(root) == 'glamor_train_eval'
  assert os.path.isdir(os.path.join(root, 'policies', '4'))


@pytest.mark.slow
def test_export_from_the_checkpoint_and_evaluate_it(run, tmp_path):
  root = run['root']
  agent = restore.restore_agent(root)
  assert type(agent).__name__ == 'GlamorAgent'
  assert int(agent.train_step_counter.numpy()) == 4
  path = restore.export_from_run(root, output_dir=str(tmp_path / 'policy'))
  assert evaluation.is_goal_policy(root)
  videos = tmp_path / 'videos'
  policy_dir, episodes, random_rate = evaluation.evaluate_goals(
      root, video_dir=str(videos), seed=0)
  assert policy_dir.endswith(os.path.join('policies', '4'))
  assert [e.goal_index for e in episodes] == [0, 1, 2]  # Every goal once.
  assert all(1 <= e.steps <= 3 for e in episodes) and 0 <= random_rate <= 1
  assert len(list(videos.glob('episode-*-goal-*.gif'))) == 3
  assert os.path.isfile(os.path.join(path, 'saved_model.pb'))
