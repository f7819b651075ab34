"""The import direction of docs/architecture.md, checked on every run: a module imports only from
layers below its own, so data flows request → service → channel → event → sinks and nothing reaches
back (imports under `if TYPE_CHECKING:` count too: they are dependencies all the same)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "evolution_py"

# Top to bottom; a layer may import any layer after it in this list.
LAYERS = [
    {"app", "cli", "asgi", "__main__", "serving", "importing"},
    {"api"},
    {"services"},
    {"integrations", "cluster"},
    {"core"},
    {"sinks", "media_store"},
    {"channels"},
    {"events"},
    {"ops"},
    {"outbound", "cache"},
    {"store"},
    {"dto", "config", "errors", "isotime", "logsafe", "ids", "aio", "__init__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _layer(path: Path) -> str:
    first = path.relative_to(SRC).parts[0]
    return first.removesuffix(".py")


def _is_http_edge(path: Path) -> bool:
    """A sink slice's routes are HTTP code: they may import the guards and the services."""
    relative = path.relative_to(SRC).as_posix()
    return relative.startswith(("sinks/", "integrations/")) and (
        relative.endswith("/routes.py") or relative.endswith("_routes.py")
    )


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return [(line, module) for line, module in found if module.startswith("evolution_py.")]


def test_every_layer_is_known() -> None:
    unknown = {_layer(path) for path in SRC.rglob("*.py")} - set(RANK)
    assert not unknown, f"add these to LAYERS in {__file__}: {sorted(unknown)}"


def test_no_module_imports_a_layer_above_its_own() -> None:
    back_arrows = []
    for path in sorted(SRC.rglob("*.py")):
        own = _layer(path)
        for line, module in _imports(path):
            target = module.split(".")[1]
            if target == own or target not in RANK:
                continue
            if RANK[target] < RANK[own] and not (_is_http_edge(path) and target in ("api", "services")):
                back_arrows.append(f"{path.relative_to(SRC)}:{line} ({own}) imports {module} ({target})")
    assert not back_arrows, "imports against the layer order:\n" + "\n".join(back_arrows)
