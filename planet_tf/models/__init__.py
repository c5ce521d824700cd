"""Latent dynamics models with one interface, the world model that trains them,
Dreamer's behaviour learning on it (`behavior`, `returns`), and GLAMOR's
inverse-dynamics model."""

from planet_tf.models.deterministic_rnn import DeterministicRNN
from planet_tf.models.dynamics import Dynamics
from planet_tf.models.dynamics import mean_sample
from planet_tf.models.dynamics import sample_function
from planet_tf.models.inverse_dynamics import InverseDynamics
from planet_tf.models.rssm import RSSM
from planet_tf.models.state import LatentState
from planet_tf.models.stochastic_ssm import StochasticSSM
from planet_tf.models.world_model import WorldModel
from planet_tf.models.world_model import make_world_model

__all__ = ['Dynamics', 'mean_sample', 'sample_function', 'RSSM', 'DeterministicRNN', 'StochasticSSM', 'LatentState',
           'WorldModel', 'make_world_model', 'InverseDynamics']
