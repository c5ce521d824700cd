"""Trains a distributed run's agent on the replay server's windows.

  bin/learner --root_dir=/shared/runs/cheetah --gin_file=cheetah.gin \\
      --replay_address=10.0.0.2:8000 [--use_gpu]

Builds the agent under `strategy_utils.get_strategy` (the default strategy on
CPU, `MirroredStrategy` over every GPU with --use_gpu), pushes the world
model's weights every C updates, evaluates and exports as `bin/train` does,
and checkpoints every `LearnerCheckpoint.updates` updates or
`LearnerCheckpoint.minutes` minutes and when stopped (SIGTERM, Ctrl-C); the
same command resumes from the newest checkpoint. It stops once the run holds
`train_eval.num_episodes` episodes. Run it inside a
private network only (Reverb has no authentication).
"""

import sys

from absl import flags
from tf_agents.train.utils import strategy_utils

from planet_tf import cli
from planet_tf import config
from planet_tf import run_dir
from planet_tf.distributed import learner

FLAGS = flags.FLAGS


def define_flags():
  cli.define_process_flags()
  # --use_gpu (and --tpu) are strategy_utils' own flags, defined at its import.
  flags.FLAGS.register_key_flag_for_module(sys.argv[0], flags.FLAGS['use_gpu'])


def main(argv):
  cli.require_reverb()
  cli.begin(argv)
  # The launcher's stop: the learner checkpoints, then ends.
  cli.interrupt_on_sigterm()
  try:
    with cli.exit_on(OSError, ValueError, run_dir.CheckpointError,
                     run_dir.RunLockedError):
      config.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
      strategy = strategy_utils.get_strategy(tpu=None, use_gpu=FLAGS.use_gpu)
      summary = learner.run_learner(FLAGS.root_dir, FLAGS.replay_address,
                                    strategy)
  except KeyboardInterrupt:
    print('Stopped; the same command resumes.', flush=True)
    sys.exit(130)
  print(f'{summary["episodes"]} episodes, {summary["env_steps"]} env steps, '
        f'{summary["train_steps"]} updates', flush=True)


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
