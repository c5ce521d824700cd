"""Writing a file so that readers never see it half-written."""

import os

TMP_PREFIX = '.tmp-'


def atomic_write(path, data):
  """Writes `data` to `path` through a hidden temporary sibling and a rename.

  A process killed while writing leaves at most a `.tmp-<pid>-<name>` sibling,
  never a partial `path`; a write that fails (a full disk) leaves neither.

  Args:
    path: the file to (re)place; its directory is created.
    data: `str`, `bytes`, or a callable that writes into a binary file object
      (e.g. `lambda f: numpy.savez_compressed(f, ...)`).

  Returns:
    `path`.
  """
  directory, name = os.path.split(path)
  os.makedirs(directory or '.', exist_ok=True)
  tmp = os.path.join(directory, f'{TMP_PREFIX}{os.getpid()}-{name}')
  try:
    with open(tmp, 'w' if isinstance(data, str) else 'wb') as f:
      if callable(data):
        data(f)
      else:
        f.write(data)
    os.replace(tmp, path)
  except BaseException as e:
    if os.path.exists(tmp):
      os.remove(tmp)
    if isinstance(e, OSError) and e.filename is None:  # Named, for the user.
      raise OSError(e.errno, e.strerror, path) from e
    raise
  return path
