"""Shared pytest setup: quiet TensorFlow, software EGL rendering."""

import os

os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')  # Before TensorFlow loads.
