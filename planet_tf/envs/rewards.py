"""Named rewards of one physics: several tasks that share a body and its dynamics.

The PlaNet poster's multi-head setting: one reward-free dynamics model, one reward
head per task. An environment loaded with `rewards=(...)` (`planet_tf.envs.load`)
returns a dict `{name: reward}` per step instead of a scalar; each entry is a
function of the physics after a simulator step, summed over the action repeat.

`REWARDS[domain][name]` is `physics -> float`. Cheetah: `forward` is
dm_control's `cheetah-run` reward (a linear ramp from 0 at rest to 1 at a forward
speed of 10 m/s and above), `backward` the same ramp on the negated speed.
"""

from typing import Callable, Dict, Sequence

# dm_control's cheetah-run target speed (m/s); both directions use it.
RUN_SPEED = 10.0


def _run_reward(speed):
  """dm_control's run reward for `speed`: 0 at rest, 1 at `RUN_SPEED` and above."""
  # Imported here so that MUJOCO_GL is set first (planet_tf.envs sets it).
  from dm_control.utils import rewards  # pylint: disable=g-import-not-at-top
  return float(rewards.tolerance(speed, bounds=(RUN_SPEED, float('inf')),
                                 margin=RUN_SPEED, value_at_margin=0,
                                 sigmoid='linear'))


def cheetah_forward(physics):
  """dm_control's `cheetah-run` reward: running forward."""
  return _run_reward(physics.speed())


def cheetah_backward(physics):
  """The run reward on the negated speed: running backward."""
  return _run_reward(-physics.speed())


REWARDS: Dict[str, Dict[str, Callable]] = {
    'cheetah': {'forward': cheetah_forward, 'backward': cheetah_backward},
}


def reward_functions(domain: str, names: Sequence[str]) -> Dict[str, Callable]:
  """`{name: physics -> float}` for the named rewards of `domain`, in order.

  Raises:
    ValueError: for a domain without named rewards, an unknown or repeated name,
      or no names, listing what exists.
  """
  if isinstance(names, str) or not names:
    raise ValueError(f'rewards must be a non-empty list of reward names, got '
                     f'{names!r}.')
  if domain not in REWARDS:
    raise ValueError(
        f'The {domain} domain has no named rewards; domains with them: '
        f'{", ".join(sorted(REWARDS))}.')
  names = list(names)
  repeated = sorted({n for n in names if names.count(n) > 1})
  if repeated:
    raise ValueError(f'rewards lists {repeated} more than once: {names}.')
  unknown = [n for n in names if n not in REWARDS[domain]]
  if unknown:
    raise ValueError(f'Unknown rewards {unknown} of the {domain} domain; it has '
                     f'{", ".join(sorted(REWARDS[domain]))}.')
  return {n: REWARDS[domain][n] for n in names}
