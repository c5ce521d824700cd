"""Plots a run's learning curve (episodes vs return) from its eval/returns.csv.

  planet-plot-returns --root_dir=runs/cheetah           # runs/cheetah/returns.png
  planet-plot-returns --root_dir=runs/cheetah --output=curve.png --title=cheetah

In a checkout, `bin/plot_returns` is the same command. Prints the mean and best
return per policy (random seed episodes, collect, greedy evaluation). All logic
lives in `planet_tf.learning_curve`.
"""

import os
import sys

from absl import app
from absl import flags

from planet_tf import cli
from planet_tf import learning_curve

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('root_dir', None, 'Directory of a run.')
  flags.DEFINE_string('output', None,
                      'PNG path; <root_dir>/returns.png if unset.')
  flags.DEFINE_string('title', None, 'Plot title; the run directory if unset.')
  flags.mark_flag_as_required('root_dir')


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  path = os.path.join(FLAGS.root_dir, 'eval', 'returns.csv')
  try:
    rows = learning_curve.read_returns(path)
    output = FLAGS.output or os.path.join(FLAGS.root_dir, 'returns.png')
    learning_curve.plot(rows, output, FLAGS.title or FLAGS.root_dir)
  except (FileNotFoundError, ValueError) as e:
    sys.exit(f'{cli.program_name()}: error: {e}')
  for policy, stats in learning_curve.summarize(rows).items():
    print(f'{policy:8s} {stats["count"]:4d} episodes  mean {stats["mean"]:7.1f}  '
          f'max {stats["max"]:7.1f}  last at episode {stats["last_episode"]}')
  print(f'wrote {output}')


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
