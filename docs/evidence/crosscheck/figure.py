"""The cross-check figure and table: planet_tf and Kaixhin/PlaNet, per episode.

  python docs/evidence/crosscheck/figure.py OUT.png LABEL=RUN_DIR [LABEL=RUN_DIR ...]
      [--reference NAME=RETURN ...] [--block FIRST-LAST ...] [--title TEXT]

Each RUN_DIR holds `eval/returns.csv` (a planet_tf run, or a Kaixhin/PlaNet run
converted by `harness/kaixhin_returns.py`); runs whose labels share the text
before the first space ("planet_tf seed 1", "planet_tf seed 2") share a colour.
Left: the exploring (collect) return of every episode; right: the greedy
evaluations. Dashed lines: the uniform random policy and the all-zero action
policy on cartpole_balance (`baselines.py`), or the --reference lines given
instead. Prints a markdown table of the collect means per block of episodes
(6-15 and 16-25, or the --block ranges given).
"""

import argparse

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top

from planet_tf.evaluation import learning_curve  # pylint: disable=g-import-not-at-top

# baselines.py over 10 seeds, action repeat 8 (see README.md here).
REFERENCES = {'uniform random actions': 245, 'all-zero actions': 750}
BLOCKS = ((6, 15), (16, 25))


def _series(rows, policy):
  pairs = [(r.episodes, r.value) for r in rows if r.policy == policy]
  return np.array(pairs, dtype=float).reshape(-1, 2)


def _block_mean(series, first, last):
  inside = series[(series[:, 0] >= first) & (series[:, 0] <= last), 1]
  return f'{inside.mean():.0f}' if inside.size else '-'


def main(output, specs, references=None, blocks=BLOCKS,
         title='cartpole_balance, the same configuration (crosscheck.gin)'):
  references = REFERENCES if references is None else references
  runs = [spec.split('=', 1) for spec in specs]
  colours = {}
  fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
  print('| run | collect ' + ' | collect '.join(f'{a}-{b}' for a, b in blocks)
        + ' | greedy evaluations (episode: return) |')
  print('| --- |' + ' ---: |' * len(blocks) + ' --- |')
  for label, run_dir in runs:
    rows = learning_curve.read_returns(run_dir)
    family = label.split(' ')[0]
    colour = colours.setdefault(family, f'C{len(colours)}')
    style = '-' if len([l for l, _ in runs if l.startswith(family)
                        and l <= label]) == 1 else '--'
    collect, greedy = _series(rows, 'collect'), _series(rows, 'greedy')
    axes[0].plot(collect[:, 0], collect[:, 1], style, color=colour, label=label,
                 alpha=0.8)
    axes[1].plot(greedy[:, 0], greedy[:, 1], style, marker='o', color=colour,
                 label=label)
    print(f'| {label} | ' + ' | '.join(_block_mean(collect, a, b)
                                       for a, b in blocks) + ' | '
          + ', '.join(f'{int(e)}: {v:.0f}' for e, v in greedy) + ' |')
  for ax, panel in zip(axes, ('exploring (collect) return', 'greedy evaluation')):
    for (name, value), dash in zip(references.items(), (':', '-.', '--')):
      ax.axhline(value, color='grey', linestyle=dash, linewidth=1, label=name)
    ax.set_xlabel('episode')
    ax.set_title(panel)
    ax.grid(alpha=0.3)
  axes[0].set_ylabel('return')
  axes[1].legend(fontsize=8, loc='lower right')
  fig.suptitle(title)
  fig.tight_layout()
  fig.savefig(output, dpi=100)
  print(f'wrote {output}')


def _reference(text):
  name, value = text.rsplit('=', 1)
  return name, float(value)


def _block(text):
  first, last = text.split('-')
  return int(first), int(last)


if __name__ == '__main__':
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('output')
  parser.add_argument('runs', nargs='+', metavar='LABEL=RUN_DIR')
  parser.add_argument('--reference', action='append', type=_reference,
                      metavar='NAME=RETURN',
                      help='a dashed line, in place of the cartpole ones')
  parser.add_argument('--block', action='append', type=_block,
                      metavar='FIRST-LAST',
                      help='an episode range of the table (default 6-15, 16-25)')
  parser.add_argument('--title', help='in place of the cartpole title')
  args = parser.parse_args()
  options = {}
  if args.reference:
    options['references'] = dict(args.reference)
  if args.block:
    options['blocks'] = tuple(args.block)
  if args.title:
    options['title'] = args.title
  main(args.output, args.runs, **options)
