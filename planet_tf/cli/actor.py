"""Collects a distributed run's episodes with the learner's newest weights.

  bin/actor --root_dir=/shared/runs/cheetah --gin_file=cheetah.gin \\
      --replay_address=10.0.0.2:8000 --actor_id=0 --num_actors=4

Actor k of N collects its share of the random seed episodes, then planner
episodes, pulling the weights before each; it writes every window to the
replay server and every finished episode, as the run's next one with its
`returns.csv` row, to the run directory (which must be the learner's: a shared
file system across machines). It stops once the run holds
`train_eval.num_episodes` episodes; an episode that ends after that is
dropped. Run it inside a private network only
(Reverb has no authentication).
"""

from absl import flags

from planet_tf import cli
from planet_tf import config
from planet_tf.distributed import actor

FLAGS = flags.FLAGS


def define_flags():
  cli.define_process_flags()
  flags.DEFINE_integer('actor_id', 0, 'This actor, 0 .. num_actors - 1.')
  flags.DEFINE_integer('num_actors', 1, 'Actors of the run.')


def main(argv):
  cli.require_reverb()
  cli.begin(argv)
  if not 0 <= FLAGS.actor_id < FLAGS.num_actors:
    cli.fail(f'--actor_id must be in [0, {FLAGS.num_actors}), got '
             f'{FLAGS.actor_id}.')
  with cli.exit_on(OSError, ValueError):
    config.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
    actor.run_actor(FLAGS.root_dir, FLAGS.replay_address, FLAGS.actor_id,
                    FLAGS.num_actors)


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
