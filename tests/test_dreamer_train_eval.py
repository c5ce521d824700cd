"""Dreamer's loop end to end on gin_configs/dreamer_tiny.gin through bin/train:
the session's finished run (conftest.finished_run) resumed, killed with -9,
resumed again; its layout, summaries, export and evaluation.

One module fixture (two bin/train processes) shared by the slow tests.
"""

import glob
import os

import pytest

import bin_commands
from planet_tf.evaluation import learning_curve
from planet_tf.loops import evaluate as evaluation
from planet_tf.loops import registry
from planet_tf.loops import restore

# dreamer_tiny.gin: 10 agent steps per episode, 2 seed episodes, 2 updates
# before each collected episode.
STEPS_PER_EPISODE = 10


def _train_steps(root):
  """The train steps of the run's last row: 8 (2 before each of 4 collected
  episodes), or 6 when the kill came before the checkpoint that counts the
  updates before episode 5, which the resume does not redo."""
  return int(bin_commands.rows(root)[-1]['train_steps'])


@pytest.fixture(scope='module')
def run(tmp_path_factory, finished_run):
  """The tiny run (4 episodes), resumed to 6 and killed (SIGKILL) once it has
  stored its fifth episode, then resumed to 6."""
  finished, first = finished_run('dreamer_tiny')
  root = str(tmp_path_factory.mktemp('dreamer_run'))
  killed, resumed = bin_commands.resume_killed(
      finished, root, 'dreamer_tiny.gin', 5,
      'dreamer_train_eval.num_episodes = 6')
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  return {'root': root, 'first': first,
          'first_rows': bin_commands.rows(finished), 'killed': killed,
          'resumed': resumed}


@pytest.mark.slow
def test_a_killed_run_resumes_without_losing_episodes(run):
  root = run['root']
  assert len(run['killed']) == 5
  episodes = bin_commands.episodes(root)
  assert len(episodes) == 6 and set(run['killed']) <= set(episodes)
  rows = bin_commands.rows(root)
  assert rows[:len(run['first_rows'])] == run['first_rows']
  collected = [r for r in rows if r['policy'] != 'greedy']
  # Every episode has one row, in order; the seed episodes were not redone.
  assert [int(r['episodes']) for r in collected] == [1, 2, 3, 4, 5, 6]
  assert [r['policy'] for r in collected] == ['random'] * 2 + ['collect'] * 4
  assert collected[-1]['env_steps'] == str(6 * STEPS_PER_EPISODE)
  assert _train_steps(root) in (6, 8)
  assert [r['episodes'] for r in rows if r['policy'] == 'greedy'] == ['4', '6']
  assert 'Resuming' in run['resumed'].stderr
  assert '6/6 episodes' in run['resumed'].stdout


@pytest.mark.slow
def test_a_run_writes_planet_s_layout_and_dreamer_s_losses(run):
  root = run['root']
  for path in ['operative_config.gin', 'train/config.gin', 'eval/returns.csv',
               'eval/timing.csv', 'policies/4/saved_model.pb',
               f'policies/{_train_steps(root)}/saved_model.pb',
               'eval/videos/episode-000006-0.gif',
               'open_loop/episode-000006.gif']:
    assert os.path.exists(os.path.join(root, path)), path
  assert registry.loop_of_run(root) == 'dreamer_train_eval'
  names = ' '.join(bin_commands.checkpoint_variables(root))
  for part in ['_model_optimizer/_iterations', '_actor_optimizer/_iterations',
               '_value_optimizer/_iterations', '_collect_policy/_generator',
               'number_episodes']:
    assert part in names, part
  assert {'losses/model_loss', 'losses/actor_loss', 'losses/value_loss',
          'losses/imagined_return', 'losses/image_nll', 'losses/kl',
          'Metrics/AverageReturn', 'open_loop/prediction'} <= bin_commands.tags(
              os.path.join(root, 'train'))
  assert {'Metrics/AverageReturn', 'eval/episode'} <= bin_commands.tags(
      os.path.join(root, 'eval'))
  assert 'CEM' not in run['first'].stdout + run['resumed'].stdout
  labels = learning_curve.policy_labels(registry.kind_of_run(root).acting)
  assert [label for label, _ in labels.values()] == [
      'random seed episodes', 'collect (actor + noise)',
      'evaluation (greedy actor)']


@pytest.mark.slow
def test_export_from_the_checkpoint_is_reloaded_and_evaluated(run, tmp_path):
  root = run['root']
  agent = restore.restore_agent(root)
  assert type(agent).__name__ == 'DreamerAgent'
  assert type(agent.policy).__name__ == 'ActorPolicy'
  assert int(agent.train_step_counter.numpy()) == _train_steps(root)
  with pytest.raises(ValueError, match='Dreamer run'):
    restore.export_from_run(root, output_dir=str(tmp_path / 'no'),
                            reward_head='reward')
  path = restore.export_from_run(root, output_dir=str(tmp_path / 'policy'))
  # Outside the run, the task is given.
  policy_dir, returns, _, _ = evaluation.evaluate(
      path, num_episodes=1, task_name='cartpole_balance', seed=0)
  assert policy_dir == path and len(returns) == 1
  assert not evaluation.is_goal_policy(root)
  # The run's own newest export: the task comes from the run.
  policy_dir, returns, _, _ = evaluation.evaluate(root, num_episodes=1, seed=0)
  newest = os.path.join('policies', str(_train_steps(root)))
  assert policy_dir.endswith(newest)
  assert glob.glob(os.path.join(policy_dir, 'saved_model.pb'))
