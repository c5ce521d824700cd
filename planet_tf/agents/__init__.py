"""TF-Agents agents: `PlanetAgent`, `DreamerAgent`, `GlamorAgent` (none imports
another)."""

from planet_tf.agents.dreamer_agent import DreamerAgent
from planet_tf.agents.glamor_agent import GlamorAgent
from planet_tf.agents.planet_agent import PlanetAgent

__all__ = ['DreamerAgent', 'GlamorAgent', 'PlanetAgent']
