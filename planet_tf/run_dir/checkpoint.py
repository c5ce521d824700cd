"""A run's checkpoints: the one save and restore path of every entry point.

Checkpoints are written by `tf.train.CheckpointManager`: the data files are
complete before the `checkpoint` index names them (written atomically), so a run
killed while saving resumes from the previous checkpoint. A restore that fails is
a `CheckpointError` naming the file, never a fresh model.
"""

import glob
import os

import tensorflow as tf

from planet_tf.run_dir.errors import CheckpointError

# Variables of a checkpoint whose optimizer belongs to the world model (the
# layout of planet_tf 0.1), which `RunCheckpoint` refuses with an explanation.
_OLD_LAYOUT = '/_world_model/optimizer/'


class RunCheckpoint:
  """`tf.train.CheckpointManager` over `directory` with loud restores.

  Args:
    directory: where `ckpt-N.*` files and the `checkpoint` index live.
    max_to_keep: newest checkpoints kept.
    **objects: trackables to save (`agent=..., metrics=...`); a restore may
      name fewer objects than the checkpoint holds (export needs only the agent).
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

  def restore(self, path=None):
    """Restores checkpoint `path`, or the newest one.

    Args:
      path: a checkpoint prefix (`.../ckpt-N`) or a directory holding a
        `checkpoint` index; this manager's newest checkpoint when None.

    Returns:
      The restored checkpoint's path, or None when there is none (and no
      checkpoint files either).

    Raises:
      FileNotFoundError: if `path` is a directory without a checkpoint, or a
        prefix without its `.index` file.
      CheckpointError: if checkpoint files exist but the index names none, the
        checkpoint predates the agent-owned optimizer, or it is unreadable or
        does not match the objects.
    """
    if path is not None and os.path.isdir(path):
      directory, path = path, tf.train.latest_checkpoint(path)
      if path is None:
        raise FileNotFoundError(f'No checkpoint in {directory}.')
    elif path is not None and not tf.io.gfile.exists(path + '.index'):
      raise FileNotFoundError(
          f'No checkpoint {path}: there is no {path}.index. Pass a checkpoint '
          'prefix (train/ckpt-N, without .index) or a directory with a '
          '"checkpoint" index.')
    latest = path or self._manager.latest_checkpoint
    if latest is None:
      files = sorted(glob.glob(os.path.join(self._directory, 'ckpt-*')))
      if files or os.path.exists(os.path.join(self._directory, 'checkpoint')):
        raise CheckpointError(
            f'{self._directory} holds checkpoint files ({", ".join(files[:4])}) '
            'but its "checkpoint" index names no existing checkpoint. Refusing '
            'to start over on top of them; repair the index or move the run.')
      return None
    if path is None and not tf.io.gfile.exists(latest + '.index'):
      raise CheckpointError(
          f'The "checkpoint" index in {self._directory} names {latest}, which '
          f'does not exist (no {latest}.index). Nothing was changed. Edit the '
          'index to name one of the checkpoints there: '
          f'{", ".join(self._stored()) or "none (move the index away)"}.')
    _refuse_old_layout(latest)
    try:
      status = self._checkpoint.restore(latest)
      status.assert_existing_objects_matched()
      status.expect_partial()
    except Exception as e:  # pylint: disable=broad-except
      # A damaged file fails in many ways (OpError, IndexError, DataLossError,
      # ValueError for mismatching shapes, AssertionError for missing objects).
      raise CheckpointError(
          f'Cannot restore checkpoint {latest}: {type(e).__name__}: '
          f'{str(e).splitlines()[0] if str(e) else ""}\nThe file is corrupt or '
          'was written by a different model. Nothing was changed. To resume '
          'from an older checkpoint, edit the "checkpoint" index in '
          f'{self._directory} to name one of: '
          f'{", ".join(self._stored())}.') from e
    return latest

  def _stored(self):
    """The prefixes of the checkpoints in the directory, oldest first."""
    prefixes = [p[:-len('.index')] for p in glob.glob(
        os.path.join(self._directory, 'ckpt-*.index'))]
    return sorted(prefixes, key=lambda p: int(p.rpartition('-')[2])
                  if p.rpartition('-')[2].isdigit() else -1)

  def save(self, number):
    """Writes checkpoint `ckpt-<number>`; returns its path."""
    return self._manager.save(checkpoint_number=number)


def _refuse_old_layout(path):
  """Raises `CheckpointError` for a checkpoint whose optimizer is the model's."""
  try:
    names = [name for name, _ in tf.train.list_variables(path)]
  except Exception:  # pylint: disable=broad-except
    return  # Unreadable: the restore below names the problem.
  if any(_OLD_LAYOUT in name for name in names):
    directory = os.path.dirname(path)
    raise CheckpointError(
        f'Checkpoint {path} was written by an older planet_tf, whose optimizer '
        'belonged to the world model; this version keeps it in the agent and '
        'cannot load that checkpoint. Nothing was changed. The collected '
        'episodes stay usable: move the checkpoint files (ckpt-* and '
        f'checkpoint) out of {directory} and run the same command again to '
        'train a new model on them.')
