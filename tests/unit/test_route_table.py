"""docs/compatibility.md's "Upstream routes" table is true: it lists each of upstream 2.3.6's 179
routes once, every route marked served exists in the app, and every route marked missing does not."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def route_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("route_table", ROOT / "scripts" / "route_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upstream_route_list_has_all_179_routes_once() -> None:
    routes = route_table().upstream_routes()
    assert len(routes) == 179 and len(set(routes)) == 179
    assert ("POST", "/message/sendText/:instanceName") in routes and ("GET", "/") in routes


def test_compatibility_table_matches_the_app() -> None:
    tool = route_table()
    rows = tool.table_rows((ROOT / "docs" / "compatibility.md").read_text())
    assert list(rows) == tool.upstream_routes(), "run scripts/route_table.py: the table does not list upstream's routes"
    served = tool.app_routes()
    wrong = [
        f"{status}: {method} {path}"
        for (method, path), (status, _notes) in rows.items()
        if (status == "served") != ((method, tool.shape(path)) in served)
    ]
    assert wrong == [], "docs/compatibility.md disagrees with the app (run scripts/route_table.py): " + ", ".join(wrong)


def test_regenerating_keeps_notes_and_marks_status() -> None:
    tool = route_table()
    routes = [("GET", "/a/:instanceName"), ("POST", "/b")]
    text = "# doc\n\n" + tool.render(routes, set(), {("GET", "/a/:instanceName"): "kept note"}) + "\n\nafter\n"
    assert tool.table_rows(text)[("GET", "/a/:instanceName")] == ("missing", "kept note")
    new = tool.regenerate(text, {("GET", "/a/{}")}, routes)
    assert tool.table_rows(new) == {
        ("GET", "/a/:instanceName"): ("served", "kept note"),
        ("POST", "/b"): ("missing", ""),
    }
    assert new.startswith("# doc\n\n") and new.endswith("\n\nafter\n") and "1 of 2 upstream routes served." in new
