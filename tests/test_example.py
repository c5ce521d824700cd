"""examples/tf_agents_pipeline.py runs PlanetAgent in a plain TF-Agents pipeline."""

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)),
                                'examples'))
import tf_agents_pipeline  # pylint: disable=g-import-not-at-top,wrong-import-position


@pytest.mark.slow
def test_pipeline_trains_on_tf_uniform_replay_buffer_batches():
  losses = tf_agents_pipeline.run(num_iterations=2, train_steps_per_iteration=2,
                                  batch_size=4, sequence_length=8)
  assert len(losses) == 4
  for loss_info in losses:
    assert np.isfinite(float(loss_info.loss))
    assert {'image_nll', 'reward_nll', 'kl'} <= set(loss_info.extra)
