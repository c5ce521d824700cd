"""GLAMOR's evaluation: the fraction of goals reached, judged where the agent stops.

A policy acts closed loop on a `GoalEnv` until its `info['stop']` (the plan
was one action then END) or the horizon; success is judged at the state it
ends in, never at a state it passed. The random baseline acts uniformly for the
whole horizon and is judged at its last state. `bin/evaluate` runs an
exported GLAMOR policy through `success_rate` (`planet_tf.loops.evaluate`).
"""

from typing import List, NamedTuple, Optional, Tuple

import numpy as np
import tensorflow as tf



class GoalEpisode(NamedTuple):
  """One evaluated episode.

  success: whether the final state is within 10% of every label's range.
  steps: actions taken (1..horizon).
  goal_index: the goal's index in the env's `GoalSet`.
  frames: uint8 `[steps + 1, H, 2W]`, the newest gray frame beside the goal,
    when recorded; else None.
  """
  success: bool
  steps: int
  goal_index: int
  frames: Optional[np.ndarray]


def _side_by_side(time_step):
  observation = time_step.observation
  return np.concatenate([observation['observation'][..., -1],
                         observation['goal'][..., 0]], axis=1)


def run_goal_episode(env, policy=None, rng=None, record=False) -> GoalEpisode:
  """Plays one episode of `env` (a `GoalEnv`) and judges it.

  Args:
    env: a `planet_tf.envs.GoalEnv`; reset here.
    policy: a `GoalPolicy`, or its SavedModel (`tf.saved_model.load`): anything
      with `get_initial_state(batch_size)` and `action(time_step, state)` whose
      info has `stop`. None: the random baseline (no stopping).
    rng: a `np.random.Generator` for the random baseline.
    record: keep the frames (newest frame | goal) for a video.

  Returns:
    A `GoalEpisode`.
  """
  time_step = env.reset()
  frames = [_side_by_side(time_step)] if record else None
  state = None if policy is None else policy.get_initial_state(1)
  num_actions = int(env.action_spec().maximum) + 1
  rng = rng if rng is not None else np.random.default_rng()
  steps = 0
  while not time_step.is_last():
    stop = False
    if policy is None:
      action = np.int32(rng.integers(num_actions))
    else:
      batched = tf.nest.map_structure(lambda x: tf.constant(x)[None], time_step)
      action_step = policy.action(batched, state)
      state = action_step.state
      action = action_step.action.numpy()[0]
      stop = bool(action_step.info['stop'].numpy()[0])
    time_step = env.step(action)
    steps += 1
    if record:
      frames.append(_side_by_side(time_step))
    if stop:
      break
  return GoalEpisode(success=env.success(), steps=steps,
                     goal_index=env.goal_index,
                     frames=np.stack(frames) if record else None)


def success_rate(env, policy=None, num_episodes=1, seed=None,
                 record=False) -> Tuple[float, List[GoalEpisode]]:
  """The fraction of `num_episodes` episodes that reach their goal.

  With a `sequential` `GoalEnv` and `num_episodes` equal to its number of
  goals, every goal is tried once.

  Returns:
    `(rate, episodes)`.
  """
  rng = np.random.default_rng(seed)
  episodes = [run_goal_episode(env, policy, rng, record)
              for _ in range(num_episodes)]
  return float(np.mean([e.success for e in episodes])), episodes
