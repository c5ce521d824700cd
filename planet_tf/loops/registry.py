"""The agent kinds `bin/train` knows, by the gin name of their loop's settings.

This module names every loop (`PLANET`, `DREAMER`, `GLAMOR`); a kind's module
builds its `Kind` and `register`s it when imported (`planet_tf.loops` imports
them all).
A run stores its loop's name with its configuration (`train.loop`); a run
that stores none is `DEFAULT`'s, which is how every PlaNet run is stored.
Everything that must know which kind trained a run asks here.
"""

import dataclasses
from typing import Callable, Tuple

from planet_tf import run_dir

# Loop names: the gin names of the kinds' settings, and the prefix of the
# settings a run stores.
PLANET = 'train_eval'
DREAMER = 'dreamer_train_eval'
GLAMOR = 'glamor_train_eval'
# The loop of a gin file that binds no `train.loop`, and of a run that stored
# none.
DEFAULT = PLANET


# The ways a run's policy can act (`bin/evaluate --acting`, `bin/export
# --acting`): the actor's mode, CEM summing predicted rewards (PlaNet's), and
# CEM whose plans end in the learned value (Dreamer's value extending PlaNet's
# horizon).
ACTOR = 'actor'
CEM = 'cem'
CEM_VALUE = 'cem_value'
ACTINGS = (ACTOR, CEM, CEM_VALUE)


# The metadata of a settings field that may change when a run resumes:
# `dataclasses.field(default=..., metadata=RESUMABLE_FIELD)`.
RESUMABLE_FIELD = {'resumable': True}


def resumable(settings_class):
  """Names of the fields of `settings_class` marked `RESUMABLE_FIELD`."""
  return frozenset(f.name for f in dataclasses.fields(settings_class)
                   if f.metadata.get('resumable'))


@dataclasses.dataclass(frozen=True)
class Kind:
  """A registry entry: what the commands need of an agent kind.

  Attributes:
    name: its loop's name (`PLANET`, ...).
    settings: its frozen settings dataclass, gin-configurable as `name`.
    run: `(root_dir, settings) -> summary dict`, the run (`skeleton.run`).
    agent_of_run: `(root_dir) -> agent`, its agent rebuilt (variables
      created, nothing restored) from a run's parsed operative config.
    goal_conditioned: its policies act toward goal images (`bin/evaluate`
      tries the run's goals).
    agent: the agent's name where a run is set against published scores
      (`bin/plot_returns`' tables and reference lines).
    acting: what chooses its policies' actions, in the legends of
      `bin/plot_returns` (`collect (CEM + noise)`, `evaluation (greedy CEM)`).
    exploration: what its collect policy adds to them, in the same legends.
    actings: the `ACTINGS` a run's policy can be rebuilt with from a
      checkpoint (`bin/evaluate --acting`, `bin/export --acting`), its own
      first; empty for a kind whose policy is its only one.
  """
  name: str
  settings: type
  run: Callable
  agent_of_run: Callable
  goal_conditioned: bool = False
  agent: str = 'PlaNet'
  acting: str = 'CEM'
  exploration: str = 'noise'
  actings: Tuple[str, ...] = (CEM,)

  @property
  def resumable(self):
    """Names of the settings a run may change on resume."""
    return resumable(self.settings)


KINDS = {}


def register(entry: Kind):
  """Adds an agent kind (its module calls this when imported)."""
  KINDS[entry.name] = entry


def kind(name):
  """The `Kind` of the loop `name`.

  Raises:
    ValueError: for a loop no kind has, naming the known ones.
  """
  if name not in KINDS:
    raise ValueError(f'No agent kind has the loop {name!r}; the loops are '
                     f'{", ".join(sorted(KINDS))}.')
  return KINDS[name]


def kind_of_settings(settings):
  """The `Kind` whose settings class `settings` is an instance of: of its
  own class first, as a kind's settings may derive from another's."""
  for entry in KINDS.values():
    if type(settings) is entry.settings:  # pylint: disable=unidiomatic-typecheck
      return entry
  for entry in KINDS.values():
    if isinstance(settings, entry.settings):
      return entry
  raise ValueError(f'{type(settings).__name__} is the settings class of no '
                   f'agent kind; train.loop takes one of '
                   f'{", ".join("@" + k for k in sorted(KINDS))}.')


def loop_of_run(root_dir):
  """The loop name of the kind that trained a run: its stored `train.loop`,
  or `DEFAULT` for a run that stored none."""
  loop = run_dir.configurable_settings(root_dir, 'train').get('loop')
  if loop is None:
    return DEFAULT
  return str(loop).lstrip('@').rpartition('.')[2]


def kind_of_run(root_dir):
  """The `Kind` that trained a run."""
  return kind(loop_of_run(root_dir))


def settings_of_run(root_dir):
  """The stored settings of a run's loop, `{setting: value}` ({} for none)."""
  return run_dir.configurable_settings(root_dir, loop_of_run(root_dir))


def tasks_of_run(root_dir):
  """The tasks a run was trained on: `[task_name]`, its `task_names`, or None.

  Returns:
    A list of task names (one for a one-task run), or None if the stored
    configuration names no task.
  """
  settings = settings_of_run(root_dir)
  if settings.get('task_names'):
    return list(settings['task_names'])
  return [settings['task_name']] if settings.get('task_name') else None


def task_of_run(root_dir):
  """The one task a run was trained on, or None (several, or none stored)."""
  tasks = tasks_of_run(root_dir)
  return tasks[0] if tasks and len(tasks) == 1 else None


def is_goal_run(root_dir):
  """True if `root_dir` is a run of a goal-conditioned kind (GLAMOR)."""
  return root_dir is not None and kind_of_run(root_dir).goal_conditioned


def resumable_bindings():
  """`<loop>.<setting>` of every setting a run may change on resume, of every
  kind: bindings in which runs of one configuration may differ."""
  return frozenset(f'{name}.{setting}' for name, entry in KINDS.items()
                   for setting in entry.resumable)
