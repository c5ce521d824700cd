"""Learning curves: runs' `eval/returns.csv` read back, drawn, and set against the paper.

`train_eval` appends one row per episode to `<root_dir>/eval/returns.csv`
(`planet_tf.run_dir.returns`, which reads it back): `policy` is `random` (seed
episodes), `collect` (CEM with exploration noise) or `greedy` (evaluation). Figures are drawn with matplotlib, the optional extra
`pip install 'planet_tf[plot]'`; reading and the table need nothing beyond the
package's own dependencies.
"""

import os
from typing import Dict, List, NamedTuple, Optional, Sequence

from planet_tf import run_dir as run_dir_lib
from planet_tf.run_dir import ReturnRow as Row

POLICIES = {
    'random': ('random seed episodes', '#969696'),
    'collect': ('collect (CEM + noise)', '#5aa0e6'),
    'greedy': ('evaluation (greedy CEM)', '#dc2828'),
}

# PlaNet's final scores (Hafner et al., 2019, Table 1: 1000 episodes, 50 x 50
# chunks, 100 updates per episode), the reference lines of a reproduction.
PAPER_SCORES = {
    'cartpole_swingup': 821,
    'reacher_easy': 832,
    'cheetah_run': 662,
    'finger_spin': 700,
    'cup_catch': 930,
    'walker_walk': 951,
}

# How many of the newest greedy evaluations the table averages.
LAST_EVALUATIONS = 5


class Run(NamedTuple):
  """One run's curve: its directory, task (None if unknown) and rows.

  `label` names the curve when set (one task of a multi-task run).
  """
  root_dir: str
  task: Optional[str]
  rows: List[Row]
  label: Optional[str] = None

  @property
  def name(self):
    return self.label or os.path.basename(os.path.normpath(self.root_dir))


def read_returns(path: str) -> List[Row]:
  """Reads a `returns.csv` (or a run directory's); returns its rows in file order.

  Raises:
    FileNotFoundError: if `path` does not exist.
    ValueError: if the file lacks the expected columns.
  """
  return run_dir_lib.read_returns(path)


def load_run(root_dir: str) -> Run:
  """Reads `<root_dir>/eval/returns.csv` and the run's task from its config.

  Raises:
    FileNotFoundError: if the run has no returns.csv.
    ValueError: if that file is not a planet_tf returns.csv.
  """
  rows = read_returns(run_dir_lib.RunDir(root_dir).returns_path)
  return Run(root_dir, run_dir_lib.task_of_run(root_dir), rows)


def split_by_task(run: Run) -> List[Run]:
  """One curve per task of a multi-task run (rows with a `task` column).

  Returns:
    `[run]` for a one-task run; else one `Run` per task, in the order the
    tasks first appear, named `<run>/<task>`, each with that task's rows.
  """
  tasks = list(dict.fromkeys(r.extra.get('task') for r in run.rows
                             if r.extra.get('task')))
  if not tasks:
    return [run]
  return [Run(run.root_dir, task,
              [r for r in run.rows if r.extra.get('task') == task],
              f'{run.name}/{task}') for task in tasks]


def summarize(rows: List[Row]) -> Dict[str, Dict[str, float]]:
  """Per policy: `count`, `mean`, `max` of the returns, and `last_episode`."""
  out = {}
  for policy in POLICIES:
    values = [r.value for r in rows if r.policy == policy]
    if values:
      out[policy] = {
          'count': len(values), 'mean': sum(values) / len(values),
          'max': max(values),
          'last_episode': max(r.episodes for r in rows if r.policy == policy)}
  return out


def last_greedy_mean(rows: List[Row], count: int = LAST_EVALUATIONS):
  """Mean of the newest `count` greedy returns (fewer if fewer exist), or None."""
  values = [r.value for r in rows if r.policy == 'greedy'][-count:]
  return sum(values) / len(values) if values else None


def markdown_table(runs: Sequence[Run]) -> str:
  """The runs' latest greedy returns against the paper's, as a markdown table.

  One row per run: its task, episodes collected, the newest greedy return, the
  mean of the newest `LAST_EVALUATIONS` greedy returns, PlaNet's Table 1 score
  and the ratio of that mean to it.
  """
  lines = [f'| run | task | episodes | last greedy | mean of last '
           f'{LAST_EVALUATIONS} greedy | paper (Table 1) | of paper |',
           '| --- | --- | ---: | ---: | ---: | ---: | ---: |']
  for run in runs:
    greedy = [r.value for r in run.rows if r.policy == 'greedy']
    episodes = max((r.episodes for r in run.rows), default=0)
    mean = last_greedy_mean(run.rows)
    paper = PAPER_SCORES.get(run.task)
    cells = [
        run.name, run.task or '?', str(episodes),
        f'{greedy[-1]:.1f}' if greedy else '-',
        f'{mean:.1f}' if mean is not None else '-',
        str(paper) if paper else '-',
        f'{mean / paper:.0%}' if paper and mean is not None else '-']
    lines.append('| ' + ' | '.join(cells) + ' |')
  return '\n'.join(lines)


def _pyplot():
  try:
    import matplotlib  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        'Drawing learning curves needs matplotlib: pip install '
        "'planet_tf[plot]'.") from e
  matplotlib.use('Agg')  # Files only; no display is needed or wanted.
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  return plt


def plot(rows: List[Row], output: str, title: str = '',
         max_return: float = 1000.0) -> None:
  """Draws one run's returns against episodes, one colour per policy, to a PNG.

  Args:
    rows: from `read_returns`.
    output: path of the PNG (its directory is created).
    title: the figure's title.
    max_return: top of the y axis (1000 is the DeepMind Control maximum); raised
      to the largest return if that is higher.

  Raises:
    ValueError: if `rows` is empty.
  """
  if not rows:
    raise ValueError('No returns to plot.')
  plt = _pyplot()
  fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
  for policy, (label, colour) in POLICIES.items():
    points = [(r.episodes, r.value) for r in rows if r.policy == policy]
    if points:
      x, y = zip(*points)
      ax.plot(x, y, color=colour, label=label, marker='.',
              linestyle='none' if policy == 'random' else '-',
              linewidth=1.0 if policy == 'collect' else 1.8)
  _finish(plt, fig, ax, output, title,
          max(max_return, max(r.value for r in rows)))


def plot_runs(runs: Sequence[Run], output: str, title: str = '',
              max_return: float = 1000.0) -> None:
  """Draws several runs' greedy returns in one figure, with the paper's scores.

  Each run is one colour: its greedy evaluations as a line and its exploring
  episodes as faint dots; each task with a Table 1 score gets a dashed
  horizontal line of that run's colour.

  Raises:
    ValueError: if no run has any row.
  """
  if not any(run.rows for run in runs):
    raise ValueError('No returns to plot.')
  plt = _pyplot()
  fig, ax = plt.subplots(figsize=(8, 4.8), dpi=100)
  colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
  drawn_paper = set()
  top = max_return
  for i, run in enumerate(runs):
    colour = colours[i % len(colours)]
    collect = [(r.episodes, r.value) for r in run.rows
               if r.policy in ('collect', 'random')]
    greedy = [(r.episodes, r.value) for r in run.rows if r.policy == 'greedy']
    if collect:
      x, y = zip(*collect)
      ax.plot(x, y, color=colour, marker='.', linestyle='none', alpha=0.25)
    if greedy:
      x, y = zip(*greedy)
      label = run.name if run.task is None else f'{run.name} ({run.task})'
      ax.plot(x, y, color=colour, marker='.', linewidth=1.8, label=label)
    paper = PAPER_SCORES.get(run.task)
    if paper is not None and run.task not in drawn_paper:
      drawn_paper.add(run.task)
      ax.axhline(paper, color=colour, linestyle='--', linewidth=1.0,
                 label=f'PlaNet paper, {run.task}: {paper}')
    top = max([top] + [r.value for r in run.rows])
  _finish(plt, fig, ax, output, title, top)


def _finish(plt, fig, ax, output, title, top):
  ax.set_xlabel('episodes')
  ax.set_ylabel('return')
  ax.set_ylim(min(0.0, ax.get_ylim()[0]), top * 1.02)
  ax.set_xlim(left=0)
  ax.grid(True, alpha=0.3)
  if title:
    ax.set_title(title)
  ax.legend(loc='best', fontsize='small')
  fig.tight_layout()
  if os.path.dirname(output):
    os.makedirs(os.path.dirname(output), exist_ok=True)
  fig.savefig(output)
  plt.close(fig)
