"""Evaluating a policy: whole episodes through a TF-Agents `PyDriver`, with videos.

Used by the training loops (the greedy `CemPolicy`) and by `bin/evaluate` (an
exported SavedModel, which acts without planet_tf; `planet_tf.loops.evaluate`).
"""

from typing import List, NamedTuple, Optional

import numpy as np
from tf_agents.drivers import py_driver
from tf_agents.policies import py_tf_eager_policy



class Episode(NamedTuple):
  """One evaluation episode: its undiscounted `reward_sum` and its `frames`.

  `frames` is uint8 `[T + 1, H, W, C]` (every observation, the last one included)
  when videos were asked for, else None.
  """
  reward_sum: float
  frames: Optional[np.ndarray]


class _EpisodeRecorder:
  """A `PyDriver` observer that sums rewards and keeps frames, episode by episode.

  Trajectories are unbatched or `[1, ...]`; a boundary step (LAST -> FIRST) ends
  the episode and carries its final observation.
  """

  def __init__(self, record_frames, reward_name=None):
    self._record_frames = record_frames
    self._reward_name = reward_name
    self.episodes: List[Episode] = []
    self._reward_sum = 0.0
    self._frames = []

  def __call__(self, traj):
    boundary = bool(np.all(traj.is_boundary()))
    if self._record_frames:
      self._frames.append(np.asarray(traj.observation).reshape(
          np.shape(traj.observation)[-3:]))
    if not boundary:
      self._reward_sum += float(np.sum(self._reward(traj.reward)))
    else:
      frames = np.stack(self._frames) if self._record_frames else None
      self.episodes.append(Episode(self._reward_sum, frames))
      self._reward_sum, self._frames = 0.0, []

  def _reward(self, reward):
    if not isinstance(reward, dict):
      return reward
    if self._reward_name not in reward:
      raise ValueError(f'The environment has named rewards {sorted(reward)}; '
                       'say which one an episode\'s return sums (reward_name).')
    return reward[self._reward_name]


def as_py_policy(policy):
  """Wraps a `TFPolicy` for a `PyDriver`; the action is a traced `tf.function`."""
  return py_tf_eager_policy.PyTFEagerPolicy(policy, use_tf_function=True,
                                            batch_time_steps=True)


def run_episodes(env, policy, num_episodes, record_frames=False,
                 reward_name=None):
  """Runs `num_episodes` whole episodes of `policy` in `env`.

  Args:
    env: an unbatched `PyEnvironment` (e.g. `planet_tf.envs.load(...)`).
    policy: a `PyPolicy`, e.g. `as_py_policy(tf_policy)` or a
      `SavedModelPyTFEagerPolicy`; its state starts at `get_initial_state(1)`.
    num_episodes: episodes to run, >= 1.
    record_frames: keep every observation of each episode.
    reward_name: for an environment with named rewards (a dict reward), the
      one each episode's `reward_sum` sums.

  Returns:
    A list of `Episode`s.
  """
  if num_episodes < 1:
    raise ValueError(f'num_episodes must be >= 1, got {num_episodes}.')
  recorder = _EpisodeRecorder(record_frames, reward_name)
  driver = py_driver.PyDriver(env, policy, observers=[recorder],
                              max_episodes=num_episodes)
  driver.run(env.reset(), policy.get_initial_state(1))
  return recorder.episodes


def load_saved_policy(policy_dir):
  """Loads an exported policy as a `PyPolicy` (no planet_tf code involved)."""
  return py_tf_eager_policy.SavedModelPyTFEagerPolicy(
      policy_dir, load_specs_from_pbtxt=True, use_tf_function=True)
