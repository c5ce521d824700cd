"""Every episode through one driver (`run`), and an episode's return.

Collection (`planet_tf.loops`), evaluation (`planet_tf.evaluation.episodes`)
and the distributed actor run their episodes through `run`: a TF-Agents
`PyDriver` over an unbatched `PyEnvironment`, stepped in the calling thread (a
rendering environment's EGL context stays on that thread), with observers that
take one unbatched numpy `Trajectory` step. `episode_return` is an episode's
return wherever one is needed: `EpisodeReturn` sums each finished episode's
rewards with it (the rows of collected episodes, evaluation, the actor), and
`EpisodeReplay.episode_returns` sums stored episodes with it (the rows kill
recovery rebuilds), so a rebuilt row reads as the live one did.
"""

import numpy as np
from tf_agents.drivers import py_driver
from tf_agents.policies import py_tf_eager_policy
from tf_agents.policies import random_tf_policy
from tf_agents.specs import tensor_spec


def run(env, policy, observers, num_episodes=1):
  """Resets `env`, then runs `num_episodes` whole episodes of `policy`.

  An episode ends with its boundary step (LAST -> FIRST, the environment's own
  reset), which the observers see too; the policy acts on every step, the LAST
  one included, and its state starts at `get_initial_state(1)` and again at
  each later episode's FIRST step.

  Args:
    env: an unbatched `PyEnvironment`.
    policy: a `PyPolicy`: `as_py_policy(tf_policy)`, `random_policy(env)`,
      a `SavedModelPyTFEagerPolicy`, ...
    observers: callables of one unbatched `Trajectory` step, called in order
      after every environment step.
    num_episodes: episodes to run, >= 1.
  """
  driver = py_driver.PyDriver(env, policy, list(observers),
                              max_episodes=num_episodes)
  driver.run(env.reset(), policy.get_initial_state(1))


def as_py_policy(policy):
  """A `TFPolicy` as a `PyPolicy` of unbatched numpy steps for `run`.

  Its `action` runs as one `tf.function`, traced once per input signature, so
  the encoder and the posterior step do not run op by op; one wrapper serves
  every environment with the same specs.
  """
  return py_tf_eager_policy.PyTFEagerPolicy(policy, use_tf_function=True,
                                            batch_time_steps=True)


def random_policy(env):
  """Uniform random actions for `env`, drawn eagerly from TensorFlow's global
  generator (`tf.random.set_seed` seeds them), one draw per step."""
  policy = random_tf_policy.RandomTFPolicy(
      tensor_spec.from_spec(env.time_step_spec()),
      tensor_spec.from_spec(env.action_spec()))
  return py_tf_eager_policy.PyTFEagerPolicy(policy, use_tf_function=False,
                                            batch_time_steps=True)


def episode_return(rewards, dtype=np.float64):
  """The undiscounted return of one episode: its rewards summed in step order.

  Args:
    rewards: the rewards of the episode's steps, in order, its boundary step
      left out: `[T]` scalars, or `[T]` dicts `{name: scalar}` (named rewards).
    dtype: the sum's accumulator. `np.float32` adds as TF-Agents' return
      metrics do in TensorFlow on a CPU, subnormal numbers flushed to zero
      (the `returns.csv` rows of collected episodes); `np.float64` as Python
      floats (evaluation and the distributed actor).

  Returns:
    A float; a dict `{name: float}` for named rewards.
  """
  if rewards and isinstance(rewards[0], dict):
    return {name: episode_return([r[name] for r in rewards], dtype)
            for name in rewards[0]}
  flush = dtype == np.float32
  total = dtype(0)
  for reward in rewards:
    reward = _flushed(np.sum(reward, dtype=dtype), flush)
    total = _flushed(dtype(total + reward), flush)
  return float(total)


def _flushed(x, flush):
  """`x`, or 0 if `flush` and `x` is subnormal (as TensorFlow's CPU kernels
  read and write them)."""
  if flush and 0 < abs(x) < np.finfo(x.dtype).tiny:
    return x.dtype.type(0)
  return x


class EpisodeReturn:
  """A driver observer: the return (`episode_return`) of each episode that ends.

  A step's reward is `trajectory.reward`, r_t earned by a_t; the boundary step
  (step type LAST) ends the episode and its reward, the next episode's first,
  is left out.

  Attributes:
    returns: the return of each finished episode, a float or `{name: float}`.
  """

  def __init__(self, dtype=np.float64):
    """Args:

      dtype: the sum's accumulator (`episode_return`).
    """
    self._dtype = dtype
    self._rewards = []
    self.returns = []

  def __call__(self, trajectory):
    if trajectory.is_boundary():
      self.returns.append(episode_return(self._rewards, self._dtype))
      self._rewards = []
    else:
      self._rewards.append(trajectory.reward)

  @property
  def last(self):
    """The return of the newest finished episode."""
    return self.returns[-1]
