"""The replay server main: Reverb's `windows` and `variables` tables.

On every start the `windows` table is refilled from the run directory's stored
episodes (the source of truth), so a restarted server loses nothing. The
refilled windows count as already trained on: the limiter's minimum size
covers them, and the learner samples at the ratio only for new windows.
"""

import dataclasses
import os

from tf_agents.utils import lazy_loader

from planet_tf import run_dir
from planet_tf.distributed import agent as agent_lib
from planet_tf.distributed import episodes
from planet_tf.distributed import settings as settings_lib
from planet_tf.distributed import tables

reverb = lazy_loader.LazyLoader('reverb', globals(), 'reverb')


def refill(client, paths, data_spec, sequence_length):
  """Writes every window of the stored episodes; returns how many."""
  writer = tables.WindowWriter(client, sequence_length)
  count = 0
  for path in paths:
    episode = episodes.read_episode(path, data_spec)
    for step in episodes.steps(episode):
      writer(step)
    count += settings_lib.windows_per_episode(len(episode.step_type),
                                              sequence_length)
  writer.flush()
  writer.close()
  return count


def start(root_dir, port=None, table=None):
  """Starts the server (gin already parsed); returns `(server, windows refilled)`.

  Args:
    root_dir: the run directory; its stored episodes refill the table.
    port: the port to serve on (every interface: Reverb cannot bind one);
      a free one if None.
    table: `settings.ReplayTable`; the gin-bound one if None.
  """
  settings = settings_lib.loop_settings()
  settings_lib.check_run_config(root_dir, settings)
  table = table or settings_lib.ReplayTable()
  agent = agent_lib.make_agent(settings)
  steps = settings_lib.stored_steps_per_episode(settings.task_name)
  per_episode = settings_lib.windows_per_episode(steps, settings.sequence_length)
  table = dataclasses.replace(table, samples_per_insert=(
      settings_lib.samples_per_insert(table, settings, per_episode)))
  paths = episodes.episode_files(run_dir.RunDir(root_dir).episodes_dir)
  stored = sum(settings_lib.windows_per_episode(episodes.episode_length(p),
                                                settings.sequence_length)
               for p in paths)
  min_size = table.min_size_to_sample or (settings.num_seed_episodes *
                                          per_episode)
  server = reverb.Server(
      tables.make_tables(agent.collect_data_spec,
                         tables.pushed_variables(agent), table,
                         max(min_size, stored, 1), per_episode),
      port=port)
  client = reverb.Client(f'localhost:{server.port}')
  refilled = refill(client, paths, agent.collect_data_spec,
                    settings.sequence_length)
  print(f'replay server on port {server.port}: refilled {refilled} windows '
        f'of {len(paths)} stored episodes', flush=True)
  return server, refilled


def serve(root_dir, port=None):
  """Runs the server until the process is stopped."""
  os.makedirs(root_dir, exist_ok=True)
  server, _ = start(root_dir, port)
  server.wait()
