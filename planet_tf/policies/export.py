"""Writing a policy as a SavedModel that acts without planet_tf.

The SavedModel is TF-Agents' `PolicySaver` format: signatures `action`,
`get_initial_state` and `get_train_step`, and `policy_specs.pbtxt`. Load it with
`tf.saved_model.load(path)` or
`tf_agents.policies.py_tf_eager_policy.SavedModelPyTFEagerPolicy(path,
load_specs_from_pbtxt=True)`. A `CemPolicy`'s random generator is saved with it, so
every fresh load starts from the generator state at export time.
"""

import glob
import os
import shutil

import gin
import tensorflow as tf
from tf_agents.policies import policy_saver

TMP_PREFIX = '.tmp-export-'


def export_policy(policy, output_dir, train_step=None, batch_size=None):
  """Writes `policy` with `PolicySaver` to `output_dir`, atomically.

  The SavedModel is written to a hidden sibling directory and renamed into
  place, so a crash never leaves a half-written `output_dir` (a stale
  `.tmp-export-*` sibling is all it can leave).

  Args:
    policy: a `TFPolicy`, e.g. a `CemPolicy`.
    output_dir: directory of the SavedModel (created; replaced if present).
    train_step: the training step the policy was trained for (int or int64
      `tf.Variable`); read back with the `get_train_step` signature. -1 if None.
    batch_size: fixed batch size of the signatures; any batch size if None.

  Returns:
    `output_dir`.
  """
  if train_step is not None and not isinstance(train_step, tf.Variable):
    train_step = tf.Variable(int(train_step), dtype=tf.int64, trainable=False,
                             name='train_step')
  saver = policy_saver.PolicySaver(policy, batch_size=batch_size,
                                   train_step=train_step)
  output_dir = os.path.normpath(output_dir)
  parent, name = os.path.split(output_dir)
  os.makedirs(parent or '.', exist_ok=True)
  tmp = os.path.join(parent, f'{TMP_PREFIX}{name}-{os.getpid()}')
  saver.save(tmp)
  if os.path.exists(output_dir):
    old = f'{tmp}-replaced'
    os.replace(output_dir, old)
    os.replace(tmp, output_dir)
    shutil.rmtree(old)
  else:
    os.replace(tmp, output_dir)
  return output_dir


def remove_stale_exports(directory):
  """Deletes the temporary directories of exports a crash interrupted."""
  for stale in glob.glob(os.path.join(directory, TMP_PREFIX + '*')):
    shutil.rmtree(stale, ignore_errors=True)


def policy_dir(root_dir, step):
  """The export directory of step `step` of a run: `<root_dir>/policies/<step>`."""
  return os.path.join(root_dir, 'policies', str(int(step)))


def restore_agent(root_dir, checkpoint=None, gin_bindings=()):
  """Rebuilds a training run's `PlanetAgent` and restores one of its checkpoints.

  The run's `operative_config.gin` is parsed (without finalising gin), so the
  world model, the planner and the environment's specs are the run's.

  Args:
    root_dir: a `train_eval` run directory (`operative_config.gin`, `train/`).
    checkpoint: a checkpoint path (`.../train/ckpt-N`) or a directory holding a
      `checkpoint` index; the newest in `root_dir/train` when None.
    gin_bindings: extra bindings applied after the run's configuration, e.g.
      `['cem.jit_compile = True']`.

  Returns:
    The restored `PlanetAgent`; its `train_step_counter` is the checkpoint's.

  Raises:
    FileNotFoundError: if `root_dir` is not a run or holds no checkpoint.
    ValueError: if the run's task cannot be read from its configuration.
  """
  # Imported here: the training stack imports this module.
  from planet_tf import config  # pylint: disable=g-import-not-at-top
  from planet_tf import envs  # pylint: disable=g-import-not-at-top
  from planet_tf import run_dir as run_dir_lib  # pylint: disable=g-import-not-at-top
  from planet_tf.agents import PlanetAgent  # pylint: disable=g-import-not-at-top
  from tf_agents.specs import tensor_spec  # pylint: disable=g-import-not-at-top

  config_path = os.path.join(root_dir, run_dir_lib.OPERATIVE_CONFIG_FILE)
  if not os.path.isfile(config_path):
    raise FileNotFoundError(
        f'{root_dir} is not a planet_tf run directory: no {config_path}.')
  if checkpoint is None or os.path.isdir(checkpoint):
    directory = checkpoint or os.path.join(root_dir, 'train')
    checkpoint = tf.train.latest_checkpoint(directory)
    if checkpoint is None:
      raise FileNotFoundError(f'No checkpoint in {directory}.')
  config.parse_gin([config_path], gin_bindings, finalize=False)
  try:
    task_name = gin.query_parameter('train_eval.task_name')
  except ValueError:
    task_name = None
  if not task_name:
    raise ValueError(f'Cannot read train_eval.task_name from {config_path}.')
  env = envs.load(task_name)
  time_step_spec = tensor_spec.from_spec(env.time_step_spec())
  action_spec = tensor_spec.from_spec(env.action_spec())
  env.close()
  agent = PlanetAgent(time_step_spec, action_spec, train_sequence_length=None)
  agent.initialize()
  tf.train.Checkpoint(agent=agent).restore(
      checkpoint).expect_partial().assert_existing_objects_matched()
  return agent


def export_from_run(root_dir, output_dir=None, checkpoint=None, collect=False,
                    gin_bindings=()):
  """Exports a run's policy from a checkpoint; the logic of `bin/export`.

  Args:
    root_dir: a `train_eval` run directory.
    output_dir: SavedModel directory; `root_dir/policies/<train step>` if None.
    checkpoint: as `restore_agent`; the newest when None.
    collect: export the collect policy (with exploration noise) instead of the
      greedy one.

  Returns:
    The SavedModel directory.

  Raises:
    As `restore_agent`.
  """
  agent = restore_agent(root_dir, checkpoint, gin_bindings)
  policy = agent.collect_policy if collect else agent.policy
  step = agent.train_step_counter
  if output_dir is None:
    output_dir = policy_dir(root_dir, int(step.numpy()))
  return export_policy(policy, output_dir, train_step=step)
