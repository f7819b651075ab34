"""Evoai's bot protocol (not built yet: see unfinished.py)."""

from __future__ import annotations

from evolution_py.integrations.chatbots.unfinished import UnfinishedBackend


class EvoaiBackend(UnfinishedBackend):
    kind_name = "Evoai"
