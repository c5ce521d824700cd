"""Shared pytest setup: quiet TensorFlow, software EGL rendering, a clean gin."""

import fcntl
import json
import os
import subprocess

os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

# Before any test module imports TensorFlow: planet_tf's settings (tf_stack).
import planet_tf  # pylint: disable=g-import-not-at-top,wrong-import-position,unused-import
import gin  # pylint: disable=g-import-not-at-top,wrong-import-position
import pytest  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.fixture(autouse=True)
def _clear_gin():
  """Every test starts and ends with no gin bindings."""
  gin.clear_config()
  yield
  gin.clear_config()


@pytest.fixture(scope='session')
def finished_run(tmp_path_factory):
  """`finished_run(config)`: `<config>.gin` trained to its end by `bin/train`
  with one TensorFlow thread (`golden_runs.run`), once per test session.

  Under pytest-xdist the workers share the run: the first to ask trains it
  under a file lock in the session's common temporary directory, the others
  wait for it and read its stored result.

  Returns:
    `(root_dir, completed_process)`. Tests share the directory: copy it before
    changing it.
  """
  import golden_runs  # pylint: disable=g-import-not-at-top
  base = tmp_path_factory.getbasetemp()
  if os.environ.get('PYTEST_XDIST_WORKER'):
    base = base.parent  # Common to every worker of this session.
  runs = {}

  def get(config):
    if config not in runs:
      runs[config] = _shared_run(base / f'finished-{config}',
                                 lambda root: golden_runs.run(config, root))
    return runs[config]

  return get


def _shared_run(directory, train):
  """Trains once into `<directory>/run` under a lock; `(root, result)`."""
  directory.mkdir(exist_ok=True)
  root, stored = str(directory / 'run'), directory / 'result.json'
  with open(directory / 'lock', 'w') as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    if not stored.exists():
      result = train(root)
      stored.write_text(json.dumps(
          [result.args, result.returncode, result.stdout, result.stderr]))
  result = subprocess.CompletedProcess(*json.loads(stored.read_text()))
  assert result.returncode == 0, result.stderr[-3000:]
  return root, result
