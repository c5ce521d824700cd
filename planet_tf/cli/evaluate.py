"""Evaluates an exported PlaNet, Dreamer or GLAMOR policy.

  planet-evaluate --policy=runs/cheetah               # newest export of a run
  planet-evaluate --policy=runs/cheetah/policies/20000 --num_episodes=5 \\
      --video_dir=/tmp/videos
  planet-evaluate --policy=runs/multitask --task_name=cheetah_run  # multi-task
  planet-evaluate --policy=runs/cheetah_multihead --reward_head=backward
  planet-evaluate --policy=runs/dreamer_cheetah --acting=cem_value --horizon=5

In a checkout, `bin/evaluate` is the same command. The task and its settings come
from the run's operative_config.gin; for a multi-task run or a SavedModel
outside a run, pass --task_name. A run with named rewards exports one policy
per reward head: --reward_head picks it (the newest policies/<step>-<head>/)
and the return sums that reward. It prints each episode's return, their mean,
and what one action cost (the median wall and CPU seconds of the policy's
action, the environment's step left out). All logic lives in
`planet_tf.loops.evaluate`.

--acting chooses how a run's policy acts, rebuilt from the run's newest
checkpoint: a Dreamer run acts with its actor (`actor`, as trained), or plans
with CEM in its world model summing predicted rewards (`cem`, PlaNet's way) or
adding the learned value of each plan's last state (`cem_value`). --horizon
sets the planner's horizon (`cem.horizon`; 12 unless the run binds it) and
--gin_param any other binding (`cem.candidates = 200`). --seed then seeds the
rebuilt policy's draws too.

A GLAMOR run's policy (trained with a glamor_*.gin file) is evaluated on the
run's goals: it reports the success rate (and the random baseline's on the
same goals) and writes videos of the newest frame beside the goal
(`planet_tf.loops.evaluate.evaluate_goals`); --num_episodes defaults to every
goal.
"""

from absl import flags

from planet_tf import cli
from planet_tf.loops import evaluate as evaluation
from planet_tf.loops import registry

FLAGS = flags.FLAGS


def define_flags():
  flags.DEFINE_string('policy', None, 'A SavedModel policy directory, or a run '
                      'directory (its newest export under policies/).')
  flags.DEFINE_integer('num_episodes', None, 'Episodes to run (default 10; a '
                       'GLAMOR policy: every goal of its run once).',
                       lower_bound=1)
  flags.DEFINE_string('video_dir', None,
                      'If set, write each episode there as GIF.')
  flags.DEFINE_string('task_name', None, 'Task: one of a multi-task run\'s, or '
                      'any when --policy is not in a run.')
  flags.DEFINE_integer('seed', None, 'Seed of the environment (and of a '
                       'policy --acting rebuilds).', lower_bound=0)
  flags.DEFINE_string('reward_head', None, 'For a run with named rewards: the '
                      'head whose policy is evaluated, and whose reward is '
                      'summed (e.g. backward).')
  flags.DEFINE_enum('acting', None, registry.ACTINGS, 'How the run\'s policy '
                    'acts, rebuilt from its newest checkpoint: a Dreamer '
                    'run\'s actor, or CEM in its world model without or with '
                    'its value (--policy must be a run directory).')
  flags.DEFINE_integer('horizon', None, 'The planner\'s horizon for '
                       '--acting=cem or cem_value (or a PlaNet run\'s CEM).',
                       lower_bound=1)
  flags.DEFINE_multi_string('gin_param', [], "Bindings for a policy --acting "
                            "rebuilds, e.g. 'cem.candidates = 200'.")
  flags.mark_flag_as_required('policy')


def main(argv):
  cli.begin(argv)
  rebuilt = (FLAGS.acting is not None or FLAGS.horizon is not None or
             bool(FLAGS.gin_param))
  with cli.exit_on(OSError, ValueError):
    if not rebuilt and evaluation.is_goal_policy(FLAGS.policy):
      _evaluate_goal_policy()
      return
    result = evaluation.evaluate(
        FLAGS.policy, FLAGS.num_episodes or 10, FLAGS.video_dir,
        FLAGS.task_name, FLAGS.seed, FLAGS.reward_head, FLAGS.acting,
        FLAGS.horizon, FLAGS.gin_param)
  returns = result.returns
  for i, value in enumerate(returns):
    print(f'episode {i}: return {value:.1f}')
  print(f'{result.policy}: mean return {sum(returns) / len(returns):.1f} over '
        f'{len(returns)} episodes')
  if result.cost is not None:
    print(f'per action: {result.cost.wall_seconds:.4f} s, '
          f'{result.cost.cpu_seconds:.4f} CPU s (median of '
          f'{result.cost.actions} actions)')


def _evaluate_goal_policy():
  """A GLAMOR policy: success per goal, the rate, the random baseline's."""
  policy_dir, episodes, random_rate = evaluation.evaluate_goals(
      FLAGS.policy, FLAGS.num_episodes, FLAGS.video_dir, FLAGS.seed)
  for i, e in enumerate(episodes):
    print(f'episode {i}: goal {e.goal_index} '
          f'{"reached" if e.success else "missed"} after {e.steps} steps')
  rate = sum(e.success for e in episodes) / len(episodes)
  print(f'{policy_dir}: success rate {rate:.2f} over {len(episodes)} goals '
        f'(random actions: {random_rate:.2f})')


def run():
  cli.run(main, __doc__, define_flags)


if __name__ == '__main__':
  run()
