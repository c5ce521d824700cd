"""`eval/returns.csv`: the learning curve of a run, written and read here only.

One row per episode (random seed episodes, collect episodes, greedy evaluations)
with the named `COLUMNS`. A later agent extends a row with columns of its own
(e.g. `task`, `success_rate`): the file's header is fixed by its first row, and
readers keep every extra column.
"""

import csv
import os
from typing import Dict, List, NamedTuple

from planet_tf.run_dir.layout import RunDir

# `policy` is `random` (seed episodes), `collect` (with exploration noise) or
# `greedy` (evaluation).
COLUMNS = ('episodes', 'env_steps', 'train_steps', 'policy', 'return')


class ReturnRow(NamedTuple):
  """One row of `returns.csv`; `extra` holds columns beyond `COLUMNS` (text)."""
  episodes: int
  env_steps: int
  train_steps: int
  policy: str
  value: float
  extra: Dict[str, str] = {}


def append_return(root_dir, episodes, env_steps, train_steps, policy, value,
                  **extra):
  """Appends one row to the run's `eval/returns.csv` (with a header if new).

  Args:
    root_dir: the run directory.
    episodes, env_steps, train_steps: the run's counters after the episode.
    policy: `random`, `collect` or `greedy`.
    value: the episode's (or evaluation's mean) undiscounted return.
    **extra: further named columns; a new file gets them in its header, an
      existing file must already have them.

  Raises:
    ValueError: for a column the existing file does not have.
  """
  path = RunDir(root_dir).returns_path
  row = dict(zip(COLUMNS, (int(episodes), int(env_steps), int(train_steps),
                           policy, f'{float(value):.3f}')), **extra)
  header = list(row)
  if os.path.exists(path):
    with open(path) as f:
      header = next(csv.reader(f), header)
    unknown = sorted(set(row) - set(header))
    if unknown:
      raise ValueError(f'{path} has no column(s) {unknown}; its columns are '
                       f'{header}.')
  new = not os.path.exists(path)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'a', newline='') as f:
    writer = csv.DictWriter(f, header, lineterminator='\n')
    if new:
      writer.writeheader()
    writer.writerow(row)


def read_returns(path) -> List[ReturnRow]:
  """The rows of a `returns.csv` (a file or a run directory), as
  `read_rows` reads them."""
  return [ReturnRow(int(r['episodes']), int(r['env_steps']),
                    int(r['train_steps']), r['policy'], float(r['return']),
                    {k: v for k, v in r.items() if k not in COLUMNS})
          for r in read_rows(path, 'returns.csv', COLUMNS)]


def read_rows(path, name, columns) -> List[Dict[str, str]]:
  """The rows, in file order, of a run's CSV file `eval/<name>` (`path` is
  the file or the run directory) as dicts, checked to have `columns`.

  Raises:
    FileNotFoundError: if the file does not exist.
    ValueError: naming the file, its columns and the expected ones.
  """
  if os.path.isdir(path):
    path = os.path.join(RunDir(path).eval_dir, name)
  with open(path) as f:
    reader = csv.DictReader(f)
    if not set(columns) <= set(reader.fieldnames or ()):
      raise ValueError(f'{path} is not a planet_tf {name}: columns '
                       f'{reader.fieldnames}, expected {list(columns)}.')
    return list(reader)
