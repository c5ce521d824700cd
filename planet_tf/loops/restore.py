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
                    gin_bindings=(), reward_head=None, acting=None,
                    horizon=None, seed=None):
  """Exports a run's policy from a checkpoint; the logic of `bin/export`.

  A SavedModel plans with one reward head: a run with named rewards exports one
  per head, each to `root_dir/policies/<train step>-<head>` by default. The
  first head's policy is the agent's own (its generator restored from the
  checkpoint); another head's starts from a fresh generator. A Dreamer run
  exports its actor's policy, a GLAMOR run its goal policy: neither has heads
  to choose from.

  `acting` rebuilds the policy another way its kind can act (`acting_policy`),
  e.g. a Dreamer run's world model planning with CEM and its value; such a
  policy, or one at another `horizon`, is not the run's own, so it needs an
  `output_dir` (`policies/` holds the run's own exports).

  Args:
    root_dir: a run directory.
    output_dir: SavedModel directory; `root_dir/policies/<train step>` if None.
    checkpoint: as `restore_agent`; the newest when None.
    collect: export the collect policy (with exploration noise) instead of the
      greedy one.
    gin_bindings: as `restore_agent`.
    reward_head: the head the policy plans with; required for a run with named
      rewards, None (or the one head's name, `reward`) otherwise.
    acting: one of the run's kind's `registry.Kind.actings`; its own (the
      first) when None.
    horizon: the planner's horizon (`cem.horizon`) for an acting that plans;
      the run's when None.
    seed: seeds the generator of a policy `acting` builds (None: not seeded).

  Returns:
    The SavedModel directory.

  Raises:
    ValueError: for a missing or unknown `reward_head`, naming the run's heads;
      for an `acting` the run's kind has not, a `horizon` for an acting that
      does not plan, or either without `output_dir`; otherwise as
      `restore_agent`.
  """
  acting, gin_bindings = _checked_acting(root_dir, output_dir, acting, horizon,
                                         gin_bindings)
  agent = restore_agent(root_dir, checkpoint, gin_bindings)
  step = agent.train_step_counter
  own_policy = {GlamorAgent: 'a GLAMOR run, which has no reward heads',
                DreamerAgent: 'a Dreamer run, which learns one reward'}.get(
                    type(agent))
  if own_policy:  # One policy of its own; no head to choose.
    if reward_head is not None:
      raise ValueError(f'{root_dir} is {own_policy}; drop '
                       f'--reward_head={reward_head}.')
    policy = acting_policy(agent, acting, collect, seed)
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
  if output_dir is None:
    output_dir = RunDir(root_dir).policy_dir(int(step.numpy()),
                                             reward_head if named else None)
  return saver.export_policy(policy, output_dir, train_step=step)


def _checked_acting(root_dir, output_dir, acting, horizon, gin_bindings):
  """`acting` (the run's own when None) and the bindings of `horizon`.

  Raises:
    ValueError: as `export_from_run`, in one line naming what to drop or pass.
  """
  kind = registry.kind_of_run(root_dir)
  if not kind.actings and (acting or horizon):
    given = f'--acting={acting}' if acting else f'--horizon={horizon}'
    raise ValueError(f'{root_dir} is a {kind.agent} run, which acts with its '
                     f'own policy only; drop {given}.')
  if acting is not None and acting not in kind.actings:
    raise ValueError(
        f'{root_dir} is a {kind.agent} run, which acts with '
        f'{" or ".join(kind.actings)} only; drop --acting={acting}.')
  if horizon is not None and int(horizon) < 1:
    raise ValueError(f'--horizon must be >= 1, got {horizon}.')
  own = kind.actings[0] if kind.actings else None
  acting = acting or own
  if horizon is not None and acting not in (registry.CEM, registry.CEM_VALUE):
    raise ValueError(
        f'--horizon={horizon} is the planner\'s, and {root_dir} acts with its '
        f'{acting}, which does not plan: pass --acting=cem or '
        '--acting=cem_value with it, or drop it.')
  given = ([f'--acting={acting}'] if acting != own else []) + (
      [f'--horizon={horizon}'] if horizon is not None else [])
  if given and output_dir is None:
    raise ValueError(
        f'{" ".join(given)} is not how {root_dir} acts in training: pass '
        '--output for its export (policies/ holds the run\'s own).')
  if horizon is not None:
    gin_bindings = list(gin_bindings) + [f'cem.horizon = {int(horizon)}']
  return acting, gin_bindings


def acting_policy(agent, acting, collect=False, seed=None):
  """The policy of `agent` (a `DreamerAgent`, or a `GlamorAgent` whose policy
  is its only one) that acts as `acting` (`registry.ACTINGS`) says.

  Returns:
    `registry.ACTOR` or None: the agent's own greedy (or collect) policy;
    `CEM`: `DreamerAgent.planning_policy` without the value; `CEM_VALUE`: with
    it.
  """
  if acting in (None, registry.ACTOR):
    return agent.collect_policy if collect else agent.policy
  return agent.planning_policy(with_value=acting == registry.CEM_VALUE,
                               collect=collect, seed=seed)
