"""Evaluating a policy: whole episodes through the episode runner, with videos,
and what its actions cost (`TimedPolicy`).

Used by the training loops (the greedy `CemPolicy`) and by `bin/evaluate` (an
exported SavedModel, which acts without planet_tf; `planet_tf.loops.evaluate`).
"""

import statistics
import time
from typing import List, NamedTuple, Optional

import numpy as np
from tf_agents.policies import py_policy
from tf_agents.policies import py_tf_eager_policy

from planet_tf.data import episode_runner

# A `TFPolicy` as the `PyPolicy` that `run_episodes` takes.
as_py_policy = episode_runner.as_py_policy


class Episode(NamedTuple):
  """One evaluation episode: its undiscounted `reward_sum` and its `frames`.

  `frames` is uint8 `[T + 1, H, W, C]` (every observation, the last one included)
  when videos were asked for, else None.
  """
  reward_sum: float
  frames: Optional[np.ndarray]


class _Frames:
  """A driver observer: each episode's observations `[T + 1, H, W, C]`.

  A boundary step (LAST -> FIRST) ends the episode and carries its final
  observation.
  """

  def __init__(self):
    self.episodes = []
    self._frames = []

  def __call__(self, traj):
    self._frames.append(np.asarray(traj.observation).reshape(
        np.shape(traj.observation)[-3:]))
    if traj.is_boundary():
      self.episodes.append(np.stack(self._frames))
      self._frames = []


def run_episodes(env, policy, num_episodes, record_frames=False,
                 reward_name=None) -> List[Episode]:
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
  reward_spec = env.time_step_spec().reward
  if isinstance(reward_spec, dict) and reward_name not in reward_spec:
    raise ValueError('The environment has named rewards '
                     f'{sorted(reward_spec)}; say which one an episode\'s '
                     'return sums (reward_name).')
  returns = episode_runner.EpisodeReturn()
  frames = _Frames()
  episode_runner.run(env, policy,
                     [returns, frames] if record_frames else [returns],
                     num_episodes)
  values = returns.returns
  if isinstance(reward_spec, dict):
    values = [value[reward_name] for value in values]
  return [Episode(value, frames.episodes[i] if record_frames else None)
          for i, value in enumerate(values)]


def load_saved_policy(policy_dir):
  """Loads an exported policy as a `PyPolicy` (no planet_tf code involved)."""
  return py_tf_eager_policy.SavedModelPyTFEagerPolicy(
      policy_dir, load_specs_from_pbtxt=True, use_tf_function=True)


class ActionCost(NamedTuple):
  """What one action of a policy costs: the median over `actions` actions of
  the wall seconds and of the process's CPU seconds (all its threads) of one
  `action` call, the first call (which traces it) left out."""
  wall_seconds: float
  cpu_seconds: float
  actions: int


class TimedPolicy(py_policy.PyPolicy):
  """A `PyPolicy` that acts as `policy` and times each of its actions
  (`cost`); the environment's steps are not counted."""

  def __init__(self, policy):
    super().__init__(policy.time_step_spec, policy.action_spec,
                     policy.policy_state_spec, policy.info_spec)
    self._policy = policy
    self._wall_seconds, self._cpu_seconds = [], []

  def _get_initial_state(self, batch_size):
    return self._policy.get_initial_state(batch_size)

  def _action(self, time_step, policy_state):
    wall, cpu = time.perf_counter(), time.process_time()
    step = self._policy.action(time_step, policy_state)
    self._wall_seconds.append(time.perf_counter() - wall)
    self._cpu_seconds.append(time.process_time() - cpu)
    return step

  def cost(self) -> Optional[ActionCost]:
    """The `ActionCost` of the actions so far; None before the second."""
    walls, cpus = self._wall_seconds[1:], self._cpu_seconds[1:]
    if not walls:
      return None
    return ActionCost(statistics.median(walls), statistics.median(cpus),
                      len(walls))
