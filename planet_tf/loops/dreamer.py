"""The Dreamer loop (Hafner et al., 2020) as one gin-configurable function.

PlaNet's loop with Dreamer's agent: `S` random seed episodes; then, until
`num_episodes` episodes are collected, `C` updates of the world model, the
actor and the value on `[B, L]` chunks (`DreamerAgent.train`), one episode of
the actor's sample plus Gaussian noise (`CollectActorPolicy`), and every
`eval_interval` episodes an evaluation of the actor's mode (`ActorPolicy`).
The run directory, its rows, checkpoints, exports, videos and resume are
PlaNet's (`planet.PlanetLoop`); the actor acts on one task with one reward.
"""

import dataclasses

import gin

from planet_tf.agents import DreamerAgent
from planet_tf.loops import planet
from planet_tf.loops import registry
from planet_tf.loops import skeleton

NAME = registry.DREAMER


@gin.configurable(registry.DREAMER)
@dataclasses.dataclass(frozen=True)
class Settings(planet.Settings):
  """Dreamer's settings, gin name `dreamer_train_eval`
  (`dreamer_train_eval.batch_size = 50`): PlaNet's (`planet.Settings`, each
  with its doc and default), checked as PlaNet's are, for one task.

  Dreamer's actor maximises one reward of one task, so `task_name` is
  required and these stay at their defaults: `task_names` (several tasks),
  `reward_free` (random episodes only) and `env_constructors` (the user's own
  environments, which PlaNet's runs rebuild from `train_eval`'s bindings).
  Named rewards (`planet_tf.envs.load.rewards`) are refused by `run`.

  Raises:
    ValueError: as `planet.Settings`, and for any of the above, naming the
      setting and the PlaNet setting that does it.
  """

  def check(self):
    for setting, planet_way in (
        ('task_names', 'several tasks behind one agent are PlaNet\'s '
         '(train_eval.task_names, multitask.gin)'),
        ('reward_free', 'reward-free dynamics with a head per task are '
         'PlaNet\'s (train_eval.reward_free, cheetah_multihead.gin)'),
        ('env_constructors', 'your own environments train with PlaNet '
         '(train_eval.env_constructors)')):
      if getattr(self, setting):
        raise ValueError(
            f'{NAME}.{setting}: Dreamer learns one task of planet_tf.envs.'
            f'TASKS with one reward (bind {NAME}.task_name); {planet_way}.')
    if self.task_name is None:
      raise ValueError(f'{NAME} needs a task: bind {NAME}.task_name (as a '
                       'dreamer_<task>.gin file does).')
    super().check()


# Settings that may change when a run resumes: PlaNet's.
RESUMABLE = registry.resumable(Settings)


def dreamer_train_eval(root_dir, **settings):
  """Trains Dreamer, or resumes the run in `root_dir`: `run(root_dir,
  Settings(**settings))`, gin-bound values for the settings not given.

  Returns:
    dict as `planet.train_eval`'s.

  Raises:
    ValueError: as `Settings` and `run`.
    planet_tf.run_dir.ConfigMismatchError, CheckpointError, RunLockedError: as
      `skeleton.run`.
  """
  return run(root_dir, Settings(**settings))


def check_one_reward():
  """Refuses named rewards (gin `planet_tf.envs.load.rewards`), before the
  run directory is touched.

  Raises:
    ValueError: naming the binding.
  """
  try:
    rewards = gin.query_parameter('planet_tf.envs.load.rewards')
  except ValueError:
    rewards = None  # Not bound: the task's one reward.
  if rewards:
    raise ValueError(
        f'Dreamer\'s actor maximises the task\'s one reward; '
        f'planet_tf.envs.load.rewards = {tuple(rewards)!r} names several, '
        'whose heads are PlaNet\'s (cheetah_multihead.gin): drop the binding.')


def run(root_dir, settings: Settings):
  """Runs Dreamer with `settings` in `root_dir`; see `dreamer_train_eval`."""
  check_one_reward()
  return skeleton.run(root_dir, DreamerLoop(settings))


class DreamerLoop(planet.PlanetLoop):
  """Dreamer's part of a run (`skeleton.run`): PlaNet's on one task with one
  reward, with a `DreamerAgent`. The greedy `ActorPolicy` is evaluated and
  exported (`policies/<step>/`), the `CollectActorPolicy` collects;
  `losses/` holds every term of `DreamerAgent.train` (`model_loss`,
  `actor_loss`, `value_loss`, `imagined_return`, ...)."""

  name = NAME

  def make_agent(self, time_step_spec, action_spec, seed):
    """The run's `DreamerAgent` (gin: `DreamerAgent.*`), variables not yet
    created."""
    return make_agent(time_step_spec, action_spec,
                      train_sequence_length=self.settings.sequence_length,
                      seed=seed)


def make_agent(time_step_spec, action_spec, **kwargs) -> DreamerAgent:
  """A `DreamerAgent` for a task's specs (one reward).

  Raises:
    ValueError: for a dict reward spec (named rewards).
  """
  if isinstance(time_step_spec.reward, dict):
    raise ValueError(f'{NAME} learns one reward, not the named rewards '
                     f'{", ".join(time_step_spec.reward)}.')
  return DreamerAgent(time_step_spec, action_spec, **kwargs)


def agent_of_run(root_dir):
  """The `DreamerAgent` of a run (variables created), with its task's specs
  (`planet.specs_of_run`); its networks are the run's (gin)."""
  agent = make_agent(*planet.specs_of_run(root_dir, NAME),
                     train_sequence_length=None)
  agent.initialize()
  return agent


registry.register(registry.Kind(
    NAME, Settings, run, agent_of_run, agent='Dreamer', acting='actor',
    actings=(registry.ACTOR, registry.CEM, registry.CEM_VALUE)))
