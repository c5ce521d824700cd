"""Exports a run's policy (PlaNet, Dreamer, GLAMOR) from a checkpoint.

  planet-export --root_dir=runs/cheetah                  # newest checkpoint
  planet-export --root_dir=runs/cheetah \\
      --checkpoint=runs/cheetah/train/ckpt-2000 --output=/tmp/cheetah_policy
  planet-export --root_dir=runs/cheetah_multihead --reward_head=backward
  planet-export --root_dir=runs/dreamer_cheetah --acting=cem_value --horizon=5 \\
      --output=/tmp/dreamer_cem_value

In a checkout, `bin/export` is the same command. The SavedModel (TF-Agents
`PolicySaver` format) acts without planet_tf: load it with `tf.saved_model.load`
or `SavedModelPyTFEagerPolicy`. A SavedModel plans with one reward head: for a run
with named rewards, --reward_head chooses it (default output
<root_dir>/policies/<train step>-<head>); a Dreamer run's acts with its actor,
or with --acting=cem (CEM in its world model) or --acting=cem_value (CEM and
the value of each plan's last state, whose network the SavedModel holds), at
--horizon; such an export needs --output. All logic lives in
`planet_tf.loops.restore.export_from_run`.
"""

from absl import flags

from planet_tf import cli
from planet_tf import run_dir
from planet_tf.loops import registry
from planet_tf.loops import restore

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('root_dir', None, 'Directory of the training run.')
  flags.DEFINE_string('checkpoint', None, 'Checkpoint path (train/ckpt-N) or '
                      'directory; the run\'s newest checkpoint by default.')
  flags.DEFINE_string('output', None, 'SavedModel directory; default '
                      '<root_dir>/policies/<train step>.')
  flags.DEFINE_bool('collect', False, 'Export the collect policy (exploration '
                    'noise) instead of the greedy one.')
  flags.DEFINE_string('reward_head', None, 'The reward head the policy plans '
                      'with (e.g. backward); required for a run with named '
                      'rewards.')
  flags.DEFINE_multi_string('gin_param', [], "Extra gin bindings, e.g. "
                            "'cem.jit_compile = True'.")
  flags.DEFINE_enum('acting', None, registry.ACTINGS, 'How the exported policy '
                    'acts: a Dreamer run\'s actor (its own), or CEM in its '
                    'world model without or with its value.')
  flags.DEFINE_integer('horizon', None, 'The planner\'s horizon (cem.horizon) '
                       'for --acting=cem or cem_value, or a PlaNet run\'s.',
                       lower_bound=1)
  flags.mark_flag_as_required('root_dir')


def main(argv):
  cli.begin(argv)
  with cli.exit_on(OSError, ValueError, run_dir.CheckpointError):
    path = restore.export_from_run(FLAGS.root_dir, FLAGS.output,
                                   FLAGS.checkpoint, FLAGS.collect,
                                   FLAGS.gin_param, FLAGS.reward_head,
                                   FLAGS.acting, FLAGS.horizon)
  print(path)


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
