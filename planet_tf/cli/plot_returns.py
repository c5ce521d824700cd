"""Plots learning curves (episodes vs return) from runs' eval/returns.csv.

  planet-plot-returns --root_dir=runs/cheetah           # runs/cheetah/returns.png
  planet-plot-returns --root_dir=runs/cheetah --output=curve.png --title=cheetah
  planet-plot-returns runs/cartpole runs/reacher runs/cheetah \\
      runs/finger runs/cup runs/walker --output=paper.png   # several runs
  planet-plot-returns runs/cheetah_s1 runs/cheetah_s2 runs/cheetah_s3 \\
      --output=cheetah.png                    # three seeds: one mean curve
  planet-plot-returns runs/poster/seed11 runs/poster/seed12 \\
      --reference="213:PlaNet poster, 120 episodes"   # a dotted line at 213

In a checkout, `bin/plot_returns` is the same command. One run: its random,
collect and greedy returns, and the mean and best return per policy. Several
runs (positional run directories), or a multi-task run (one curve per task):
in one figure with the published scores of each run's agent as dashed lines
(PlaNet's Table 1 for PlaNet runs, Dreamer's at 100k or 500k environment steps
for Dreamer runs), one curve per group of runs of one configuration (stored
configs equal but for the seed and the resumable settings): the mean over
seeds of the greedy returns with a min–max band over seeds, the seed count in
the legend. Then a markdown table of each run's latest greedy returns against
its agent's published score, and one per group: the mean ± standard error
over seeds of each seed's greedy return at its last evaluation. Needs matplotlib (`pip install
'planet_tf[plot]'`). All logic lives in `planet_tf.evaluation.learning_curve`.
"""

import os

from absl import flags

from planet_tf import cli
from planet_tf.evaluation import learning_curve
from planet_tf.loops import registry

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('root_dir', None, 'Directory of one run.')
  flags.DEFINE_string('output', None, 'PNG path; <root_dir>/returns.png for one '
                      'run, returns.png in the working directory for several.')
  flags.DEFINE_string('title', None, 'Plot title; the run directory if unset.')
  flags.DEFINE_multi_string(
      'reference', [], 'SCORE:LABEL, a score drawn as a dotted line across '
      'a figure of several runs (e.g. "213:PlaNet poster, 120 episodes").')


def main(argv):
  run_dirs = ([FLAGS.root_dir] if FLAGS.root_dir else []) + list(argv[1:])
  if not run_dirs:
    cli.fail('pass --root_dir=RUN or one or more run directories.')
  with cli.exit_on(OSError, ValueError, ImportError):
    runs = [curve for d in run_dirs for curve in learning_curve.split_by_task(
        learning_curve.load_run(d, registry.kind_of_run(d).agent))]
    references = _references(FLAGS.reference)
    if len(runs) == 1 and references:
      raise ValueError('--reference draws a line across a figure of several '
                       'runs; pass two or more run directories.')
    if len(runs) == 1:
      output = FLAGS.output or os.path.join(run_dirs[0], 'returns.png')
      kind = registry.kind_of_run(run_dirs[0])
      learning_curve.plot(runs[0].rows, output, FLAGS.title or run_dirs[0],
                          acting=kind.acting, exploration=kind.exploration)
    else:
      output = FLAGS.output or (os.path.join(run_dirs[0], 'returns.png')
                                if len(run_dirs) == 1 else 'returns.png')
      learning_curve.plot_runs(runs, output, FLAGS.title or '',
                               ignored=registry.resumable_bindings(),
                               references=references)
  if len(runs) == 1:
    for policy, stats in learning_curve.summarize(runs[0].rows).items():
      print(f'{policy:8s} {stats["count"]:4d} episodes  mean '
            f'{stats["mean"]:7.1f}  max {stats["max"]:7.1f}  last at episode '
            f'{stats["last_episode"]}')
  print(learning_curve.markdown_table(runs))
  if len(runs) > 1:
    print()
    print(learning_curve.group_table(learning_curve.group_runs(
        runs, registry.resumable_bindings())))
  print(f'wrote {output}')


def _references(values):
  """`[(label, score)]` from --reference's `SCORE:LABEL` values.

  Raises:
    ValueError: naming a value that is not a number, a colon and a label.
  """
  references = []
  for value in values:
    score, _, label = value.partition(':')
    try:
      references.append((label.strip(), float(score)))
    except ValueError:
      label = ''
    if not label.strip():
      raise ValueError(f'--reference={value!r}: expected SCORE:LABEL, a '
                       'number, a colon and a label (e.g. "213:PlaNet poster").')
  return references


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
