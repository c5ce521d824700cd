"""TF-Agents policies that act with a learned model (PlaNet's and Dreamer's world
model, GLAMOR's inverse dynamics), and their SavedModel export."""

from planet_tf.policies.actor_policy import ActorPolicy
from planet_tf.policies.actor_policy import CollectActorPolicy
from planet_tf.policies.cem_policy import CemPolicy
from planet_tf.policies.cem_policy import CollectCemPolicy
from planet_tf.policies.goal_policy import CollectGoalPolicy
from planet_tf.policies.goal_policy import GoalPolicy
from planet_tf.policies.latent_policy import LatentPolicy
from planet_tf.policies.saver import export_policy

__all__ = ['ActorPolicy', 'CollectActorPolicy', 'CemPolicy', 'CollectCemPolicy',
           'GoalPolicy', 'CollectGoalPolicy', 'LatentPolicy', 'export_policy']
