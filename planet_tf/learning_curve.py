"""A run's learning curve: `eval/returns.csv` read back and drawn as a PNG.

`train_eval` appends one row per episode to `<root_dir>/eval/returns.csv`:
`episodes,env_steps,train_steps,policy,return`, where `policy` is `random` (seed
episodes), `collect` (CEM with exploration noise) or `greedy` (evaluation). The
plot uses Pillow only (installed with imageio), so it needs nothing beyond the
package's own dependencies.
"""

import csv
import os
from typing import Dict, List, NamedTuple

from PIL import Image
from PIL import ImageDraw

POLICIES = {
    'random': ('random seed episodes', (150, 150, 150)),
    'collect': ('collect (CEM + noise)', (90, 160, 230)),
    'greedy': ('evaluation (greedy CEM)', (220, 40, 40)),
}


class Row(NamedTuple):
  episodes: int
  env_steps: int
  train_steps: int
  policy: str
  value: float


def read_returns(path: str) -> List[Row]:
  """Reads a `returns.csv`; returns its rows in file order.

  Raises:
    FileNotFoundError: if `path` does not exist.
    ValueError: if the file lacks the expected columns.
  """
  with open(path) as f:
    reader = csv.DictReader(f)
    expected = {'episodes', 'env_steps', 'train_steps', 'policy', 'return'}
    if not expected <= set(reader.fieldnames or ()):
      raise ValueError(f'{path} is not a planet_tf returns.csv: columns '
                       f'{reader.fieldnames}, expected {sorted(expected)}.')
    return [Row(int(r['episodes']), int(r['env_steps']), int(r['train_steps']),
                r['policy'], float(r['return'])) for r in reader]


def summarize(rows: List[Row]) -> Dict[str, Dict[str, float]]:
  """Per policy: `count`, `mean`, `max` of the returns, and `last_episode`."""
  out = {}
  for policy in POLICIES:
    values = [r.value for r in rows if r.policy == policy]
    if values:
      out[policy] = {
          'count': len(values), 'mean': sum(values) / len(values),
          'max': max(values),
          'last_episode': max(r.episodes for r in rows if r.policy == policy)}
  return out


def plot(rows: List[Row], output: str, title: str = '',
         size=(640, 400), max_return: float = 1000.0) -> None:
  """Draws returns against episodes, one colour per policy, to a PNG `output`.

  Args:
    rows: from `read_returns`.
    output: path of the PNG (its directory is created).
    title: drawn above the axes.
    size: `(width, height)` in pixels.
    max_return: top of the y axis (1000 is the DeepMind Control maximum); raised
      to the largest return if that is higher.

  Raises:
    ValueError: if `rows` is empty.
  """
  if not rows:
    raise ValueError('No returns to plot.')
  width, height = size
  margin = 55
  x_max = max(max(r.episodes for r in rows), 1)
  y_max = max(max_return, max(r.value for r in rows))
  y_min = min(0.0, min(r.value for r in rows))

  def point(x, y):
    return (margin + (width - 2 * margin) * x / x_max,
            height - margin - (height - 2 * margin) * (y - y_min) / (y_max - y_min))

  image = Image.new('RGB', size, 'white')
  draw = ImageDraw.Draw(image)
  draw.rectangle([margin, margin, width - margin, height - margin],
                 outline='black')
  step = 10 ** max(len(str(int(y_max - y_min))) - 1, 0)
  for y in range(int(y_min // step * step), int(y_max) + 1, step):
    if y < y_min:
      continue
    draw.line([point(0, y), point(x_max, y)], fill=(220, 220, 220))
    draw.text((5, point(0, y)[1] - 6), str(y), fill='black')
  x_step = max(10, (x_max // 8) // 10 * 10)
  for x in range(0, x_max + 1, x_step):
    draw.text((point(x, 0)[0] - 6, height - margin + 5), str(x), fill='black')
  draw.text((width // 2 - 30, height - 20), 'episodes', fill='black')
  draw.text((margin, 15), title, fill='black')
  for i, (policy, (label, color)) in enumerate(POLICIES.items()):
    points = [point(r.episodes, r.value) for r in rows if r.policy == policy]
    if len(points) > 1 and policy != 'random':
      draw.line(points, fill=color, width=2)
    for x, y in points:
      draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=color)
    top = margin + 10 + 15 * i
    draw.rectangle([width - margin - 170, top, width - margin - 162, top + 8],
                   fill=color)
    draw.text((width - margin - 155, top - 2), label, fill='black')
  if os.path.dirname(output):
    os.makedirs(os.path.dirname(output), exist_ok=True)
  image.save(output)
