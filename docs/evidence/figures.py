"""Figures and tables of the evidence pages, from runs' `eval/returns.csv`.

  python docs/evidence/figures.py multitask OUT.png TWO_TASK_RUN \\
      TASK=SINGLE_TASK_RUN [TASK=SINGLE_TASK_RUN ...]
  python docs/evidence/figures.py heads OUT.png RUN
  python docs/evidence/figures.py glamor OUT.png LABEL=RUN [LABEL=RUN ...]
  python docs/evidence/figures.py curves OUT.png LABEL=RUN [LABEL=RUN ...]
  python docs/evidence/figures.py cpu_hours OUT.png LABEL=RUN [LABEL=RUN ...]

- `multitask`: per task, the greedy return of the two-task run against the
  task's own episodes (round robin: its i-th episode is the run's episode
  about i x tasks) beside the single-task run of that task; dashed: the mean
  of each task's random seed episodes.
- `heads`: a reward-free run with named rewards: the greedy return of each
  head's evaluation over training, and the random seed episodes' mean of the
  same reward (dashed).
- `glamor`: success rates over environment steps (greedy, without the prior,
  random actions) of GLAMOR runs, one panel per run.
- `curves`: greedy and collect returns per episode of several runs of one
  task (e.g. `bin/train` against `bin/train_distributed`), a colour per label
  family (the text before the first space).
- `cpu_hours`: the same returns against the CPU-hours each run had spent when
  it collected or evaluated them (`eval/timing.csv`'s `total_cpu_seconds`),
  for runs that differ in what an episode costs (e.g. PlaNet against
  Dreamer); a final evaluation of several episodes is drawn as its mean.

Each prints a markdown table of what it drew.
"""

import os
import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from planet_tf.evaluation import learning_curve  # pylint: disable=g-import-not-at-top
from planet_tf.run_dir import timing as timing_lib  # pylint: disable=g-import-not-at-top


def _pairs(specs):
  return [spec.split('=', 1) for spec in specs]


def _series(rows, policy, x='episodes', **extra):
  pairs = [(getattr(r, x), r.value) for r in rows if r.policy == policy
           and all(r.extra.get(k) == v for k, v in extra.items())]
  return np.array(pairs, dtype=float).reshape(-1, 2)


def _fmt(series):
  return ', '.join(f'{int(x)}: {v:.0f}' for x, v in series)


def _finish(fig, output):
  fig.tight_layout()
  fig.savefig(output, dpi=100)
  print(f'wrote {output}')


def multitask(output, two_task_dir, specs):
  rows = learning_curve.read_returns(two_task_dir)
  tasks = list(dict.fromkeys(r.extra['task'] for r in rows))
  singles = dict(_pairs(specs))
  fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4.2))
  print('| task | random (seed episodes) | two-task run, greedy (task episode: '
        'return) | single-task run, greedy (episode: return) |')
  print('| --- | ---: | --- | --- |')
  for ax, task in zip(np.atleast_1d(axes), tasks):
    greedy = _series(rows, 'greedy', task=task)
    greedy[:, 0] = np.ceil(greedy[:, 0] / len(tasks))  # The task's episodes.
    random = _series(rows, 'random', task=task)[:, 1].mean()
    ax.plot(greedy[:, 0], greedy[:, 1], marker='o', color='C0',
            label=f'two-task run ({" + ".join(tasks)})')
    line = f'| {task} | {random:.0f} | {_fmt(greedy)} |'
    if task in singles:
      single_rows = learning_curve.read_returns(singles[task])
      single = _series(single_rows, 'greedy')
      ax.plot(single[:, 0], single[:, 1], marker='s', color='C1',
              label='single-task run, same settings')
      line += f' {_fmt(single)} |'
    else:
      line += ' - |'
    print(line)
    ax.axhline(random, color='grey', linestyle=':', label='random actions')
    ax.set_title(task)
    ax.set_xlabel("the task's episodes")
    ax.set_ylabel('greedy evaluation return')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
  _finish(fig, output)


def heads(output, run_dir):
  rows = learning_curve.read_returns(run_dir)
  names = list(dict.fromkeys(r.extra['head'] for r in rows
                             if r.policy == 'greedy'))
  fig, ax = plt.subplots(figsize=(7, 4.2))
  print('| head | greedy evaluations (episode: return) |')
  print('| --- | --- |')
  for i, head in enumerate(names):
    greedy = _series(rows, 'greedy', head=head)
    ax.plot(greedy[:, 0], greedy[:, 1], marker='o', color=f'C{i}',
            label=f'plan with {head}')
    print(f'| {head} | {_fmt(greedy)} |')
  ax.set_xlabel('episodes of random actions the model has trained on')
  ax.set_ylabel("greedy return of the head's own reward")
  ax.grid(alpha=0.3)
  ax.legend(fontsize=8)
  _finish(fig, output)


GLAMOR_POLICIES = (('greedy', 'GLAMOR (goal model / prior)', 'C3'),
                   ('greedy_no_prior', 'goal model alone (no prior)', 'C0'),
                   ('random_baseline', 'random actions', 'grey'))


def glamor(output, specs):
  runs = _pairs(specs)
  fig, axes = plt.subplots(1, len(runs), figsize=(6 * len(runs), 4.2))
  print('| run | policy | success rate (env steps: rate) |')
  print('| --- | --- | --- |')
  for ax, (label, run_dir) in zip(np.atleast_1d(axes), runs):
    rows = learning_curve.read_returns(run_dir)
    for policy, name, colour in GLAMOR_POLICIES:
      series = _series(rows, policy, x='env_steps')
      ax.plot(series[:, 0], series[:, 1], marker='o', color=colour, label=name)
      print(f'| {label} | {name} | ' + ', '.join(
          f'{int(x)}: {v:.2f}' for x, v in series) + ' |')
    ax.set_title(label)
    ax.set_xlabel('environment steps')
    ax.set_ylabel('success rate over the goals')
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
  _finish(fig, output)


def _colour_and_style(runs, label, colours):
  """A colour per label family (the text before the first space); the first
  label of a family solid, later ones dashed."""
  family = label.split(' ')[0]
  colour = colours.setdefault(family, f'C{len(colours)}')
  style = '-' if sum(l.split(' ')[0] == family for l, _ in runs
                     if l <= label) == 1 else '--'
  return colour, style


def _label_axes(axes, xlabel, greedy_title, legend_loc):
  for ax, title in zip(axes, ('exploring (collect) return', greedy_title)):
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
  axes[0].set_ylabel('return')
  axes[1].legend(fontsize=8, loc=legend_loc)


def curves(output, specs):
  runs = _pairs(specs)
  colours = {}
  fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
  print('| run | collect mean, episodes 6-15 / 16-30 | greedy (episode: '
        'return) |')
  print('| --- | --- | --- |')
  for label, run_dir in runs:
    rows = learning_curve.read_returns(run_dir)
    colour, style = _colour_and_style(runs, label, colours)
    collect, greedy = _series(rows, 'collect'), _series(rows, 'greedy')
    axes[0].plot(collect[:, 0], collect[:, 1], style, color=colour,
                 label=label, alpha=0.8)
    axes[1].plot(greedy[:, 0], greedy[:, 1], style, marker='o', color=colour,
                 label=label)
    blocks = []
    for first, last in ((6, 15), (16, 30)):
      inside = collect[(collect[:, 0] >= first) & (collect[:, 0] <= last), 1]
      blocks.append(f'{inside.mean():.0f}' if inside.size else '-')
    print(f'| {label} | {" / ".join(blocks)} | {_fmt(greedy)} |')
  _label_axes(axes, 'episode', 'greedy evaluation', 'lower right')
  _finish(fig, output)


def _cpu_hours_at(timing):
  """`{(episodes, phase): CPU-hours spent by then}` from timing rows."""
  return {(row.episodes, row.phase): row.total_cpu_seconds / 3600.0
          for row in timing}


def _csv(run, name):
  """`run/name` for an evidence directory (the files side by side), else
  `run` itself (a run directory, whose files are under `eval/`)."""
  path = os.path.join(run, name)
  return path if os.path.isfile(path) else run


def cpu_hours(output, specs):
  runs = _pairs(specs)
  colours = {}
  fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
  print('| run | CPU-hours in all | greedy (CPU-hours: return) |')
  print('| --- | ---: | --- |')
  for label, run_dir in runs:
    rows = learning_curve.read_returns(_csv(run_dir, 'returns.csv'))
    spent = _cpu_hours_at(timing_lib.read_timing(_csv(run_dir, 'timing.csv')))
    colour, style = _colour_and_style(runs, label, colours)
    collect = np.array([(spent[(r.episodes, 'episode')], r.value)
                        for r in rows if r.policy == 'collect'])
    by_episode = {}
    for r in rows:
      if r.policy == 'greedy':
        by_episode.setdefault(r.episodes, []).append(r.value)
    greedy = np.array([
        (spent.get((e, 'evaluation'), spent[(e, 'episode')]), np.mean(v))
        for e, v in sorted(by_episode.items())])
    axes[0].plot(collect[:, 0], collect[:, 1], style, color=colour,
                 label=label, alpha=0.8)
    axes[1].plot(greedy[:, 0], greedy[:, 1], style, marker='o', color=colour,
                 label=label)
    total = max(spent.values())
    points = ', '.join(f'{x:.2f}: {v:.0f}' for x, v in greedy)
    print(f'| {label} | {total:.2f} | {points} |')
  _label_axes(axes, 'CPU-hours', 'greedy evaluation (mean of the episodes)',
              'upper left')
  _finish(fig, output)


def main(argv):
  command, output, rest = argv[1], argv[2], argv[3:]
  if command == 'multitask':
    multitask(output, rest[0], rest[1:])
  elif command == 'heads':
    heads(output, rest[0])
  elif command == 'glamor':
    glamor(output, rest)
  elif command == 'curves':
    curves(output, rest)
  elif command == 'cpu_hours':
    cpu_hours(output, rest)
  else:
    sys.exit(f'unknown figure {command!r}: multitask, heads, glamor, curves '
             'or cpu_hours')


if __name__ == '__main__':
  main(sys.argv)
