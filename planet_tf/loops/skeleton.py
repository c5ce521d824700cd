"""The run skeleton, written once for every agent kind (`AgentLoop`).

Open, lock and check the run directory; seed; build; restore and recover
after a kill; the seed episodes; then, until the kind's stop rule or the time
budget: updates, one episode and its row, the work due after it (evaluation,
checkpoint, export), the progress line; then the final evaluation, the last
checkpoint and export, and the summary. A second call on the same directory
resumes.
"""

import contextlib
import os
import time

from absl import logging
import tensorflow as tf

from planet_tf import run_dir
from planet_tf.loops import recovery
from planet_tf.policies import saver


def run(root_dir, loop):
  """Runs `loop` (an `AgentLoop`) in `root_dir`, or resumes the run there.

  Returns:
    `loop.summary(out_of_time)`.

  Raises:
    planet_tf.run_dir.ConfigMismatchError: if `root_dir` holds a run with a
      different configuration.
    planet_tf.run_dir.CheckpointError: if its checkpoint cannot be restored.
    planet_tf.run_dir.RunLockedError: if another process trains in `root_dir`.
  """
  start_time = time.time()
  paths = run_dir.RunDir(root_dir)
  loop.paths = paths
  with contextlib.ExitStack() as cleanup:
    resumed = open_run_dir(paths, loop.stored_settings(), loop.resumable,
                           cleanup, name=loop.name)
    loop.before_seeding(paths)
    # A resumed run draws new random streams (seeds from the episodes stored).
    seed = run_dir.invocation_seed(loop.settings.seed, root_dir)
    if seed is not None:
      # Python's generator too: Keras draws unseeded initializers' seeds
      # from it.
      tf.keras.utils.set_random_seed(seed)
    loop.build(paths, seed, cleanup)
    restored = recovery.restore(root_dir, loop.checkpoint, loop.replay,
                                loop.metrics, resumed, paths.episodes_dir)
    # Once everything stored is read: a refused start prints its error only.
    logging.info('Run directory: %s', os.path.abspath(root_dir))
    loop.start(seed)
    if restored.work_missed:
      loop.write_lost_rows(restored.counted)
    with loop.train_writer.as_default():
      while loop.seeding():
        loop.collect_seed_episode()
      loop.after_seed_episodes(restored.work_missed)
      out_of_time = False
      while not loop.finished():
        out_of_time = time_is_up(start_time, loop.settings.max_minutes)
        if out_of_time:
          break
        loss = loop.train()
        loop.collect_episode()
        loop.after_episode()
        loop.print_progress(loss)
      if not out_of_time:
        loop.final_evaluation()
      loop.finish()
    if out_of_time:
      count, total, unit = loop.stop_message()
      logging.info('Stopped after %.1f minutes (%s.max_minutes) at %d of %d '
                   '%s; run the same command to resume.',
                   (time.time() - start_time) / 60, loop.name, count, total,
                   unit)
    return loop.summary(out_of_time)


def open_run_dir(paths, stored_settings, resumable, cleanup, name):
  """Locks the run directory and checks its stored configuration.

  The lock comes first: a second process must not even look at (or write) the
  stored configuration of a run that is going on. A refused start removes what
  it created.

  Args:
    paths: the run's `run_dir.RunDir`.
    stored_settings: dict of the loop's settings as the run stores them.
    resumable: names of the settings that may change on resume.
    cleanup: `contextlib.ExitStack` that releases the lock.
    name: the loop's gin name.

  Returns:
    True if the directory holds this run (a resume).
  """
  new_dirs = [d for d in (paths.root, paths.train_dir) if not os.path.isdir(d)]
  try:
    lock = run_dir.lock(paths.root)
  except OSError:  # A read-only or full disk: leave no directory behind.
    run_dir.remove_empty(new_dirs[::-1])
    raise
  try:
    bindings = run_dir.run_bindings(stored_settings, resumable, name=name)
    resumed = run_dir.check_config(paths.root, bindings, resumable, name=name)
  except Exception:
    run_dir.unlock(lock, remove_dirs=new_dirs[::-1])
    raise
  cleanup.callback(lock.close)
  saver.remove_stale_exports(paths.policies_dir)
  return resumed


def time_is_up(start_time, max_minutes):
  """True once `max_minutes` (None: no limit) have passed since `start_time`."""
  return (max_minutes is not None and
          time.time() - start_time >= 60 * float(max_minutes))
