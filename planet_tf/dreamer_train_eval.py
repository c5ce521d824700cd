"""`planet_tf.dreamer_train_eval.dreamer_train_eval`, Dreamer's loop: its home
is `planet_tf.loops.dreamer`."""

from planet_tf.loops.dreamer import RESUMABLE
from planet_tf.loops.dreamer import Settings
from planet_tf.loops.dreamer import dreamer_train_eval
