"""Runs Kaixhin/PlaNet's main.py in resumable segments (scratch harness).

  python kaixhin_run.py --planet /work/xc/PlaNet --run-dir RUN_DIR --id ID \
      --max-minutes M -- MAIN_PY_FLAGS...

Run with the PyTorch virtualenv (run_kaixhin.sh sets it up). MAIN_PY_FLAGS are
main.py's own flags; this adds --id, --checkpoint-experience and, when RUN_DIR
holds a checkpoint, --models and --experience-replay, so the same command
starts the run or resumes it. main.py runs with RUN_DIR as its working
directory (it writes results/ID/), one segment per invocation.

What main.py's resume restores (read from its code at 28c8491): the four
networks' weights and Adam's state (models_N.pth: state dicts of the models and
the optimiser), and the experience replay with its episode and step counters
(experience.pth, a pickled ExperienceReplay); the episode loop restarts after
the replay's episode count, and the seed episodes are not collected again. It
does not restore the metrics (main.py starts them empty, so its metrics.pth,
written at each test, holds only the segment's own episodes), the random number
generators (NumPy and torch are seeded again with --seed, so a segment replays
the random streams from their start) or the environment (built again with
--seed: its initial states repeat from the run's first episode).

So that a kill loses at most the episode in progress, and a kill while
main.py writes a checkpoint cannot destroy the last good one, this polls
results/ID/ while main.py runs: a complete checkpoint of episode N (models_N.pth
and the experience.pth written after it, both complete zip files) is moved to
RUN_DIR/checkpoints/ as models_N.pth and experience_N.pth (a rename: the next
torch.save writes a new file), and only the newest pair is kept; each new
complete metrics.pth is copied to RUN_DIR/segments/metrics_K.pth for segment K.
Once --max-minutes have passed, the segment stops (SIGTERM) as soon as the next
checkpoint is stored, that is after the episode in progress, as planet_tf's
bin/train --max_minutes does; then RUN_DIR/eval/returns.csv is rewritten from
the checkpoint and the segments (kaixhin_segments.py). A clean stop loses
nothing; a hard kill of main.py loses the episode in progress (its updates,
exploring episode and test), which the next segment runs again. main.py runs in
a process group of its own (RUN_DIR/main.pid): SIGTERM or SIGINT to this
harness stops it too, and a harness does not start while a main.py it started
still runs in RUN_DIR.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kaixhin_segments  # pylint: disable=g-import-not-at-top

POLL_SECONDS = 5


def complete(path):
  """True if `path` is a complete torch.save file (a zip with its directory)."""
  try:
    with zipfile.ZipFile(path) as f:
      return bool(f.namelist())
  except (OSError, zipfile.BadZipFile):
    return False


def checkpoints(directory, pattern):
  """{episode: path} of the files `pattern` (with one %d) in `directory`."""
  found = {}
  regex = re.compile('^' + re.escape(pattern).replace('%d', r'(\d+)') + '$')
  for path in glob.glob(os.path.join(directory, pattern.replace('%d', '*'))):
    match = regex.match(os.path.basename(path))
    if match:
      found[int(match.group(1))] = path
  return found


class Segment:
  """The bookkeeping of one run directory."""

  def __init__(self, run_dir, run_id):
    self.run_dir = run_dir
    self.results = os.path.join(run_dir, 'results', run_id)
    self.store = os.path.join(run_dir, 'checkpoints')
    self.segments = os.path.join(run_dir, 'segments')
    for d in (self.results, self.store, self.segments):
      os.makedirs(d, exist_ok=True)
    # Segment K writes segment_K.log and segments/metrics_K.pth.
    self.index = len(glob.glob(os.path.join(run_dir, 'segment_*.log')))
    self.metrics_mtime = None

  def latest(self):
    """(episode, models path, experience path) of the newest checkpoint, or None."""
    models = checkpoints(self.store, 'models_%d.pth')
    experience = checkpoints(self.store, 'experience_%d.pth')
    both = sorted(set(models) & set(experience))
    return (both[-1], models[both[-1]], experience[both[-1]]) if both else None

  def collect(self, index=None):
    """Moves complete checkpoints into the store, copies a new metrics.pth.

    The metrics go to segments/metrics_K.pth, K = `index` or this segment's.
    """
    experience = os.path.join(self.results, 'experience.pth')
    models = checkpoints(self.results, 'models_%d.pth')
    if models and os.path.exists(experience) and complete(experience):
      when = os.stat(experience).st_mtime_ns
      # The experience belongs to the newest models file written before it.
      before = [n for n, p in models.items()
                if os.stat(p).st_mtime_ns <= when and complete(p)]
      if before:
        n = max(before)
        os.replace(models[n], os.path.join(self.store, 'models_%d.pth' % n))
        os.replace(experience,
                   os.path.join(self.store, 'experience_%d.pth' % n))
        for m in models:
          if m <= n and os.path.exists(models[m]):
            os.remove(models[m])  # older, never paired: superseded
        latest = self.latest()
        for pattern in ('models_%d.pth', 'experience_%d.pth'):
          for m, path in checkpoints(self.store, pattern).items():
            if latest and m < latest[0]:
              os.remove(path)
    metrics = os.path.join(self.results, 'metrics.pth')
    if os.path.exists(metrics):
      mtime = os.stat(metrics).st_mtime_ns
      if mtime != self.metrics_mtime and complete(metrics):
        target = os.path.join(self.segments, 'metrics_%d.pth' % (
            self.index if index is None else index))
        shutil.copyfile(metrics, target + '.tmp')
        os.replace(target + '.tmp', target)
        self.metrics_mtime = mtime


def running(pid_file):
  """The pid in `pid_file` if that process is alive and is a main.py."""
  try:
    with open(pid_file) as f:
      pid = int(f.read())
    with open(f'/proc/{pid}/cmdline', 'rb') as f:
      return pid if b'main.py' in f.read() else None
  except (OSError, ValueError):
    return None


def stop(process):
  """SIGTERM to main.py's process group; SIGKILL after 60 s."""
  try:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(60)
  except subprocess.TimeoutExpired:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
  except ProcessLookupError:
    process.wait()


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--planet', required=True, help='Kaixhin/PlaNet clone')
  parser.add_argument('--run-dir', required=True)
  parser.add_argument('--id', required=True, help="main.py's --id")
  parser.add_argument('--max-minutes', type=float, required=True)
  parser.add_argument('main_flags', nargs=argparse.REMAINDER)
  args = parser.parse_args()
  flags = [f for f in args.main_flags if f != '--']
  # argparse keeps a flag's last value.
  episodes = int(flags[len(flags) - 1 - flags[::-1].index('--episodes') + 1])
  run_dir = os.path.abspath(args.run_dir)
  segment = Segment(run_dir, args.id)
  pid_file = os.path.join(run_dir, 'main.pid')
  if running(pid_file):
    print(f'{run_dir}: main.py (pid {running(pid_file)}) still runs here; '
          'not starting another.', flush=True)
    return 1
  # A previous segment killed between polls may have left a complete
  # checkpoint, or metrics.pth, of its own.
  if segment.index:
    segment.collect(index=segment.index - 1)
  # A metrics.pth of the previous segment must not be taken for this one's.
  if os.path.exists(os.path.join(segment.results, 'metrics.pth')):
    os.remove(os.path.join(segment.results, 'metrics.pth'))
  for path in checkpoints(segment.results, 'models_%d.pth').values():
    os.remove(path)  # never paired with an experience: unusable
  latest = segment.latest()
  kaixhin_segments.write_flags(run_dir, args.planet, flags)
  command = [sys.executable, os.path.join(args.planet, 'main.py'),
             '--id', args.id] + flags + ['--checkpoint-experience']
  if latest:
    if latest[0] >= episodes:
      print(f'{run_dir}: finished ({latest[0]} episodes).')
      kaixhin_segments.write(run_dir)
      return 0
    command += ['--models', latest[1], '--experience-replay', latest[2]]
    print(f'{run_dir}: resuming after episode {latest[0]}, segment '
          f'{segment.index}.', flush=True)
  else:
    print(f'{run_dir}: starting, segment {segment.index}.', flush=True)
  log = open(os.path.join(run_dir, 'segment_%d.log' % segment.index), 'w')
  log.write(' '.join(command) + '\n')
  log.flush()
  start = time.time()
  process = subprocess.Popen(command, cwd=run_dir, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
  with open(pid_file, 'w') as f:
    f.write(str(process.pid))

  def on_signal(signum, frame):  # pylint: disable=unused-argument
    # main.py is in its own process group: take it down with the harness.
    stop(process)
    segment.collect()
    sys.exit(128 + signum)

  for signum in (signal.SIGTERM, signal.SIGINT):
    signal.signal(signum, on_signal)
  deadline = start + 60 * args.max_minutes
  stopping = None  # the newest stored episode when the budget ran out
  while process.poll() is None:
    time.sleep(POLL_SECONDS)
    segment.collect()
    stored = segment.latest()[0] if segment.latest() else 0
    if stopping is None and time.time() >= deadline:
      stopping = stored
      print(f'{run_dir}: {args.max_minutes} min spent; stopping at the next '
            f'checkpoint (the newest: episode {stopping}).', flush=True)
    if stopping is not None and stored > stopping:
      stop(process)
  segment.collect()
  latest = segment.latest()
  done = latest[0] if latest else 0
  minutes = (time.time() - start) / 60
  print(f'{run_dir}: segment {segment.index} ended after {minutes:.1f} min '
        f"(main.py's exit code {process.returncode}); checkpoint after "
        f'episode {done} of {episodes}.', flush=True)
  if latest:
    kaixhin_segments.write(run_dir)
  return 0 if stopping is not None or process.returncode == 0 else 1


if __name__ == '__main__':
  sys.exit(main())
