"""`train/learner_status.json`: the learner's counters for the launcher's line.

No TensorFlow here: the launcher reads it without importing TensorFlow.
"""

import json
import os

from planet_tf import files

STATUS_FILE = os.path.join('train', 'learner_status.json')


def write(root_dir, **status):
  """Replaces the status (episodes, env_steps, train_steps, loss, ...) atomically."""
  files.atomic_write(os.path.join(root_dir, STATUS_FILE), json.dumps(status))


def read(root_dir, since=None):
  """The last status written, or None; None too if it was written before
  `since` (seconds since the epoch: a previous launch's)."""
  path = os.path.join(root_dir, STATUS_FILE)
  try:
    if since is not None and os.path.getmtime(path) < since:
      return None
    with open(path) as f:
      return json.load(f)
  except (OSError, ValueError):
    return None
