"""The PlaNet pixel tasks of the DeepMind Control Suite and their action repeats."""

from typing import NamedTuple


class Task(NamedTuple):
  """A dm_control task: `domain`, `task` and the paper's action repeat."""
  domain: str
  task: str
  action_repeat: int


# Action repeats from Hafner et al. (2019), table of tasks.
TASKS = {
    'cartpole_balance': Task('cartpole', 'balance', 8),
    'cartpole_swingup': Task('cartpole', 'swingup', 8),
    'reacher_easy': Task('reacher', 'easy', 4),
    'cheetah_run': Task('cheetah', 'run', 4),
    'finger_spin': Task('finger', 'spin', 2),
    'cup_catch': Task('ball_in_cup', 'catch', 4),
    'walker_walk': Task('walker', 'walk', 2),
}


def get_task(task_name: str) -> Task:
  """Returns the `Task` called `task_name`.

  Raises:
    ValueError: naming the unknown task and listing the valid names.
  """
  return lookup(TASKS, task_name, 'task')


def lookup(table, name, kind):
  """Returns `table[name]`, a task of a table of tasks by name.

  Raises:
    ValueError: `Unknown <kind> <name>; valid <kind>s are: <every name>.`,
      for a name (or a non-string) that is not in `table`.
  """
  try:
    return table[name]
  except (KeyError, TypeError):
    raise ValueError(
        f'Unknown {kind} {name!r}; valid {kind}s are: '
        f'{", ".join(sorted(table))}.') from None
