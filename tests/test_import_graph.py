"""planet_tf's import graph: no circle between modules or between layers, and no
import of planet_tf hidden inside a function or behind importlib.

Each module is read with `ast` (nothing is imported). A layer is a top-level
module or package of planet_tf (`models`, `losses`, `policies`, `agents`,
`run_dir`, `train_eval`, ...).
"""

import ast
import os

import pytest

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    'planet_tf')
# Imports every module for gin's registry (config.import_configurables).
REGISTRY_WALKER = 'planet_tf.config'


def _modules():
  """`{module name: path}` of every planet_tf module."""
  modules = {}
  for directory, _, files in os.walk(ROOT):
    for name in files:
      if not name.endswith('.py'):
        continue
      path = os.path.join(directory, name)
      parts = os.path.relpath(path, os.path.dirname(ROOT))[:-3].split(os.sep)
      if parts[-1] == '__init__':
        parts = parts[:-1]
      modules['.'.join(parts)] = path
  return modules


MODULES = _modules()


def _resolve(name):
  """The planet_tf module `name` refers to (a module, else its package)."""
  while name and name not in MODULES:
    name = name.rpartition('.')[0]
  return name or None


def _imports(module, path):
  """Yields `(imported module, inside a function, line)` for planet_tf imports."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  package = module if path.endswith('__init__.py') else module.rpartition('.')[0]

  def visit(node, in_function):
    for child in ast.iter_child_nodes(node):
      inside = in_function or isinstance(
          child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
      names = []
      if isinstance(child, ast.Import):
        names = [alias.name for alias in child.names]
      elif isinstance(child, ast.ImportFrom):
        base = child.module or ''
        if child.level:
          anchor = package.split('.')[:len(package.split('.')) - child.level + 1]
          base = '.'.join(anchor + ([base] if base else []))
        names = [f'{base}.{alias.name}' for alias in child.names]
      for name in names:
        if name == 'planet_tf' or name.startswith('planet_tf.'):
          yield _resolve(name), inside, child.lineno
      yield from visit(child, inside)

  yield from visit(tree, False)


def _ancestors(module):
  parts = module.split('.')
  return ['.'.join(parts[:i]) for i in range(2, len(parts))]


def _graph():
  """Module edges: what each module's import runs (parent packages included)."""
  graph = {m: set() for m in MODULES}
  for module, path in MODULES.items():
    for imported, _, _ in _imports(module, path):
      if imported == module:
        continue
      graph[module].add(imported)
      # Importing a.b.c runs the __init__ of a.b first, unless the importer
      # lives inside a.b (then a.b is already being imported).
      for parent in _ancestors(imported):
        if (parent in MODULES and parent != module and
            not module.startswith(parent + '.')):
          graph[module].add(parent)
  return graph


def _layer(module):
  return '.'.join(module.split('.')[:2])


def _cycle(graph):
  """A cycle of `graph` as a list of nodes, or None."""
  state, stack = {}, []

  def visit(node):
    state[node] = 'open'
    stack.append(node)
    for nxt in sorted(graph.get(node, ())):
      if state.get(nxt) == 'open':
        return stack[stack.index(nxt):] + [nxt]
      if nxt not in state:
        found = visit(nxt)
        if found:
          return found
    stack.pop()
    state[node] = 'done'
    return None

  for node in sorted(graph):
    if node not in state:
      found = visit(node)
      if found:
        return found
  return None


def test_the_graph_is_read_from_every_module():
  assert {'planet_tf.models.world_model', 'planet_tf.models.losses',
          'planet_tf.agents.planet_agent', 'planet_tf.run_dir'} <= set(MODULES)
  graph = _graph()
  assert 'planet_tf.models.losses' in graph['planet_tf.models.world_model']
  assert 'planet_tf.policies' in graph['planet_tf.agents.planet_agent']


def test_no_module_imports_planet_tf_inside_a_function():
  local = [f'{module}:{line} imports {imported}'
           for module, path in MODULES.items()
           for imported, inside, line in _imports(module, path) if inside]
  assert not local


def test_no_import_circle_between_modules():
  assert _cycle(_graph()) is None


def test_no_import_circle_between_layers():
  layers = {}
  for module, imported in _graph().items():
    for other in imported:
      if _layer(other) != _layer(module):
        layers.setdefault(_layer(module), set()).add(_layer(other))
  assert _cycle(layers) is None



def test_losses_compute_terms_only():
  assert not _graph()['planet_tf.models.losses']
