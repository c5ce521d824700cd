"""One process per run directory: an `flock` on `train/.lock`."""

import contextlib
import fcntl
import os

from planet_tf.run_dir.errors import RunLockedError
from planet_tf.run_dir.layout import RunDir


def lock(root_dir):
  """Takes `root_dir/train/.lock` for this process, so two runs never share a dir.

  The lock is an `flock`: the OS releases it when the process ends, however it
  ends (a killed run leaves no stale lock).

  Returns:
    The open lock file; keep it referenced for as long as the run lasts.

  Raises:
    RunLockedError: if another process holds the lock.
    OSError: if the lock cannot be written (a read-only or full disk); a lock
      file it created is removed, the directories it created are not
      (`remove_empty`).
  """
  path = RunDir(root_dir).lock_path
  os.makedirs(os.path.dirname(path), exist_ok=True)
  existed = os.path.exists(path)
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
  try:
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
  except OSError as e:
    with contextlib.suppress(OSError):  # Its buffer cannot be written either.
      handle.close()
    if not existed:
      os.remove(path)
    raise OSError(e.errno, e.strerror, path) from e  # Named, for the user.
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
  remove_empty(remove_dirs)


def remove_empty(directories):
  """Removes each of `directories` (deepest first) that is empty."""
  for directory in directories:
    try:
      os.rmdir(directory)
    except OSError:
      pass  # Not empty: it holds someone's files.
