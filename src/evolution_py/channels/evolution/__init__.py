from evolution_py.channels.evolution.channel import EvolutionChannel

__all__ = ["EvolutionChannel"]
