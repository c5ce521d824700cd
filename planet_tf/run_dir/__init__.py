"""A run directory: everything a run finds, reads and writes, in one place.

`RunDir` names its paths; `lock` keeps one process per run; `stored_config`
stores the configuration and refuses a different one on resume, and reads a
run's stored settings back; `RunCheckpoint` is the one save/restore path;
`returns` writes and reads `eval/returns.csv`, `timing` `eval/timing.csv`.
Persistence only: nothing here knows an agent, a policy or an environment.
"""

from planet_tf.run_dir.checkpoint import RunCheckpoint
from planet_tf.run_dir.errors import CheckpointError
from planet_tf.run_dir.errors import ConfigMismatchError
from planet_tf.run_dir.errors import RunLockedError
from planet_tf.run_dir.layout import CONFIG_FILE
from planet_tf.run_dir.layout import OPERATIVE_CONFIG_FILE
from planet_tf.run_dir.layout import RunDir
from planet_tf.run_dir.layout import find_policy_dir
from planet_tf.run_dir.layout import find_run_dir
from planet_tf.run_dir.layout import head_of_policy_dir
from planet_tf.run_dir.layout import policy_dir
from planet_tf.run_dir.lock import lock
from planet_tf.run_dir.lock import remove_empty
from planet_tf.run_dir.lock import unlock
from planet_tf.run_dir.returns import COLUMNS
from planet_tf.run_dir.returns import ReturnRow
from planet_tf.run_dir.returns import append_return
from planet_tf.run_dir.returns import read_returns
from planet_tf.run_dir.stored_config import check_config
from planet_tf.run_dir.stored_config import configurable_settings
from planet_tf.run_dir.stored_config import env_settings_of_run
from planet_tf.run_dir.stored_config import invocation_seed
from planet_tf.run_dir.stored_config import parse_bindings
from planet_tf.run_dir.stored_config import run_bindings
from planet_tf.run_dir.stored_config import stored_bindings
from planet_tf.run_dir.stored_config import write_operative_config
from planet_tf.run_dir.timing import Clock
from planet_tf.run_dir.timing import read_timing
