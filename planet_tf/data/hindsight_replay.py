"""GLAMOR's replay: stored episodes, sampled as hindsight-relabelled examples.

`HindsightReplay` is an `EpisodeReplay` (the same driver observer, capacity and
episode files on disk) whose batches are `relabel.Examples` instead of chunks.
"""

import gin
import numpy as np
import tensorflow as tf

from planet_tf.data import relabel
from planet_tf.data import replay


@gin.configurable
class HindsightReplay(replay.EpisodeReplay):
  """Samples starts uniformly over every stored step that has an action.

  An episode of T + 1 stored steps (`o_0..o_T`, the last one the LAST step,
  whose action is never executed) gives T starts; each example then draws its
  horizon k' ~ U{1..k}, truncated at the episode's end (`relabel`). The
  observation of a stored step is GLAMOR's `{'observation', 'goal'}`; the
  goal it was collected toward is not read (any reached frame is a goal).
  """

  def __init__(self, data_spec, num_actions, **kwargs):
    """Args:

      data_spec: the agent's `collect_data_spec`, a `Trajectory` whose
        observation is `{'observation': [H, W, C], 'goal': [H, W, 1]}` and
        whose action is an int scalar.
      num_actions: A (END = A, PAD = A + 1).
      **kwargs: `EpisodeReplay`'s (`capacity_steps`, `directory`, `seed`).
    """
    observation = getattr(data_spec, 'observation', None)
    if not isinstance(observation, dict) or 'observation' not in observation:
      raise ValueError("HindsightReplay needs a dict observation with "
                       f"'observation' and 'goal', got {observation}.")
    super().__init__(data_spec, **kwargs)
    self._num_actions = int(num_actions)

  def sample_examples(self, batch_size, max_horizon):
    """Returns `relabel.Examples` of numpy arrays `[batch_size, ...]`.

    Raises:
      ValueError: if no stored episode has a step with an action.
    """
    with self._lock:
      episodes = [tf.nest.pack_sequence_as(self._data_spec, e)
                  for e in self._episodes]
    starts = np.array([len(e.action) - 1 for e in episodes], np.int64)
    if not len(starts) or starts.sum() <= 0:
      raise ValueError('No stored episode has a step to relabel (episode '
                       f'lengths: {self.episode_lengths()[:10]}...).')
    flat = self._rng.integers(0, starts.sum(), size=batch_size)
    bounds = np.cumsum(starts)
    which = np.searchsorted(bounds, flat, side='right')
    offsets = flat - (bounds[which] - starts[which])
    horizons = self._rng.integers(1, max_horizon + 1, size=batch_size)
    parts = []
    for index in np.unique(which):
      chosen = which == index
      episode = episodes[index]
      parts.append((np.flatnonzero(chosen), relabel.relabel(
          episode.observation['observation'], episode.action[:-1],
          offsets[chosen], horizons[chosen], self._num_actions, max_horizon)))
    # Back to the order drawn, so a batch is not grouped by episode.
    order = np.argsort(np.concatenate([rows for rows, _ in parts]))
    return relabel.Examples(*[
        np.concatenate([getattr(examples, field) for _, examples in parts])[order]
        for field in relabel.Examples._fields])
