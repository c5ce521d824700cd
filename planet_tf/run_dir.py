"""What a run directory keeps between invocations: its configuration and checkpoints.

A second `train_eval` on the same `root_dir` resumes. It must never silently start
over on top of a user's run, so:

- `check_config` stores the run's configuration in `train/config.gin` on the first
  start and, on every later start, refuses a configuration that differs (except
  for the bindings in `RESUMABLE`, e.g. training for more episodes);
- `RunCheckpoint.restore` turns an unreadable or mismatching checkpoint into a
  `CheckpointError` that names the file, instead of a fresh model.

Checkpoints are written by `tf.train.CheckpointManager`: the data files are
complete before the `checkpoint` index names them (written atomically), so a run
killed while saving resumes from the previous checkpoint.
"""

import fcntl
import glob
import os
import re

import gin
import tensorflow as tf

from planet_tf import replay

CONFIG_FILE = 'config.gin'
OPERATIVE_CONFIG_FILE = 'operative_config.gin'

# `train_eval` arguments that may change when a run resumes.
RESUMABLE = frozenset([
    'num_episodes', 'eval_interval', 'num_eval_episodes', 'export_interval',
    'video_interval', 'checkpoint_interval', 'max_minutes',
])

_BINDING = re.compile(r'^([A-Za-z_][\w./]*)\s*=\s*(.*)$')


class ConfigMismatchError(ValueError):
  """The root_dir holds a run whose configuration differs from this one."""


class CheckpointError(RuntimeError):
  """A checkpoint of the run exists but cannot be restored."""


class RunLockedError(RuntimeError):
  """Another process is training in the same root_dir."""


def lock(root_dir):
  """Takes `root_dir/train/.lock` for this process, so two runs never share a dir.

  The lock is an `flock`: the OS releases it when the process ends, however it
  ends (a killed run leaves no stale lock).

  Returns:
    The open lock file; keep it referenced for as long as the run lasts.

  Raises:
    RunLockedError: if another process holds the lock.
  """
  path = os.path.join(root_dir, 'train', '.lock')
  os.makedirs(os.path.dirname(path), exist_ok=True)
  handle = open(path, 'a+')  # pylint: disable=consider-using-with
  try:
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
  except OSError:
    handle.seek(0)
    owner = handle.read().strip() or 'unknown'
    handle.close()
    raise RunLockedError(
        f'Another process (pid {owner}) is training in {root_dir}; two runs in '
        'one directory would overwrite each other. Nothing was changed.'
    ) from None
  handle.truncate(0)
  handle.write(str(os.getpid()))
  handle.flush()
  return handle


def unlock(handle, remove_dirs=()):
  """Releases a `lock`; with `remove_dirs`, also removes what `lock` created.

  For a run refused before it wrote anything, so that the directory is left as
  it was found: `remove_dirs` are the directories that `lock` created (deepest
  first); the lock file is deleted with them and they are removed if empty. A
  lock file in a directory that existed before stays (deleting a lock file
  that another process may have opened would let two processes hold it).
  """
  path = handle.name
  handle.close()
  if remove_dirs and os.path.exists(path):
    os.remove(path)
  for directory in remove_dirs:
    try:
      os.rmdir(directory)
    except OSError:
      pass  # Not empty: it holds someone's files.


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


def run_bindings(train_eval_args):
  """The configuration of a run: gin bindings plus `train_eval`'s actual arguments.

  Args:
    train_eval_args: dict of `train_eval`'s arguments as called (gin-bound or
      not); `root_dir` and the `RESUMABLE` ones are left out.

  Returns:
    dict `{'selector.param': 'value text'}`.
  """
  bindings = {k: v for k, v in parse_bindings(gin.config_str()).items()
              if not k.startswith('train_eval.')}
  for name, value in train_eval_args.items():
    if name != 'root_dir' and name not in RESUMABLE:
      bindings[f'train_eval.{name}'] = repr(value)
  return bindings


def _format(bindings):
  return ''.join(f'{k} = {v}\n' for k, v in sorted(bindings.items()))


def atomic_write(path, text):
  """Writes `text` to `path` through a temporary file and a rename."""
  tmp = f'{path}.tmp-{os.getpid()}'
  with open(tmp, 'w') as f:
    f.write(text)
  os.replace(tmp, path)


def check_config(root_dir, bindings):
  """Stores the configuration of a new run, or checks that a resumed run matches.

  Args:
    root_dir: the run directory.
    bindings: `run_bindings(...)` of this invocation.

  Returns:
    True if `root_dir` already held this run (a resume), False for a new run.

  Raises:
    ConfigMismatchError: listing every binding that differs from the stored run.
    FileExistsError: if `root_dir` holds files but no planet_tf run.
  """
  train_dir = os.path.join(root_dir, 'train')
  path = os.path.join(train_dir, CONFIG_FILE)
  if not os.path.isfile(path):
    existing = [p for p in glob.glob(os.path.join(root_dir, '**', '*'),
                                     recursive=True) if os.path.isfile(p)]
    if existing:
      raise FileExistsError(
          f'root_dir {root_dir} is not empty ({len(existing)} files, e.g. '
          f'{existing[0]}) but holds no planet_tf run (no train/{CONFIG_FILE}). '
          'Choose an empty or new --root_dir; nothing was changed.')
    os.makedirs(train_dir, exist_ok=True)
    atomic_write(path, _format(bindings))
    return False
  with open(path) as f:
    stored = parse_bindings(f.read())
  # What the stored run actually used, defaults included: a binding added now
  # with the value the run already had is no change.
  operative_path = os.path.join(root_dir, OPERATIVE_CONFIG_FILE)
  operative = {}
  if os.path.isfile(operative_path):
    with open(operative_path) as f:
      operative = parse_bindings(f.read())
  differences = []
  for key in sorted(set(stored) | set(bindings)):
    old = stored.get(key, operative.get(key, '<unset>'))
    new = bindings.get(key, '<unset>')
    if old != new:
      differences.append(f'  {key}: {old} in the stored run, {new} now')
  if differences and not _has_data(root_dir):
    # A start that failed before collecting anything: nothing to protect.
    atomic_write(path, _format(bindings))
    return False
  if differences:
    raise ConfigMismatchError(
        f'root_dir {root_dir} holds a run with a different configuration '
        f'({path}):\n' + '\n'.join(differences) + '\nResume it with the same '
        'gin files and bindings, or choose a new --root_dir. Only '
        f'train_eval.{{{", ".join(sorted(RESUMABLE))}}} may change on resume. '
        'Nothing was changed.')
  return True


def _has_data(root_dir):
  """Whether the run has episodes or checkpoints."""
  train_dir = os.path.join(root_dir, 'train')
  episodes = os.path.join(train_dir, 'episodes', replay.FILE_PATTERN)
  return bool(glob.glob(episodes) or
              glob.glob(os.path.join(train_dir, 'ckpt-*')) or
              os.path.exists(os.path.join(train_dir, 'checkpoint')))


def stored_binding(root_dir, key):
  """The stored value text of `key` in a run's `train/config.gin`, or None."""
  path = os.path.join(root_dir, 'train', CONFIG_FILE)
  if not os.path.isfile(path):
    return None
  with open(path) as f:
    return parse_bindings(f.read()).get(key)


def write_operative_config(root_dir):
  """Writes `gin.operative_config_str()` to `root_dir/operative_config.gin`."""
  atomic_write(os.path.join(root_dir, OPERATIVE_CONFIG_FILE),
               gin.operative_config_str())


class RunCheckpoint:
  """`tf.train.CheckpointManager` over `directory` with loud restores.

  Args:
    directory: where `ckpt-N.*` files and the `checkpoint` index live.
    max_to_keep: newest checkpoints kept.
    **objects: trackables to save (`agent=..., metrics=...`).
  """

  def __init__(self, directory, max_to_keep=3, **objects):
    self._directory = directory
    self._checkpoint = tf.train.Checkpoint(**objects)
    try:
      self._manager = tf.train.CheckpointManager(
          self._checkpoint, directory, max_to_keep=max_to_keep)
    except Exception as e:  # pylint: disable=broad-except
      raise CheckpointError(
          f'The checkpoint index {os.path.join(directory, "checkpoint")} is '
          f'unreadable ({type(e).__name__}: {e}). Nothing was changed; repair '
          'or move the run directory.') from e

  @property
  def latest(self):
    return self._manager.latest_checkpoint

  def restore(self):
    """Restores the newest checkpoint, if any.

    Returns:
      The restored checkpoint's path, or None when the directory has none.

    Raises:
      CheckpointError: if checkpoint files exist but the index names none, or the
        newest checkpoint is unreadable or does not match the objects.
    """
    latest = self._manager.latest_checkpoint
    files = sorted(glob.glob(os.path.join(self._directory, 'ckpt-*')))
    if latest is None:
      if files or os.path.exists(os.path.join(self._directory, 'checkpoint')):
        raise CheckpointError(
            f'{self._directory} holds checkpoint files ({", ".join(files[:4])}) '
            'but its "checkpoint" index names no existing checkpoint. Refusing '
            'to start over on top of them; repair the index or move the run.')
      return None
    try:
      status = self._checkpoint.restore(latest)
      status.assert_existing_objects_matched()
    except Exception as e:  # pylint: disable=broad-except
      # A damaged file fails in many ways (OpError, IndexError, DataLossError,
      # ValueError for mismatching shapes, AssertionError for missing objects).
      raise CheckpointError(
          f'Cannot restore checkpoint {latest}: {type(e).__name__}: '
          f'{str(e).splitlines()[0] if str(e) else ""}\nThe file is corrupt or '
          'was written by a different model. Nothing was changed. To resume '
          'from an older checkpoint, edit the "checkpoint" index in '
          f'{self._directory} to name one of: '
          f'{", ".join(self._manager.checkpoints)}.') from e
    return latest

  def save(self, number):
    """Writes checkpoint `ckpt-<number>`; returns its path."""
    return self._manager.save(checkpoint_number=number)
