"""Serves a distributed run's Reverb replay (the `windows` and `variables` tables).

  bin/replay_server --root_dir=/shared/runs/cheetah --gin_file=cheetah.gin --port=8000

Reverb has no authentication and listens on every interface of the machine:
anyone who reaches the port can read the replay and overwrite the weights the
actors load. Run it inside a private network (or behind a firewall) only. On
start the table is refilled from the run directory's stored episodes.
`bin/train_distributed` starts it for you on one machine.
"""

from absl import flags

from planet_tf import cli
from planet_tf import config
from planet_tf.distributed import ports
from planet_tf.distributed import replay_server

FLAGS = flags.FLAGS


def define_flags():
  cli.define_process_flags(replay_client=False)
  flags.DEFINE_integer('port', None, 'Port to serve on.', required=True)


def main(argv):
  cli.require_reverb()
  cli.begin(argv)
  with cli.exit_on(OSError, ValueError):
    ports.check_free(FLAGS.port)
    config.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
    replay_server.serve(FLAGS.root_dir, FLAGS.port)


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
