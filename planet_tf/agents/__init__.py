"""TF-Agents agents: `PlanetAgent`, `GlamorAgent` (neither imports the other)."""

from planet_tf.agents.glamor_agent import GlamorAgent
from planet_tf.agents.planet_agent import PlanetAgent

__all__ = ['GlamorAgent', 'PlanetAgent']
