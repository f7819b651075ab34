"""The tables an import prints: what would move (--dry-run) and what moved."""

from __future__ import annotations

from evolution_py.importing.progress import InstanceReport


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=False)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([line.format(*header), line.format(*("-" * w for w in widths)), *(line.format(*r) for r in rows)])


def dry_run_table(counts: dict[str, dict[str, int]]) -> str:
    rows = [[name, table, str(n)] for name, tables in counts.items() for table, n in tables.items() if n]
    return "Would import (nothing written):\n" + _grid(["instance", "table", "rows"], rows)


def summary_table(reports: list[InstanceReport], unmoved: list[str]) -> str:
    rows: list[list[str]] = []
    for report in reports:
        if report.skipped:
            rows.append([report.name, "-", "-", "-", "-"])
            continue
        for table, count in report.tables.items():
            if not count.read:  # nothing there (or finished by an earlier run): not worth a line
                continue
            rows.append([report.name, table, str(count.read), str(count.inserted), str(count.present)])
    parts = ["", "Summary:", _grid(["instance", "table", "read", "imported", "already here"], rows)]
    notes = [f"  {r.name}: skipped: {r.skipped}" for r in reports if r.skipped]
    notes += [f"  {r.name}: {note}" for r in reports for note in r.notes]
    if notes:
        parts += ["", "Per instance:", *notes]
    if unmoved:
        parts += ["", "Not moved:", *(f"  {line}" for line in unmoved)]
    return "\n".join(parts)
