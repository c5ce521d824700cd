"""A regular `pip install .` installs the commands and the gin files, and
`requirements.lock` (the quick start's install) holds `setup.py`'s pins."""

import ast
from importlib import metadata
import os
import re
import shutil
import site
import subprocess
import sys
import venv

from packaging import requirements
from packaging import utils
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMANDS = ('planet-train', 'planet-evaluate', 'planet-export',
            'planet-plot-returns')


def _virtualenv(path):
  """A virtualenv that sees this environment's packages (TensorFlow, ...).

  Made from the base interpreter with system site-packages, as a user would;
  the running environment's site-packages come in through a .pth file, so
  nothing needs downloading.
  """
  venv.create(path, system_site_packages=True, with_pip=False)
  python = os.path.join(path, 'bin', 'python')
  target = subprocess.run(
      [python, '-c', 'import sysconfig; print(sysconfig.get_path("purelib"))'],
      capture_output=True, text=True, check=True).stdout.strip()
  with open(os.path.join(target, 'running_environment.pth'), 'w') as f:
    f.write('\n'.join(site.getsitepackages()) + '\n')
  return python


@pytest.mark.slow
def test_pip_install_installs_the_commands_and_the_gin_files(tmp_path):
  source = tmp_path / 'source'  # A copy: the build leaves files behind.
  for name in ('setup.py', 'README.md'):
    source.mkdir(exist_ok=True)
    shutil.copy(os.path.join(ROOT, name), source / name)
  for name in ('planet_tf', 'gin_configs'):
    shutil.copytree(os.path.join(ROOT, name), source / name,
                    ignore=shutil.ignore_patterns('__pycache__'))
  python = _virtualenv(str(tmp_path / 'venv'))
  # --ignore-installed: never uninstall the running environment's planet_tf.
  subprocess.run([python, '-m', 'pip', 'install', '--no-deps', '--no-index',
                  '--no-build-isolation', '--ignore-installed', '--quiet',
                  str(source)], capture_output=True, text=True, check=True,
                 env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK='1'))
  shutil.rmtree(source)
  bin_dir = tmp_path / 'venv' / 'bin'
  for command in COMMANDS:
    assert (bin_dir / command).is_file(), command
  elsewhere = tmp_path / 'elsewhere'
  elsewhere.mkdir()
  env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
  # An unknown gin file lists the bundled ones, found in the installed package.
  result = subprocess.run(
      [str(bin_dir / 'planet-train'), '--gin_file=no_such_task.gin'],
      cwd=elsewhere, env=env, capture_output=True, text=True, timeout=600,
      check=False)
  assert result.returncode == 1, result.stderr[-3000:]
  assert 'planet-train: error: Unknown gin file' in result.stderr
  assert 'tiny.gin' in result.stderr and 'cheetah.gin' in result.stderr
  assert os.path.join(str(tmp_path / 'venv'), 'lib') in result.stderr
  usage = subprocess.run([str(bin_dir / 'planet-plot-returns'), '--help'],
                         cwd=elsewhere, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
  assert '--root_dir' in usage.stdout and 'planet-plot-returns' in usage.stdout


def _pins_of_setup_py():
  """Every requirement string of `setup.py` (its lists and extras), unparsed."""
  tree = ast.parse(open(os.path.join(ROOT, 'setup.py')).read())
  constants = {t.id: n.value.value for n in tree.body
               if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
               for t in n.targets if isinstance(t, ast.Name)}
  inside_f_strings = {id(part) for node in ast.walk(tree)
                      if isinstance(node, ast.JoinedStr) for part in node.values}
  pins = []
  for node in ast.walk(tree):
    if id(node) in inside_f_strings:
      continue
    if isinstance(node, ast.JoinedStr):
      pins.append(''.join(
          part.value if isinstance(part, ast.Constant)
          else constants[part.value.id] for part in node.values))
    elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and
          re.match(r'^(?!python_version)[A-Za-z][\w.-]*\s*(==|>=|~=|<)',
                   node.value)):
      pins.append(node.value)
  return pins


def test_the_lock_meets_every_pin_of_setup_py_on_this_python():
  locked = {}
  for line in open(os.path.join(ROOT, 'requirements.lock')):
    if line.strip() and not line.startswith(('#', ' ')):
      requirement = requirements.Requirement(line.strip())
      if requirement.marker is None or requirement.marker.evaluate():
        locked[utils.canonicalize_name(requirement.name)] = str(
            requirement.specifier).removeprefix('==')
  pins = [requirements.Requirement(p) for p in _pins_of_setup_py()]
  assert len(pins) > 10, pins
  for pin in pins:
    if pin.marker is not None and not pin.marker.evaluate():
      continue
    name = utils.canonicalize_name(pin.name)
    assert name in locked, f'{pin} is not in requirements.lock'
    assert pin.specifier.contains(locked[name], prereleases=True), (
        f'requirements.lock has {name}=={locked[name]}, setup.py {pin}')


def test_this_environment_has_the_locks_versions_of_the_stack():
  for name in ('tensorflow', 'tf-agents', 'tensorflow-probability', 'numpy',
               'dm-control', 'mujoco'):
    pin = next(p for p in map(requirements.Requirement, _pins_of_setup_py())
               if utils.canonicalize_name(p.name) == name and
               (p.marker is None or p.marker.evaluate()))
    assert pin.specifier.contains(metadata.version(name)), (
        f'{name} {metadata.version(name)} installed, setup.py {pin}')
