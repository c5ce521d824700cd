"""What a run shows: TensorBoard scalars, open-loop video predictions, episode videos.

Videos are uint8 `[T, H, W, C]` numpy arrays. They go to TensorBoard as animated GIFs
in the images dashboard (the image plugin displays any encoded image) and to disk as
`.gif` files, written atomically.
"""

import imageio.v3 as iio
import numpy as np
import tensorflow as tf
from tensorboard.plugins.image import metadata as image_metadata

from planet_tf import files


def scalars(values, step, prefix=''):
  """Writes each scalar of `values` to the default summary writer.

  Args:
    values: dict name -> scalar (tensor, numpy or float).
    step: int64 summary step.
    prefix: prepended to each name, e.g. `'losses/'`.
  """
  for name, value in sorted(values.items()):
    tf.summary.scalar(prefix + name, tf.cast(value, tf.float32), step=step)


def encode_gif(video, fps=10):
  """Returns the bytes of an animated, looping GIF of uint8 `video [T, H, W, C]`."""
  video = np.asarray(video)
  if video.dtype != np.uint8 or video.ndim != 4 or video.shape[-1] not in (1, 3):
    raise ValueError('encode_gif expects a uint8 video [T, H, W, 1 or 3], got '
                     f'{video.dtype} {video.shape}.')
  if video.shape[-1] == 1:
    video = np.repeat(video, 3, axis=-1)
  return iio.imwrite('<bytes>', video, extension='.gif',
                     duration=int(1000 / fps), loop=0)


def video(name, frames, step, fps=10):
  """Writes uint8 `frames [T, H, W, C]` as an animated GIF image summary."""
  frames = np.asarray(frames)
  gif = encode_gif(frames, fps)
  tensor = tf.stack([tf.as_string(frames.shape[2]), tf.as_string(frames.shape[1]),
                     tf.constant(gif)])
  tf.summary.write(
      name, tensor, step=step,
      metadata=image_metadata.create_summary_metadata(
          display_name=None, description=None))


def write_gif(path, frames, fps=10):
  """Writes uint8 `frames [T, H, W, C]` to `path` atomically (no partial files)."""
  files.atomic_write(path, encode_gif(frames, fps))


def prediction_video(truth, model):
  """Lays out an open-loop prediction: truth | model | error, one row per sequence.

  Args:
    truth: uint8 `[B, T, H, W, C]` observed frames.
    model: uint8 `[B, T, H, W, C]` predicted frames.

  Returns:
    uint8 `[T, B * H, 3 * W, C]`; the error panel is mid-grey where the model is
    right, brighter where it over-predicts and darker where it under-predicts.
  """
  truth = np.asarray(truth)
  model = np.asarray(model)
  if truth.shape != model.shape or truth.ndim != 5:
    raise ValueError('truth and model must both be [B, T, H, W, C]; got '
                     f'{truth.shape} and {model.shape}.')
  error = (model.astype(np.int16) - truth.astype(np.int16)) // 2 + 128
  panels = np.concatenate([truth, model, error.astype(np.uint8)], axis=3)
  batch, length, height, width, channels = panels.shape
  # [B, T, H, 3W, C] -> [T, B * H, 3W, C]
  return panels.transpose(1, 0, 2, 3, 4).reshape(
      length, batch * height, width, channels)


def open_loop_prediction(world_model, experience, context=5):
  """Observes `context` frames of each chunk, then predicts the rest from actions.

  Args:
    world_model: a `planet_tf.models.WorldModel`.
    experience: `Trajectory` of numpy arrays or tensors `[B, L, ...]`.
    context: frames observed before predicting open loop.

  Returns:
    uint8 `[L, B * H, 3 * W, C]` video (see `prediction_video`).
  """
  experience = tf.nest.map_structure(tf.convert_to_tensor, experience)
  frames, _ = world_model.open_loop_prediction(experience, context=context)
  truth = experience.observation.numpy()
  # The model sees `bit_depth` bits; compare it with the truth at that depth.
  shift = 8 - world_model.bit_depth
  truth = (truth >> shift) << shift
  return prediction_video(truth, frames.numpy())


def progress_line(episode, num_episodes, env_steps, last_return, loss,
                  updates_per_second=None, width=20):
  """A one-line console progress bar, e.g.

  `[#####...............]  25/100 episodes | 3125 env steps | return 154.2 | loss 61.03`
  """
  fraction = min(max(episode / max(num_episodes, 1), 0.0), 1.0)
  filled = int(round(fraction * width))
  parts = [f'[{"#" * filled}{"." * (width - filled)}] '
           f'{episode:>{len(str(num_episodes))}}/{num_episodes} episodes',
           f'{env_steps} env steps',
           'return ' + ('-' if last_return is None else f'{last_return:.1f}'),
           'loss ' + ('-' if loss is None else f'{loss:.2f}')]
  if updates_per_second is not None:
    parts.append(f'{updates_per_second:.2f} updates/s')
  return ' | '.join(parts)
