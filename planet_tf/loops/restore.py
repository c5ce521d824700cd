"""A run's agent rebuilt from its stored configuration and a checkpoint; its export.

The logic of `bin/export`. It restores through `RunCheckpoint`, the path a
resumed run restores through; the agent is its kind's (`registry`).
"""

import os

from planet_tf import config
from planet_tf.agents import DreamerAgent
from planet_tf.agents import GlamorAgent
from planet_tf.agents import heads as heads_lib
from planet_tf.loops import registry
from planet_tf.policies import saver
from planet_tf.run_dir import RunCheckpoint
from planet_tf.run_dir import RunDir


def restore_agent(root_dir, checkpoint=None, gin_bindings=()):
  """Rebuilds a training run's agent and restores one of its checkpoints.

  The agent is the one its loop built (`registry.kind_of_run`): a
  `PlanetAgent`, a `DreamerAgent` for a Dreamer run, or a `GlamorAgent` for a
  GLAMOR run.

  The run's `operative_config.gin` is parsed (without finalising gin), so the
  world model, the planner and the environment's specs are the run's.

  Args:
    root_dir: a run directory (`operative_config.gin`, `train/`).
    checkpoint: a checkpoint path (`.../train/ckpt-N`) or a directory holding a
      `checkpoint` index; the newest in `root_dir/train` when None.
    gin_bindings: extra bindings applied after the run's configuration, e.g.
      `['cem.jit_compile = True']`.

  Returns:
    The restored agent (a `PlanetAgent`, `DreamerAgent` or `GlamorAgent`);
    its `train_step_counter` is the checkpoint's. A PlaNet run with named
    rewards (`planet_tf.envs.load.rewards`) gets one reward head per name, as in
    training (`agents.heads.make_agent`).

  Raises:
    FileNotFoundError: if `root_dir` is not a run or holds no checkpoint.
    ValueError: if the run's task cannot be read from its configuration.
    planet_tf.run_dir.CheckpointError: if the checkpoint cannot be restored.
  """
  run = RunDir(root_dir)
  config_path = run.operative_config_path
  if not os.path.isfile(config_path):
    raise FileNotFoundError(
        f'{root_dir} is not a planet_tf run directory: no {config_path}.')
  config.parse_gin([config_path], gin_bindings, finalize=False)
  agent = registry.kind_of_run(root_dir).agent_of_run(root_dir)
  restored = RunCheckpoint(run.train_dir, agent=agent).restore(checkpoint)
  if restored is None:
    raise FileNotFoundError(f'No checkpoint in {checkpoint or run.train_dir}.')
  return agent


def export_from_run(root_dir, output_dir=None, checkpoint=None, collect=False,
                    gin_bindings=(), reward_head=None):
  """Exports a run's policy from a checkpoint; the logic of `bin/export`.

  A SavedModel plans with one reward head: a run with named rewards exports one
  per head, each to `root_dir/policies/<train step>-<head>` by default. The
  first head's policy is the agent's own (its generator restored from the
  checkpoint); another head's starts from a fresh generator. A Dreamer run
  exports its actor's policy, a GLAMOR run its goal policy: neither has heads
  to choose from.

  Args:
    root_dir: a run directory.
    output_dir: SavedModel directory; `root_dir/policies/<train step>` if None.
    checkpoint: as `restore_agent`; the newest when None.
    collect: export the collect policy (with exploration noise) instead of the
      greedy one.
    gin_bindings: as `restore_agent`.
    reward_head: the head the policy plans with; required for a run with named
      rewards, None (or the one head's name, `reward`) otherwise.

  Returns:
    The SavedModel directory.

  Raises:
    ValueError: for a missing or unknown `reward_head`, naming the run's heads;
      otherwise as `restore_agent`.
  """
  agent = restore_agent(root_dir, checkpoint, gin_bindings)
  own_policy = {GlamorAgent: 'a GLAMOR run, which has no reward heads',
                DreamerAgent: 'a Dreamer run, whose actor needs no reward '
                'head'}.get(type(agent))
  if own_policy:  # One policy of its own; no head to choose.
    if reward_head is not None:
      raise ValueError(f'{root_dir} is {own_policy}; drop '
                       f'--reward_head={reward_head}.')
    policy = agent.collect_policy if collect else agent.policy
    step = agent.train_step_counter
    return saver.export_policy(
        policy, output_dir or RunDir(root_dir).policy_dir(int(step.numpy())),
        train_step=step)
  heads = list(agent.world_model.reward_heads)
  named = heads_lib.reward_names(agent.time_step_spec.reward) is not None
  if named and reward_head is None:
    raise ValueError(f'{root_dir} has the reward heads {", ".join(heads)}; an '
                     'export plans with one: pass it as --reward_head.')
  if reward_head is None:
    policy = agent.collect_policy if collect else agent.policy
  else:
    policy = heads_lib.head_policy(agent, reward_head, collect)
  step = agent.train_step_counter
  if output_dir is None:
    output_dir = RunDir(root_dir).policy_dir(int(step.numpy()),
                                             reward_head if named else None)
  return saver.export_policy(policy, output_dir, train_step=step)


