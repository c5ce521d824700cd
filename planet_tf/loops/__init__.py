"""Training loops: the run skeleton every agent kind shares (`skeleton`,
`agent_loop`, `recovery`), each kind's own part (`planet`, gin `train_eval`;
`dreamer`, gin `dreamer_train_eval`; `glamor`, gin `glamor_train_eval`), and
their `registry`. Importing the package registers every kind."""

from planet_tf.loops import dreamer  # pylint: disable=unused-import
from planet_tf.loops import glamor  # pylint: disable=unused-import
from planet_tf.loops import planet  # pylint: disable=unused-import
