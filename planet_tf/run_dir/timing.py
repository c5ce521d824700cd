"""`eval/timing.csv`: the wall-clock and CPU seconds a run spent, episode by episode.

One row each time the loop marks its clock: after a collected episode
(`phase` `episode`: the updates before it, its collection, and the checkpoint
and export of the episode before) and after an evaluation (`phase`
`evaluation`), in `bin/train`'s loops. `wall_seconds` and `cpu_seconds` are the time since the
previous mark of the same process; `total_*` add up every row of the run, across
resumes, so a curve per CPU-hour reads them directly. CPU seconds are the
process's (every TensorFlow thread's). What a killed process spent after its
last row is not counted, nor a process's start before its loop.
"""

import csv
import os
import time
from typing import List, NamedTuple

from planet_tf.run_dir.layout import RunDir
from planet_tf.run_dir.returns import read_rows

COLUMNS = ('episodes', 'phase', 'wall_seconds', 'cpu_seconds',
           'total_wall_seconds', 'total_cpu_seconds')


class TimingRow(NamedTuple):
  episodes: int
  phase: str
  wall_seconds: float
  cpu_seconds: float
  total_wall_seconds: float
  total_cpu_seconds: float


def read_timing(path) -> List[TimingRow]:
  """The rows of a `timing.csv` (a file or a run directory), as
  `returns.read_rows` reads them."""
  return [TimingRow(int(r['episodes']), r['phase'],
                    *(float(r[c]) for c in COLUMNS[2:]))
          for r in read_rows(path, 'timing.csv', COLUMNS)]


class Clock:
  """Marks the time a loop spends into the run's `eval/timing.csv`.

  The clock starts when it is made; each `mark` writes the wall-clock and CPU
  seconds since the previous mark (or the start) and the run's totals.
  """

  def __init__(self, root_dir):
    self._path = RunDir(root_dir).timing_path
    self._wall, self._cpu = time.time(), time.process_time()
    self._total_wall = self._total_cpu = None  # Read at the first mark.

  def mark(self, episodes, phase):
    """Appends the row of the work done since the last mark.

    Args:
      episodes: the run's episode count after that work.
      phase: `episode` or `evaluation`.
    """
    wall, cpu = time.time(), time.process_time()
    spent_wall, spent_cpu = wall - self._wall, cpu - self._cpu
    self._wall, self._cpu = wall, cpu
    if self._total_wall is None:
      self._total_wall = self._total_cpu = 0.0
      if os.path.exists(self._path):
        rows = read_timing(self._path)
        if rows:
          self._total_wall = rows[-1].total_wall_seconds
          self._total_cpu = rows[-1].total_cpu_seconds
    self._total_wall += spent_wall
    self._total_cpu += spent_cpu
    new = not os.path.exists(self._path)
    os.makedirs(os.path.dirname(self._path), exist_ok=True)
    with open(self._path, 'a', newline='') as f:
      writer = csv.writer(f, lineterminator='\n')
      if new:
        writer.writerow(COLUMNS)
      writer.writerow([int(episodes), phase] + [
          f'{v:.3f}' for v in (spent_wall, spent_cpu, self._total_wall,
                               self._total_cpu)])
