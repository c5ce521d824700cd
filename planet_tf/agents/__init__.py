"""TF-Agents agents: `PlanetAgent`."""

from planet_tf.agents.planet_agent import PlanetAgent

__all__ = ['PlanetAgent']
