"""Where an import stands, kept beside the data (DATA_DIR/import/<source>.json), and what it did.

The checkpoint is written after each committed batch: the last source key per (instance, table),
or "done". A crash between the commit and the write repeats one batch, which the insert-if-absent
copy turns into nothing."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DONE = "\x00done"


class Checkpoint:
    def __init__(self, path: Path, *, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled
        self.state: dict[str, dict[str, Any]] = {}
        if enabled and path.exists():
            self.state = json.loads(path.read_text())

    @classmethod
    def for_source(cls, data_dir: str, kind: str, source_url: str, *, enabled: bool = True) -> Checkpoint:
        digest = hashlib.sha256(f"{kind}\n{source_url}".encode()).hexdigest()[:16]
        return cls(Path(data_dir) / "import" / f"{kind}-{digest}.json", enabled=enabled)

    def get(self, instance_id: str, table: str) -> Any:
        return self.state.get(instance_id, {}).get(table)

    def set(self, instance_id: str, table: str, value: Any) -> None:
        self.state.setdefault(instance_id, {})[table] = value
        if not self.enabled:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(".tmp")
        scratch.write_text(json.dumps(self.state, default=str))
        os.replace(scratch, self.path)  # atomic: a killed run leaves the old or the new file, never half


@dataclass
class TableCount:
    read: int = 0
    inserted: int = 0
    present: int = 0  # already in our database (an earlier run, or the same key there)


@dataclass
class InstanceReport:
    id: str
    name: str
    tables: dict[str, TableCount] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the whole instance was not imported

    def count(self, table: str) -> TableCount:
        return self.tables.setdefault(table, TableCount())


class Interrupted(RuntimeError):
    """Raised by the test hook after N batches, as a kill would stop the run."""


@dataclass
class Limits:
    batch_size: int = 2000
    stop_after_batches: int | None = None  # test hook: stop as a killed run would
    batches: int = 0

    def tick(self) -> None:
        self.batches += 1
        if self.stop_after_batches is not None and self.batches >= self.stop_after_batches:
            raise Interrupted(f"stopped after {self.batches} batches")
