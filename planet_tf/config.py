"""Finding and parsing gin files: `--gin_file=cheetah.gin` resolves under gin_configs/."""

import importlib
import importlib.util
import logging
import os
import pkgutil
import tokenize

import gin

import planet_tf


def gin_config_dir():
  """Returns the directory of the bundled gin files.

  In a source checkout (also an editable install) that is `<repo>/gin_configs`;
  in a regular install the same files are packaged as `planet_tf.gin_configs`.
  """
  source = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'gin_configs')
  if os.path.isfile(os.path.join(source, 'base.gin')):
    return source
  spec = importlib.util.find_spec('planet_tf.gin_configs')
  if spec is not None and spec.submodule_search_locations:
    return list(spec.submodule_search_locations)[0]
  raise FileNotFoundError(
      f'Cannot find the bundled gin_configs directory (looked in {source} and the '
      'planet_tf.gin_configs package); reinstall planet_tf.')


def available_gin_files():
  """Names of the bundled gin files, e.g. `['base.gin', 'cheetah.gin', ...]`."""
  return sorted(f for f in os.listdir(gin_config_dir()) if f.endswith('.gin'))


def resolve_gin_file(name):
  """Returns the path of `name`: an existing path, or a file under gin_configs/.

  Raises:
    FileNotFoundError: naming the file and listing the bundled ones.
  """
  if os.path.isfile(name):
    return name
  candidate = os.path.join(gin_config_dir(), name)
  if os.path.isfile(candidate):
    return candidate
  if not name.endswith('.gin'):
    candidate += '.gin'
    if os.path.isfile(candidate):
      return candidate
  raise FileNotFoundError(
      f'Unknown gin file {name!r}: it is neither a path nor one of the bundled '
      f'files in {gin_config_dir()}: {", ".join(available_gin_files())}.')


def import_configurables():
  """Imports every planet_tf module so that all gin configurables are registered.

  Only for gin's registry: no planet_tf module imports another through this.
  """
  for module in pkgutil.walk_packages(planet_tf.__path__, 'planet_tf.'):
    if module.name != 'planet_tf.gin_configs':
      importlib.import_module(module.name)


def parse_gin(gin_files=(), gin_bindings=(), finalize=True):
  """Parses gin files (names or paths) and bindings, with includes resolved.

  `include 'base.gin'` inside a file resolves under gin_configs/ as well.

  Raises:
    FileNotFoundError: for an unknown gin file.
    ValueError: for a malformed file, an unknown configurable or parameter, or
      an `import` of a module Python cannot import, naming the file or binding.
  """
  import_configurables()
  gin.add_config_file_search_path(gin_config_dir())
  paths = [resolve_gin_file(f) for f in gin_files]
  where = ', '.join(paths + list(gin_bindings))
  root_logger = logging.getLogger()
  root_logger.addFilter(_drop_gin_search_misses)
  try:
    gin.parse_config_files_and_bindings(paths, list(gin_bindings),
                                        finalize_config=finalize)
  except (ValueError, SyntaxError, KeyError) as e:
    raise ValueError(f'Invalid gin configuration ({where}): {e}') from e
  except tokenize.TokenError as e:  # A binding that ends inside brackets.
    raise ValueError(f'Invalid gin configuration ({where}): cannot parse it: '
                     f'{e.args[0]}.') from e
  except ImportError as e:  # A gin file's `import` line (a user's module).
    raise ValueError(
        f'Invalid gin configuration ({where}): it imports a module Python '
        f'cannot import: {e}. Put the directory that holds it on the Python '
        'path, e.g. PYTHONPATH=path/to/dir bin/train ....') from e
  except OSError as e:  # An `include` gin finds under no search path.
    raise FileNotFoundError(
        f'Invalid gin configuration ({where}): {e} Included files are looked '
        f'up relative to the working directory and in {gin_config_dir()}.'
    ) from e
  finally:
    root_logger.removeFilter(_drop_gin_search_misses)
  return paths


def _drop_gin_search_misses(record):
  """Drops gin's 'Path not found' errors: logged for every search path it tries.

  gin looks an `include`d file up under each search path in turn and logs an
  ERROR for each miss, even when a later path has the file; a real miss still
  raises (see `parse_gin`).
  """
  return not (record.levelno == logging.ERROR and
              record.pathname.endswith(os.path.join('gin', 'resource_reader.py'))
              and str(record.msg).startswith('Path not found'))
