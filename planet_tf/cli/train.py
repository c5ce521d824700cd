"""Trains PlaNet (or Dreamer, or GLAMOR), or resumes the run in --root_dir.

  planet-train --gin_file=cheetah.gin           # the run lives in runs/cheetah
  planet-train --root_dir=runs/cheetah --gin_file=cheetah.gin
  planet-train --root_dir=runs/tiny --gin_file=tiny.gin \\
      --gin_param='train_eval.num_episodes = 10'
  planet-train --gin_file=cheetah.gin --max_minutes=120  # stop cleanly, resume later
  planet-train --gin_file=cheetah_multihead.gin  # reward-free dynamics, a head per task
  planet-train --gin_file=dreamer_cheetah.gin   # Dreamer: an actor and a value
  bin/train --gin_file=examples/pendulum_swingup.gin  # your own environment

In a checkout, `bin/train` is the same command. A gin file that is not a path is
looked up in gin_configs/. The gin binding `train.loop` chooses the loop:
PlaNet's `planet_tf.train_eval.train_eval` unless a file binds another, e.g.
`train.loop = @dreamer_train_eval` (dreamer_*.gin) or `train.loop =
@glamor_train_eval` (glamor_*.gin). All logic lives in the loop.
Only progress, results and real warnings are printed; `--verbosity=0` shows
every Python-side log, `TF_CPP_MIN_LOG_LEVEL=0` TensorFlow's C++ logs.
"""

import os

from absl import flags
import gin

from planet_tf import cli
from planet_tf import config
from planet_tf import run_dir
from planet_tf.loops import registry

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('root_dir', None, 'Directory of the run (resumed if '
                      'present); runs/<name of the last --gin_file> if unset.')
  cli.define_gin_flags(
      file_help='Gin files: paths or names under gin_configs/, e.g. '
      'cheetah.gin.',
      param_help="Gin bindings, e.g. 'train_eval.num_episodes = 100'.")
  flags.DEFINE_float('max_minutes', None, 'Stop cleanly (checkpoint, export) '
                     'after this many minutes of wall-clock; the same command '
                     'resumes. Same as the loop\'s max_minutes, e.g. '
                     'train_eval.max_minutes.')


@gin.configurable(denylist=['root_dir', 'max_minutes'])
def train(root_dir, loop=None, max_minutes=None):
  """Runs the agent kind whose settings `loop` is (gin: `train.loop`) in
  `root_dir`.

  PlaNet's is the default (`registry.DEFAULT`), so a gin file that binds no
  loop (every PlaNet file) runs PlaNet and stores no `train.loop`. A run that
  binds one stores the binding with its configuration
  (`registry.loop_of_run`).

  Args:
    root_dir: the run directory.
    loop: a kind's settings class, e.g. `@glamor_train_eval`; its values are
      the gin bindings of its name.
    max_minutes: `--max_minutes`, the settings' `max_minutes` when set.

  Returns:
    The run's summary.
  """
  loop = loop or registry.kind(registry.DEFAULT).settings
  settings = loop() if max_minutes is None else loop(max_minutes=max_minutes)
  return registry.kind_of_settings(settings).run(root_dir, settings)


def default_root_dir(gin_files):
  """`runs/<name>` for the last gin file `<name>.gin`."""
  if not gin_files:
    cli.fail('pass --gin_file (e.g. --gin_file=cheetah.gin) and, '
             'optionally, --root_dir.')
  name = os.path.basename(gin_files[-1])
  return os.path.join('runs', name[:-4] if name.endswith('.gin') else name)


def summary_line(root_dir, summary):
  """One line for the end of a run: counts, last evaluation, where it lives."""
  line = (f'{summary["episodes"]} episodes, {summary["env_steps"]} env steps, '
          f'{summary["train_steps"]} updates')
  if summary['eval_returns']:
    episode, value = summary['eval_returns'][-1]
    if 'eval_label' in summary:  # e.g. GLAMOR's success rate.
      line += f', {summary["eval_label"]} {value:.2f} after {episode} episodes'
    else:
      line += f', evaluation return {value:.1f} after {episode} episodes'
  if summary['out_of_time']:
    line += ' (out of time: run the same command to resume)'
  return f'{line}; run directory {os.path.abspath(root_dir)}'


def main(argv):
  cli.begin(argv)
  root_dir = FLAGS.root_dir or default_root_dir(FLAGS.gin_file)
  with cli.exit_on(OSError, ValueError):
    config.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
  with cli.exit_on(OSError, ValueError, run_dir.CheckpointError,
                   run_dir.RunLockedError):
    summary = train(root_dir, max_minutes=FLAGS.max_minutes)
  print(summary_line(root_dir, summary), flush=True)


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
