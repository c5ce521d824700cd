"""The commands: `planet-train`, `planet-evaluate`, `planet-export`,
`planet-plot-returns` when installed, `bin/train`, ... in a checkout.

Each module holds one command's flags and `main`; its `run()` is the installed
console entry point and what the `bin/` wrapper calls. Importing this package
sets the console defaults (`planet_tf.console`) before TensorFlow loads.
"""

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
