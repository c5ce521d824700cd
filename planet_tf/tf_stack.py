"""Process-wide TensorFlow settings that must be made before TensorFlow loads.

`planet_tf/__init__.py` calls `prepare()` first thing, so importing planet_tf
before TensorFlow (or TF-Agents) is what makes each setting take effect:

- **oneDNN** CPU kernels on, unless the user has set `TF_ENABLE_ONEDNN_OPTS`
  (TF 2.15 leaves them off on some CPUs; they cut the CPU time of a model
  update several-fold where they apply).
- **Keras 2 for `tf.keras`.** TF-Agents 0.19 and planet_tf are written for
  Keras 2. From TF 2.16, `tf.keras` is Keras 3 unless `TF_USE_LEGACY_KERAS` is
  set when `tf.keras` is first touched; with the `tf-keras` package installed,
  `prepare()` sets it, so TF-Agents and planet_tf share one Keras. TensorFlow
  decides as it is imported: if it was imported first without that variable,
  `tf.keras` is Keras 3 and `prepare()` raises one `ImportError` that says
  what to do.
- **Local symbols for TensorFlow's libraries.** The TF 2.20 wheel loads its
  libraries with `RTLD_GLOBAL` (its `pywrap_dlopen_global_flags` module, meant
  for static builds only, by its own docstring). Mesa's software OpenGL
  (llvmpipe, behind `MUJOCO_GL=egl` or `osmesa`) then binds its LLVM calls to
  the copy of LLVM inside TensorFlow and crashes at the first rendered frame.
  `prepare()` makes that module unimportable, so TensorFlow takes its own
  `RTLD_LOCAL` path. If TensorFlow was imported first with global symbols,
  Mesa is pointed at softpipe, its renderer without LLVM (slower), with one
  warning.
- **TensorFlow before Mesa.** The other order fails too: once Mesa's renderer
  has loaded its LLVM (dm_control's first `MUJOCO_GL=egl` import), the TF 2.20
  libraries hang in their own LLVM's static initializers as they load. With
  TensorFlow not yet imported and Mesa's LLVM in the process, `prepare()` raises
  one `ImportError` instead of that hang.
"""

import importlib.metadata
import importlib.util
import os
import sys
import warnings

_GLOBAL_FLAGS_MODULE = 'tensorflow.python.pywrap_dlopen_global_flags'
_MESA_BACKENDS = ('egl', 'osmesa')


def prepare():
  """Makes the settings above; call before TensorFlow is imported.

  Raises:
    ImportError: `tf.keras` is (or would be) Keras 3, or TensorFlow would hang
      loading after Mesa's LLVM.
  """
  os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')
  _use_keras_2()
  _refuse_tensorflow_after_mesa_llvm()
  _keep_tensorflow_symbols_local()


def _tensorflow_version():
  """Returns the installed TensorFlow's (major, minor), or None."""
  for name in ('tensorflow', 'tensorflow-cpu', 'tf-nightly'):
    try:
      major, minor = importlib.metadata.version(name).split('.')[:2]
      return int(major), int(minor)
    except (importlib.metadata.PackageNotFoundError, ValueError):
      continue
  return None


def _use_keras_2():
  if importlib.util.find_spec('tf_keras') is not None:
    os.environ['TF_USE_LEGACY_KERAS'] = '1'
  else:
    version = _tensorflow_version()
    if version is not None and version >= (2, 16):
      raise ImportError(
          f'planet_tf needs Keras 2, and TensorFlow {version[0]}.{version[1]} '
          'gives Keras 3 without the tf-keras package: install planet_tf as '
          'its README says, or `pip install tf-keras` of the same minor '
          'version as TensorFlow.')
  if 'tensorflow' in sys.modules:
    tf = sys.modules['tensorflow']
    # As it is imported, TensorFlow routes its `tensorflow.keras` submodules
    # to the `keras` package unless TF_USE_LEGACY_KERAS is set; that package
    # is Keras 2 only on TF 2.15.
    routed_to_keras = getattr(tf, '_tf_uses_legacy_keras', True) is False
    if ((routed_to_keras and not _is_keras_2_package('keras')) or
        not _is_keras_2_package(tf.keras.layers.Layer.__module__)):
      raise ImportError(
          'tf.keras is Keras 3 in this process (TensorFlow was imported '
          'before planet_tf without TF_USE_LEGACY_KERAS=1), and planet_tf '
          'and TF-Agents need Keras 2: import planet_tf before TensorFlow and '
          'TF-Agents, or set TF_USE_LEGACY_KERAS=1 in the environment.')


def _is_keras_2_package(module_name):
  """Whether the package of `module_name` is Keras 2: `tf_keras`, or TF 2.15's
  `keras`."""
  package = module_name.split('.')[0]
  if package == 'tf_keras':
    return True
  try:
    return importlib.metadata.version(package).startswith('2.')
  except importlib.metadata.PackageNotFoundError:
    return True


def mesa_llvm_loaded(maps_path='/proc/self/maps'):
  """Returns the path of a `libLLVM` mapped into this process, or None."""
  try:
    with open(maps_path) as maps:
      for line in maps:
        path = line.split()[-1]
        if os.path.basename(path).startswith('libLLVM'):
          return path
  except OSError:  # No /proc (not Linux): Mesa's LLVM is not looked for.
    pass
  return None


def _refuse_tensorflow_after_mesa_llvm():
  if 'tensorflow' in sys.modules:
    return
  version = _tensorflow_version()
  if version is None or version < (2, 16):
    return  # TF 2.15 loads beside Mesa's LLVM: no need to read the maps.
  llvm = mesa_llvm_loaded()
  if llvm is not None:
    raise ImportError(
        f'{llvm} (Mesa\'s renderer, loaded by dm_control or mujoco rendering '
        f'with MUJOCO_GL=egl or osmesa) is already in this process, and '
        f'TensorFlow {version[0]}.{version[1]} hangs loading its own LLVM '
        'beside it: import planet_tf, then TensorFlow (or TF-Agents, or any '
        'planet_tf module), before dm_control.')


def _keep_tensorflow_symbols_local():
  if 'tensorflow' not in sys.modules:
    sys.modules.setdefault(_GLOBAL_FLAGS_MODULE, None)
  elif (sys.modules.get(_GLOBAL_FLAGS_MODULE) is not None and
        os.environ.get('MUJOCO_GL', 'egl') in _MESA_BACKENDS and
        'GALLIUM_DRIVER' not in os.environ):
    os.environ['GALLIUM_DRIVER'] = 'softpipe'
    warnings.warn(
        'TensorFlow was imported before planet_tf with global symbols, which '
        "crash Mesa's llvmpipe renderer; rendering uses Mesa softpipe, about "
        '3x slower per frame. Import planet_tf first to keep llvmpipe.',
        stacklevel=3)
