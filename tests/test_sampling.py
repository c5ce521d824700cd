"""The sampling planner finds the best sequence of a hand-set score table, never
ends at the first step, always ends by the horizon, and scores plans by the
summed log-ratios plus k log(gamma)."""

import itertools

import numpy as np
import pytest
import tensorflow as tf

from planet_tf.planning import sample_plans
from planet_tf.planning import sampling

A, END, PAD = 2, 2, 3


class Table:
  """A hand-built model: log-probs looked up by (batch entry, step, previous).

  `goal[b, t, prev + 1]` and `prior[b, t, prev + 1]` are `[A + 2]` logits (the
  planner renormalises without PAD). The state is `(entry index, step)`.
  """

  def __init__(self, goal, prior):
    self.goal = tf.constant(goal, tf.float32)
    self.prior = tf.constant(prior, tf.float32)

  def start(self, batch):
    return {'b': tf.range(batch), 't': tf.zeros([batch], tf.int32)}

  def step(self, state, prev):
    index = tf.stack([state['b'], state['t'], prev + 1], axis=-1)
    goal = tf.gather_nd(self.goal, index)
    prior = tf.gather_nd(self.prior, index)
    return goal, prior, {'b': state['b'], 't': state['t'] + 1}

  def score(self, b, tokens, discount, use_prior=True):
    """Brute-force score of a token sequence (actions then END)."""
    def norm(x):
      x = np.asarray(x[:A + 1], np.float64)
      return x - np.log(np.exp(x).sum())
    total, prev = 0.0, -1
    for t, token in enumerate(tokens):
      ratio = norm(self.goal.numpy()[b, t, prev + 1])
      if use_prior:
        ratio = ratio - norm(self.prior.numpy()[b, t, prev + 1])
      total += ratio[token]
      prev = token
    return total + (len(tokens) - 1) * np.log(discount)


def _sequences(horizon):
  """Every legal plan: 1..horizon actions, then END."""
  for k in range(1, horizon + 1):
    for actions in itertools.product(range(A), repeat=k):
      yield list(actions) + [END]


def _random_table(batch, horizon, seed, scale=1.5):
  rng = np.random.default_rng(seed)
  shape = [batch, horizon + 1, A + 3, A + 2]  # prev in START, 0..A-1, END, PAD
  return Table(scale * rng.normal(size=shape), scale * rng.normal(size=shape))


def _plan(table, batch, horizon, seed=0, **kwargs):
  return sample_plans(table.start(batch), table.step, A, horizon,
                      generator=tf.random.Generator.from_seed(seed), **kwargs)


@pytest.mark.parametrize('use_prior', [True, False])
def test_returns_the_best_sequence_of_a_hand_set_table(use_prior):
  batch, horizon, discount = 3, 3, 0.9
  table = _random_table(batch, horizon, seed=1)
  plan = _plan(table, batch, horizon, candidates=400, discount=discount,
               use_prior=use_prior)
  assert plan.tokens.shape == (batch, horizon + 1)
  assert plan.length.shape == (batch,) and plan.score.shape == (batch,)
  for b in range(batch):
    scores = {tuple(s): table.score(b, s, discount, use_prior)
              for s in _sequences(horizon)}
    best = max(scores, key=scores.get)
    k = int(plan.length[b])
    np.testing.assert_array_equal(plan.tokens[b, :k + 1], best)
    assert np.all(plan.tokens[b, k + 1:].numpy() == PAD)
    np.testing.assert_allclose(plan.score[b], scores[best], rtol=1e-5)


def test_end_is_never_the_first_token():
  # END is by far the likeliest token at every step: plans stop as soon as
  # they may, after one action.
  goal = np.zeros([1, 6, A + 3, A + 2])
  goal[..., END] = 20.0
  table = Table(goal, np.zeros_like(goal))
  plan = _plan(table, 1, horizon=5, candidates=50)
  assert int(plan.length[0]) == 1
  assert plan.tokens[0, 0] < A and plan.tokens[0, 1] == END


def test_end_is_forced_at_the_horizon():
  goal = np.zeros([2, 5, A + 3, A + 2])
  goal[..., END] = -30.0  # END practically never drawn before it is forced.
  table = Table(goal, np.zeros_like(goal))
  plan = _plan(table, 2, horizon=4, candidates=20)
  np.testing.assert_array_equal(plan.length, [4, 4])
  np.testing.assert_array_equal(plan.tokens[:, 4], [END, END])
  assert np.all(plan.tokens[:, :4].numpy() < A)


def test_score_is_summed_log_ratios_plus_k_log_gamma():
  # One action and END never drawn early: the plan is [0, 0, 0, END].
  goal = np.zeros([1, 4, 1 + 3, 1 + 2])
  goal[..., 0], goal[..., 1] = np.log(0.8), np.log(0.2)  # a, END (w/o PAD).
  prior = np.zeros_like(goal)
  prior[..., 0], prior[..., 1] = np.log(0.5), np.log(0.5)
  # Make END impossible to sample before the horizon (but it is forced).
  goal[:, :3, :, 1] = -np.inf
  table = Table(goal, prior)
  plan = sample_plans(table.start(1), table.step, 1, 3, candidates=4,
                      discount=0.99,
                      generator=tf.random.Generator.from_seed(0))
  np.testing.assert_array_equal(plan.tokens[0], [0, 0, 0, 1])
  expected = (3 * (np.log(1.0) - np.log(0.5)) +      # a: p = 1 after -inf END.
              (np.log(0.2) - np.log(0.5)) + 3 * np.log(0.99))
  np.testing.assert_allclose(plan.score[0], expected, rtol=1e-5)


def test_the_prior_changes_the_choice():
  # Action 0 is likelier under the goal model, but as likely without the goal;
  # action 1 is less likely but far likelier with the goal than without.
  goal = np.zeros([1, 2, A + 3, A + 2])
  goal[..., :3] = np.log([0.6, 0.3, 0.1])
  goal[:, 0, :, END] = -np.inf
  prior = np.zeros_like(goal)
  prior[..., :3] = np.log([0.6, 0.01, 0.39])
  table = Table(goal, prior)
  with_prior = _plan(table, 1, horizon=1, candidates=50)
  without = _plan(table, 1, horizon=1, candidates=50, use_prior=False)
  assert int(with_prior.tokens[0, 0]) == 1
  assert int(without.tokens[0, 0]) == 0


def test_same_generator_state_same_plan():
  table = _random_table(2, 4, seed=3, scale=0.3)
  first = _plan(table, 2, 4, seed=7, candidates=8)
  again = _plan(table, 2, 4, seed=7, candidates=8)
  np.testing.assert_array_equal(first.tokens, again.tokens)


def test_out_of_range_settings_are_named():
  table = _random_table(1, 2, seed=0)
  with pytest.raises(ValueError, match='horizon'):
    _plan(table, 1, horizon=0)
  with pytest.raises(ValueError, match='discount'):
    _plan(table, 1, horizon=2, discount=0.0)
  assert sampling.START == -1


def test_each_entry_can_have_its_own_shorter_limit():
  goal = np.zeros([3, 6, A + 3, A + 2])
  goal[..., END] = -30.0
  table = Table(goal, np.zeros_like(goal))
  plan = sample_plans(table.start(3), table.step, A, 5, candidates=10,
                      generator=tf.random.Generator.from_seed(0),
                      max_length=tf.constant([2, 5, 0]))
  np.testing.assert_array_equal(plan.length, [2, 5, 1])  # 0 is clipped to 1.
  np.testing.assert_array_equal(plan.tokens[0], [plan.tokens[0, 0],
                                                 plan.tokens[0, 1], END, PAD,
                                                 PAD, PAD])
  assert plan.tokens[2, 1] == END and plan.tokens[1, 5] == END
