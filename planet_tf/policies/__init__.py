"""TF-Agents policies that plan with a world model, and their SavedModel export."""

from planet_tf.policies.cem_policy import CemPolicy
from planet_tf.policies.cem_policy import CollectCemPolicy
from planet_tf.policies.saver import export_policy

__all__ = ['CemPolicy', 'CollectCemPolicy', 'export_policy']
