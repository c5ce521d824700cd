"""Learning curves: runs' `eval/returns.csv` read back, drawn, and set against
their agents' published scores.

`train_eval` appends one row per episode to `<root_dir>/eval/returns.csv`
(`planet_tf.run_dir.returns`, which reads it back): `policy` is `random` (seed
episodes), `collect` (CEM, or Dreamer's actor, with exploration noise) or
`greedy` (evaluation). Figures are drawn with matplotlib, the optional extra
`pip install 'planet_tf[plot]'`; reading and the table need nothing beyond the
package's own dependencies.

Runs of one configuration (stored configs equal but for the seed and the
resumable settings, `group_runs`) are seeds of one `Group`: drawn as one mean
line with a min–max band over the seeds, and summarized as mean ± standard
error over the seeds (`group_table`). A run is set against the published
scores of the agent that trained it (`PUBLISHED`, `published`), never
another's: PlaNet's Table 1 for PlaNet, Dreamer's for Dreamer, none for GLAMOR.
"""

import ast
import math
import os
import re
import statistics
from typing import Collection, Dict, List, NamedTuple, Optional, Sequence, Tuple

from planet_tf import files
from planet_tf import run_dir as run_dir_lib
from planet_tf.run_dir import ReturnRow as Row

POLICIES = {
    'random': ('random seed episodes', '#969696'),
    'collect': ('collect (CEM + noise)', '#5aa0e6'),
    'greedy': ('evaluation (greedy CEM)', '#dc2828'),
}


def policy_labels(acting: str = 'CEM',
                  exploration: str = 'noise') -> Dict[str, Tuple[str, str]]:
  """`POLICIES` for a run whose actions `acting` chooses (`'CEM'`, `'actor'`,
  `'sampled plans'`) and whose collect policy adds `exploration` to them:
  `{policy: (legend label, colour)}`."""
  return {policy: (label.replace('CEM', acting).replace('noise', exploration),
                   colour)
          for policy, (label, colour) in POLICIES.items()}


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


class Published(NamedTuple):
  """An agent's published scores per task after `episodes` episodes of 1000
  environment steps (every task below has such episodes)."""
  agent: str
  source: str
  episodes: int
  scores: Dict[str, float]

  @property
  def label(self):
    """Names the agent, the point and the source: `PlaNet (Table 1)`."""
    return f'{self.agent} ({self.source})'


# Dreamer's scores in the table of Srinivas et al. (2020, CURL, Table 1; the
# mean over seeds of data its authors shared), at 100k and 500k environment
# steps. The Dreamer paper gives its per-task scores as curves only.
DREAMER_100K = {
    'finger_spin': 341, 'cartpole_swingup': 326, 'reacher_easy': 314,
    'cheetah_run': 235, 'walker_walk': 277, 'cup_catch': 246}
DREAMER_500K = {
    'finger_spin': 796, 'cartpole_swingup': 762, 'reacher_easy': 793,
    'cheetah_run': 570, 'walker_walk': 897, 'cup_catch': 879}

# What each agent kind (`planet_tf.loops.registry.Kind.agent`) is set against.
PUBLISHED = {
    'PlaNet': (Published('PlaNet', 'Table 1', 1000, PAPER_SCORES),),
    'Dreamer': (
        Published('Dreamer', '100k steps, CURL Table 1', 100, DREAMER_100K),
        Published('Dreamer', '500k steps, CURL Table 1', 500, DREAMER_500K)),
}


def published(agent: Optional[str], task: Optional[str],
              episodes: int) -> Optional[Tuple[str, float]]:
  """The published score a run of `agent` on `task` is set against.

  Of the agent's `PUBLISHED` points with a score for `task`, the one nearest
  the run's `episodes` (by their ratio): a run is compared with its own agent
  at a comparable point, never with another agent.

  Returns:
    `(label, score)`, or None if the agent has no published score for `task`.
  """
  points = [p for p in PUBLISHED.get(agent, ()) if task in p.scores]
  if not points:
    return None
  ratio = lambda p: abs(math.log(max(episodes, 1) / p.episodes))
  point = min(points, key=ratio)
  return point.label, point.scores[task]

# How many of the newest greedy evaluations the table averages.
LAST_EVALUATIONS = 5

# Policies whose returns are exploring episodes (drawn faintly per group).
EXPLORING = ('random', 'collect')


class Run(NamedTuple):
  """One run's curve: its directory, task (None if unknown) and rows.

  `label` names the curve when set (one task of a multi-task run); `config`
  holds the bindings of the run's stored `train/config.gin`, None if it has
  none; `agent` names the agent that trained it (`PUBLISHED`' keys).
  """
  root_dir: str
  task: Optional[str]
  rows: List[Row]
  label: Optional[str] = None
  config: Optional[Dict[str, str]] = None
  agent: str = 'PlaNet'

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


def read_stored_config(root_dir: str) -> Optional[Dict[str, str]]:
  """The bindings a run stored in `<root_dir>/train/config.gin`.

  Returns:
    `{'selector.param': 'value text'}`, or None if the run has no such file.
  """
  path = run_dir_lib.RunDir(root_dir).config_path
  if not os.path.isfile(path):
    return None
  with open(path) as f:
    return run_dir_lib.parse_bindings(f.read())


def load_run(root_dir: str, agent: str = 'PlaNet') -> Run:
  """Reads `<root_dir>/eval/returns.csv`, the run's task and stored config.

  Args:
    root_dir: a run directory.
    agent: the agent that trained it (`planet_tf.loops.registry.kind_of_run(
      root_dir).agent`).

  Raises:
    FileNotFoundError: if the run has no returns.csv.
    ValueError: if that file is not a planet_tf returns.csv.
  """
  rows = read_returns(run_dir_lib.RunDir(root_dir).returns_path)
  return Run(root_dir, task_of_run(root_dir), rows,
             config=read_stored_config(root_dir), agent=agent)


def task_of_run(root_dir: str) -> Optional[str]:
  """The one task a run stored (its loop's `task_name`), or None: none
  stored, or several tasks (`split_by_task` finds them in the rows)."""
  for key, value in run_dir_lib.stored_bindings(root_dir).items():
    if key.endswith('.task_name'):
      try:
        task = ast.literal_eval(value)
      except (ValueError, SyntaxError):
        continue
      if isinstance(task, str):
        return task
  return None


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
              f'{run.name}/{task}', run.config, run.agent) for task in tasks]


class Group(NamedTuple):
  """Runs of one configuration on one task: one curve per seed.

  `name` names the group (the runs' common directory name); `task` is None if
  unknown.
  """
  name: str
  task: Optional[str]
  runs: List[Run]

  @property
  def seeds(self):
    return len(self.runs)

  @property
  def agent(self):
    """The agent that trained the runs (one configuration, one agent)."""
    return self.runs[0].agent


def configuration(bindings: Dict[str, str],
                  ignored: Collection[str] = ()) -> Dict[str, str]:
  """What makes runs one configuration: their bindings but the seed.

  A run stores no setting it may change on resume (`run_dir.run_bindings`),
  so the seed is all that tells seeds of one configuration apart.

  Args:
    bindings: a run's stored bindings (`Run.config`).
    ignored: further binding names to leave out, e.g. settings a loop may
      change on resume (`planet_tf.loops.registry.resumable_bindings()`), for
      runs that stored them.

  Returns:
    `bindings` without any `<loop>.seed` and the `ignored` names.
  """
  return {k: v for k, v in bindings.items()
          if not k.endswith('.seed') and k not in ignored}


def _group_name(runs: Sequence[Run]) -> str:
  """The runs' common directory name without a trailing seed suffix.

  `cheetah_s1` and `cheetah_s2` give `cheetah`. Names that are only seeds
  (`poster/seed11`, `poster/seed12`) give their common parent's name,
  `poster`; names with nothing in common are joined with `+`. A task of a
  multi-task run follows as `/<task>`.
  """
  if len(runs) == 1:
    return runs[0].name
  paths = [os.path.normpath(os.path.abspath(run.root_dir)) for run in runs]
  names = [os.path.basename(path) for path in paths]
  prefix = os.path.commonprefix(names)
  # What names the seed: a separator, `s` or `seed` and digits, each optional.
  prefix = re.sub(r'(^|[_\-. ]+)(seed|s)?\d*[_\-. ]*$', '', prefix)
  parents = {os.path.basename(os.path.dirname(path)) for path in paths}
  if not prefix and len(parents) == 1 and all(
      re.fullmatch(r'(seed|s)?[_\-. ]*\d+', n) for n in names):
    prefix = parents.pop()
  name = prefix or '+'.join(names)
  return f'{name}/{runs[0].task}' if runs[0].label else name


def group_runs(runs: Sequence[Run],
               ignored: Collection[str] = ()) -> List[Group]:
  """Gathers the runs (curves) of one configuration and task into groups.

  Runs belong together when their stored configs are equal except for the
  seed and the resumable settings (`configuration`) and their tasks are
  equal, so the curves of a multi-task run (`split_by_task`) go to one group
  per task. A run without a stored config is a group of its own.

  Args:
    runs: curves from `load_run` (and `split_by_task`).
    ignored: as `configuration`'s.

  Returns:
    The groups in the order their first run appears, each with its runs in
    the given order.
  """
  members: Dict[object, List[Run]] = {}
  for i, run in enumerate(runs):
    if run.config is None:
      key = ('no config', i)
    else:
      key = (run.task, tuple(sorted(configuration(run.config, ignored).items())))
    members.setdefault(key, []).append(run)
  return [Group(_group_name(group), group[0].task, group)
          for group in members.values()]


def mean_by_episode(rows: Sequence[Row],
                    policies: Sequence[str]) -> Dict[int, float]:
  """The mean return of the rows of `policies` at each episode count.

  Returns:
    `{episodes: mean}`, ascending in episodes; only episodes with such rows.
  """
  values: Dict[int, List[float]] = {}
  for row in rows:
    if row.policy in policies:
      values.setdefault(row.episodes, []).append(row.value)
  return {e: sum(v) / len(v) for e, v in sorted(values.items())}


def greedy_by_episode(rows: Sequence[Row]) -> Dict[int, float]:
  """One seed's evaluations: the mean of its greedy rows at each episode count.

  A run may write several greedy rows at one point (e.g. one per final
  evaluation episode); they count as one evaluation, their mean.

  Returns:
    `{episodes: mean greedy return}`, ascending in episodes.
  """
  return mean_by_episode(rows, ('greedy',))


class Point(NamedTuple):
  """A group's curve at one episode count, over the seeds evaluated there."""
  episodes: int
  mean: float
  low: float
  high: float
  seeds: int


def across_seeds(per_seed: Sequence[Dict[int, float]]) -> List[Point]:
  """Combines per-seed curves (`{episodes: value}`) point by point.

  A point averages the seeds that have a value there; `low` and `high` are the
  smallest and largest of them (the band drawn around the mean).

  Returns:
    One `Point` per episode count of any seed, ascending.
  """
  episodes = sorted({e for curve in per_seed for e in curve})
  points = []
  for e in episodes:
    values = [curve[e] for curve in per_seed if e in curve]
    points.append(Point(e, sum(values) / len(values), min(values),
                        max(values), len(values)))
  return points


def group_curve(group: Group) -> List[Point]:
  """The group's greedy curve: per seed `greedy_by_episode`, then across seeds.

  Returns:
    `across_seeds` of the seeds' greedy evaluations; empty if none has any.
  """
  return across_seeds([greedy_by_episode(run.rows) for run in group.runs])


def final_scores(group: Group) -> List[float]:
  """Each seed's final score: its mean greedy return at its last evaluation.

  Returns:
    One score per seed that has a greedy row, in the group's run order.
  """
  curves = [greedy_by_episode(run.rows) for run in group.runs]
  return [curve[max(curve)] for curve in curves if curve]


def mean_and_standard_error(
    values: Sequence[float]) -> Tuple[Optional[float], Optional[float]]:
  """The mean of `values` and its standard error (sample s.d. / sqrt(n)).

  Returns:
    `(mean, standard error)`; the error is None for fewer than two values,
    both are None for none.
  """
  if not values:
    return None, None
  mean = sum(values) / len(values)
  if len(values) < 2:
    return mean, None
  return mean, statistics.stdev(values) / math.sqrt(len(values))


def group_label(group: Group) -> str:
  """The group's legend entry: name, task unless the name holds it, seeds.

  Returns:
    e.g. `cheetah_cpu (cheetah_run, 3 seeds)` or `mt/cheetah_run (1 seed)`.
  """
  seeds = f'{group.seeds} seed{"s" if group.seeds != 1 else ""}'
  if group.task is None or group.task in group.name:
    return f'{group.name} ({seeds})'
  return f'{group.name} ({group.task}, {seeds})'


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
  """Mean of the newest `count` evaluations (each the mean of its greedy rows,
  `greedy_by_episode`; fewer if fewer exist), or None without greedy rows."""
  values = list(greedy_by_episode(rows).values())[-count:]
  return sum(values) / len(values) if values else None


def _published_column(references):
  """The published-score column of a table: its header and one cell per row.

  Args:
    references: per row, `published(...)`: `(label, score)` or None.

  Returns:
    `(header, cells)`. The header is the label every row with a score shares
    (`PlaNet (Table 1)`), so the column names the agent; rows set against
    different labels (runs of several agents) name theirs in the cell.
  """
  labels = {r[0] for r in references if r is not None}
  if len(labels) == 1:
    return labels.pop(), ['-' if r is None else f'{r[1]:g}'
                          for r in references]
  return 'published', ['-' if r is None else f'{r[0]}: {r[1]:g}'
                       for r in references]


def _share(mean, reference):
  """`mean` as a share of the published score, or `-`."""
  return (f'{mean / reference[1]:.0%}' if reference and mean is not None
          else '-')


def markdown_table(runs: Sequence[Run]) -> str:
  """The runs' latest greedy returns against their agents' published scores,
  as a markdown table.

  One row per run: its task, episodes collected, its last evaluation (the
  mean of its greedy rows there, with their count when more than one), the
  mean of its newest `LAST_EVALUATIONS` evaluations, the published score of
  its agent on its task (`published`: PlaNet's Table 1, ...) and the ratio of
  that mean to it.
  """
  rows = []
  for run in runs:
    greedy = _last_evaluation(run.rows)
    episodes = max((r.episodes for r in run.rows), default=0)
    rows.append((run, greedy, episodes, last_greedy_mean(run.rows),
                 published(run.agent, run.task, episodes)))
  header, cells = _published_column([row[-1] for row in rows])
  lines = [f'| run | task | episodes | last evaluation | mean of last '
           f'{LAST_EVALUATIONS} evaluations | {header} | of published |',
           '| --- | --- | ---: | ---: | ---: | ---: | ---: |']
  for (run, greedy, episodes, mean, reference), cell in zip(rows, cells):
    row = [
        run.name, run.task or '?', str(episodes),
        (f'{sum(greedy) / len(greedy):.1f}' +
         (f' ({len(greedy)} episodes)' if len(greedy) > 1 else '')
         if greedy else '-'),
        f'{mean:.1f}' if mean is not None else '-',
        cell, _share(mean, reference)]
    lines.append('| ' + ' | '.join(row) + ' |')
  return '\n'.join(lines)


def _last_evaluation(rows: Sequence[Row]) -> List[float]:
  """The greedy returns of the run's last evaluation point (its newest
  episode count with greedy rows); empty without greedy rows."""
  greedy = [r for r in rows if r.policy == 'greedy']
  if not greedy:
    return []
  last = max(r.episodes for r in greedy)
  return [r.value for r in greedy if r.episodes == last]


def _episodes_of(group: Group) -> List[int]:
  """Each seed's episodes collected."""
  return [max((r.episodes for r in run.rows), default=0)
          for run in group.runs]


def group_published(group: Group) -> Optional[Tuple[str, float]]:
  """`published` for a group: its agent and task, at its seeds' most episodes."""
  return published(group.agent, group.task, max(_episodes_of(group)))


def group_table(groups: Sequence[Group]) -> str:
  """The groups' final greedy scores against their agents' published scores,
  as a markdown table.

  One row per group: its name, task, number of seeds, episodes collected (a
  range if the seeds differ), the mean ± standard error over seeds of each
  seed's `final_scores` (the mean alone for one seed), the published score of
  its agent (`group_published`) and the ratio of that mean to it.
  """
  references = [group_published(group) for group in groups]
  header, cells = _published_column(references)
  lines = ['| group | task | seeds | episodes | final greedy (mean ± s.e. '
           f'over seeds) | {header} | of published |',
           '| --- | --- | ---: | ---: | ---: | ---: | ---: |']
  for group, reference, cell in zip(groups, references, cells):
    episodes = _episodes_of(group)
    mean, error = mean_and_standard_error(final_scores(group))
    if mean is None:
      score = '-'
    elif error is None:
      score = f'{mean:.1f}'
    else:
      score = f'{mean:.1f} ± {error:.1f}'
    row = [
        group.name, group.task or '?', str(group.seeds),
        (str(min(episodes)) if min(episodes) == max(episodes)
         else f'{min(episodes)}–{max(episodes)}'),
        score, cell, _share(mean, reference)]
    lines.append('| ' + ' | '.join(row) + ' |')
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
         max_return: float = 1000.0, acting: str = 'CEM',
         exploration: str = 'noise') -> None:
  """Draws one run's returns against episodes, one colour per policy, to a PNG.

  Args:
    rows: from `read_returns`.
    output: path of the PNG (its directory is created).
    title: the figure's title.
    max_return: top of the y axis (1000 is the DeepMind Control maximum); raised
      to the largest return if that is higher.
    acting, exploration: what chose the run's actions and what its collect
      policy added, in the legend (`policy_labels`).

  Raises:
    ValueError: if `rows` is empty.
  """
  if not rows:
    raise ValueError('No returns to plot.')
  plt = _pyplot()
  fig, ax = plt.subplots(figsize=(7, 4.2), dpi=100)
  for policy, (label, colour) in policy_labels(acting, exploration).items():
    points = [(r.episodes, r.value) for r in rows if r.policy == policy]
    if points:
      x, y = zip(*points)
      ax.plot(x, y, color=colour, label=label, marker='.',
              linestyle='none' if policy == 'random' else '-',
              linewidth=1.0 if policy == 'collect' else 1.8)
  _finish(plt, fig, ax, output, title,
          max(max_return, max(r.value for r in rows)))


def plot_runs(runs: Sequence[Run], output: str, title: str = '',
              max_return: float = 1000.0,
              ignored: Collection[str] = (),
              references: Sequence[Tuple[str, float]] = ()) -> List[str]:
  """Draws several runs' greedy returns in one figure, one curve per group.

  The runs are grouped by `group_runs`; each group is one colour: the mean
  over its seeds of their greedy evaluations (`group_curve`) as a line, the
  smallest to largest seed's value at each point as a shaded band, and the
  mean over seeds of the exploring returns (random and collect episodes) as a
  faint line. Each published score a group is set against
  (`group_published`: its own agent's, PlaNet's Table 1 for PlaNet) is a
  dashed horizontal line of the colour of the first group set against it.

  Args:
    runs: curves from `load_run` (and `split_by_task`).
    output: path of the PNG (its directory is created).
    title: the figure's title.
    max_return: top of the y axis; raised to the largest return if higher.
    ignored: as `group_runs`'s.
    references: more `(label, score)` lines, drawn dotted in black (e.g. a
      published score at another point than `PUBLISHED`'s).

  Returns:
    The legend's labels, in order: `group_label` of each group with greedy
    returns, the published scores' lines (`<label>, <task>: <score>`), then
    `references` (`<label>: <score>`).

  Raises:
    ValueError: if no run has any row.
  """
  if not any(run.rows for run in runs):
    raise ValueError('No returns to plot.')
  plt = _pyplot()
  fig, ax = plt.subplots(figsize=(8, 4.8), dpi=100)
  colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
  drawn = set()
  top = max_return
  for i, group in enumerate(group_runs(runs, ignored)):
    colour = colours[i % len(colours)]
    exploring = across_seeds([mean_by_episode(run.rows, EXPLORING)
                              for run in group.runs])
    if exploring:
      ax.plot([p.episodes for p in exploring], [p.mean for p in exploring],
              color=colour, linewidth=0.8, alpha=0.3)
    greedy = group_curve(group)
    if greedy:
      x = [p.episodes for p in greedy]
      ax.fill_between(x, [p.low for p in greedy], [p.high for p in greedy],
                      color=colour, alpha=0.2, linewidth=0)
      ax.plot(x, [p.mean for p in greedy], color=colour, marker='.',
              linewidth=1.8, label=group_label(group))
    reference = group_published(group)
    if reference is not None and (reference, group.task) not in drawn:
      drawn.add((reference, group.task))
      label, score = reference
      ax.axhline(score, color=colour, linestyle='--', linewidth=1.0,
                 label=f'{label}, {group.task}: {score:g}')
    top = max([top] + [r.value for run in group.runs for r in run.rows])
  for label, score in references:
    ax.axhline(score, color='black', linestyle=':', linewidth=1.2,
               label=f'{label}: {score:g}')
    top = max(top, score)
  labels = ax.get_legend_handles_labels()[1]
  _finish(plt, fig, ax, output, title, top,
          legend_title=('greedy: mean over seeds, band: min–max over '
                        'seeds; faint: exploring'))
  return labels


def _finish(plt, fig, ax, output, title, top, legend_title=None):
  ax.set_xlabel('episodes')
  ax.set_ylabel('return')
  ax.set_ylim(min(0.0, ax.get_ylim()[0]), top * 1.02)
  ax.set_xlim(left=0)
  ax.grid(True, alpha=0.3)
  if title:
    ax.set_title(title)
  ax.legend(loc='best', fontsize='small', title=legend_title,
            title_fontsize='small')
  fig.tight_layout()
  # Atomically: a full disk leaves no half-written figure. A name without
  # an extension gets `.png`, as matplotlib gives it.
  image_format = os.path.splitext(output)[1][1:]
  if not image_format:
    image_format, output = 'png', output + '.png'
  try:
    files.atomic_write(output, lambda f: fig.savefig(f, format=image_format))
  finally:
    plt.close(fig)
