"""Bad input to every command: one line on stderr, exit code 1, no traceback,
nothing changed on disk.

`CASES` is the table: each bad input, the command it is given to, and a part
of the line it gets. Four tiny runs are trained once (PlaNet, GLAMOR, two
reward heads, Dreamer); each case works in a directory of its own, on copies of the
runs it names, and its files (sizes and modification times) are compared
before and after. The cases run two at a time. `docs/bad_input.md` is this
table with the lines the commands print:

  python tests/test_bad_input.py      # rewrites docs/bad_input.md (trains)
"""

import concurrent.futures
import contextlib
import dataclasses
import glob
import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from typing import Callable, Tuple

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, 'bin')
DOC = os.path.join(ROOT, 'docs', 'bad_input.md')
# The console a user gets: no log level of the tests'.
ENV = dict({k: v for k, v in os.environ.items()
            if k not in ('TF_CPP_MIN_LOG_LEVEL', 'PYTHONWARNINGS')},
           MUJOCO_GL=os.environ.get('MUJOCO_GL', 'egl'))
# The runs the cases copy: `{name}` in a case's arguments is its copy.
RUNS = {'planet': 'tiny.gin', 'glamor': 'glamor_tiny.gin',
        'multihead': 'cheetah_multihead_tiny.gin',
        'dreamer': 'dreamer_tiny.gin'}
PARALLEL = 2


# What a case breaks before its command runs: a context manager on the
# case's directory, yielding more `{name}` values for its arguments.

@contextlib.contextmanager
def _unchanged(work):
  del work
  yield {}


def _breaking(fn):
  """A `prepare` from `fn(work)`, which edits files and returns nothing."""
  @contextlib.contextmanager
  def prepare(work):
    fn(work)
    yield {}
  return prepare


def _write(relative, data):
  """A `prepare` that writes `data` (bytes) to `<work>/<relative>`."""
  def write(work):
    path = os.path.join(work, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
      f.write(data)
  return _breaking(write)


def _truncate(relative_glob, keep=0.5):
  """A `prepare` that cuts the newest file matching a glob to `keep` of it."""
  def truncate(work):
    path = sorted(glob.glob(os.path.join(work, relative_glob)))[-1]
    os.truncate(path, int(os.path.getsize(path) * keep))
  return _breaking(truncate)


def _foreign_npz():
  """An npz of someone else's arrays."""
  data = io.BytesIO()
  np.savez(data, weights=np.zeros(3))
  return data.getvalue()


@contextlib.contextmanager
def _port_taken(work):
  """Another process's listening socket; `{port}` is its port."""
  del work
  with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(('', 0))
    s.listen()
    yield {'port': s.getsockname()[1]}


def _mount(*args):
  """`mount args`; its `CompletedProcess` (exit code 1 without `mount`)."""
  if not shutil.which('mount'):
    return subprocess.CompletedProcess(args, 1, '', 'no mount command')
  return subprocess.run(['mount', *args], capture_output=True, text=True,
                        check=False)


@contextlib.contextmanager
def _read_only(work):
  """`{ro}` is a read-only bind mount of the PlaNet run's copy."""
  mount = os.path.join(work, 'ro')
  os.makedirs(mount)
  bound = _mount('--bind', os.path.join(work, 'planet'), mount)
  if bound.returncode:
    os.rmdir(mount)
    pytest.skip(f'a read-only run directory needs a bind mount: '
                f'{bound.stderr.strip()}')
  try:
    remount = _mount('-o', 'remount,bind,ro', mount)
    if remount.returncode:
      pytest.skip(f'cannot remount read-only: {remount.stderr.strip()}')
    yield {'ro': mount}
  finally:
    _mount_gone(mount)


@contextlib.contextmanager
def _full_disk(work):
  """`{full}` is a 256 KiB tmpfs filled to the last byte."""
  mount = os.path.join(work, 'full')
  os.makedirs(mount)
  made = _mount('-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mount)
  if made.returncode:
    os.rmdir(mount)
    pytest.skip(f'a full disk needs a tmpfs mount: {made.stderr.strip()}')
  try:
    filler = os.open(os.path.join(mount, 'filler'), os.O_WRONLY | os.O_CREAT)
    with contextlib.suppress(OSError):
      while True:
        os.write(filler, b'\0' * 4096)
    os.close(filler)
    yield {'full': mount}
  finally:
    _mount_gone(mount)


def _mount_gone(mount):
  subprocess.run(['umount', mount], check=False, capture_output=True)
  with contextlib.suppress(OSError):
    os.rmdir(mount)


@dataclasses.dataclass(frozen=True)
class Case:
  """A bad input: `bin/<command> <args>`, whose one line contains `expect`.

  `args` name a run copied into the case's directory as `{planet}`,
  `{glamor}`, `{multihead}` or `{dreamer}` (or `uses` it), the directory itself as
  `{work}`, and what `prepare` yields (`{port}`, ...).
  """
  bad_input: str
  command: str
  args: Tuple[str, ...]
  expect: str
  prepare: Callable = _unchanged
  uses: Tuple[str, ...] = ()


def _train(root, gin, *params):
  return (f'--root_dir={root}', f'--gin_file={gin}') + tuple(
      f'--gin_param={p}' for p in params)


CASES = (
    # A gin binding that is unknown, wrongly typed or out of range.
    Case('unknown setting', 'train',
         _train('{work}/new', 'tiny.gin', 'train_eval.num_episode = 5'),
         "Configurable 'train_eval' doesn't have a parameter named "
         "'num_episode'"),
    Case('a binding gin cannot parse', 'train',
         _train('{work}/new', 'tiny.gin', 'train_eval.num_episodes = ('),
         'cannot parse it'),
    Case('string for an int (GLAMOR)', 'train',
         _train('{work}/new', 'glamor_tiny.gin',
                "glamor_train_eval.num_goals = 'many'"),
         "glamor_train_eval.num_goals takes an int, not 'many'"),
    Case('string for an int (PlaNet)', 'train',
         _train('{work}/new', 'tiny.gin', "train_eval.batch_size = 'big'"),
         "train_eval.batch_size takes an int, not 'big'"),
    Case('number for a task list', 'train',
         _train('{work}/new', 'multitask_tiny.gin', 'train_eval.task_names = 3'),
         'train_eval.task_names takes a list (each a string) or None, not 3'),
    Case('zero batch size', 'train',
         _train('{work}/new', 'tiny.gin', 'train_eval.batch_size = 0'),
         'batch_size must be >= 1, got 0'),
    Case('negative step budget', 'train',
         _train('{work}/new', 'glamor_tiny.gin',
                'glamor_train_eval.num_env_steps = -5'),
         'num_env_steps must be >= 1, got -5'),
    # Names: gin files, tasks, heads, policies.
    Case('unknown gin file', 'train', _train('{work}/new', 'tiny_typo.gin'),
         "Unknown gin file 'tiny_typo.gin'"),
    Case('unknown task', 'train',
         _train('{work}/new', 'tiny.gin', "train_eval.task_name = 'fly'"),
         "'fly'"),
    Case('unknown reward head', 'evaluate',
         ('--policy={multihead}', '--reward_head=sideways'),
         "'sideways' is not a reward head of"),
    Case('a reward head for a one-head run', 'evaluate',
         ('--policy={planet}', '--reward_head=forward'),
         'no reward heads to choose from'),
    Case('no such policy', 'evaluate', ('--policy={work}/nowhere',),
         'is neither a SavedModel directory'),
    Case('zero episodes', 'evaluate', ('--policy={planet}', '--num_episodes=0'),
         '--num_episodes'),
    # The run directory: a file, foreign, another run's, damaged.
    Case('root_dir is a file', 'train', _train('{work}/file', 'tiny.gin'),
         'file is a file where a directory is expected',
         _write('file', b'not a run')),
    Case('resume with another agent kind', 'train',
         _train('{planet}', 'glamor_tiny.gin'),
         'holds a run of another agent kind than glamor_train_eval'),
    Case('truncated episode file', 'train',
         _train('{planet}', 'tiny.gin', 'train_eval.num_episodes = 6'),
         'Cannot read episode file',
         _truncate('planet/train/episodes/episode-*.npz')),
    Case('empty goal file', 'train', _train('{glamor}', 'glamor_tiny.gin'),
         'Cannot read goal file', _write('glamor/train/goals.npz', b'')),
    Case('truncated goal file', 'evaluate', ('--policy={glamor}',),
         'Cannot read goal file', _truncate('glamor/train/goals.npz')),
    Case('foreign goal file', 'train', _train('{glamor}', 'glamor_tiny.gin'),
         'holds no goal set', _write('glamor/train/goals.npz', _foreign_npz())),
    Case('checkpoint index naming no checkpoint', 'train',
         _train('{planet}', 'tiny.gin', 'train_eval.num_episodes = 6'),
         'ckpt-99, which does not exist',
         _write('planet/train/checkpoint',
                b'model_checkpoint_path: "ckpt-99"\n')),
    Case('no checkpoint to export', 'export',
         ('--root_dir={planet}', '--checkpoint={work}/nowhere/ckpt-1',
          '--output={work}/out'), 'nowhere/ckpt-1'),
    Case('not a run directory', 'export', ('--root_dir={work}',),
         'is not a planet_tf run directory'),
    Case('no returns.csv', 'plot_returns', ('--root_dir={work}',),
         'returns.csv'),
    Case('a foreign returns.csv', 'plot_returns', ('--root_dir={planet}',),
         'is not a planet_tf returns.csv',
         _write('planet/eval/returns.csv', b'step,score\n1,2\n')),
    # The disk.
    Case('read-only run directory', 'train',
         _train('{ro}', 'tiny.gin', 'train_eval.num_episodes = 6'),
         'Read-only file system', _read_only, uses=('planet',)),
    Case('full disk', 'train', _train('{full}/run', 'tiny.gin'),
         'No space left on device', _full_disk),
    Case('full disk', 'export',
         ('--root_dir={planet}', '--output={full}/policy'),
         'No space left on device', _full_disk),
    Case('full disk', 'plot_returns',
         ('--root_dir={planet}', '--output={full}/returns.png'),
         'No space left on device', _full_disk),
    # Dreamer: one task, one reward, one process.
    Case('Dreamer with several tasks', 'train',
         _train('{work}/new', 'dreamer_tiny.gin',
                "dreamer_train_eval.task_names = ['cartpole_balance', "
                "'cheetah_run']"),
         'dreamer_train_eval.task_names: Dreamer learns one task'),
    Case('Dreamer with named rewards', 'train',
         _train('{work}/new', 'dreamer_tiny.gin',
                "planet_tf.envs.load.rewards = ('forward', 'backward')"),
         "Dreamer's actor maximises the task's one reward"),
    # How a run's policy acts, rebuilt from its checkpoint.
    Case('unknown acting', 'evaluate', ('--policy={dreamer}', '--acting=walk'),
         '--acting=walk'),
    Case('an acting the agent has not', 'evaluate',
         ('--policy={planet}', '--acting=cem_value'),
         'which acts with cem only; drop --acting=cem_value'),
    Case('a horizon for the actor', 'evaluate',
         ('--policy={dreamer}', '--horizon=5'),
         'acts with its actor, which does not plan'),
    Case('acting on an export', 'evaluate',
         ('--policy={dreamer}/policies/4', '--acting=cem'),
         'pass the run directory'),
    Case('acting of a GLAMOR run', 'evaluate',
         ('--policy={glamor}', '--acting=cem'), 'is a GLAMOR run'),
    Case('another acting without --output', 'export',
         ('--root_dir={dreamer}', '--acting=cem_value'),
         'pass --output for its export'),
    # The distributed commands.
    Case('port in use', 'replay_server',
         ('--root_dir={work}/new', '--gin_file=tiny.gin', '--port={port}'),
         'port {port} (--port) cannot be served: another process listens',
         _port_taken),
    Case('port in use', 'train_distributed',
         ('--root_dir={work}/new', '--gin_file=tiny.gin', '--port={port}'),
         'port {port} (--port) cannot be served', _port_taken),
    Case('root_dir is a file', 'train_distributed',
         ('--root_dir={work}/file', '--gin_file=tiny.gin'),
         'file is a file where a directory is expected',
         _write('file', b'not a run')),
    Case('zero actors', 'train_distributed',
         ('--root_dir={work}/new', '--gin_file=tiny.gin', '--num_actors=0'),
         '--num_actors'),
    Case('string for an int', 'train_distributed',
         _train('{work}/new', 'tiny.gin', "train_eval.batch_size = 'big'"),
         "train_eval.batch_size takes an int, not 'big'"),
    Case('actor id out of range', 'actor',
         ('--root_dir={work}/new', '--gin_file=tiny.gin',
          '--replay_address=localhost:1', '--actor_id=2', '--num_actors=2'),
         '--actor_id must be in [0, 2), got 2'),
    Case('no replay address', 'actor',
         ('--root_dir={work}/new', '--gin_file=tiny.gin'), '--replay_address'),
    Case('a GLAMOR gin file', 'learner',
         ('--root_dir={work}/new', '--gin_file=glamor_tiny.gin',
          '--replay_address=localhost:1'),
         'Distributed training runs PlaNet only'),
    Case('a Dreamer gin file', 'train_distributed',
         ('--root_dir={work}/new', '--gin_file=dreamer_tiny.gin'),
         'Distributed training runs PlaNet only'),
)


def _case_id(case):
  return f'{case.command}: {case.bad_input}'


def _snapshot(root):
  """Every file under `root` with its size and modification time, and every
  directory; the run lock's pid file aside (each process writes its pid)."""
  found = {}
  for directory, dirs, files in os.walk(root):
    found[directory] = None
    for name in files:
      path = os.path.join(directory, name)
      if name != '.lock':
        found[path] = (os.path.getsize(path), os.path.getmtime(path))
  return found


def _start_runs(base):
  """Starts training every run of `RUNS` under `base`, one TensorFlow thread
  each; `_finished` waits for them."""
  return {name: (os.path.join(base, name), subprocess.Popen(
      [sys.executable, os.path.join(BIN, 'train'),
       f'--root_dir={os.path.join(base, name)}', f'--gin_file={gin}'],
      env=dict(ENV, TF_NUM_INTRAOP_THREADS='1', TF_NUM_INTEROP_THREADS='1'),
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
          for name, gin in RUNS.items()}


def _finished(training):
  """`{name: run directory}` once every run of `_start_runs` has finished."""
  for name, (_, proc) in training.items():
    _, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, f'{name}: {err[-3000:]}'
  return {name: root for name, (root, _) in training.items()}


def _runs_of(case):
  """The names of the runs a case copies."""
  return {name for name in RUNS if name in case.uses or
          any(f'{{{name}}}' in a for a in case.args)}


@dataclasses.dataclass
class Outcome:
  """What a case's command did."""
  returncode: int
  stderr: str
  line: str  # Its one line, masked for the docs (`_mask`).
  before: dict
  after: dict
  values: dict


def _run_case(case, runs, base):
  """Runs one case in a directory of its own; returns its `Outcome`."""
  work = tempfile.mkdtemp(prefix='case-', dir=base)
  for name in _runs_of(case):
    shutil.copytree(runs[name], os.path.join(work, name), symlinks=True)
  with case.prepare(work) as extra:
    values = dict({name: os.path.join(work, name) for name in RUNS},
                  work=work, **extra)
    args = [a.format(**values) for a in case.args]
    before = _snapshot(work)
    result = subprocess.run(
        [sys.executable, os.path.join(BIN, case.command), *args], env=ENV,
        capture_output=True, text=True, timeout=600, check=False, cwd=work)
    after = _snapshot(work)
  lines = [l for l in result.stderr.splitlines() if l.strip()]
  return Outcome(result.returncode, result.stderr,
                 _mask(lines[-1] if lines else '', work, values), before,
                 after, values)


def _mask(line, work, values):
  """A line without what differs between runs: paths, the port."""
  line = line.replace(work, '<tmp>').replace(ROOT, '<checkout>')
  if 'port' in values:
    line = line.replace(str(values['port']), '<port>')
  return line


@pytest.fixture(scope='module')
def outcomes(tmp_path_factory, finished_run):
  """`{case id: Outcome, or the pytest.skip reason}` of every case, on the
  session's finished tiny runs (conftest.finished_run)."""
  base = str(tmp_path_factory.mktemp('bad_input'))
  return run_cases(base, {name: finished_run(gin[:-len('.gin')])[0]
                          for name, gin in RUNS.items()})


def run_cases(base, finished=None):
  """Runs every case; without `finished` runs, those that copy no run while
  the runs train.

  Args:
    base: a directory for the cases (and the runs it trains).
    finished: `{name: run directory}` of every run of `RUNS`, or None.

  Returns:
    `{case id: Outcome}`; a skipped case's reason, a failed one's exception.
  """
  training = None if finished else _start_runs(os.path.join(base, 'runs'))
  runs = dict(finished or {})

  def attempt(case):
    try:
      return _run_case(case, runs, base)
    except pytest.skip.Exception as e:
      return str(e)
    except Exception as e:  # pylint: disable=broad-except
      return e  # The case's test fails with it; the others still run.
  with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
    futures = {_case_id(c): pool.submit(attempt, c) for c in CASES
               if not _runs_of(c)}
    if training:
      runs.update(_finished(training))
    futures.update({_case_id(c): pool.submit(attempt, c) for c in CASES
                    if _runs_of(c)})
    return {_case_id(c): futures[_case_id(c)].result() for c in CASES}


def test_the_table_is_large_and_covers_every_command():
  assert len(CASES) >= 30
  assert {c.command for c in CASES} == {
      'train', 'evaluate', 'export', 'plot_returns', 'train_distributed',
      'replay_server', 'actor', 'learner'}
  assert len(set(map(_case_id, CASES))) == len(CASES)


@pytest.mark.slow
@pytest.mark.parametrize('case', CASES, ids=_case_id)
def test_bad_input_gets_one_line_exit_1_and_changes_nothing(case, outcomes):
  outcome = outcomes[_case_id(case)]
  if isinstance(outcome, Exception):
    raise outcome
  if isinstance(outcome, str):
    pytest.skip(outcome)
  lines = [l for l in outcome.stderr.splitlines() if l.strip()]
  assert outcome.returncode == 1, outcome.stderr[-3000:]
  assert 'Traceback' not in outcome.stderr, outcome.stderr[-3000:]
  assert len(lines) == 1, outcome.stderr[-3000:]
  assert lines[0].startswith(f'bin/{case.command}: error: '), lines[0]
  assert case.expect.format(**outcome.values) in lines[0], lines[0]
  assert outcome.after == outcome.before


@pytest.mark.slow
def test_the_docs_table_is_the_lines_the_commands_print(outcomes):
  with open(DOC) as f:
    assert f.read() == markdown(outcomes)


def markdown(outcomes):
  """docs/bad_input.md: each case, its command and the line it gets."""
  rows = []
  for case in CASES:
    outcome = outcomes[_case_id(case)]
    line = (f'(skipped: {outcome})' if isinstance(outcome, str) else
            f'`{outcome.line}`')
    args = ' '.join(case.args).replace('{work}', '<tmp>')
    rows.append(f'| {case.bad_input} | `bin/{case.command} {args}` | '
                f'{line.replace("|", "&#124;")} |')
  return _HEADER + '\n'.join(rows) + '\n'


_HEADER = '''# Bad input and the line it gets

Every command answers bad input with one line on stderr,
`bin/<command>: error: <what is wrong and what to do>`, exit code 1, no
traceback, and leaves every file as it was (the run lock's pid aside).
`tests/test_bad_input.py` checks each row below; `python
tests/test_bad_input.py` rewrites this page from its table. `{planet}`,
`{glamor}`, `{multihead}` and `{dreamer}` are copies of finished tiny runs
(`tiny.gin`, `glamor_tiny.gin`, `cheetah_multihead_tiny.gin`,
`dreamer_tiny.gin`), `<tmp>` a
directory of the case's own, `{ro}` a read-only bind mount of `{planet}`,
`{full}` a tmpfs filled to its last byte, `{port}` a port another socket
listens on (`<port>` in the lines).

| bad input | command | the line |
| --- | --- | --- |
'''


if __name__ == '__main__':
  with tempfile.TemporaryDirectory() as tmp:
    found = run_cases(tmp)
  with open(DOC, 'w') as f:
    f.write(markdown(found))
  print(f'wrote {DOC}')
