"""The layering holds (issue 12): core <- bargaining <- audits <- reports; a lower layer never
imports a higher one (at module level or inside a function)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "bargaining", "audits", "reports")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("layer", LAYERS[:-1])
def test_a_lower_layer_imports_no_higher_one(layer: str) -> None:
    higher = set(LAYERS[LAYERS.index(layer) + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & higher)
        for path in sorted((ROOT / layer).rglob("*.py"))
        if _imports(path) & higher
    }
    assert not offenders, offenders
