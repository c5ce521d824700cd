"""The run's agent as each distributed process builds it: same specs, same model."""

from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts

from planet_tf import envs
from planet_tf.agents import heads


def env_specs(task_name):
  """`(time_step_spec, action_spec)` as tensor specs of `task_name`'s pixels env."""
  env = envs.load(task_name)
  try:
    return (tensor_spec.from_spec(ts.time_step_spec(env.observation_spec(),
                                                    env.reward_spec())),
            tensor_spec.from_spec(env.action_spec()))
  finally:
    env.close()


def make_agent(settings, seed=None, specs=None):
  """A `PlanetAgent` for `settings` (`train_eval.Settings`), variables built.

  Args:
    settings: the loop's settings (task, L).
    seed: seeds the agent's policies.
    specs: `(time_step_spec, action_spec)`; read from the env when None.
  """
  time_step_spec, action_spec = specs or env_specs(settings.task_name)
  agent = heads.make_agent(time_step_spec, action_spec,
                           train_sequence_length=settings.sequence_length,
                           seed=seed)
  agent.initialize()
  return agent
