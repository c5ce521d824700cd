"""The two Reverb tables every distributed process agrees on, and their writer.

`windows`: one item per L-step window inside one episode (written by
`ReverbAddTrajectoryObserver(sequence_length=L, stride_length=1)`), sampled
uniformly, so a sampled chunk is drawn as `EpisodeReplay.sample` draws it and
never spans two episodes. Its signature has no `policy_info`: random seed
episodes and planner episodes share it. `variables`: one item, the world
model's variables and the train step, pushed by the learner.
"""

import tensorflow as tf
from tf_agents.experimental.distributed import reverb_variable_container
from tf_agents.replay_buffers import reverb_utils
from tf_agents.specs import tensor_spec
from tf_agents.utils import lazy_loader

from planet_tf.data import replay

reverb = lazy_loader.LazyLoader('reverb', globals(), 'reverb')

WINDOWS_TABLE = 'windows'
VARIABLES_TABLE = reverb_variable_container.DEFAULT_TABLE  # 'variables'
MODEL_KEY = 'world_model'
TRAIN_STEP_KEY = reverb_variable_container.TRAIN_STEP_KEY


def window_spec(collect_data_spec):
  """The `Trajectory` spec of one step in the `windows` table (no `policy_info`)."""
  return tensor_spec.from_spec(replay.without_policy_info(collect_data_spec))


def pushed_variables(agent):
  """What the learner pushes and the actors pull: model variables, train step.

  The policies' random generators are not in it: each actor keeps its own
  exploration noise stream.
  """
  return {MODEL_KEY: agent.world_model.variables,
          TRAIN_STEP_KEY: agent.train_step_counter}


def _signature(nest):
  return tf.nest.map_structure(
      lambda v: tf.TensorSpec(v.shape, v.dtype), nest)


def rate_limiter(samples_per_insert, min_size_to_sample, error_buffer):
  """`SampleToInsertRatio`: `samples_per_insert` +- `error_buffer` samples.

  Counting starts once `min_size_to_sample` windows are in (they are inserted
  freely, as seed episodes are collected before any update).
  """
  return reverb.rate_limiters.SampleToInsertRatio(
      samples_per_insert=float(samples_per_insert),
      min_size_to_sample=int(min_size_to_sample),
      error_buffer=float(error_buffer))


def make_tables(collect_data_spec, variables, table, min_size_to_sample,
                windows_per_episode):
  """The `windows` and `variables` tables.

  Args:
    collect_data_spec: the agent's `collect_data_spec`.
    variables: `pushed_variables(agent)` (for the signature only).
    table: `settings.ReplayTable`.
    min_size_to_sample: windows before the first sample.
    windows_per_episode: W, the unit of `table.error_buffer_episodes`.

  Returns:
    `[windows table, variables table]`.
  """
  spi = float(table.samples_per_insert)
  error_buffer = max(table.error_buffer_episodes * windows_per_episode * spi,
                     spi, 1.0)
  capacity = int(table.capacity_steps)
  windows = reverb.Table(
      WINDOWS_TABLE, sampler=reverb.selectors.Uniform(),
      remover=reverb.selectors.Fifo(),
      rate_limiter=rate_limiter(spi, min(min_size_to_sample, capacity),
                                error_buffer),
      max_size=capacity, max_times_sampled=0,
      signature=tensor_spec.add_outer_dim(window_spec(collect_data_spec)))
  weights = reverb.Table(
      VARIABLES_TABLE, sampler=reverb.selectors.Uniform(),
      remover=reverb.selectors.Fifo(),
      rate_limiter=reverb.rate_limiters.MinSize(1), max_size=1,
      max_times_sampled=0, signature=_signature(variables))
  return [windows, weights]


class WindowWriter:
  """A driver observer writing every L-step window of each episode to `windows`.

  `ReverbAddTrajectoryObserver(sequence_length=L, stride_length=1)` after
  dropping `policy_info`: an item per window, none across an episode's end.
  """

  def __init__(self, client, sequence_length):
    self._observer = reverb_utils.ReverbAddTrajectoryObserver(
        client, WINDOWS_TABLE, sequence_length=int(sequence_length),
        stride_length=1)

  def __call__(self, trajectory):
    self._observer(replay.without_policy_info(trajectory))

  def flush(self):
    self._observer.flush()

  def close(self):
    self._observer.close()
