"""Dreamer's behaviour learning alone, on a world model that is not trained.

Restores the world model of a finished run (a PlaNet or a Dreamer run of
cheetah run), builds a `DreamerAgent` around it with a new actor and value, and
takes only the actor's and the value's steps (`DreamerAgent.actor_update`,
`value_update`) on chunks of the run's own stored episodes. Every `--every`
updates it plays one greedy episode (the actor's mode) and prints it with the
step's metrics. The world model's weights never change.

This separates the two halves of a Dreamer run that does not learn: if the
actor learns to run on the model of a run that did, behaviour learning works
and the failure lies in the model the actor is given.

  MUJOCO_GL=egl TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \\
    python docs/evidence/dreamer_cheetah/behavior_only.py \\
      --run=runs/poster_cheetah/seed13 --updates=1250
"""

import glob
import time

from absl import app
from absl import flags
import numpy as np

import planet_tf  # pylint: disable=unused-import; before TensorFlow.
import tensorflow as tf  # pylint: disable=g-import-not-at-top
from tf_agents.trajectories import trajectory  # pylint: disable=g-import-not-at-top

from planet_tf import envs  # pylint: disable=g-import-not-at-top
from planet_tf import networks
from planet_tf.agents import DreamerAgent
from planet_tf.data import episode_runner
from planet_tf.evaluation import episodes as episodes_lib
from planet_tf.evaluation import learning_curve
from planet_tf.loops import restore
from planet_tf.models import behavior

FLAGS = flags.FLAGS
flags.DEFINE_string('run', None, 'Run directory whose world model and '
                    'train/episodes are used.')
flags.DEFINE_integer('updates', 1250, 'Actor and value updates.')
flags.DEFINE_integer('every', 250, 'Updates between greedy episodes.')
flags.DEFINE_integer('batch_size', 16, 'B of the chunks.')
flags.DEFINE_integer('sequence_length', 25, 'L of the chunks.')
flags.DEFINE_integer('seed', 0, 'Seeds TensorFlow, the chunks and the env.')
flags.mark_flag_as_required('run')


def chunk_sampler(run_dir, batch_size, length, rng):
  """Returns a function drawing `[B, L]` `Trajectory` chunks uniformly from
  the run's stored episodes (never across two)."""
  episodes = []
  for path in sorted(glob.glob(f'{run_dir}/train/episodes/*.npz')):
    with np.load(path) as fields:
      episodes.append([fields[f'f{i}'] for i in range(6)])

  def sample():
    picked = [[] for _ in range(6)]
    for _ in range(batch_size):
      episode = episodes[rng.integers(len(episodes))]
      start = rng.integers(0, len(episode[0]) - length + 1)
      for field, values in zip(picked, episode):
        field.append(values[start:start + length])
    f = [np.stack(values) for values in picked]
    return trajectory.Trajectory(
        step_type=f[0], observation=f[1], action=f[2], policy_info=(),
        next_step_type=f[3], reward=f[4], discount=f[5])

  return sample


def main(_):
  tf.random.set_seed(FLAGS.seed)
  rng = np.random.default_rng(FLAGS.seed)
  restored = restore.restore_agent(FLAGS.run)  # Parses the run's gin.
  world_model = restored.world_model
  env = envs.load(learning_curve.task_of_run(FLAGS.run), seed=FLAGS.seed)
  # Dreamer's actor, value and optimizers, whatever the run's gin binds.
  agent = DreamerAgent(
      restored.time_step_spec, restored.action_spec, world_model=world_model,
      actor=networks.ActorHead(restored.action_spec.shape[0], init_stddev=5.0,
                               mean_scale=5.0),
      train_sequence_length=None, actor_learning_rate=8e-5,
      value_learning_rate=8e-5, adam_epsilon=1e-7, grad_clip_norm=100.0,
      seed=FLAGS.seed)
  agent.initialize()
  sample = chunk_sampler(FLAGS.run, FLAGS.batch_size, FLAGS.sequence_length,
                         rng)

  @tf.function
  def behaviour_step(experience):
    _, _, posteriors = world_model.loss_and_posteriors(experience)
    metrics, targets = agent.actor_update(behavior.start_states(posteriors))
    metrics.update(agent.value_update(targets))
    return metrics

  policy = episode_runner.as_py_policy(agent.policy)
  start = time.time()
  for update in range(1, FLAGS.updates + 1):
    metrics = behaviour_step(sample())
    if update == 1 or update % FLAGS.every == 0:
      greedy = episodes_lib.run_episodes(env, policy, 1)[0].reward_sum
      print(f'update {update} seconds {time.time() - start:.0f} greedy '
            f'{greedy:.1f} ' + ' '.join(
                f'{k}={float(v):.4g}' for k, v in sorted(metrics.items())),
            flush=True)


if __name__ == '__main__':
  app.run(main)
