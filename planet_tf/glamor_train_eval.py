"""`planet_tf.glamor_train_eval.glamor_train_eval`, GLAMOR's loop: its home is
`planet_tf.loops.glamor`."""

from planet_tf.loops.glamor import RESUMABLE
from planet_tf.loops.glamor import Settings
from planet_tf.loops.glamor import glamor_train_eval
