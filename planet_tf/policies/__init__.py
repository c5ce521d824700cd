"""TF-Agents policies that plan with a learned model (PlaNet's world model,
GLAMOR's inverse dynamics), and their SavedModel export."""

from planet_tf.policies.cem_policy import CemPolicy
from planet_tf.policies.cem_policy import CollectCemPolicy
from planet_tf.policies.goal_policy import CollectGoalPolicy
from planet_tf.policies.goal_policy import GoalPolicy
from planet_tf.policies.saver import export_policy

__all__ = ['CemPolicy', 'CollectCemPolicy', 'GoalPolicy', 'CollectGoalPolicy',
           'export_policy']
