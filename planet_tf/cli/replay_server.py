"""Serves a distributed run's Reverb replay (the `windows` and `variables` tables).

  bin/replay_server --root_dir=/shared/runs/cheetah --gin_file=cheetah.gin --port=8000

Reverb has no authentication and listens on every interface of the machine:
anyone who reaches the port can read the replay and overwrite the weights the
actors load. Run it inside a private network (or behind a firewall) only. On
start the table is refilled from the run directory's stored episodes.
`bin/train_distributed` starts it for you on one machine.
"""

import sys

from absl import flags

from planet_tf import cli
from planet_tf import config
from planet_tf import console
from planet_tf.distributed import replay_server

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('root_dir', None, 'Directory of the run.', required=True)
  flags.DEFINE_multi_string('gin_file', [], 'Gin files, e.g. cheetah.gin.')
  flags.DEFINE_multi_string('gin_param', [], 'Gin bindings.')
  flags.DEFINE_integer('port', None, 'Port to serve on.', required=True)


def main(argv):
  console.quiet_logging()
  del argv
  try:
    config.parse_gin(FLAGS.gin_file, FLAGS.gin_param)
    replay_server.serve(FLAGS.root_dir, FLAGS.port)
  except (FileNotFoundError, ValueError) as e:
    sys.exit(f'{cli.program_name()}: error: {e}')


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
