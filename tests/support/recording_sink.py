"""The bus's recording sink now ships with the bus (`evolution_py.events.testing`); kept importable here."""

from evolution_py.events.testing import RecordingSink

__all__ = ["RecordingSink"]
