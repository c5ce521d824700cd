"""The installed stack as planet_tf sets it up (`planet_tf.tf_stack`): one Keras
for TF-Agents and planet_tf, rendering after TensorFlow is imported, the
distributed commands' refusal where Reverb cannot install, and runs that move
between the 3.11 stack (TF 2.15) and the 3.12+ one (TF 2.20). Each test runs in a
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


# A python of the other stack (3.11's beside a 3.12+ run of the tests, or the
# reverse), with planet_tf installed; `.ci/run` sets it.
_OTHER_STACK_PYTHON = os.environ.get('PLANET_TF_OTHER_STACK_PYTHON')


def _bin(python, name, *args):
  """Runs `bin/<name> args` with `python`; returns its CompletedProcess."""
  environment = dict(bin_commands.ENV)
  # Each stack's planet_tf sets its own Keras; TF 2.15 has no tf-keras.
  environment.pop('TF_USE_LEGACY_KERAS', None)
  environment.pop('PYTHONPATH', None)
  return subprocess.run([python, os.path.join(bin_commands.BIN, name), *args],
                        env=environment, capture_output=True, text=True,
                        timeout=600, check=False)


@pytest.mark.slow
@pytest.mark.skipif(not _OTHER_STACK_PYTHON,
                    reason='PLANET_TF_OTHER_STACK_PYTHON names no python of '
                    'the other stack (.ci/run sets it)')
@pytest.mark.parametrize('trained_on', ['other', 'this'])
def test_a_run_resumes_evaluates_and_exports_on_the_other_stack(
    tmp_path, trained_on):
  pythons = {'this': sys.executable, 'other': _OTHER_STACK_PYTHON}
  first = pythons[trained_on]
  second = pythons['this' if trained_on == 'other' else 'other']
  versions = [subprocess.run(
      [p, '-c', 'import importlib.metadata as m; '
       'print(m.version("tensorflow"))'], capture_output=True, text=True,
      check=True).stdout.strip() for p in (first, second)]
  assert versions[0].split('.')[:2] != versions[1].split('.')[:2], versions
  root = str(tmp_path / 'run')
  trained = _bin(first, 'train', f'--root_dir={root}', '--gin_file=tiny.gin')
  assert trained.returncode == 0, trained.stderr[-3000:]
  assert len(bin_commands.episodes(root)) == 4

  resumed = _bin(second, 'train', f'--root_dir={root}', '--gin_file=tiny.gin',
                 '--gin_param=train_eval.num_episodes = 6')
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  assert 'Resuming' in resumed.stderr and 'with 4 stored episodes' in (
      resumed.stderr)
  assert len(bin_commands.episodes(root)) == 6
  rows = bin_commands.rows(root)
  assert [r['policy'] for r in rows].count('random') == 2
  assert rows[-1]['episodes'] == '6' and rows[-1]['policy'] == 'greedy'

  evaluated = _bin(second, 'evaluate', f'--policy={root}', '--num_episodes=1')
  assert evaluated.returncode == 0, evaluated.stderr[-3000:]
  assert 'mean return' in evaluated.stdout + evaluated.stderr
  output = str(tmp_path / 'exported')
  exported = _bin(second, 'export', f'--root_dir={root}', f'--output={output}')
  assert exported.returncode == 0, exported.stderr[-3000:]
  assert os.path.exists(os.path.join(output, 'saved_model.pb'))
