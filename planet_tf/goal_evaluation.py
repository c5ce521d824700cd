"""GLAMOR's evaluation: the fraction of goals reached, judged where the agent stops.

A policy acts closed loop on a `GoalEnv` until its `info['stop']` (the plan
was one action then END) or the horizon; success is judged at the state it
ends in, never at a state it passed. The random baseline acts uniformly for the
whole horizon and is judged at its last state. `evaluate` is `bin/evaluate`'s
logic for an exported GLAMOR policy.
"""

import os
from typing import List, NamedTuple, Optional, Tuple

import numpy as np
import tensorflow as tf

from planet_tf import run_dir as run_dir_lib
from planet_tf import summaries
from planet_tf.envs import goal_suite

# The loop whose runs hold goal-conditioned policies (`run_dir.loop_of_run`).
GLAMOR_LOOP = 'glamor_train_eval'


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


def is_goal_policy(path):
  """Whether `path` (a SavedModel or a run directory) is of a GLAMOR run.

  Raises:
    FileNotFoundError: if `path` holds no exported policy.
  """
  run = run_dir_lib.find_run_dir(run_dir_lib.find_policy_dir(path))
  return run is not None and run_dir_lib.loop_of_run(run) == GLAMOR_LOOP


def evaluate(path, num_episodes=None, video_dir=None, seed=None):
  """Evaluates an exported GLAMOR policy on its run's goals.

  The task, horizon, image size and goals are the run's (its stored
  configuration and `train/goals.npz`); the policy is the SavedModel alone
  (no planet_tf model code). Goals are tried in order.

  Args:
    path: a SavedModel directory inside a GLAMOR run, or the run directory
      (its newest export).
    num_episodes: episodes (goals in turn); every goal once when None.
    video_dir: if set, each episode's frames (newest frame beside the goal)
      go there as `episode-<i>-goal-<g>.gif`.
    seed: seed of the environment and of the random baseline.

  Returns:
    `(policy_dir, episodes, random_rate)`: the SavedModel used, its
    `GoalEpisode`s and the random baseline's success rate on the same goals.

  Raises:
    FileNotFoundError: if `path` holds no export or its run no goals.
    ValueError: if the policy is not of a GLAMOR run.
  """
  policy_dir = run_dir_lib.find_policy_dir(path)
  run = run_dir_lib.find_run_dir(policy_dir)
  if run is None or run_dir_lib.loop_of_run(run) != GLAMOR_LOOP:
    raise ValueError(f'{policy_dir} is not inside a GLAMOR run directory '
                     '(trained with a glamor_*.gin file); its goals are '
                     'unknown.')
  settings = run_dir_lib.configurable_settings(run, GLAMOR_LOOP)
  goal_set = goal_suite.load_goal_set(run_dir_lib.RunDir(run).goals_path)
  num_episodes = num_episodes or len(goal_set.images)
  policy = tf.saved_model.load(policy_dir)
  rates = []
  for evaluated in (policy, None):
    env = goal_suite.load(settings['task_name'], goal_set, settings['horizon'],
                          settings['image_size'], sequential=True, seed=seed)
    rate, episodes = success_rate(
        env, evaluated, num_episodes, seed,
        record=video_dir is not None and evaluated is not None)
    env.close()
    rates.append((rate, episodes))
  (_, episodes), (random_rate, _) = rates
  if video_dir is not None:
    for i, e in enumerate(episodes):
      summaries.write_gif(os.path.join(
          video_dir, f'episode-{i}-goal-{e.goal_index}.gif'), e.frames[..., None])
  return policy_dir, episodes, random_rate
