"""Evaluates an exported PlaNet policy.

  planet-evaluate --policy=runs/cheetah               # newest export of a run
  planet-evaluate --policy=runs/cheetah/policies/20000 --num_episodes=5 \\
      --video_dir=/tmp/videos
  planet-evaluate --policy=runs/multitask --task_name=cheetah_run  # multi-task
  planet-evaluate --policy=runs/cheetah_multihead --reward_head=backward

In a checkout, `bin/evaluate` is the same command. The task and its settings come
from the run's operative_config.gin; for a multi-task run or a SavedModel
outside a run, pass --task_name. A run with named rewards exports one policy
per reward head: --reward_head picks it (the newest policies/<step>-<head>/)
and the return sums that reward. All logic lives in
`planet_tf.evaluation.evaluate`.
"""

import sys

from absl import app
from absl import flags

from planet_tf import cli
from planet_tf import console
from planet_tf import evaluation

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('policy', None, 'A SavedModel policy directory, or a run '
                      'directory (its newest export under policies/).')
  flags.DEFINE_integer('num_episodes', 10, 'Episodes to run.')
  flags.DEFINE_string('video_dir', None,
                      'If set, write each episode there as GIF.')
  flags.DEFINE_string('task_name', None, 'Task: one of a multi-task run\'s, or '
                      'any when --policy is not in a run.')
  flags.DEFINE_integer('seed', None, 'Seed of the environment.')
  flags.DEFINE_string('reward_head', None, 'For a run with named rewards: the '
                      'head whose policy is evaluated, and whose reward is '
                      'summed (e.g. backward).')
  flags.mark_flag_as_required('policy')


def main(argv):
  console.quiet_logging()
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')
  try:
    policy_dir, returns = evaluation.evaluate(
        FLAGS.policy, FLAGS.num_episodes, FLAGS.video_dir, FLAGS.task_name,
        FLAGS.seed, FLAGS.reward_head)
  except (FileNotFoundError, ValueError) as e:
    sys.exit(f'{cli.program_name()}: error: {e}')
  for i, value in enumerate(returns):
    print(f'episode {i}: return {value:.1f}')
  print(f'{policy_dir}: mean return {sum(returns) / len(returns):.1f} over '
        f'{len(returns)} episodes')


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
