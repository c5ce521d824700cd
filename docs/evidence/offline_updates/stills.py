"""One frame of several open-loop videos, side by side, with labels.

  python docs/evidence/thick_pole/stills.py OUT.png FRAME LABEL=GIF [LABEL=GIF ...]

An open-loop GIF (`open_loop/episode-N.gif`) shows three sequences, one per row,
as truth | model | error columns; frames before `context` (5) are the model's
posterior reconstructions of frames it observed, later ones its open-loop
predictions.
"""

import sys

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np  # pylint: disable=g-import-not-at-top
from PIL import Image  # pylint: disable=g-import-not-at-top


def frame(path, index):
  """Frame `index` of a GIF as a uint8 `[H, W, 3]` array."""
  image = Image.open(path)
  image.seek(index)
  return np.asarray(image.convert('RGB'))


def main(argv):
  output, index, specs = argv[1], int(argv[2]), argv[3:]
  pairs = [spec.split('=', 1) for spec in specs]
  fig, axes = plt.subplots(1, len(pairs), figsize=(3.2 * len(pairs), 3.6))
  for ax, (label, path) in zip(np.atleast_1d(axes), pairs):
    ax.imshow(frame(path, index), interpolation='nearest')
    ax.set_title(label, fontsize=9)
    ax.set_xticks([32, 96, 160], ['truth', 'model', 'error'], fontsize=8)
    ax.set_yticks([])
  fig.tight_layout()
  fig.savefig(output, dpi=120)


if __name__ == '__main__':
  main(sys.argv)
