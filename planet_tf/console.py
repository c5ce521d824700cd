"""A quiet console for the commands: progress, results and real warnings only.

`set_defaults()` runs before TensorFlow loads (`planet_tf.cli` calls it on
import); `quiet_logging()` runs first in each command's `main`, once absl has
parsed the flags. Silenced by default:

- TensorFlow's C++ logs: `TF_CPP_MIN_LOG_LEVEL=3` unless the user set it. Level 2
  still prints the CUDA-factory "E" lines at import on machines without a GPU;
  `TF_CPP_MIN_LOG_LEVEL=0` brings every C++ log back.
- gym's deprecation notice, printed to stderr when TF-Agents imports gym.
- INFO logs of other libraries (SavedModel signature renames, MuJoCo's OpenGL
  backend, gin's file look-ups) and the harmless warnings of a SavedModel export
  or load listed in `HARMLESS_LOGS` and `HARMLESS_WARNINGS`.

absl's `--verbosity` (e.g. `--verbosity=0`) turns the Python-side filtering off.
"""

import contextlib
import io
import logging
import os
import re
import sys
import warnings

from absl import flags
from absl import logging as absl_logging

ENV_DEFAULTS = {
    'TF_CPP_MIN_LOG_LEVEL': '3',
    'MUJOCO_GL': 'egl',
}

# Log messages (regular expressions) that a SavedModel export or load of a
# PlaNet policy, or loading a control-suite task, always logs at WARNING and
# that need no action from the user.
HARMLESS_LOGS = (
    r'Skipping full serialization of (TF-)?Keras layer .* because it is not built',
    r'is not a valid tf\.function parameter name\. Sanitizing',
    r'Importing a function .* with ops with unsaved custom gradients',
    # GLAMOR's GoalPolicy plans one action and has no distribution().
    r'Could not serialize policy\.distribution\(\) for policy .*GoalPolicy',
    # dm_control's own cheetah model uses an attribute MuJoCo 3 deprecates.
    r"compiler attribute 'settotalmass' is deprecated",
)
# Python warnings (category, message regular expression) of the same kind.
HARMLESS_WARNINGS = (
    (UserWarning, r'Encoding a StructuredValue with type'),
)

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def set_defaults():
  """Before TensorFlow loads: `ENV_DEFAULTS`, absl's log handler, a quiet gym.

  Sets the `ENV_DEFAULTS` the user left unset and imports gym without its
  notice. Does nothing once TensorFlow is imported (then it is too late, and the caller
  is a library user whose logging this leaves alone).
  """
  if 'tensorflow' in sys.modules:
    return
  for name, value in ENV_DEFAULTS.items():
    os.environ.setdefault(name, value)
  # With absl's handler on the root logger before TensorFlow loads, TensorFlow
  # adds no handler of its own, which would print each of its logs twice.
  absl_logging.use_absl_handler()
  _import_gym_without_its_notice()


def _import_gym_without_its_notice():
  """Imports gym (as TF-Agents will) and passes on all it prints but its notice."""
  captured = io.StringIO()
  try:
    with contextlib.redirect_stderr(captured):
      import gym  # pylint: disable=g-import-not-at-top,unused-import
  except ImportError:
    pass
  finally:
    text = captured.getvalue()
    try:
      from gym_notices import notices  # pylint: disable=g-import-not-at-top
      for notice in notices.notices.values():
        text = text.replace(notice + '\n', '')
    except ImportError:
      pass
    sys.stderr.write(text)


class QuietFilter(logging.Filter):
  """Passes planet_tf's own logs and every warning that is not harmless."""

  def filter(self, record):
    if record.levelno >= logging.WARNING:
      message = record.getMessage()
      return not any(re.search(p, message) for p in HARMLESS_LOGS)
    return os.path.abspath(record.pathname).startswith(_PACKAGE_DIR)


def quiet_logging():
  """Shows planet_tf's INFO logs and real warnings, unless --verbosity is set.

  Call it first in a command's `main` (after absl parsed the flags).
  """
  if flags.FLAGS.is_parsed() and flags.FLAGS['verbosity'].present:
    return
  absl_logging.set_verbosity(absl_logging.INFO)
  quiet = QuietFilter()
  for logger in (logging.getLogger(), logging.getLogger('tensorflow')):
    for handler in logger.handlers:
      if not any(isinstance(f, QuietFilter) for f in handler.filters):
        handler.addFilter(quiet)
  for category, message in HARMLESS_WARNINGS:
    warnings.filterwarnings('ignore', message=message, category=category)
