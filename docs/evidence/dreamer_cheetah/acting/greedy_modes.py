"""Evaluates a finished Dreamer run's actor with another deterministic action.

    python greedy_modes.py RUN_DIR MODE NUM_EPISODES

MODE is one of:
  median   tanh(loc), `TanhNormal.mode()` as planet_tf defines it;
  density  the mode of the squashed density: tanh(x*), x* the root of
           x = loc + 2 scale^2 tanh(x) on loc's side, the global maximum of
           log N(x; loc, scale) + 2 log cosh(x), reached monotonically from loc;
  sample   one sample of the actor per step, without exploration noise.

The policy is rebuilt from the run's newest checkpoint as `bin/evaluate
--acting=actor --seed=0` does, with `TanhNormal._mode` replaced for `density`
and `sample`. Prints the run, the mode, the mean, min and max return and every
episode's return.
"""
import sys

import numpy as np
import tensorflow as tf

from planet_tf.loops import evaluate as ev
from planet_tf.networks import tanh_normal

run, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])


def density_mode(self):
  m, s = self.distribution.loc, self.distribution.scale
  x = m
  for _ in range(50):
    x = m + 2.0 * tf.square(s) * tf.tanh(x)
  return tf.tanh(x)


def sample_mode(self):
  return tf.tanh(self.distribution.loc + self.distribution.scale *
                 tf.random.normal(tf.shape(self.distribution.loc)))


if mode == 'density':
  tanh_normal.TanhNormal._mode = density_mode
elif mode == 'sample':
  tanh_normal.TanhNormal._mode = sample_mode
elif mode != 'median':
  raise SystemExit(f'MODE must be median, density or sample, not {mode!r}.')
r = ev.evaluate(run, num_episodes=n, seed=0, acting='actor')
print(run, mode, 'mean %.1f' % np.mean(r.returns),
      'min %.1f max %.1f' % (min(r.returns), max(r.returns)),
      [round(x, 1) for x in r.returns], flush=True)
