"""Planning: `cem` (PlaNet, over continuous action sequences in latent space) and
`sample_plans` (GLAMOR, over discrete token sequences); pure optimisers."""

from planet_tf.planning.cem import cem
from planet_tf.planning.sampling import Plan
from planet_tf.planning.sampling import sample_plans

__all__ = ['cem', 'Plan', 'sample_plans']
