"""PlanetAgent in an ordinary TF-Agents pipeline.

A `TFPyEnvironment`, a `TFUniformReplayBuffer`, `DynamicEpisodeDriver`s and
`agent.train` on batches of `replay_buffer.as_dataset(...)`: nothing planet_tf
specific beyond the agent itself. The buffer's chunks may span two episodes; the
world model masks the LAST -> FIRST boundary out of its loss.

  python examples/tf_agents_pipeline.py                 # tiny sizes, a minute
  python examples/tf_agents_pipeline.py --paper_sizes   # the paper's networks

`planet_tf.train_eval` is the full loop (evaluation, summaries, checkpoints); this
file shows that the agent needs none of it.
"""

import functools
import os
import sys

os.environ.setdefault('MUJOCO_GL', 'egl')
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags  # pylint: disable=g-import-not-at-top
import planet_tf  # pylint: disable=g-import-not-at-top,unused-import  # Before TensorFlow: tf_stack.
import tensorflow as tf  # pylint: disable=g-import-not-at-top
from tf_agents.drivers import dynamic_episode_driver  # pylint: disable=g-import-not-at-top
from tf_agents.policies import random_tf_policy  # pylint: disable=g-import-not-at-top
from tf_agents.replay_buffers import tf_uniform_replay_buffer  # pylint: disable=g-import-not-at-top

from planet_tf import envs  # pylint: disable=g-import-not-at-top
from planet_tf import models  # pylint: disable=g-import-not-at-top
from planet_tf import networks  # pylint: disable=g-import-not-at-top
from planet_tf import policies  # pylint: disable=g-import-not-at-top
from planet_tf.agents import PlanetAgent  # pylint: disable=g-import-not-at-top
from planet_tf.planning import cem  # pylint: disable=g-import-not-at-top


def tiny_agent(time_step_spec, action_spec, sequence_length, seed=None):
  """A `PlanetAgent` with tiny networks and a tiny planner (for CPUs and tests)."""
  world_model = models.WorldModel(
      int(action_spec.shape[0]),
      encoder=networks.ConvEncoder(filters=(4, 4, 4, 4)),
      dynamics=models.RSSM(stoch_size=4, deter_size=8, hidden_size=8),
      decoder=networks.ConvDecoder(dense_units=16, filters=(4, 4, 4)),
      reward_heads={'reward': networks.DenseHead(units=(8,))})
  planner = functools.partial(cem, horizon=3, iterations=2, candidates=16,
                              top_k=4)
  return PlanetAgent(
      time_step_spec, action_spec, world_model=world_model,
      train_sequence_length=sequence_length,
      policy_class=functools.partial(policies.CemPolicy, planner=planner),
      collect_policy_class=functools.partial(policies.CollectCemPolicy,
                                             planner=planner),
      seed=seed)


def run(task_name='cartpole_balance', episode_length=80, num_seed_episodes=2,
        num_iterations=2, train_steps_per_iteration=2, batch_size=4,
        sequence_length=8, paper_sizes=False, seed=0):
  """Seeds a TF-Agents replay buffer, then alternates training and collection.

  Args:
    task_name: a key of `planet_tf.envs.TASKS`.
    episode_length: simulator steps per episode (None: the task's 1000).
    num_seed_episodes: random episodes first.
    num_iterations: rounds of `train_steps_per_iteration` updates + one episode.
    train_steps_per_iteration: `agent.train` calls per round.
    batch_size, sequence_length: B and L of the `[B, L]` training chunks.
    paper_sizes: the paper's networks and planner (gin defaults) instead of
      tiny ones.
    seed: seeds TensorFlow, the environment and the policies.

  Returns:
    The list of `LossInfo`s of every `agent.train` call.
  """
  tf.random.set_seed(seed)
  tf_env = envs.load_tf(task_name, episode_length=episode_length, seed=seed)
  if paper_sizes:
    agent = PlanetAgent(tf_env.time_step_spec(), tf_env.action_spec(),
                        train_sequence_length=sequence_length, seed=seed)
  else:
    agent = tiny_agent(tf_env.time_step_spec(), tf_env.action_spec(),
                       sequence_length, seed)
  agent.initialize()

  replay_buffer = tf_uniform_replay_buffer.TFUniformReplayBuffer(
      agent.collect_data_spec, batch_size=tf_env.batch_size, max_length=10000)
  random_policy = random_tf_policy.RandomTFPolicy(
      tf_env.time_step_spec(), tf_env.action_spec(),
      info_spec=agent.collect_policy.info_spec)
  dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, random_policy, [replay_buffer.add_batch],
      num_episodes=num_seed_episodes).run()

  collect_driver = dynamic_episode_driver.DynamicEpisodeDriver(
      tf_env, agent.collect_policy, [replay_buffer.add_batch], num_episodes=1)
  dataset = replay_buffer.as_dataset(
      sample_batch_size=batch_size, num_steps=sequence_length).prefetch(2)
  iterator = iter(dataset)

  losses = []
  for iteration in range(num_iterations):
    for _ in range(train_steps_per_iteration):
      experience, _ = next(iterator)
      losses.append(agent.train(experience))
    collect_driver.run()
    print(f'iteration {iteration}: loss {float(losses[-1].loss):.2f}, '
          f'{replay_buffer.num_frames().numpy()} frames in the buffer',
          flush=True)
  return losses


def main(argv):
  del argv
  run(paper_sizes=flags.FLAGS.paper_sizes)


if __name__ == '__main__':
  flags.DEFINE_bool('paper_sizes', False, 'Use the paper\'s network sizes.')
  app.run(main)
