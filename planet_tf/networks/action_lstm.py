"""The heads of GLAMOR's sequence models: context mixing and an LSTM over tokens.

`InverseDynamics` (`planet_tf.models.inverse_dynamics`) builds its goal model
and action prior from these.
"""

import tensorflow as tf


class ContextMix(tf.keras.layers.Layer):
  """Observation and goal features to the goal model's context.

  `relu(dense(relu(layer_norm(dense(concat(features))))))`: 256 hidden units and
  a 512 context in the paper.
  """

  def __init__(self, hidden_units: int = 256, context_size: int = 512,
               **kwargs):
    super().__init__(**kwargs)
    self._hidden = tf.keras.layers.Dense(hidden_units, name='hidden')
    self._norm = tf.keras.layers.LayerNormalization(name='norm')
    self._out = tf.keras.layers.Dense(context_size, tf.nn.relu, name='out')

  def call(self, observation_features, goal_features):
    """`[B, F]`, `[B, F']` -> `[B, context_size]`."""
    x = tf.concat([observation_features, goal_features], axis=-1)
    return self._out(tf.nn.relu(self._norm(self._hidden(x))))


class ActionLSTM(tf.keras.layers.Layer):
  """An LSTM over tokens conditioned on a context vector.

  The state starts as `(dense_h(context), dense_c(context))`; the input of each
  step is a dense layer over `concat(context, one_hot(previous action))`,
  computed as `project(context) + dense_a(one_hot)` so that the context's part
  (the costly one) is computed once per sequence, not once per token. The
  output is log-probabilities over `tokens`. `step` and `sequence` use the same
  layers (the sequence runs the step's LSTM cell through
  `tf.keras.layers.RNN`). Its methods are not `call`, so they open the layer's
  name scope themselves (variables are named `<name>/mix_context/kernel`, ...).
  """

  def __init__(self, num_actions: int, tokens: int, units: int = 64,
               input_size: int = 512, **kwargs):
    super().__init__(**kwargs)
    self._num_actions = int(num_actions)
    self._init_h = tf.keras.layers.Dense(units, name='init_h')
    self._init_c = tf.keras.layers.Dense(units, name='init_c')
    self._mix_context = tf.keras.layers.Dense(input_size, name='mix_context')
    self._mix_action = tf.keras.layers.Dense(input_size, use_bias=False,
                                             name='mix_action')
    self._cell = tf.keras.layers.LSTMCell(units, name='cell')
    self._rnn = tf.keras.layers.RNN(self._cell, return_sequences=True,
                                    name='rnn')
    self._out = tf.keras.layers.Dense(tokens, name='out')

  def initial_state(self, context):
    """`context [B, F]` -> `(h, c)`, each `[B, units]`."""
    with tf.name_scope(self.name):
      return (self._init_h(context), self._init_c(context))

  def project(self, context):
    """`context [B, F]` -> its part of every step's input, `[B, input_size]`."""
    with tf.name_scope(self.name):
      return self._mix_context(context)

  def _action_input(self, prev_tokens):
    # Tokens outside [0, num_actions) (GLAMOR's START, END, PAD): zero one-hot.
    return self._mix_action(tf.one_hot(prev_tokens, self._num_actions))

  def step(self, projected, prev_token, state):
    """One token: `projected [B, I]` (from `project`), `prev_token [B]`,
    `state` -> `(log_probs [B, tokens], state)`."""
    with tf.name_scope(self.name):
      inputs = projected + self._action_input(prev_token)
      output, state = self._cell(inputs, list(state))
      return tf.nn.log_softmax(self._out(output)), tuple(state)

  def sequence(self, projected, prev_tokens, state):
    """Teacher-forced: `projected [B, I]`, `prev_tokens [B, T]`, `state` ->
    log-probs `[B, T, tokens]`."""
    with tf.name_scope(self.name):
      inputs = projected[:, None] + self._action_input(prev_tokens)
      outputs = self._rnn(inputs, initial_state=list(state))
      return tf.nn.log_softmax(self._out(outputs))
