"""`train_eval.final_eval_episodes` and `eval/timing.csv` on gin_configs/tiny.gin:
a final evaluation of its own size, topped up on resume, and the time each
episode took."""

import os

import pytest

import bin_commands
from planet_tf import run_dir


def _greedy(rows):
  return [(int(r['episodes']), float(r['return'])) for r in rows
          if r['policy'] == 'greedy']


@pytest.mark.slow
def test_the_final_evaluation_has_its_own_size_and_resumes(tmp_path):
  root = str(tmp_path / 'run')
  # 4 episodes (2 seed episodes), evaluations every 3: the final one is not
  # on the interval.
  first = bin_commands.train(root, 'tiny.gin', 'train_eval.eval_interval = 3',
                             'train_eval.final_eval_episodes = 3')
  assert first.returncode == 0, first.stderr[-3000:]
  greedy = _greedy(bin_commands.rows(root))
  assert [e for e, _ in greedy] == [3, 4, 4, 4]
  # Three episodes of one policy in one environment: not one return repeated.
  assert len({v for e, v in greedy if e == 4}) > 1
  assert len(bin_commands.episodes(root)) == 4

  # The same finished run asked for 5: two more episodes at episode 4, no
  # training, no new collected episode.
  before = bin_commands.rows(root)
  second = bin_commands.train(root, 'tiny.gin', 'train_eval.eval_interval = 3',
                              'train_eval.final_eval_episodes = 5')
  assert second.returncode == 0, second.stderr[-3000:]
  after = bin_commands.rows(root)
  assert after[:len(before)] == before
  assert [(r['episodes'], r['policy']) for r in after[len(before):]] == [
      ('4', 'greedy')] * 2
  assert {r['train_steps'] for r in after if r['episodes'] == '4'} == {
      before[-1]['train_steps']}
  assert len(os.listdir(os.path.join(root, 'eval', 'videos'))) == 1 + 5

  timing = run_dir.read_timing(root)
  assert [(t.episodes, t.phase) for t in timing] == [
      (1, 'episode'), (2, 'episode'), (3, 'episode'), (3, 'evaluation'),
      (4, 'episode'), (4, 'evaluation'), (4, 'evaluation')]
  assert all(t.wall_seconds > 0 and t.cpu_seconds > 0 for t in timing)
  total_wall = total_cpu = 0.0
  for t in timing:  # Totals run on across the resume.
    total_wall += t.wall_seconds
    total_cpu += t.cpu_seconds
    assert t.total_wall_seconds == pytest.approx(total_wall, abs=0.01)
    assert t.total_cpu_seconds == pytest.approx(total_cpu, abs=0.01)


def test_a_final_evaluation_size_must_be_positive(tmp_path):
  result = bin_commands.train(str(tmp_path / 'run'), 'tiny.gin',
                              'train_eval.final_eval_episodes = 0')
  assert result.returncode == 1
  assert 'final_eval_episodes must be >= 1' in result.stderr
  assert not os.path.exists(tmp_path / 'run')


def test_timing_rows_add_up_and_a_foreign_file_is_named(tmp_path):
  clock = run_dir.Clock(str(tmp_path))
  clock.mark(1, 'episode')
  clock.mark(1, 'evaluation')
  resumed = run_dir.Clock(str(tmp_path))
  resumed.mark(2, 'episode')
  rows = run_dir.read_timing(str(tmp_path))
  assert [r.episodes for r in rows] == [1, 1, 2]
  assert rows[-1].total_cpu_seconds == pytest.approx(
      sum(r.cpu_seconds for r in rows), abs=0.01)
  path = tmp_path / 'other.csv'
  path.write_text('a,b\n1,2\n')
  with pytest.raises(ValueError, match='not a planet_tf timing.csv'):
    run_dir.read_timing(str(path))
