"""What both trainers share: the data, the chunks, the metrics, the resume state.

Imports only numpy, so planet_tf's venv (TensorFlow) and the Kaixhin/PlaNet
venv (PyTorch) run the same code for everything that is not the model: both
train on the same chunks in the same order (`ChunkSampler` with one seed), and
both are scored by `heldout_metrics` on the same targets, masks and windows.

Time alignment of the data (`make_data.py`): an episode is `FRAMES` frames
o_0..o_125 and `STEPS` actions and rewards; `actions[t]` is taken at o_t,
`rewards[t]` is earned by it, and it leads to o_{t+1}.
"""

import argparse
import csv
import json
import os
import time

import numpy as np

# Episodes: 1000 simulator steps at action repeat 8 (crosscheck.gin).
STEPS = 125
FRAMES = STEPS + 1
BIT_DEPTH = 5

# Training chunks (crosscheck.gin's train_eval.batch_size, sequence_length).
BATCH_SIZE = 16
CHUNK_LENGTH = 50

# Open loop on the held-out episodes: 5 frames observed (the posterior over
# window frames 0..4), then 45 frames predicted by the prior from the true
# actions. Windows start at these frames of every held-out episode (a window
# is 50 frames, so 76 is the last start that fits in 126 frames).
CONTEXT = 5
OPEN_LOOP_LENGTH = 50
OPEN_LOOP_STARTS = (0, 25, 50, 75)

# The still: held-out episode 0, the window that starts at frame 75, and its
# frame 90 (the 11th open-loop prediction, 88 simulator steps after the last
# observed frame, 79). The pole is in view in frames 75..91 of that episode.
STILL_EPISODE = 0
STILL_START = 75
STILL_FRAME = 90

# The pole's pixels. The pole and the cart share dm_control's material 'self',
# rgba (.7, .5, .3), rendered orange: about (229, 165, 102) where lit, darker
# where shaded. The floor and sky are blue-grey (blue above red). A pixel is
# orange when red exceeds blue by more than POLE_RED_MINUS_BLUE and red > green
# > blue. The cart slides along a fixed rail, so it always covers image rows
# CART_ROWS (checked against the simulator's segmentation in `mask_check`);
# the mask leaves those rows out, and with them the few pole pixels there.
POLE_RED_MINUS_BLUE = 40
CART_ROWS = (30, 34)  # [first, last + 1)

# Segmentation labels stored by make_data.py for `mask_check`.
LABEL_OTHER, LABEL_CART, LABEL_POLE = 0, 1, 2

# The evaluation's own random seed (latent samples), the same at every
# evaluation, so that a metric changes only because the model does.
EVAL_SEED = 12345

CSV_COLUMNS = ('updates', 'recon_mse', 'pole_mse', 'open_loop_mse',
               'open_loop_pole_mse', 'reward_mse', 'wall_seconds',
               'cpu_seconds')


# ---- data -------------------------------------------------------------------


def load_data(path):
  """Reads make_data.py's file.

  Returns:
    dict with `train` and `heldout`, each a dict of `frames` uint8
    `[N, FRAMES, 64, 64, 3]`, `actions` float32 `[N, FRAMES, A]` and `rewards`
    float32 `[N, FRAMES]` (the last step of each padded with zeros: no action
    is taken at the final frame, and no chunk target reads it), and
    `action_minimum`, `action_maximum` float32 `[A]`.
  """
  with np.load(path) as data:
    num_train = int(data['num_train'])
    frames = data['frames']
    actions = pad_last_step(data['actions'])
    rewards = pad_last_step(data['rewards'])
    split = lambda lo, hi: {'frames': frames[lo:hi], 'actions': actions[lo:hi],
                            'rewards': rewards[lo:hi]}
    return {'train': split(0, num_train),
            'heldout': split(num_train, len(frames)),
            'action_minimum': data['action_minimum'],
            'action_maximum': data['action_maximum']}


def pad_last_step(x):
  """`[N, STEPS, ...]` -> `[N, FRAMES, ...]` with zeros at the final frame."""
  pad = np.zeros((x.shape[0], 1) + x.shape[2:], x.dtype)
  return np.concatenate([x, pad], axis=1)


def data_fingerprint(path):
  """`size:mtime` of the data file, stored with a run so a resume uses it."""
  stat = os.stat(path)
  return f'{stat.st_size}:{int(stat.st_mtime)}'


# ---- images -----------------------------------------------------------------


def bin_centres(frames):
  """uint8 `[..., H, W, C]` -> float32 5-bit bin centres in [-0.5, 0.5).

  The metrics' target and the encoders' input at evaluation: the mean of both
  implementations' dequantised training input (planet_tf's
  `preprocessing.preprocess(noise=False)`, and Kaixhin/PlaNet's
  `preprocess_observation_` without its uniform noise).
  """
  bins = 2 ** BIT_DEPTH
  quantised = (frames >> (8 - BIT_DEPTH)).astype(np.float32)
  return (quantised + 0.5) / bins - 0.5


def postprocess(images):
  """float `[..., H, W, C]` in [-0.5, 0.5) -> uint8 5-bit pictures.

  planet_tf's `preprocessing.postprocess`: the lowest uint8 of each bin.
  Kaixhin/PlaNet's `postprocess_observation` is the same formula but clips
  after scaling, so it maps values above 0.5 to 255 rather than 248; the
  stills of both runs use this one.
  """
  bins = 2 ** BIT_DEPTH
  quantised = np.clip(np.floor((images + 0.5) * bins), 0, bins - 1)
  return (quantised * 2 ** (8 - BIT_DEPTH)).astype(np.uint8)


def pole_mask(frames):
  """bool `[..., H, W]`: the pole's pixels of uint8 frames `[..., H, W, 3]`."""
  rgb = frames.astype(np.int16)
  red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
  orange = (red - blue > POLE_RED_MINUS_BLUE) & (red > green) & (green > blue)
  rows = np.arange(frames.shape[-3])
  outside_cart = (rows < CART_ROWS[0]) | (rows >= CART_ROWS[1])
  return orange & outside_cart[:, None]


def mask_check(frames, labels):
  """The pole mask against the simulator's segmentation.

  Args:
    frames: uint8 `[..., H, W, 3]`.
    labels: uint8 `[..., H, W]` of `LABEL_*` (which geom each pixel shows).

  Returns:
    dict: `pole_pixels_per_frame` (of the mask), `precision` (share of the
    mask on the pole), `recall` (share of the pole's pixels outside the cart's
    rows that the mask has), `cart_pixels` and `background_pixels` in the mask
    (counts over all frames), `cart_rows` (the rows any cart pixel is on).
  """
  mask = pole_mask(frames)
  pole = labels == LABEL_POLE
  rows = np.arange(frames.shape[-3])
  outside_cart = ((rows < CART_ROWS[0]) | (rows >= CART_ROWS[1]))[:, None]
  cart_rows = np.flatnonzero((labels == LABEL_CART).any(axis=-1).reshape(
      -1, frames.shape[-3]).any(axis=0))
  frames_count = int(np.prod(frames.shape[:-3]))
  return {
      'pole_pixels_per_frame': float(mask.sum() / frames_count),
      'precision': float((mask & pole).sum() / max(mask.sum(), 1)),
      'recall': float((mask & pole).sum() / max((pole & outside_cart).sum(), 1)),
      'cart_pixels': int((mask & (labels == LABEL_CART)).sum()),
      'background_pixels': int((mask & (labels == LABEL_OTHER)).sum()),
      'cart_rows': [int(r) for r in cart_rows],
  }


# ---- chunks -----------------------------------------------------------------


class ChunkSampler:
  """Draws `[B]` windows of `length` frames uniformly over all windows inside
  the training episodes (as planet_tf's `EpisodeReplay`; every episode has the
  same length, so this is also Kaixhin/PlaNet's uniform draw without its
  chunks that cross an episode boundary).

  Its state is a JSON-able dict, stored with each checkpoint: a resumed run
  draws the chunks an uninterrupted run would have drawn.
  """

  def __init__(self, num_episodes, seed, batch_size=BATCH_SIZE,
               length=CHUNK_LENGTH, frames=FRAMES):
    self._num_episodes = int(num_episodes)
    self._starts = frames - length + 1
    self._batch_size = int(batch_size)
    self._length = int(length)
    self._rng = np.random.Generator(np.random.PCG64(seed))

  def sample(self):
    """Returns `(episodes [B], starts [B])`, int64."""
    flat = self._rng.integers(0, self._num_episodes * self._starts,
                              size=self._batch_size)
    return flat // self._starts, flat % self._starts

  def gather(self, split):
    """A batch of chunks of `split` (a `load_data` split).

    Returns:
      `(frames uint8 [B, L, H, W, C], actions [B, L, A], rewards [B, L],
      positions int [B, L])`; `positions` are the frames' indices in their
      episodes (0 is the episode's first frame).
    """
    episodes, starts = self.sample()
    index = starts[:, None] + np.arange(self._length)[None]
    take = lambda x: x[episodes[:, None], index]
    return (take(split['frames']), take(split['actions']),
            take(split['rewards']), index)

  @property
  def state(self):
    return self._rng.bit_generator.state

  @state.setter
  def state(self, value):
    self._rng.bit_generator.state = value


# ---- evaluation -------------------------------------------------------------


def open_loop_windows(split):
  """The open-loop windows of the held-out episodes.

  Returns:
    `(frames uint8 [W, OPEN_LOOP_LENGTH, H, W, C], actions [W, L, A],
    positions int [W, L])`, W = episodes x len(OPEN_LOOP_STARTS), ordered
    episode-major.
  """
  episodes = np.repeat(np.arange(len(split['frames'])), len(OPEN_LOOP_STARTS))
  starts = np.tile(np.array(OPEN_LOOP_STARTS), len(split['frames']))
  index = starts[:, None] + np.arange(OPEN_LOOP_LENGTH)[None]
  take = lambda x: x[episodes[:, None], index]
  return take(split['frames']), take(split['actions']), index


def previous_actions(actions):
  """`[N, T, A]` -> the action before each frame `[N, T, A]`: zero before the
  first frame (planet_tf's `sequence.previous_actions` at a chunk's start)."""
  return np.concatenate([np.zeros_like(actions[:, :1]), actions[:, :-1]], 1)


def _masked_mse(error, mask):
  """Mean of `error [..., H, W, C]` over the pixels of `mask [..., H, W]`."""
  count = mask.sum() * error.shape[-1]
  return float((error * mask[..., None]).sum() / max(count, 1))


def heldout_metrics(split, recon, reward_pred, open_loop):
  """The row's errors, all on the 5-bit bin-centre scale of `bin_centres`.

  Args:
    split: the held-out split of `load_data`.
    recon: float `[N, FRAMES, H, W, C]`, the decoder's mean at the posterior
      of every frame (each episode filtered from its first frame).
    reward_pred: float `[N, STEPS]`, the reward head's mean at the posterior of
      frames 1..STEPS, predicting `rewards[:, :STEPS]`.
    open_loop: float `[W, OPEN_LOOP_LENGTH - CONTEXT, H, W, C]`, the decoder's
      mean at the prior of frames CONTEXT.. of each `open_loop_windows` window.

  Returns:
    dict of `recon_mse`, `pole_mse`, `open_loop_mse`, `open_loop_pole_mse`
    (squared error per pixel and channel) and `reward_mse`.
  """
  frames = split['frames']
  recon_error = np.square(recon - bin_centres(frames))
  window_frames = open_loop_windows(split)[0][:, CONTEXT:]
  open_error = np.square(open_loop - bin_centres(window_frames))
  return {
      'recon_mse': float(recon_error.mean()),
      'pole_mse': _masked_mse(recon_error, pole_mask(frames)),
      'open_loop_mse': float(open_error.mean()),
      'open_loop_pole_mse': _masked_mse(open_error, pole_mask(window_frames)),
      'reward_mse': float(np.square(
          reward_pred - split['rewards'][:, :STEPS]).mean()),
  }


def still(split, recon, open_loop):
  """truth | posterior reconstruction | open-loop prediction of the still frame.

  Args: as `heldout_metrics`.

  Returns:
    uint8 `[H, 3 W, C]`, each panel at 5 bits.
  """
  window = STILL_EPISODE * len(OPEN_LOOP_STARTS) + OPEN_LOOP_STARTS.index(
      STILL_START)
  truth = bin_centres(split['frames'][STILL_EPISODE, STILL_FRAME])
  panels = [truth, recon[STILL_EPISODE, STILL_FRAME],
            open_loop[window, STILL_FRAME - STILL_START - CONTEXT]]
  return postprocess(np.concatenate(panels, axis=1))


# ---- flags, files and the resume state --------------------------------------


def parser(description):
  """The flags both trainers take."""
  p = argparse.ArgumentParser(description=description)
  p.add_argument('--data', required=True, help='make_data.py\'s .npz file.')
  p.add_argument('--out_dir', required=True,
                 help='the run\'s directory; rerun the same command to resume.')
  p.add_argument('--updates', type=int, default=3000,
                 help='updates in all (resumable: may grow between sessions).')
  p.add_argument('--eval_every', type=int, default=250,
                 help='updates between metric rows and checkpoints.')
  p.add_argument('--max_minutes', type=float, default=None,
                 help='stop (with a checkpoint) after the first update past '
                      'this many minutes of this session.')
  p.add_argument('--seed', type=int, default=1,
                 help='seeds the initial weights and the chunk sampler.')
  return p


# Settings a run keeps: a resume must give the same ones.
FIXED_FLAGS = ('seed', 'eval_every')


def atomic_write_text(path, text):
  """Writes `text` to `path` through a temporary file and a rename."""
  tmp = path + '.tmp'
  with open(tmp, 'w') as f:
    f.write(text)
    f.flush()
    os.fsync(f.fileno())
  os.replace(tmp, path)


def read_state(out_dir):
  """The run's `state.json` as a dict, or None before its first checkpoint."""
  path = os.path.join(out_dir, 'state.json')
  if not os.path.exists(path):
    return None
  with open(path) as f:
    return json.load(f)


def write_state(out_dir, state):
  """Writes `state.json` atomically: the checkpoint it names is the run's."""
  atomic_write_text(os.path.join(out_dir, 'state.json'),
                    json.dumps(state, indent=1, sort_keys=True))


def check_resume(state, args, data_path):
  """Raises SystemExit if a resumed run's fixed settings or data changed."""
  stored = state['flags']
  for name in FIXED_FLAGS:
    if stored[name] != getattr(args, name):
      raise SystemExit(f'--{name}={getattr(args, name)} but the run in '
                       f'{args.out_dir} has {stored[name]}; use its value or '
                       'another --out_dir.')
  if state['data'] != data_fingerprint(data_path):
    raise SystemExit(f'{data_path} is not the data file the run in '
                     f'{args.out_dir} started with.')


def new_state(args, data_path):
  """The state of a run before its first update."""
  return {'updates': 0, 'wall_seconds': 0.0, 'cpu_seconds': 0.0,
          'checkpoint': None, 'sampler': None,
          'flags': {name: getattr(args, name) for name in FIXED_FLAGS},
          'data': data_fingerprint(data_path)}


def keep_rows(out_dir, updates):
  """Drops rows of `metrics.csv` past `updates` (written before a kill
  stopped the checkpoint after them); all rows for a run without one (None)."""
  path = os.path.join(out_dir, 'metrics.csv')
  if not os.path.exists(path):
    return
  with open(path) as f:
    rows = list(csv.DictReader(f))
  kept = [] if updates is None else [
      r for r in rows if int(r['updates']) <= updates]
  lines = [','.join(CSV_COLUMNS)] + [
      ','.join(r[c] for c in CSV_COLUMNS) for r in kept]
  atomic_write_text(path, '\n'.join(lines) + '\n')


def append_row(out_dir, row):
  """Appends one `CSV_COLUMNS` row to `metrics.csv` (its header first)."""
  path = os.path.join(out_dir, 'metrics.csv')
  new = not os.path.exists(path)
  with open(path, 'a') as f:
    if new:
      f.write(','.join(CSV_COLUMNS) + '\n')
    f.write(','.join(_format(row[c]) for c in CSV_COLUMNS) + '\n')
    f.flush()
    os.fsync(f.fileno())


def _format(value):
  return str(value) if isinstance(value, int) else f'{value:.6g}'


def save_still(out_dir, updates, image):
  """Writes `stills/still-<updates>.npy` (uint8 `[H, 3 W, C]`)."""
  directory = os.path.join(out_dir, 'stills')
  os.makedirs(directory, exist_ok=True)
  path = os.path.join(directory, f'still-{updates}.npy')
  np.save(path + '.tmp.npy', image)
  os.replace(path + '.tmp.npy', path)


class Clock:
  """Wall and CPU seconds of the updates, on top of the totals of earlier
  sessions (evaluations and checkpoints are not counted)."""

  def __init__(self, wall_seconds, cpu_seconds):
    self.wall_seconds = float(wall_seconds)
    self.cpu_seconds = float(cpu_seconds)
    self._session_start = time.monotonic()

  def session_minutes(self):
    return (time.monotonic() - self._session_start) / 60

  def __enter__(self):
    self._wall, self._cpu = time.monotonic(), time.process_time()
    return self

  def __exit__(self, *exc):
    self.wall_seconds += time.monotonic() - self._wall
    self.cpu_seconds += time.process_time() - self._cpu


def run_loop(args, state, sampler, update, evaluate, checkpoint, log):
  """The schedule both trainers share.

  Args:
    args: the parsed flags.
    state: `read_state` or `new_state`; its `updates` are done.
    sampler: the `ChunkSampler`, already at the state's draws.
    update: `() -> dict` of scalar losses: one update on `sampler`'s chunks.
    evaluate: `() -> (metrics dict, still image)` on the held-out episodes.
    checkpoint: `(updates) -> name`: saves model, optimizer and the framework's
      random state as `name` in `args.out_dir`.
    log: `print`-like.

  A metric row, then a still, then a checkpoint, then `state.json` at update 0
  (unless resuming), every `eval_every` updates and at the last; a checkpoint
  without a row when `max_minutes` runs out.
  """
  clock = Clock(state['wall_seconds'], state['cpu_seconds'])

  def save(updates):
    name = checkpoint(updates)
    state.update(updates=updates, checkpoint=name, sampler=sampler.state,
                 wall_seconds=clock.wall_seconds, cpu_seconds=clock.cpu_seconds)
    write_state(args.out_dir, state)

  def metric_point(updates):
    metrics, image = evaluate()
    row = dict(metrics, updates=updates, wall_seconds=clock.wall_seconds,
               cpu_seconds=clock.cpu_seconds)
    append_row(args.out_dir, row)
    save_still(args.out_dir, updates, image)
    save(updates)
    log('row ' + ' '.join(f'{c}={_format(row[c])}' for c in CSV_COLUMNS))

  updates = state['updates']
  if state['checkpoint'] is None:
    metric_point(0)
  while updates < args.updates:
    if args.max_minutes is not None and clock.session_minutes() > args.max_minutes:
      save(updates)
      log(f'stopped by --max_minutes at {updates} updates; rerun to resume')
      return
    with clock:
      losses = update()
    updates += 1
    if updates % args.eval_every == 0 or updates == args.updates:
      log(f'update {updates}: ' + ' '.join(
          f'{k}={v:.4g}' for k, v in sorted(losses.items())) +
          f' ({clock.cpu_seconds:.0f} CPU s)')
      metric_point(updates)
  log(f'done: {updates} updates')
