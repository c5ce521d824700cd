"""planet_tf's world model alone on make_data.py's fixed episodes.

  TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 \
    /work/main/.venv/bin/python train_planet.py \
    --data /work/runs/worldmodel_fixed_data/data.npz \
    --out_dir /work/runs/worldmodel_fixed_data/planet_s1 [--max_minutes M]

The agent is built as planet_tf's training builds it (`heads.make_agent` under
crosscheck.gin: paper-size networks, Kaixhin/PlaNet's GRU and 2 x 200 reward
head, kl_scale 0.5 and reward_scale 1, Adam 1e-3 / 1e-4, clip 1000, free nats
3, 5-bit images), and each update is `PlanetAgent.train` on 16 chunks of 50
frames from `common.ChunkSampler`. No planner, no environment.

Every `--eval_every` updates: one row of `metrics.csv` (common.heldout_metrics),
`stills/still-<updates>.npy`, a checkpoint (world model, optimizer, update
count; the chunk sampler's state and the time totals in `state.json`). The same
command resumes from the newest checkpoint.
"""

import os

# One thread, unless the caller says otherwise: read as TensorFlow loads.
os.environ.setdefault('TF_NUM_INTRAOP_THREADS', '1')
os.environ.setdefault('TF_NUM_INTEROP_THREADS', '1')

# pylint: disable=g-import-not-at-top,wrong-import-position
import glob
import json

import gin
import numpy as np

import planet_tf  # Before TensorFlow: its process-wide settings.
import tensorflow as tf
from tf_agents.specs import tensor_spec
from tf_agents.trajectories import time_step as ts
from tf_agents.trajectories import trajectory

from planet_tf import config
from planet_tf.agents import heads
from planet_tf.models import sequence

import common
# pylint: enable=g-import-not-at-top,wrong-import-position

HERE = os.path.dirname(os.path.abspath(__file__))
# The gin settings printed at the start, to see that crosscheck.gin applies.
SETTINGS = ('WorldModel.kl_scale', 'WorldModel.reward_scale',
            'WorldModel.free_nats', 'WorldModel.bit_depth', 'RSSM.reset_after',
            'DenseHead.units', 'PlanetAgent.learning_rate',
            'PlanetAgent.adam_epsilon', 'PlanetAgent.grad_clip_norm')
CROSSCHECK_GIN = os.path.join(HERE, '..', 'crosscheck', 'crosscheck.gin')


def build_agent(data):
  """The `PlanetAgent` of crosscheck.gin for the data's 64x64 frames and actions."""
  config.parse_gin([CROSSCHECK_GIN])
  observation_spec = tensor_spec.BoundedTensorSpec(
      [64, 64, 3], tf.uint8, 0, 255, name='pixels')
  action_spec = tensor_spec.BoundedTensorSpec(
      data['action_minimum'].shape, tf.float32, data['action_minimum'],
      data['action_maximum'], name='action')
  agent = heads.make_agent(ts.time_step_spec(observation_spec), action_spec,
                           train_sequence_length=common.CHUNK_LENGTH)
  agent.initialize()  # Builds every variable, so a restore has them all to fill.
  return agent


def parameter_counts(model):
  """`{part: trainable parameters}` of the world model, and the total."""
  count = lambda layer: int(sum(np.prod(v.shape)
                                for v in layer.trainable_variables))
  parts = {'encoder': count(model.encoder), 'dynamics': count(model.dynamics),
           'decoder': count(model.decoder),
           'reward': sum(count(h) for h in model.reward_heads.values())}
  parts['total'] = count(model)
  return parts


def step_types(positions):
  """`(step_type, next_step_type)` int32 `[B, L]` of frames at episode
  `positions [B, L]`: FIRST at frame 0, LAST at the final frame."""
  step = np.full(positions.shape, ts.StepType.MID, np.int32)
  step[positions == 0] = ts.StepType.FIRST
  step[positions == common.STEPS] = ts.StepType.LAST
  following = np.full(positions.shape, ts.StepType.MID, np.int32)
  following[positions == common.STEPS - 1] = ts.StepType.LAST
  following[positions == common.STEPS] = ts.StepType.FIRST
  return step, following


def chunk_trajectory(frames, actions, rewards, positions):
  """A `Trajectory [B, L]` of chunk arrays (`ChunkSampler.gather`)."""
  step, following = step_types(positions)
  return trajectory.Trajectory(
      step_type=tf.constant(step), observation=tf.constant(frames),
      action=tf.constant(actions), policy_info=(),
      next_step_type=tf.constant(following), reward=tf.constant(rewards),
      discount=tf.ones(rewards.shape, tf.float32))


def prediction_fn(model, generator):
  """A `tf.function` of the held-out predictions, its latents drawn from
  `generator`.

  The open loop is `WorldModel.open_loop_prediction`'s (observe CONTEXT frames,
  imagine with the true actions) with the decoder's float mean rather than its
  quantised frames.

  Returns:
    `(frames [N, T, H, W, C], prev_actions [N, T, A], steps [N, T], windows
    [W, L, H, W, C], window_prev_actions [W, L, A], window_steps [W, L]) ->
    (recon [N, T, H, W, C], reward [N, T - 1], open_loop [W, L - CONTEXT, H,
    W, C])`.
  """
  dynamics = model.dynamics

  @tf.function
  def predict(frames, prev_actions, steps, windows, window_prev_actions,
              window_steps):
    posteriors, _ = dynamics.observe(model.embed(frames, noise=False),
                                     prev_actions, steps, sample=generator)
    features = dynamics.features(posteriors)
    recon = model.decode(features).mean()
    reward = model.reward(features).mean()[:, 1:]
    context = common.CONTEXT
    observed, _ = dynamics.observe(
        model.embed(windows[:, :context], noise=False),
        window_prev_actions[:, :context], window_steps[:, :context],
        sample=generator)
    last = tf.nest.map_structure(lambda x: x[:, -1], observed)
    priors = dynamics.imagine(window_prev_actions[:, context:], last,
                              sample=generator)
    open_loop = model.decode(dynamics.features(priors)).mean()
    return recon, reward, open_loop

  return predict


def heldout_inputs(split):
  """The held-out episodes and open-loop windows as the model's inputs."""
  positions = np.broadcast_to(np.arange(common.FRAMES),
                              split['rewards'].shape)
  steps, _ = step_types(positions)
  windows, window_actions, window_positions = common.open_loop_windows(split)
  window_steps, _ = step_types(window_positions)
  prev = lambda a, s: sequence.previous_actions(tf.constant(a), tf.constant(s))
  return (tf.constant(split['frames']), prev(split['actions'], steps),
          tf.constant(steps), tf.constant(windows),
          prev(window_actions, window_steps), tf.constant(window_steps))


def evaluator(model, split):
  """`() -> (metrics, still)` on the held-out `split`, the same draws each time."""
  generator = tf.random.Generator.from_seed(common.EVAL_SEED)
  predict = prediction_fn(model, generator)
  inputs = heldout_inputs(split)

  def evaluate():
    generator.reset_from_seed(common.EVAL_SEED)
    recon, reward, open_loop = (x.numpy() for x in predict(*inputs))
    return (common.heldout_metrics(split, recon, reward, open_loop),
            common.still(split, recon, open_loop))

  return evaluate


def checkpointer(agent, out_dir):
  """`(updates) -> name`: writes `ckpt-<updates>` (world model, optimizer,
  train step), keeps it and the one before; and `restore(name)`."""
  ckpt = tf.train.Checkpoint(world_model=agent.world_model,
                             optimizer=agent.optimizer,
                             train_step=agent.train_step_counter)

  def save(updates):
    name = f'ckpt-{updates}'
    ckpt.write(os.path.join(out_dir, name))
    for old in _older_checkpoints(out_dir, updates):
      for path in glob.glob(os.path.join(out_dir, old + '.*')):
        os.remove(path)
    return name

  def restore(name):
    ckpt.read(os.path.join(out_dir, name)).assert_consumed()

  return save, restore


def _older_checkpoints(out_dir, updates):
  """Names of the checkpoints to delete: all but `ckpt-<updates>` and the
  newest one before it (a later one is left by a killed session)."""
  found = {int(p.rsplit('-', 1)[1].split('.')[0])
           for p in glob.glob(os.path.join(out_dir, 'ckpt-*.index'))}
  keep = sorted(u for u in found if u <= updates)[-2:]
  return [f'ckpt-{u}' for u in found if u not in keep]


def main():
  args = common.parser(__doc__.split('\n')[0]).parse_args()
  os.makedirs(args.out_dir, exist_ok=True)
  state = common.read_state(args.out_dir)
  data = common.load_data(args.data)
  if state is None:
    tf.keras.utils.set_random_seed(args.seed)  # The initial weights.
    state = common.new_state(args, args.data)
  else:
    common.check_resume(state, args, args.data)
  agent = build_agent(data)
  model = agent.world_model
  save, restore = checkpointer(agent, args.out_dir)
  sampler = common.ChunkSampler(len(data['train']['frames']), args.seed)
  if state['checkpoint'] is not None:
    restore(state['checkpoint'])
    sampler.state = state['sampler']
    # TensorFlow's global random ops (dequantisation noise, latent samples)
    # cannot be checkpointed: a resumed session draws a new stream.
    tf.random.set_seed(args.seed * 1_000_003 + state['updates'])
    print(f'resumed at {state["updates"]} updates from {state["checkpoint"]}')
  common.keep_rows(args.out_dir,
                   state['updates'] if state['checkpoint'] else None)
  counts = parameter_counts(model)
  common.atomic_write_text(
      os.path.join(args.out_dir, 'params.json'),
      json.dumps({'parameters': counts, 'gin': 'crosscheck/crosscheck.gin'},
                 indent=1))
  print('settings', {name: gin.query_parameter(name) for name in SETTINGS})
  print('parameters', counts)

  train_split = data['train']

  def update():
    chunk = chunk_trajectory(*sampler.gather(train_split))
    extra = agent.train(chunk).extra
    return {k: float(extra[k]) for k in ('loss', 'image_nll', 'reward_nll',
                                         'kl', 'grad_norm')}

  common.run_loop(args, state, sampler, update,
                  evaluator(model, data['heldout']), save,
                  lambda line: print(line, flush=True))


if __name__ == '__main__':
  main()
