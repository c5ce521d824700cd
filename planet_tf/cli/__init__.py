"""The commands: `planet-train`, `planet-evaluate`, `planet-export`,
`planet-plot-returns` when installed, `bin/train`, ... in a checkout.

Each module holds one command's flags and `main`; its `run()` is the installed
console entry point and what the `bin/` wrapper calls. This package holds what
the commands share: the gin and distributed-run flags, the start of a `main`
(`begin`) and its `<command>: error: ...` exits (`fail`, `exit_on`): one line
on stderr and exit code 1 for every bad input, a bad flag included. Importing
it sets the console defaults (`planet_tf.console`) before TensorFlow loads.
"""

import contextlib
import errno
import importlib.util
import os
import re
import signal
import sys

from absl import app
from absl import flags

from planet_tf import console

console.set_defaults()


def program_name():
  """`planet-train` for an installed command, `bin/train` for a checkout's
  (and for `python -m planet_tf.cli.train`)."""
  name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
  return name if name.startswith('planet-') else f'bin/{name}'


# What gin appends to an error raised inside a configurable (the function's
# name and address) and the caret under a binding it cannot parse: neither
# tells a user more than the binding itself.
_GIN_NOISE = re.compile(r"^\s*(In call to configurable '[^']*' \(.*\)"
                        r"( in scope '[^']*')?|\^)\s*$")
# What to do about an operating-system error on a run's files, by errno.
_OS_ERROR_HINTS = {
    errno.ENOSPC: 'free space on that disk or choose another directory',
    errno.EDQUOT: 'free space on that disk or choose another directory',
    errno.EROFS: 'choose a writable directory',
    errno.EACCES: 'make it writable for you or choose another directory',
    errno.EPERM: 'make it writable for you or choose another directory',
    errno.EISDIR: 'a file is expected there, not a directory',
}


def one_line(message):
  """The user's line of an error message (a string or an exception).

  Returns:
    `message` without gin's `In call to configurable ...` lines and carets,
    its lines joined by single spaces.
  """
  lines = [line for line in str(message).splitlines()
           if not _GIN_NOISE.match(line)]
  return ' '.join(' '.join(lines).split())


def os_error_message(error):
  """What an `OSError` on a path says to a user: the path, the cause, what
  to do (`_OS_ERROR_HINTS`); the error's own message if it names no path.

  Returns:
    str; for a path through a file (`ENOTDIR`), that file.
  """
  if error.filename is None or not error.strerror:
    return str(error)
  if error.errno == errno.ENOTDIR:
    return (f'{_file_on(os.fspath(error.filename))} is a file where a '
            'directory is expected; choose another directory or move the '
            'file away.')
  hint = _OS_ERROR_HINTS.get(error.errno)
  return (f'{error.filename}: {error.strerror}' + (f'; {hint}' if hint else '')
          + '.')


def _file_on(path):
  """The file on the way to `path` (`path` or a parent), else `path`."""
  candidate = path
  while not os.path.isfile(candidate):
    parent = os.path.dirname(candidate)
    if parent == candidate:
      return path
    candidate = parent
  return candidate


def fail(message):
  """Exits with `<command>: error: <message>`, one line (`one_line`), on
  stderr and exit code 1."""
  sys.exit(f'{program_name()}: error: {one_line(message)}')


@contextlib.contextmanager
def exit_on(*errors):
  """Turns the `errors` raised inside into `fail(error)`.

  For bad input (a task, a path, a stored run that differs, a full or
  read-only disk): the error's message names the problem, and a traceback
  would only hide it. An `OSError` reads as `os_error_message`.
  """
  try:
    yield
  except errors as e:
    fail(os_error_message(unwrap_gin(e)) if isinstance(e, OSError) else e)


def interrupt_on_sigterm():
  """Makes SIGTERM raise KeyboardInterrupt, so a stopped process ends as on
  Ctrl-C (its `except KeyboardInterrupt` cleans up)."""
  signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum, frame):
  del signum, frame
  raise KeyboardInterrupt


def unwrap_gin(error):
  """The error a gin configurable raised, inside gin's copy of it.

  Gin re-raises an error of a configurable as a new instance of a subclass
  of its type, with a longer message but without its attributes (an
  `OSError`'s `filename`); the error it copied is its `__context__`.

  Returns:
    the innermost error of that chain.
  """
  copied = error.__context__
  while (error.__suppress_context__ and type(copied) is not type(error) and
         isinstance(copied, type(error).__mro__[1]) and
         type(copied).__name__ == type(error).__name__):
    error, copied = copied, copied.__context__
  return error


def begin(argv):
  """The start of a `main` that takes no positional arguments.

  Quiets the console (`console.quiet_logging`, once absl has parsed the flags)
  and rejects `argv[1:]` (`fail`).
  """
  console.quiet_logging()
  if len(argv) > 1:
    fail(f'unexpected arguments {argv[1:]}: this command takes flags only '
         '(--help lists them).')


def parse_flags(argv):
  """absl's flag parsing, a bad flag a `fail` (absl prints two lines).

  Returns:
    the arguments that are not flags, the program's name first.
  """
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    fail(f'{str(e).rstrip(".")} (--help lists the flags).')


def require_reverb():
  """Exits with one line (`fail`) if dm-reverb is not installed: the
  distributed commands need it, and it has no release for Python 3.12+."""
  if importlib.util.find_spec('reverb') is not None:
    return
  if sys.version_info >= (3, 12):
    fail('the distributed mode needs Python 3.11 and the reverb extra '
         '(dm-reverb has no release for Python '
         f'{sys.version_info.major}.{sys.version_info.minor}): install '
         "planet_tf on Python 3.11 with pip install -e '.[reverb]'; bin/train "
         'trains in one process here.')
  fail("the distributed mode needs the reverb extra: pip install -e '.[reverb]'.")


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
  app.run(main, flags_parser=parse_flags)
