"""RSSM, DeterministicRNN and StochasticSSM share one interface and one step."""

import numpy as np
import pytest
import tensorflow as tf
from tf_agents.trajectories import time_step as ts

from planet_tf import models
from planet_tf.models import DeterministicRNN
from planet_tf.models import LatentState
from planet_tf.models import RSSM
from planet_tf.models import StochasticSSM
from planet_tf.models import sequence

B, T, E, A = 3, 6, 10, 2
SIZES = {  # class -> (constructor, stoch size, deter size)
    'RSSM': (lambda: RSSM(4, 8, 8), 4, 8),
    'DeterministicRNN': (lambda: DeterministicRNN(8, 8), 0, 8),
    'StochasticSSM': (lambda: StochasticSSM(4, 8), 4, 0),
}


@pytest.fixture(params=sorted(SIZES))
def model(request):
  make, stoch, deter = SIZES[request.param]
  return make(), stoch, deter


def _inputs(seed=0):
  rng = np.random.default_rng(seed)
  embeddings = tf.constant(rng.normal(size=[B, T, E]), tf.float32)
  actions = tf.constant(rng.uniform(-1, 1, [B, T, A]), tf.float32)
  return embeddings, actions


def test_paper_sizes_are_the_defaults():
  rssm = RSSM()
  assert (rssm.stoch_size, rssm.deter_size, rssm.feature_size) == (30, 200, 230)
  assert DeterministicRNN().feature_size == 200
  assert StochasticSSM().feature_size == 30


def test_state_spec_is_unbatched_and_initial_state_is_zeros(model):
  dynamics, s, d = model
  spec = dynamics.state_spec()
  assert isinstance(spec, LatentState)
  assert [x.shape.as_list() for x in spec] == [[s], [s], [s], [d]]
  assert all(x.dtype == tf.float32 for x in spec)
  initial = dynamics.initial_state(5)
  assert [x.shape.as_list() for x in initial] == [[5, s], [5, s], [5, s], [5, d]]
  assert all(np.all(x.numpy() == 0) for x in initial)


def test_observe_and_imagine_shapes_and_dtypes(model):
  dynamics, s, d = model
  embeddings, actions = _inputs()
  posteriors, priors = dynamics.observe(embeddings, actions)
  for states in (posteriors, priors):
    assert [x.shape.as_list() for x in states] == [[B, T, s]] * 3 + [[B, T, d]]
    assert all(x.dtype == tf.float32 for x in states)
  assert dynamics.features(posteriors).shape == (B, T, s + d)
  assert dynamics.feature_size == s + d
  last = tf.nest.map_structure(lambda x: x[:, -1], posteriors)
  imagined = dynamics.imagine(actions[:, :4], last)
  assert [x.shape.as_list() for x in imagined] == [[B, 4, s]] * 3 + [[B, 4, d]]
  if s:
    assert np.all(posteriors.stddev.numpy() >= 0.1)  # min stddev.


def test_observe_priors_are_the_imagine_step_of_the_previous_posterior(model):
  dynamics, _, _ = model
  embeddings, actions = _inputs()
  posteriors, priors = dynamics.observe(embeddings, actions)
  previous = tf.nest.map_structure(lambda x: x[:, 2], posteriors)
  prior = dynamics.imagine_step(previous, actions[:, 3])
  np.testing.assert_allclose(prior.mean, priors.mean[:, 3], atol=1e-5)
  np.testing.assert_allclose(prior.stddev, priors.stddev[:, 3], atol=1e-5)
  np.testing.assert_allclose(prior.deter, priors.deter[:, 3], atol=1e-5)


def test_a_first_inside_a_chunk_makes_what_follows_independent_of_what_preceded(
    model):
  dynamics, _, _ = model
  embeddings, actions = _inputs()
  step_types = np.full([B, T], ts.StepType.MID, np.int32)
  step_types[:, 0] = ts.StepType.FIRST
  step_types[:, 2] = ts.StepType.LAST
  step_types[:, 3] = ts.StepType.FIRST
  initial = tf.nest.map_structure(lambda x: x + 1.0, dynamics.initial_state(B))
  with tf.GradientTape(persistent=True) as tape:
    tape.watch([embeddings, actions, initial])
    posteriors, _ = dynamics.observe(embeddings, actions, step_types, initial)
    after = tf.reduce_sum(dynamics.features(posteriors)[:, 3:] ** 2)
    before = tf.reduce_sum(dynamics.features(posteriors)[:, 1:3] ** 2)
  for grad in [tape.gradient(after, embeddings),
               tape.gradient(after, actions)]:
    assert np.all(grad[:, :3].numpy() == 0)
  assert np.any(tape.gradient(after, embeddings)[:, 3:].numpy() != 0)
  # The action before the FIRST is not used either: prev_action resets to zero.
  assert np.all(tape.gradient(after, actions)[:, 3].numpy() == 0)
  initial_grad = tape.gradient(after, initial)
  assert all(g is None or np.all(g.numpy() == 0) for g in initial_grad)
  # ... while before the FIRST the past does matter (the test can fail).
  assert np.any(tape.gradient(before, embeddings)[:, :1].numpy() != 0)


def test_imagine_step_runs_in_a_tf_function_on_a_thousand_candidates(model):
  dynamics, s, d = model
  dynamics.observe(*_inputs())  # Builds the variables.

  @tf.function
  def rollout(state, actions):
    for t in range(3):
      state = dynamics.imagine_step(state, actions[:, t])
    return dynamics.features(state)

  state = dynamics.initial_state(1000)
  features = rollout(state, tf.zeros([1000, 3, A]))
  assert features.shape == (1000, s + d)
  assert rollout.experimental_get_tracing_count() == 1


def test_wrong_ranks_are_named():
  dynamics = RSSM(4, 8, 8)
  embeddings, actions = _inputs()
  with pytest.raises(ValueError, match='embeddings must have rank 3'):
    dynamics.observe(embeddings[:, 0], actions)
  with pytest.raises(ValueError, match='prev_actions must have rank 3'):
    dynamics.observe(embeddings, actions[:, 0])
  with pytest.raises(ValueError, match='step_types must have rank 2'):
    dynamics.observe(embeddings, actions, tf.zeros([B], tf.int32))
  with pytest.raises(ValueError, match='actions must have rank 3'):
    dynamics.imagine(actions[:, 0], dynamics.initial_state(B))


def test_previous_actions_are_shifted_and_zero_at_resets():
  actions = tf.reshape(tf.range(1, 7, dtype=tf.float32), [1, 6, 1])
  step_types = tf.constant([[0, 1, 2, 0, 1, 1]])
  prev = sequence.previous_actions(actions, step_types)[..., 0]
  np.testing.assert_array_equal(prev, [[0, 1, 2, 0, 4, 5]])
  targets, mask = sequence.previous_rewards(actions[..., 0], step_types)
  np.testing.assert_array_equal(targets, [[0, 1, 2, 3, 4, 5]])
  np.testing.assert_array_equal(mask, [[0, 1, 1, 0, 1, 1]])


def test_steps_draw_only_from_the_random_source_they_are_given(model):
  dynamics, s, _ = model
  embeddings, actions = _inputs()
  state = dynamics.initial_state(B)

  def draw(global_seed):
    tf.random.set_seed(global_seed)
    generator = tf.random.Generator.from_seed(7)
    posterior, prior = dynamics.observe_step(state, actions[:, 0],
                                             embeddings[:, 0], generator)
    imagined = dynamics.imagine_step(posterior, actions[:, 1], generator)
    return [x.numpy() for x in (posterior.stoch, prior.stoch, imagined.stoch)]

  # The global seed does not matter; the generator's state does.
  for first, second in zip(draw(1), draw(2)):
    np.testing.assert_array_equal(first, second)
  posteriors, _ = dynamics.observe(embeddings, actions, sample=models.mean_sample)
  np.testing.assert_array_equal(posteriors.stoch, posteriors.mean)
  if s:
    sampled, _ = dynamics.observe(embeddings, actions,
                                  sample=tf.random.Generator.from_seed(0))
    assert not np.allclose(sampled.stoch, sampled.mean)



def _gru_block_cell(x, h, kernel, recurrent, bias):
  """TensorFlow 1's GRUBlockCell (the original PlaNet's), in numpy."""
  sigmoid = lambda v: 1 / (1 + np.exp(-v))
  d = h.shape[-1]
  u = sigmoid(x @ kernel[:, :d] + h @ recurrent[:, :d] + bias[:d])
  r = sigmoid(x @ kernel[:, d:2 * d] + h @ recurrent[:, d:2 * d] +
              bias[d:2 * d])
  c = np.tanh(x @ kernel[:, 2 * d:] + (r * h) @ recurrent[:, 2 * d:] +
              bias[2 * d:])
  return u * h + (1 - u) * c


def test_rssm_can_use_the_original_codes_gru():
  rssm = RSSM(stoch_size=4, deter_size=5, hidden_size=6, reset_after=False,
              gate_bias=1.0)
  state = rssm.initial_state(3)
  rng = np.random.default_rng(0)
  state = state._replace(stoch=tf.constant(rng.normal(size=[3, 4]), tf.float32),
                         deter=tf.constant(rng.normal(size=[3, 5]), tf.float32))
  action = tf.constant(rng.normal(size=[3, 2]), tf.float32)
  prior = rssm.imagine_step(state, action)
  weights = {v.name.split(':')[0]: v.numpy()
             for v in rssm.trainable_variables}
  # Gates start with bias 1 (keep more of the belief early), the candidate 0.
  np.testing.assert_array_equal(weights['gru/bias'], [1.0] * 10 + [0.0] * 5)
  x = np.maximum(np.concatenate([state.stoch, action], -1) @
                 weights['img_in/kernel'] + weights['img_in/bias'], 0)
  expected = _gru_block_cell(x, state.deter.numpy(), weights['gru/kernel'],
                             weights['gru/recurrent_kernel'],
                             weights['gru/bias'])
  np.testing.assert_allclose(prior.deter.numpy(), expected, rtol=1e-5,
                             atol=1e-5)
