"""The package layering, read from the source: the engine never imports the web app, and
the installed packages never import the developer-only ``bench`` package (not installed)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, module)`` of every absolute import in ``path``, wherever it is (lazy ones too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def imports_of(package: str, forbidden: frozenset[str]) -> list[str]:
    """Where a module of ``package`` imports one of the ``forbidden`` top-level packages."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in imported_modules(path):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    return found


def test_imports_are_read_from_every_kind_of_statement(tmp_path):
    source = tmp_path / "sample.py"
    source.write_text(
        "import os\nfrom app import db\n\ndef f():\n    import app.models as m\n"
        "    from . import sibling\n    from bench.generate import write_csv\n",
        encoding="utf-8",
    )
    assert list(imported_modules(source)) == [
        (1, "os"),
        (2, "app"),
        (5, "app.models"),
        (7, "bench.generate"),
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("recommender", frozenset({"app", "bench"})), ("app", frozenset({"bench"}))],
)
def test_package_does_not_import(package, forbidden):
    assert (ROOT / package / "__init__.py").is_file()
    assert imports_of(package, forbidden) == []
