"""Dreamer's behaviour learning (Hafner et al., 2020, Sec. 3-4): trajectories
imagined by an actor from posterior states, and the actor's and the value's
losses on them.

The world model, the actor (features -> action distribution) and the value
(features -> distribution over the return) come in as arguments; which variables
a loss updates is the agent's choice. See `returns` for the time alignment: of
the imagined states `s_0 .. s_H`, the reward of action `a_t` is read from
`s_{t+1}`, and the value of `s_t` is the return of the rewards after it.
"""

from typing import Dict, NamedTuple, Optional, Tuple

import tensorflow as tf

from planet_tf.models import returns as returns_lib
from planet_tf.models.state import LatentState


class Imagined(NamedTuple):
  """A batch of imagined trajectories.

  states: `LatentState` `[N, H + 1, ...]`; `states[:, 0]` is the start.
  actions: `[N, H, A]`; `actions[:, t]` is taken in `states[:, t]`.
  entropies: `[N, H]`, the entropy of the actor's distribution that drew
    `actions[:, t]`, differentiable into the actor; None when the actor's
    distribution defines no entropy.
  """
  states: LatentState
  actions: tf.Tensor
  entropies: Optional[tf.Tensor] = None


class ValueTargets(NamedTuple):
  """What the value regresses on; constants (gradients stopped).

  features: `[N, H, F]` of the states `s_0 .. s_{H-1}`.
  returns: `[N, H]`, the λ-return from each of them.
  weights: `[H]`, the discount accumulated before each step.
  """
  features: tf.Tensor
  returns: tf.Tensor
  weights: tf.Tensor


def start_states(posteriors: LatentState) -> LatentState:
  """Every posterior of a `[B, L, ...]` chunk as a start `[B * L, ...]`.

  The gradient is stopped: behaviour learning does not change what the world
  model infers.
  """
  return tf.nest.map_structure(
      lambda x: tf.stop_gradient(
          tf.reshape(x, tf.concat([[-1], tf.shape(x)[2:]], 0))), posteriors)


def imagine_ahead(dynamics, actor, start: LatentState, horizon: int,
                  sample=None) -> Imagined:
  """Rolls the prior forward `horizon` steps with actions sampled from `actor`.

  The actor reads `stop_gradient(features)`, as Dreamer's does: the gradient of
  a later reward reaches an action through the dynamics, not through the
  actor's own input.

  Args:
    dynamics: a `Dynamics`; its `imagine_step` is the one step.
    actor: features `[N, F]` -> distribution over actions `[N, A]` whose
      `sample()` is reparameterized.
    start: `LatentState` `[N, ...]`.
    horizon: H, a Python int.
    sample: the random source of the states (`dynamics.sample_function`).

  Returns:
    `Imagined` with states `[N, H + 1, ...]`, actions `[N, H, A]` and the
    actor's entropies `[N, H]`.
  """
  states, actions, entropies = [start], [], []
  for _ in range(int(horizon)):
    features = tf.stop_gradient(dynamics.features(states[-1]))
    distribution = actor(features)
    actions.append(distribution.sample())
    entropies.append(_entropy(distribution))
    states.append(dynamics.imagine_step(states[-1], actions[-1], sample))
  return Imagined(
      states=tf.nest.map_structure(lambda *x: tf.stack(x, 1), *states),
      actions=tf.stack(actions, 1),
      entropies=None if entropies[0] is None else tf.stack(entropies, 1))


def _entropy(distribution) -> Optional[tf.Tensor]:
  """`distribution.entropy()` `[N]`, or None where it is not defined."""
  try:
    return distribution.entropy()
  except NotImplementedError:
    return None


def actor_loss(world_model, actor, value, start: LatentState, horizon: int = 15,
               discount: float = 0.99, lambda_: float = 0.95,
               reward_head: str = 'reward', sample=None,
               entropy_scale: float = 0.0
               ) -> Tuple[tf.Tensor, ValueTargets, Dict[str, tf.Tensor]]:
  """The negative discount-weighted λ-return of trajectories the actor imagines.

  Differentiable through the imagined states into the actor's actions: the
  reward head, the value and the dynamics are read, not trained, by this loss.
  With `entropy_scale` η > 0 the loss also takes η times the discount-weighted
  entropy of the actor's distributions along the trajectories (DreamerV2's
  actor entropy term; Dreamer has none, η = 0): its gradient keeps pulling a
  tanh-squashed mean away from the bounds, where the λ-return's own gradient
  vanishes.

  Args:
    world_model: a `WorldModel` (its `dynamics` and reward head).
    actor: as `imagine_ahead`.
    value: features `[..., F]` -> distribution whose `mean()` is `[...]`.
    start: `LatentState` `[N, ...]`, e.g. `start_states(posteriors)`.
    horizon: H.
    discount: γ.
    lambda_: λ of the λ-return.
    reward_head: the world model's head whose rewards are maximised.
    sample: the random source of the imagined states.
    entropy_scale: η >= 0; above 0 the actor's distribution must define
      `entropy()`.

  Returns:
    `(loss, targets, metrics)`: the scalar loss, the `ValueTargets` of the same
    trajectories, and `{'actor_loss', 'imagined_return' (the mean λ-return
    from the starts), 'imagined_reward'}` and, where the actor's distribution
    defines one, `'actor_entropy'` (its mean entropy along the trajectories),
    scalars.

  Raises:
    ValueError: `entropy_scale` > 0 with an actor whose distribution has no
      entropy.
  """
  imagined = imagine_ahead(world_model.dynamics, actor, start, horizon, sample)
  features = world_model.dynamics.features(imagined.states)  # [N, H + 1, F]
  rewards = world_model.reward(features[:, 1:], reward_head).mean()  # [N, H]
  next_values = value(features[:, 1:]).mean()  # [N, H]
  returns = returns_lib.lambda_returns(rewards, next_values, discount, lambda_)
  weights = returns_lib.cumulative_discounts(discount, horizon)  # [H]
  loss = -tf.reduce_mean(weights * returns)
  if entropy_scale > 0.0:
    if imagined.entropies is None:
      raise ValueError('An actor entropy scale needs an actor whose '
                       'distribution defines entropy().')
    loss -= entropy_scale * tf.reduce_mean(weights * imagined.entropies)
  targets = ValueTargets(features=tf.stop_gradient(features[:, :-1]),
                         returns=tf.stop_gradient(returns), weights=weights)
  metrics = {'actor_loss': loss,
             'imagined_return': tf.reduce_mean(returns[:, 0]),
             'imagined_reward': tf.reduce_mean(rewards)}
  if imagined.entropies is not None:
    metrics['actor_entropy'] = tf.reduce_mean(imagined.entropies)
  return loss, targets, metrics


def value_loss(value, targets: ValueTargets) -> tf.Tensor:
  """The value's discount-weighted negative log-likelihood of the λ-returns.

  Args:
    value: as `actor_loss`.
    targets: `ValueTargets` `[N, H]`.

  Returns:
    scalar float32.
  """
  nll = -value(targets.features).log_prob(targets.returns)  # [N, H]
  return tf.reduce_mean(targets.weights * nll)
