"""Compatibility name of `bin/export`'s import: use `planet_tf.run_dir.restore`.

`export_from_run` and `restore_agent` rebuild an agent, so they live above the
agents, in `planet_tf.run_dir.restore`; the SavedModel writer is
`planet_tf.policies.saver`. Nothing in planet_tf imports this module (the
import-graph test allows it as the one upward edge); delete it once `bin/export`
imports `planet_tf.run_dir.restore`.
"""

from planet_tf.policies.saver import TMP_PREFIX
from planet_tf.policies.saver import export_policy
from planet_tf.policies.saver import remove_stale_exports
from planet_tf.run_dir.layout import policy_dir
from planet_tf.run_dir.restore import export_from_run
from planet_tf.run_dir.restore import restore_agent

__all__ = ['TMP_PREFIX', 'export_policy', 'export_from_run', 'policy_dir',
           'remove_stale_exports', 'restore_agent']
