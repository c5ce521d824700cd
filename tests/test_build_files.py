"""Every Python module and test file is covered by a Bazel BUILD target."""

import ast
import fnmatch
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGES = ['planet_tf', 'tests']


def _python_files():
  for top in PACKAGES:
    for directory, _, files in os.walk(os.path.join(ROOT, top)):
      if '__pycache__' in directory:
        continue
      for name in files:
        if name.endswith('.py'):
          yield os.path.relpath(os.path.join(directory, name), ROOT)


def _covered_sources(build_path):
  """Returns (file names listed in `srcs`, patterns of every `glob`).

  BUILD files are Starlark, which parses as Python; a target's sources are either
  listed in `srcs` or come from a `glob` (in `srcs` or in a comprehension that
  makes one target per file).
  """
  listed, patterns = set(), []
  tree = ast.parse(open(build_path).read(), build_path)
  for node in ast.walk(tree):
    if isinstance(node, ast.Call) and getattr(node.func, 'id', '') == 'glob':
      patterns += [e.value for e in node.args[0].elts]
    if isinstance(node, ast.keyword) and node.arg == 'srcs':
      for sub in ast.walk(node.value):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
          listed.add(sub.value)
  return listed, patterns


def test_workspace_exists():
  assert os.path.isfile(os.path.join(ROOT, 'WORKSPACE'))


@pytest.mark.parametrize('path', sorted(_python_files()))
def test_file_is_covered_by_its_directorys_build_target(path):
  directory, name = os.path.split(path)
  build = os.path.join(ROOT, directory, 'BUILD')
  assert os.path.isfile(build), f'{directory}/ has no BUILD file for {name}'
  listed, patterns = _covered_sources(build)
  assert name in listed or any(fnmatch.fnmatch(name, p) for p in patterns), (
      f'{path} is in no srcs of {directory}/BUILD')
