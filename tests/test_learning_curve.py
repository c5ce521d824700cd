"""The learning-curve reader and plot (bin/plot_returns)."""

import os
import subprocess
import sys

import numpy as np
from PIL import Image
import pytest

from planet_tf.evaluation import learning_curve
from planet_tf.loops import registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CSV = """episodes,env_steps,train_steps,policy,return
1,125,0,random,250.0
2,250,0,random,270.0
3,375,100,collect,300.0
4,500,200,collect,500.0
4,500,200,greedy,600.0
"""


def _write_run(root):
  os.makedirs(os.path.join(root, 'eval'))
  with open(os.path.join(root, 'eval', 'returns.csv'), 'w') as f:
    f.write(CSV)


def test_summary_per_policy(tmp_path):
  _write_run(tmp_path)
  rows = learning_curve.read_returns(str(tmp_path / 'eval' / 'returns.csv'))
  summary = learning_curve.summarize(rows)
  assert summary['random'] == {'count': 2, 'mean': 260.0, 'max': 270.0,
                               'last_episode': 2}
  assert summary['collect']['mean'] == 400.0
  assert summary['greedy']['max'] == 600.0


def test_plot_draws_every_policy_in_its_colour(tmp_path):
  _write_run(tmp_path)
  rows = learning_curve.read_returns(str(tmp_path / 'eval' / 'returns.csv'))
  out = str(tmp_path / 'plot' / 'curve.png')
  learning_curve.plot(rows, out, 'test')
  pixels = np.asarray(Image.open(out).convert('RGB')).reshape(-1, 3)
  colours = {tuple(p) for p in pixels}
  for _, colour in learning_curve.POLICIES.values():
    assert tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5)) in colours


def test_a_file_that_is_not_a_returns_csv_is_named(tmp_path):
  path = tmp_path / 'returns.csv'
  path.write_text('a,b\n1,2\n')
  with pytest.raises(ValueError, match='not a planet_tf returns.csv'):
    learning_curve.read_returns(str(path))


@pytest.mark.slow
def test_bin_plot_returns(tmp_path):
  _write_run(tmp_path)
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       f'--root_dir={tmp_path}'], capture_output=True, text=True, timeout=120,
      check=False)
  assert result.returncode == 0, result.stderr
  assert 'greedy' in result.stdout and os.path.isfile(tmp_path / 'returns.png')
  missing = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       f'--root_dir={tmp_path / "nope"}'], capture_output=True, text=True,
      timeout=120, check=False)
  assert missing.returncode != 0 and 'returns.csv' in missing.stderr


def _write_fake_run(root, task, greedy):
  """A run directory with a stored task and greedy returns at episodes 5, 10..."""
  os.makedirs(os.path.join(root, 'eval'))
  os.makedirs(os.path.join(root, 'train'))
  with open(os.path.join(root, 'train', 'config.gin'), 'w') as f:
    f.write(f"train_eval.task_name = '{task}'\n")
  lines = ['episodes,env_steps,train_steps,policy,return',
           '1,125,0,random,100.0']
  for i, value in enumerate(greedy):
    episode = 5 * (i + 1)
    lines.append(f'{episode},{125 * episode},{100 * episode},collect,'
                 f'{value - 50}')
    lines.append(f'{episode},{125 * episode},{100 * episode},greedy,{value}')
  with open(os.path.join(root, 'eval', 'returns.csv'), 'w') as f:
    f.write('\n'.join(lines) + '\n')


def test_markdown_table_sets_the_last_greedy_returns_against_the_paper(tmp_path):
  _write_fake_run(tmp_path / 'a', 'cheetah_run', [100, 200, 300, 400, 500, 600])
  _write_fake_run(tmp_path / 'b', 'cartpole_balance', [900])
  runs = [learning_curve.load_run(str(tmp_path / name)) for name in 'ab']
  assert runs[0].task == 'cheetah_run'
  table = learning_curve.markdown_table(runs).splitlines()
  assert len(table) == 4
  # Mean of the newest 5 greedy returns (200..600), against 662 in Table 1.
  assert table[2] == ('| a | cheetah_run | 30 | 600.0 | 400.0 | 662 | 60% |')
  # A task without a Table 1 score has no paper column.
  assert table[3] == '| b | cartpole_balance | 5 | 900.0 | 900.0 | - | - |'


def test_the_table_averages_each_evaluation_point_of_a_run(tmp_path):
  # Ten final greedy episodes at 20 are one evaluation, their mean 190.
  _write_seed_run(tmp_path / 'a', {10: [100], 20: list(range(145, 236, 10))})
  table = learning_curve.markdown_table(_load(tmp_path, 'a')).splitlines()
  assert table[0].startswith(
      '| run | task | episodes | last evaluation | mean of last 5 evaluations')
  # The mean of the two evaluations is (100 + 190) / 2, against 662.
  assert table[2] == ('| a | cheetah_run | 20 | 190.0 (10 episodes) | 145.0 '
                      '| 662 | 22% |')


def test_plot_runs_draws_the_given_reference_lines(tmp_path):
  _write_seed_run(tmp_path / 'a', {10: [100]})
  _write_seed_run(tmp_path / 'b', {10: [200]}, {'train_eval.seed': '2'})
  labels = learning_curve.plot_runs(
      _load(tmp_path, 'a', 'b'), str(tmp_path / 'r.png'),
      references=[('PlaNet poster, 120 episodes', 213.0)])
  assert labels[-1] == 'PlaNet poster, 120 episodes: 213'


@pytest.mark.parametrize('value', ['213', 'many:PlaNet', '213:', ':poster'])
def test_a_reference_that_is_not_score_and_label_is_refused(value):
  from planet_tf.cli import plot_returns  # pylint: disable=g-import-not-at-top
  with pytest.raises(ValueError, match='expected SCORE:LABEL'):
    plot_returns._references([value])  # pylint: disable=protected-access
  assert plot_returns._references(['213:poster']) == [('poster', 213.0)]  # pylint: disable=protected-access


def test_plot_runs_draws_each_run_and_the_paper_line(tmp_path):
  _write_fake_run(tmp_path / 'a', 'cheetah_run', [100, 200, 300])
  _write_fake_run(tmp_path / 'b', 'walker_walk', [50, 60, 70])
  runs = [learning_curve.load_run(str(tmp_path / name)) for name in 'ab']
  out = str(tmp_path / 'fig' / 'runs.png')
  learning_curve.plot_runs(runs, out, 'two runs')
  image = np.asarray(Image.open(out).convert('RGB'))
  assert image.shape[0] > 300 and image.shape[1] > 500
  # matplotlib's first two cycle colours: one per run.
  colours = {tuple(p) for p in image.reshape(-1, 3)}
  assert (31, 119, 180) in colours and (255, 127, 14) in colours


@pytest.mark.slow
def test_bin_plot_returns_several_runs(tmp_path):
  _write_fake_run(tmp_path / 'a', 'cheetah_run', [100, 200, 300])
  _write_fake_run(tmp_path / 'b', 'finger_spin', [400])
  out = tmp_path / 'all.png'
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       str(tmp_path / 'a'), str(tmp_path / 'b'), f'--output={out}'],
      capture_output=True, text=True, timeout=120, check=False)
  assert result.returncode == 0, result.stderr
  assert '| a | cheetah_run | 15 | 300.0 | 200.0 | 662 | 30% |' in result.stdout
  assert '| b | finger_spin | 5 | 400.0 | 400.0 | 700 | 57% |' in result.stdout
  assert os.path.isfile(out)


BASE_CONFIG = {
    'train_eval.task_name': "'cheetah_run'",
    'train_eval.batch_size': '50',
    'train_eval.num_episodes': '100',
    'train_eval.seed': '1',
}


def _write_seed_run(root, greedy, config=None, collect=None):
  """A run directory with `train/config.gin` and `eval/returns.csv`.

  Args:
    root: the run directory.
    greedy: `{episodes: [greedy returns written at that episode]}`.
    config: bindings overriding `BASE_CONFIG`; the string `'none'` writes no
      config.
    collect: `{episodes: collect return}`.
  """
  os.makedirs(os.path.join(root, 'eval'))
  os.makedirs(os.path.join(root, 'train'))
  if config != 'none':
    bindings = {**BASE_CONFIG, **(config or {})}
    with open(os.path.join(root, 'train', 'config.gin'), 'w') as f:
      f.write(''.join(f'{k} = {v}\n' for k, v in sorted(bindings.items())))
  lines = ['episodes,env_steps,train_steps,policy,return']
  for episode, value in sorted((collect or {}).items()):
    lines.append(f'{episode},{125 * episode},0,collect,{value}')
  for episode, values in sorted(greedy.items()):
    lines += [f'{episode},{125 * episode},0,greedy,{v}' for v in values]
  with open(os.path.join(root, 'eval', 'returns.csv'), 'w') as f:
    f.write('\n'.join(lines) + '\n')


def _load(tmp_path, *names):
  return [learning_curve.load_run(str(tmp_path / name)) for name in names]


def test_two_seeds_of_one_config_are_one_curve_with_a_band(tmp_path):
  _write_seed_run(tmp_path / 'cheetah_s1', {5: [100], 10: [300]},
                  collect={5: 40, 10: 80})
  _write_seed_run(tmp_path / 'cheetah_s2', {5: [200], 10: [500]},
                  {'train_eval.seed': '2'}, collect={5: 60, 10: 100})
  runs = _load(tmp_path, 'cheetah_s1', 'cheetah_s2')
  groups = learning_curve.group_runs(runs)
  assert len(groups) == 1
  group = groups[0]
  assert (group.name, group.task, group.seeds) == ('cheetah', 'cheetah_run', 2)
  assert learning_curve.group_curve(group) == [
      learning_curve.Point(5, 150.0, 100.0, 200.0, 2),
      learning_curve.Point(10, 400.0, 300.0, 500.0, 2)]
  labels = learning_curve.plot_runs(runs, str(tmp_path / 'seeds.png'))
  assert labels == ['cheetah (cheetah_run, 2 seeds)',
                    'PlaNet (Table 1), cheetah_run: 662']
  assert os.path.isfile(tmp_path / 'seeds.png')


@pytest.mark.parametrize('names, expected', [
    (('poster/seed11', 'poster/seed12'), 'poster'),
    (('poster/s1', 'poster/s2'), 'poster'),
    (('cheetah_s1', 'cheetah_s2'), 'cheetah'),
    (('cheetah_seed1', 'cheetah_seed2'), 'cheetah'),
    (('left/seed1', 'right/seed2'), 'seed1+seed2'),
    (('alpha', 'beta'), 'alpha+beta')])
def test_a_group_is_named_by_its_runs_without_their_seeds(
    tmp_path, names, expected):
  for i, name in enumerate(names):
    _write_seed_run(tmp_path / name, {5: [100]}, {'train_eval.seed': str(i)})
  groups = learning_curve.group_runs(_load(tmp_path, *names))
  assert [(g.name, g.seeds) for g in groups] == [(expected, 2)]


def test_a_seed_evaluated_where_others_are_not_counts_alone(tmp_path):
  curves = [{5: 100.0, 10: 300.0}, {5: 200.0}]
  assert learning_curve.across_seeds(curves) == [
      learning_curve.Point(5, 150.0, 100.0, 200.0, 2),
      learning_curve.Point(10, 300.0, 300.0, 300.0, 1)]


def test_runs_differing_in_a_setting_that_is_not_resumable_are_not_grouped(
    tmp_path):
  _write_seed_run(tmp_path / 'a', {5: [100]})
  _write_seed_run(tmp_path / 'b', {5: [200]}, {'train_eval.batch_size': '25'})
  groups = learning_curve.group_runs(_load(tmp_path, 'a', 'b'))
  assert [(g.name, g.seeds) for g in groups] == [('a', 1), ('b', 1)]
  assert learning_curve.group_label(groups[0]) == 'a (cheetah_run, 1 seed)'


def test_runs_differing_only_in_seed_or_resumable_settings_are_grouped(
    tmp_path):
  _write_seed_run(tmp_path / 'run_1', {5: [100]})
  _write_seed_run(tmp_path / 'run_2', {5: [200]},
                  {'train_eval.seed': '2', 'train_eval.num_episodes': '500'})
  _write_seed_run(tmp_path / 'run_3', {5: [300]},
                  {'train_eval.eval_interval': '10',
                   'train_eval.max_minutes': '60.0'})
  # A run without a stored config is a group of its own.
  _write_seed_run(tmp_path / 'run_4', {5: [400]}, 'none')
  groups = learning_curve.group_runs(
      _load(tmp_path, 'run_1', 'run_2', 'run_3', 'run_4'),
      registry.resumable_bindings())
  assert [(g.name, g.seeds) for g in groups] == [('run', 3), ('run_4', 1)]
  assert [os.path.basename(r.root_dir) for r in groups[0].runs] == [
      'run_1', 'run_2', 'run_3']
  assert groups[1].runs[0].config is None


def test_glamor_runs_group_over_their_own_resumable_settings():
  rows = [learning_curve.Row(5, 10, 0, 'greedy', 0.5)]
  config = {'glamor_train_eval.task_name': "'grid_world'",
            'glamor_train_eval.num_env_steps': '1000'}
  runs = [
      learning_curve.Run('g_s1', None, rows, config=config),
      learning_curve.Run('g_s2', None, rows, config={
          **config, 'glamor_train_eval.num_env_steps': '5000',
          'glamor_train_eval.seed': '3'}),
      learning_curve.Run('g_s3', None, rows, config={
          **config, 'glamor_train_eval.horizon': '20'})]
  assert [g.seeds for g in learning_curve.group_runs(
      runs, registry.resumable_bindings())] == [2, 1]


def test_greedy_rows_at_one_episode_are_averaged_within_the_seed_first(
    tmp_path):
  # Seed 1 writes ten final evaluation rows at episode 10, seed 2 one row.
  _write_seed_run(tmp_path / 's1', {5: [0], 10: [100] * 9 + [1000]})
  _write_seed_run(tmp_path / 's2', {5: [0], 10: [500]},
                  {'train_eval.seed': '2'})
  runs = _load(tmp_path, 's1', 's2')
  assert learning_curve.greedy_by_episode(runs[0].rows) == {5: 0.0,
                                                            10: 190.0}
  (group,) = learning_curve.group_runs(runs)
  # (190 + 500) / 2, not the mean of all eleven rows (about 218.2).
  assert learning_curve.group_curve(group)[-1] == learning_curve.Point(
      10, 345.0, 190.0, 500.0, 2)
  assert learning_curve.final_scores(group) == [190.0, 500.0]


def test_group_table_gives_mean_and_standard_error_over_seeds(tmp_path):
  # Final scores 300 (mean of 200 and 400 at its last evaluation), 500, 700.
  _write_seed_run(tmp_path / 'cheetah_s1', {5: [50], 10: [200, 400]})
  _write_seed_run(tmp_path / 'cheetah_s2', {5: [60], 10: [500]},
                  {'train_eval.seed': '2'})
  _write_seed_run(tmp_path / 'cheetah_s3', {5: [70], 15: [700]},
                  {'train_eval.seed': '3'})
  _write_seed_run(tmp_path / 'other', {5: [90]},
                  {'train_eval.task_name': "'cartpole_balance'"})
  groups = learning_curve.group_runs(
      _load(tmp_path, 'cheetah_s1', 'cheetah_s2', 'cheetah_s3', 'other'))
  mean, error = learning_curve.mean_and_standard_error(
      learning_curve.final_scores(groups[0]))
  # s.d. of (300, 500, 700) is 200; s.e. = 200 / sqrt(3) = 115.47.
  assert mean == pytest.approx(500.0) and error == pytest.approx(115.470, 1e-4)
  table = learning_curve.group_table(groups).splitlines()
  assert len(table) == 4
  # 500 of Table 1's 662 is 76%.
  assert table[2] == ('| cheetah | cheetah_run | 3 | 10–15 | 500.0 ± 115.5 | '
                      '662 | 76% |')
  # One seed: no ±; a task without a Table 1 score: no paper column.
  assert table[3] == '| other | cartpole_balance | 1 | 5 | 90.0 | - | - |'


def test_a_multitask_run_groups_per_task(tmp_path):
  def multitask_rows(offset):
    return [learning_curve.Row(5, 0, 0, 'greedy', offset + 100.0,
                               {'task': 'cartpole_swingup'}),
            learning_curve.Row(5, 0, 0, 'greedy', offset + 10.0,
                               {'task': 'cheetah_run'})]
  config = {'train_eval.task_names': "('cartpole_swingup', 'cheetah_run')"}
  runs = [curve for i, offset in enumerate((0.0, 20.0)) for curve in
          learning_curve.split_by_task(learning_curve.Run(
              f'runs/mt_s{i + 1}', None, multitask_rows(offset),
              config={**config, 'train_eval.seed': str(i)}))]
  groups = learning_curve.group_runs(runs)
  assert [(g.name, g.task, g.seeds) for g in groups] == [
      ('mt/cartpole_swingup', 'cartpole_swingup', 2),
      ('mt/cheetah_run', 'cheetah_run', 2)]
  assert [learning_curve.group_curve(g)[0].mean for g in groups] == [110.0,
                                                                      20.0]
  assert learning_curve.group_label(groups[1]) == 'mt/cheetah_run (2 seeds)'


@pytest.mark.slow
def test_bin_plot_returns_seeds_of_one_config(tmp_path):
  _write_seed_run(tmp_path / 'cheetah_s1', {5: [100], 10: [300]})
  _write_seed_run(tmp_path / 'cheetah_s2', {5: [200], 10: [500]},
                  {'train_eval.seed': '2'})
  out = tmp_path / 'seeds.png'
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       str(tmp_path / 'cheetah_s1'), str(tmp_path / 'cheetah_s2'),
       f'--output={out}'], capture_output=True, text=True, timeout=120,
      check=False)
  assert result.returncode == 0, result.stderr
  # s.e. of (300, 500): 141.42 / sqrt(2) = 100.
  assert '| cheetah | cheetah_run | 2 | 10 | 400.0 ± 100.0 | 662 | 60% |' in (
      result.stdout)
  assert os.path.isfile(out)


DREAMER_CONFIG = {'train.loop': '@dreamer_train_eval',
                  'dreamer_train_eval.task_name': "'cheetah_run'",
                  'dreamer_train_eval.seed': '1'}


def _write_kind_run(root, episodes, greedy, config):
  """A run of `config`'s agent kind: one greedy return after `episodes`."""
  bindings = {k: v for k, v in config.items()}
  _write_seed_run(root, {episodes: [greedy]}, bindings)
  # Only the kind's own bindings: drop the PlaNet ones `BASE_CONFIG` adds.
  with open(os.path.join(root, 'train', 'config.gin'), 'w') as f:
    f.write(''.join(f'{k} = {v}\n' for k, v in sorted(bindings.items())))


def _load_kinds(tmp_path, *names):
  """Runs read as `bin/plot_returns` reads them: each with its kind's agent."""
  return [learning_curve.load_run(
      str(tmp_path / name), registry.kind_of_run(str(tmp_path / name)).agent)
          for name in names]


def test_a_dreamer_run_is_set_against_dreamer_at_a_comparable_point(tmp_path):
  _write_kind_run(tmp_path / 'd120', 120, 188.0, DREAMER_CONFIG)
  _write_kind_run(tmp_path / 'd450', 450, 285.0, DREAMER_CONFIG)
  short, long = _load_kinds(tmp_path, 'd120', 'd450')
  assert short.agent == 'Dreamer'
  table = learning_curve.markdown_table([short]).splitlines()
  # 120 episodes are nearest the 100k-step point: Dreamer's 235 there.
  assert table[0].endswith('| Dreamer (100k steps, CURL Table 1) | '
                           'of published |')
  assert table[2] == '| d120 | cheetah_run | 120 | 188.0 | 188.0 | 235 | 80% |'
  assert 'PlaNet' not in '\n'.join(table) and '662' not in table[2]
  # 450 episodes: the 500k-step point, 570.
  assert learning_curve.markdown_table([long]).splitlines()[2] == (
      '| d450 | cheetah_run | 450 | 285.0 | 285.0 | 570 | 50% |')


def test_runs_of_two_agents_are_each_set_against_their_own(tmp_path):
  _write_kind_run(tmp_path / 'planet', 120, 331.0, BASE_CONFIG)
  _write_kind_run(tmp_path / 'dreamer', 120, 188.0, DREAMER_CONFIG)
  runs = _load_kinds(tmp_path, 'planet', 'dreamer')
  assert [r.agent for r in runs] == ['PlaNet', 'Dreamer']
  table = learning_curve.markdown_table(runs).splitlines()
  assert '| published | of published |' in table[0]
  assert table[2].endswith('| PlaNet (Table 1): 662 | 50% |')
  assert table[3].endswith('| Dreamer (100k steps, CURL Table 1): 235 | 80% |')
  groups = learning_curve.group_runs(runs, registry.resumable_bindings())
  assert [g.agent for g in groups] == ['PlaNet', 'Dreamer']
  group_table = learning_curve.group_table(groups).splitlines()
  assert group_table[3].endswith('| Dreamer (100k steps, CURL Table 1): 235 '
                                 '| 80% |')
  labels = learning_curve.plot_runs(runs, str(tmp_path / 'both.png'))
  assert labels == ['planet (cheetah_run, 1 seed)',
                    'PlaNet (Table 1), cheetah_run: 662',
                    'dreamer (cheetah_run, 1 seed)',
                    'Dreamer (100k steps, CURL Table 1), cheetah_run: 235']


def test_a_glamor_run_is_set_against_no_published_score(tmp_path):
  config = {'train.loop': '@glamor_train_eval',
            'glamor_train_eval.task_name': "'cheetah_run'"}
  _write_kind_run(tmp_path / 'glamor', 10, 0.5, config)
  (run,) = _load_kinds(tmp_path, 'glamor')
  assert run.agent == 'GLAMOR'
  table = learning_curve.markdown_table([run]).splitlines()
  assert table[2].endswith('| - | - |') and 'PlaNet' not in table[0]
  labels = learning_curve.plot_runs([run], str(tmp_path / 'glamor.png'))
  assert labels == ['glamor (cheetah_run, 1 seed)']


@pytest.mark.parametrize('loop, collect, greedy', [
    (registry.PLANET, 'collect (CEM + noise)', 'evaluation (greedy CEM)'),
    (registry.DREAMER, 'collect (actor + noise)', 'evaluation (greedy actor)'),
    (registry.GLAMOR, 'collect (sampled plans + ε-random actions)',
     'evaluation (greedy sampled plans)')])
def test_each_kind_s_legend_names_what_chooses_its_actions(loop, collect,
                                                           greedy):
  kind = registry.kind(loop)
  labels = learning_curve.policy_labels(kind.acting, kind.exploration)
  assert [label for label, _ in labels.values()] == [
      'random seed episodes', collect, greedy]


@pytest.mark.slow
def test_bin_plot_returns_labels_each_run_by_its_agent(tmp_path):
  _write_kind_run(tmp_path / 'planet', 120, 331.0, BASE_CONFIG)
  _write_kind_run(tmp_path / 'dreamer', 120, 188.0, DREAMER_CONFIG)
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       str(tmp_path / 'dreamer'), str(tmp_path / 'planet'),
       f'--output={tmp_path / "both.png"}'], capture_output=True, text=True,
      timeout=120, check=False)
  assert result.returncode == 0, result.stderr
  assert ('| dreamer | cheetah_run | 120 | 188.0 | 188.0 | Dreamer (100k steps, '
          'CURL Table 1): 235 | 80% |') in result.stdout
  assert ('| planet | cheetah_run | 120 | 331.0 | 331.0 | PlaNet (Table 1): '
          '662 | 50% |') in result.stdout
  one = subprocess.run(
      [sys.executable, os.path.join(ROOT, 'bin', 'plot_returns'),
       f'--root_dir={tmp_path / "dreamer"}'], capture_output=True, text=True,
      timeout=120, check=False)
  assert one.returncode == 0, one.stderr
  assert '| Dreamer (100k steps, CURL Table 1) |' in one.stdout
  assert 'PlaNet' not in one.stdout and '662' not in one.stdout
