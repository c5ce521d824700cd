"""The commands: `planet-train`, `planet-evaluate`, `planet-export`,
`planet-plot-returns` when installed, `bin/train`, ... in a checkout.

Each module holds one command's flags and `main`; its `run()` is the installed
console entry point and what the `bin/` wrapper calls. This package holds what
the commands share: the gin and distributed-run flags, the start of a `main`
(`begin`) and its `<command>: error: ...` exits (`fail`, `exit_on`). Importing
it sets the console defaults (`planet_tf.console`) before TensorFlow loads.
"""

import contextlib
import os
import sys

from absl import app
from absl import flags

from planet_tf import console

console.set_defaults()


def program_name():
  """`planet-train` for an installed command, `bin/train` for a checkout's."""
  name = os.path.basename(sys.argv[0])
  return name if name.startswith('planet-') else f'bin/{name}'


def fail(message):
  """Exits with `<command>: error: <message>` on stderr and exit code 1."""
  sys.exit(f'{program_name()}: error: {message}')


@contextlib.contextmanager
def exit_on(*errors):
  """Turns the `errors` raised inside into `fail(error)`.

  For bad input (a task, a path, a stored run that differs): the error's
  message names the problem, and a traceback would only hide it.
  """
  try:
    yield
  except errors as e:
    fail(e)


def begin(argv):
  """The start of a `main` that takes no positional arguments.

  Quiets the console (`console.quiet_logging`, once absl has parsed the flags)
  and rejects `argv[1:]` as a usage error.
  """
  console.quiet_logging()
  if len(argv) > 1:
    raise app.UsageError(f'Unexpected arguments: {argv[1:]}')


def define_gin_flags(file_help='Gin files, e.g. cheetah.gin.',
                     param_help='Gin bindings.'):
  """Defines --gin_file and --gin_param (lists; `config.parse_gin`'s input)."""
  flags.DEFINE_multi_string('gin_file', [], file_help)
  flags.DEFINE_multi_string('gin_param', [], param_help)


def define_process_flags(replay_client=True):
  """Defines the flags every process of a distributed run takes.

  --root_dir (required), --gin_file, --gin_param and, for a client of the
  replay server (`replay_client`: an actor or the learner), --replay_address.
  """
  flags.DEFINE_string('root_dir', None, 'Directory of the run.', required=True)
  define_gin_flags()
  if replay_client:
    flags.DEFINE_string('replay_address', None,
                        'host:port of bin/replay_server.', required=True)


def run(main, usage, define_flags):
  """Runs `main` under absl with the command's flags and usage in `--help`.

  Args:
    main: the command's `main(argv)`.
    usage: the command's docstring, printed by `--help` above its flags.
    define_flags: defines the command's absl flags; called here rather than at
      import, so that importing every planet_tf module (as `planet_tf.config`
      does to register gin configurables) defines no flag twice.
  """
  before = set(flags.FLAGS)
  define_flags()
  for name in set(flags.FLAGS) - before:  # Listed by --help (the main module's).
    flags.FLAGS.register_key_flag_for_module(sys.argv[0], flags.FLAGS[name])
  sys.modules['__main__'].__doc__ = usage
  app.run(main)
