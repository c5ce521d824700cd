"""Writing a policy as a SavedModel that acts without planet_tf.

The SavedModel is TF-Agents' `PolicySaver` format: signatures `action`,
`get_initial_state` and `get_train_step`, and `policy_specs.pbtxt`. Load it with
`tf.saved_model.load(path)` or
`tf_agents.policies.py_tf_eager_policy.SavedModelPyTFEagerPolicy(path,
load_specs_from_pbtxt=True)`. A `LatentPolicy`'s (`CemPolicy`'s,
`ActorPolicy`'s) random generator is saved with it, so every fresh load starts
from the generator state at export time; so are its networks (a `CemPolicy`'s
value, an `ActorPolicy`'s actor).
"""

import errno
import glob
import os
import shutil

import tensorflow as tf
from tf_agents.policies import policy_saver

TMP_PREFIX = '.tmp-export-'
# The operating-system error behind TensorFlow's error of a failed write.
_ERRNO = {tf.errors.ResourceExhaustedError: errno.ENOSPC,
          tf.errors.PermissionDeniedError: errno.EACCES}


def export_policy(policy, output_dir, train_step=None, batch_size=None):
  """Writes `policy` with `PolicySaver` to `output_dir`, atomically.

  The SavedModel is written to a hidden sibling directory and renamed into
  place, so a crash never leaves a half-written `output_dir` (a stale
  `.tmp-export-*` sibling is all it can leave; an export that fails, on a
  full disk say, removes it).

  Args:
    policy: a `TFPolicy`, e.g. a `CemPolicy` or an `ActorPolicy`.
    output_dir: directory of the SavedModel (created; replaced if present).
    train_step: the training step the policy was trained for (int or int64
      `tf.Variable`); read back with the `get_train_step` signature. -1 if None.
    batch_size: fixed batch size of the signatures; any batch size if None.

  Returns:
    `output_dir`.

  Raises:
    OSError: naming `output_dir`, if the SavedModel cannot be written (a full
      or read-only disk).
  """
  if train_step is not None and not isinstance(train_step, tf.Variable):
    train_step = tf.Variable(int(train_step), dtype=tf.int64, trainable=False,
                             name='train_step')
  saver = policy_saver.PolicySaver(policy, batch_size=batch_size,
                                   train_step=train_step)
  output_dir = os.path.normpath(output_dir)
  parent, name = os.path.split(output_dir)
  os.makedirs(parent or '.', exist_ok=True)
  tmp = os.path.join(parent, f'{TMP_PREFIX}{name}-{os.getpid()}')
  try:
    saver.save(tmp)
  except BaseException as e:
    shutil.rmtree(tmp, ignore_errors=True)
    if isinstance(e, tf.errors.OpError) and type(e) in _ERRNO:
      number = _ERRNO[type(e)]
      raise OSError(number, os.strerror(number), output_dir) from e
    raise
  if os.path.exists(output_dir):
    old = f'{tmp}-replaced'
    os.replace(output_dir, old)
    os.replace(tmp, output_dir)
    shutil.rmtree(old)
  else:
    os.replace(tmp, output_dir)
  return output_dir


def remove_stale_exports(directory):
  """Deletes the temporary directories of exports a crash interrupted."""
  for stale in glob.glob(os.path.join(directory, TMP_PREFIX + '*')):
    shutil.rmtree(stale, ignore_errors=True)
