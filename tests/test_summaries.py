"""Pictures and console lines of a run."""

import imageio.v3 as iio
import numpy as np
import pytest

from planet_tf.evaluation import summaries


def test_prediction_video_puts_truth_model_and_error_side_by_side():
  rng = np.random.default_rng(0)
  truth = rng.integers(0, 256, [2, 5, 4, 4, 3], dtype=np.uint8)
  model = truth.copy()
  model[1] = 0
  video = summaries.prediction_video(truth, model)
  assert video.shape == (5, 2 * 4, 3 * 4, 3)
  np.testing.assert_array_equal(video[:, :4, :4], truth[0])
  np.testing.assert_array_equal(video[:, 4:, 4:8], model[1])
  assert np.all(video[:, :4, 8:] == 128)  # A perfect prediction is mid-grey.
  assert np.all(video[:, 4:, 8:] <= 128)  # Under-prediction is darker.


def test_prediction_video_rejects_mismatched_shapes():
  with pytest.raises(ValueError, match='truth and model'):
    summaries.prediction_video(np.zeros([1, 2, 4, 4, 3], np.uint8),
                               np.zeros([1, 3, 4, 4, 3], np.uint8))


def test_gif_files_hold_every_frame(tmp_path):
  frames = np.stack([np.full([8, 8, 3], 40 * i, np.uint8) for i in range(5)])
  path = str(tmp_path / 'video' / 'episode.gif')
  summaries.write_gif(path, frames)
  read = iio.imread(path, index=None)
  assert read.shape == (5, 8, 8, 3)
  np.testing.assert_allclose(read[:, 0, 0, 0], frames[:, 0, 0, 0], atol=2)
  assert [p.name for p in (tmp_path / 'video').iterdir()] == ['episode.gif']


def test_progress_line_shows_episodes_steps_return_and_loss():
  line = summaries.progress_line(25, 100, 3125, 154.2, 61.03, 1.5)
  assert line.startswith('[#####...............]')
  for part in ['25/100 episodes', '3125 env steps', 'return 154.2',
               'loss 61.03', '1.50 updates/s']:
    assert part in line
