"""Shared pytest setup: quiet TensorFlow, software EGL rendering."""

import os

os.environ.setdefault('MUJOCO_GL', 'egl')
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
