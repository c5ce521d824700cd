"""Shared pytest setup: quiet TensorFlow, software EGL rendering, a clean gin."""

import os

os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')  # Before TensorFlow loads.

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
  with one TensorFlow thread (`golden_runs.run`), once per session.

  Returns:
    `(root_dir, completed_process)`. Tests share the directory: copy it before
    changing it.
  """
  import golden_runs  # pylint: disable=g-import-not-at-top
  runs = {}

  def get(config):
    if config not in runs:
      root = str(tmp_path_factory.mktemp(config) / 'run')
      result = golden_runs.run(config, root)
      assert result.returncode == 0, result.stderr[-3000:]
      runs[config] = root, result
    return runs[config]

  return get
