"""The installed stack as planet_tf sets it up (`planet_tf.tf_stack`): one Keras
for TF-Agents and planet_tf, rendering after TensorFlow is imported, and the
distributed commands' refusal where Reverb cannot install. Each test runs in a
fresh interpreter, so the order of imports is the test's own."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

import bin_commands

_MODERN = tuple(int(v) for v in tf.__version__.split('.')[:2]) >= (2, 16)
# What a user sets to import TensorFlow before planet_tf on TF 2.16+; TF 2.15
# needs no such setting (and would then ask for the tf-keras package).
_LEGACY_KERAS = {'TF_USE_LEGACY_KERAS': '1'} if _MODERN else {}


def _python(code, env=None):
  """Runs `code` in a new interpreter, from the checkout, with `env` added.

  Returns:
    its `subprocess.CompletedProcess`, output captured as text.
  """
  environment = dict(bin_commands.ENV, PYTHONPATH=bin_commands.ROOT)
  environment.pop('TF_USE_LEGACY_KERAS', None)
  environment.update(env or {})
  return subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                        env=environment, capture_output=True, text=True,
                        timeout=240, check=False)


def test_a_planet_tf_layer_is_the_keras_layer_tf_agents_uses():
  done = _python("""
      import planet_tf
      from planet_tf.networks import conv
      from tf_agents.networks import network
      import tensorflow as tf
      layer = tf.keras.layers.Layer
      assert issubclass(network.Network, layer), network.Network.__mro__
      assert isinstance(conv.ConvEncoder(), layer)
      import sys
      print(sys.modules[layer.__module__.split('.')[0]].__version__)
      """)
  assert done.returncode == 0, done.stderr[-2000:]
  assert done.stdout.strip().startswith('2.'), done.stdout


def test_keras_2_when_tensorflow_is_imported_first_with_legacy_keras_set():
  done = _python("""
      import tensorflow as tf
      import planet_tf
      from planet_tf.networks import conv
      from tf_agents.networks import network
      assert isinstance(conv.ConvEncoder(), network.tf.keras.layers.Layer)
      """, env=_LEGACY_KERAS)
  assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.skipif(not _MODERN, reason='TF 2.15 has no Keras 3 to load')
def test_keras_3_loaded_before_planet_tf_is_one_clear_error():
  done = _python("""
      import tensorflow as tf
      import planet_tf
      """)
  assert done.returncode != 0
  last = done.stderr.strip().splitlines()[-1]
  assert last.startswith('ImportError: tf.keras is Keras 3'), last
  assert 'import planet_tf before TensorFlow' in last


@pytest.mark.parametrize('first', ['planet_tf', 'tensorflow'])
def test_rendering_works_after_tensorflow_is_imported(first):
  done = _python(f"""
      import warnings
      warnings.simplefilter('ignore')
      import {first}
      import planet_tf
      import tensorflow as tf
      from planet_tf import envs
      env = envs.load('cartpole_balance')
      frame = env.reset().observation
      assert frame.shape == (64, 64, 3) and frame.std() > 0, frame.std()
      print('rendered')
      """, env=dict(_LEGACY_KERAS, MUJOCO_GL='egl'))
  assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
  assert 'rendered' in done.stdout


@pytest.mark.skipif(importlib.util.find_spec('reverb') is not None,
                    reason='dm-reverb is installed here')
@pytest.mark.parametrize('name', ['train_distributed', 'replay_server',
                                  'actor', 'learner'])
def test_the_distributed_commands_need_reverb_one_line(tmp_path, name):
  args = [f'--root_dir={tmp_path}', '--gin_file=tiny.gin']
  if name in ('actor', 'learner'):
    args.append('--replay_address=localhost:1')
  if name == 'replay_server':
    args.append('--port=1')
  # A user's console: TensorFlow's C++ logs off (planet_tf.console).
  done = bin_commands.command(name, *args, timeout=120,
                              env={'TF_CPP_MIN_LOG_LEVEL': '3'})
  assert done.returncode == 1
  lines = done.stderr.strip().splitlines()
  assert len(lines) == 1, done.stderr
  assert f'bin/{name}: error: the distributed mode needs' in lines[0]
  if sys.version_info >= (3, 12):
    assert 'Python 3.11' in lines[0]
  assert not os.listdir(tmp_path)


@pytest.mark.skipif(not _MODERN, reason="TF 2.15 loads beside Mesa's LLVM")
def test_planet_tf_after_mesa_llvm_is_one_clear_error_not_a_hang():
  done = _python("""
      from dm_control import _render  # Mesa's EGL: its LLVM loads here.
      assert 'libLLVM' in open('/proc/self/maps').read(), 'no Mesa LLVM'
      import planet_tf
      """, env=dict(MUJOCO_GL='egl'))
  assert done.returncode != 0, done.stdout
  last = done.stderr.strip().splitlines()[-1]
  assert last.startswith('ImportError: ') and 'libLLVM' in last, last
  assert 'before dm_control' in last, last


def test_mesa_llvm_is_found_by_the_mapped_library_name(tmp_path):
  from planet_tf import tf_stack  # pylint: disable=g-import-not-at-top
  maps = tmp_path / 'maps'
  line = '7f0-7f1 r-xp 00000000 08:01 42 {}\n'
  maps.write_text(line.format('/usr/lib/libEGL.so.1') + line.format('[heap]'))
  assert tf_stack.mesa_llvm_loaded(str(maps)) is None
  with maps.open('a') as f:
    f.write(line.format('/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1'))
  assert tf_stack.mesa_llvm_loaded(str(maps)).endswith('libLLVM-15.so.1')
  assert tf_stack.mesa_llvm_loaded(str(tmp_path / 'absent')) is None
