"""A `PlanetAgent` for an environment with named rewards, and a policy per head.

An environment loaded with `rewards=(...)` (`planet_tf.envs.rewards`) has a dict
reward spec `{name: []}`; its agent's world model gets one reward head per name
(`WorldModel.reward_names`), and its policies plan with the first head. Every
head can plan: `head_policy` builds a `CemPolicy` over the same world model.
A scalar reward spec gives PlaNet's agent (one head, `'reward'`).
"""

import functools
from typing import Optional, Tuple

from planet_tf import models
from planet_tf import policies
from planet_tf.agents.planet_agent import PlanetAgent


def reward_names(reward_spec) -> Optional[Tuple[str, ...]]:
  """The names of a dict reward spec, in order; None for a scalar reward."""
  if isinstance(reward_spec, dict):
    return tuple(reward_spec)
  return None


def make_agent(time_step_spec, action_spec, **kwargs) -> PlanetAgent:
  """A `PlanetAgent` with one reward head per named reward of `time_step_spec`.

  Args:
    time_step_spec: the environment's `TimeStep` spec; its `reward` is a scalar
      spec (a PlaNet agent as `PlanetAgent(...)` builds it) or a dict of them.
    action_spec: bounded float `[A]`.
    **kwargs: further `PlanetAgent` arguments (not `world_model` or the policy
      classes for a dict reward).

  Returns:
    The agent; with named rewards, its world model is
    `make_world_model(A, reward_names=names)` (other settings from gin) and its
    `policy` / `collect_policy` plan with the first name's head.
  """
  names = reward_names(time_step_spec.reward)
  if names is not None:
    kwargs.update(
        world_model=models.make_world_model(int(action_spec.shape[0]),
                                            reward_names=names),
        policy_class=functools.partial(policies.CemPolicy,
                                       reward_head=names[0]),
        collect_policy_class=functools.partial(policies.CollectCemPolicy,
                                               reward_head=names[0]))
  return PlanetAgent(time_step_spec, action_spec, **kwargs)


def head_policy(agent: PlanetAgent, head: str, collect: bool = False,
                seed: Optional[int] = None):
  """A policy of `agent` that plans with the reward head `head`.

  The agent's own `policy` (or `collect_policy`) when it already plans with
  `head`, so its checkpointed generator is kept; else a new `CemPolicy` (or
  `CollectCemPolicy`) over the same world model, its generator seeded by `seed`.

  Raises:
    ValueError: for a head the world model does not have, naming its heads.
  """
  model = agent.world_model
  if head not in model.reward_heads:
    raise ValueError(f'No reward head {head!r}; the run has '
                     f'{", ".join(model.reward_heads)}.')
  own = agent.collect_policy if collect else agent.policy
  if getattr(own, 'reward_head', None) == head:
    return own
  policy_class = policies.CollectCemPolicy if collect else policies.CemPolicy
  return policy_class(agent.time_step_spec, agent.action_spec, model,
                      reward_head=head, seed=seed)
