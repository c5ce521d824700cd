"""A run's stored configuration: written at its first start, checked on resume,
and read back (task, environment settings) by whoever uses the run later.

A second start on the same root_dir resumes; it must never silently start over
on top of a user's run, so `check_config` stores the configuration in
`train/config.gin` on the first start and, on every later start, refuses one
that differs (except for the `resumable` settings, e.g. more episodes).
"""

import ast
import glob
import os
import re

import gin
import numpy as np

from planet_tf import config
from planet_tf import files
from planet_tf.data import replay
from planet_tf.run_dir import mismatch
from planet_tf.run_dir.errors import ConfigMismatchError
from planet_tf.run_dir.layout import RunDir

_BINDING = re.compile(r'^([A-Za-z_][\w./]*)\s*=\s*(.*)$')
_INCLUDE = re.compile(r"""^include\s+['"](.+)['"]$""")


def parse_bindings(text):
  """Parses gin config text (as `gin.config_str()` writes it) into a dict.

  Returns:
    `{'selector.param': 'value text'}`; a value continued over several lines is
    joined with its whitespace normalised; comments are dropped.
  """
  bindings = {}
  key = None
  for line in text.splitlines():
    if not line.strip() or line.lstrip().startswith('#'):
      continue
    match = _BINDING.match(line)
    if match and not line[0].isspace():
      key = match.group(1)
      bindings[key] = match.group(2).rstrip('\\').strip()
    elif key is not None:
      bindings[key] = (bindings[key] + ' ' + line.strip()).strip()
  return {k: ' '.join(v.split()) for k, v in bindings.items()}


def run_bindings(settings, resumable, name):
  """The configuration of a run: gin bindings plus the loop's actual settings.

  Args:
    settings: dict of the loop's settings as called (gin-bound or not).
    resumable: names of settings that may change on resume; left out.
    name: the loop's gin name; its gin bindings are replaced by `settings`.

  Returns:
    dict `{'selector.param': 'value text'}`.
  """
  bindings = {k: v for k, v in parse_bindings(gin.config_str()).items()
              if not k.startswith(f'{name}.')}
  for key, value in settings.items():
    if key not in resumable:
      bindings[f'{name}.{key}'] = repr(value)
  return bindings


def _format(bindings):
  return ''.join(f'{k} = {v}\n' for k, v in sorted(bindings.items()))


def _read(path):
  """The bindings of a gin file, those of the files it `include`s first."""
  if not os.path.isfile(path):
    return {}
  with open(path) as f:
    lines = f.read().splitlines()
  bindings, own = {}, []
  for line in lines:
    match = _INCLUDE.match(line.strip())
    if match:
      name = match.group(1)
      beside = os.path.join(os.path.dirname(path), name)
      bindings.update(_read(beside if os.path.isfile(beside)
                            else config.resolve_gin_file(name)))
    else:
      own.append(line)
  bindings.update(parse_bindings('\n'.join(own)))
  return bindings


def check_config(root_dir, bindings, resumable, name):
  """Stores the configuration of a new run, or checks that a resumed run matches.

  Args:
    root_dir: the run directory.
    bindings: `run_bindings(...)` of this invocation.
    resumable: settings of the loop `name` that may differ on resume.
    name: the loop's gin name.

  Returns:
    True if `root_dir` already held this run (a resume), False for a new run.

  Raises:
    ConfigMismatchError: naming the bindings that differ from the stored run
      (`mismatch.message`: another agent kind first, the rest counted).
    FileExistsError: if `root_dir` holds files but no planet_tf run.
  """
  run = RunDir(root_dir)
  path = run.config_path
  if not os.path.isfile(path):
    # `logs/` holds the process logs of `bin/train_distributed`, opened
    # before any process has stored the configuration.
    existing = [p for p in glob.glob(os.path.join(root_dir, '**', '*'),
                                     recursive=True) if os.path.isfile(p) and
                os.path.relpath(p, root_dir).split(os.sep)[0] != 'logs']
    if existing:
      raise FileExistsError(
          f'root_dir {root_dir} is not empty ({len(existing)} files, e.g. '
          f'{existing[0]}) but holds no planet_tf run (no train/'
          f'{os.path.basename(path)}). Choose an empty or new --root_dir; '
          'nothing was changed.')
    files.atomic_write(path, _format(bindings))
    return False
  stored = _read(path)
  # What the stored run actually used, defaults included: a binding this
  # invocation adds with the value the run already had is no change.
  operative = _read(run.operative_config_path)
  differences = []
  for key in sorted(set(stored) | set(bindings)):
    old = stored.get(key, operative.get(key, '<unset>'))
    new = bindings.get(key, '<unset>')
    if old != new:
      differences.append((key, old, new))
  if differences and not has_data(root_dir):
    # A start that failed before collecting anything: nothing to protect.
    files.atomic_write(path, _format(bindings))
    return False
  if differences:
    raise ConfigMismatchError(mismatch.message(root_dir, path, differences,
                                               resumable, name))
  return True


def has_data(root_dir):
  """Whether the run has episodes or checkpoints."""
  run = RunDir(root_dir)
  return bool(glob.glob(os.path.join(run.episodes_dir, replay.FILE_PATTERN)) or
              glob.glob(os.path.join(run.train_dir, 'ckpt-*')) or
              os.path.exists(os.path.join(run.train_dir, 'checkpoint')))


def write_operative_config(root_dir):
  """Writes `gin.operative_config_str()` to `root_dir/operative_config.gin`."""
  files.atomic_write(RunDir(root_dir).operative_config_path,
                     gin.operative_config_str())


def stored_bindings(root_dir):
  """Every binding a run stored: its operative config, then its `config.gin`.

  Returns:
    `{'selector.param': 'value text'}`; empty for a directory without a run.
  """
  run = RunDir(root_dir)
  return {**_read(run.operative_config_path), **_read(run.config_path)}


def configurable_settings(root_dir, configurable):
  """The stored values of one configurable's parameters, as Python values.

  Args:
    root_dir: a run directory.
    configurable: its registered gin name, e.g. `'planet_tf.envs.load'`; any
      selector gin accepts for it (`'load'`, `'envs.load'`) matches too.

  Returns:
    `{'param': value}`.
  """
  parts = configurable.split('.')
  selectors = {'.'.join(parts[i:]) for i in range(len(parts))}
  settings = {}
  for key, value in stored_bindings(root_dir).items():
    selector, _, param = key.rpartition('.')
    if selector in selectors:
      try:
        settings[param] = ast.literal_eval(value)
      except (ValueError, SyntaxError):
        settings[param] = value  # A reference such as `@RSSM`: kept as text.
  return settings


def env_settings_of_run(root_dir):
  """`planet_tf.envs.load` arguments of a run, from its stored configuration.

  Returns:
    dict, e.g. `{'action_repeat': 8, 'image_size': 64, 'episode_length': None}`.
  """
  settings = configurable_settings(root_dir, 'planet_tf.envs.load')
  return {k: v for k, v in settings.items() if k not in ('task_name', 'seed')}


def invocation_seed(seed, root_dir):
  """`seed` for a new run; a different, deterministic one for each resume.

  A seeded run that resumes must not replay its first invocation's random
  streams (the same initial states, noise and chunks again).

  Returns:
    None for an unseeded run, else a seed in [0, 2**31 - 2) from `seed` and
    the number of stored episode files (0 for a new run, which keeps `seed`).
  """
  if seed is None:
    return None
  stored = len(glob.glob(os.path.join(RunDir(root_dir).episodes_dir,
                                      replay.FILE_PATTERN)))
  if stored == 0:
    return int(seed)
  return int(np.random.SeedSequence([int(seed), stored]).generate_state(1)[0]
             % (2**31 - 2))
