"""`planet_tf.train_eval.train_eval`, PlaNet's loop: its home is
`planet_tf.loops.planet`."""

from planet_tf.loops.planet import RESUMABLE
from planet_tf.loops.planet import Settings
from planet_tf.loops.planet import train_eval
