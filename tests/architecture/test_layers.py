"""The architecture of docs/architecture.md: every package has a layer, pure modules
never read the clock."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "smarketing"
#: Packages that are not part of the import layers: migrations are loaded by Alembic.
UNLAYERED = {"migrations"}
#: Calls that read the clock; pure code takes `now` as an argument.
CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("date", "today"), ("time", "time"), ("time", "monotonic"), (None, "utcnow")}


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _layered_packages() -> set[str]:
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    names: set[str] = set()
    for layer in layers:  # type: ignore[union-attr]
        for part in str(layer).replace("|", ":").split(":"):
            names.add(part.strip().removeprefix("smarketing."))
    return names


def test_every_package_is_in_a_layer() -> None:
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")} - UNLAYERED
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    missing = sorted((packages | modules) - _layered_packages())
    assert not missing, f"add these to the layers in pyproject.toml: {missing}"


def _pure_modules() -> list[Path]:
    sources = next(c for c in _contracts() if c["type"] == "forbidden")["source_modules"]
    paths: list[Path] = []
    for name in sources:  # type: ignore[union-attr]
        relative = str(name).removeprefix("smarketing.").replace(".", "/")
        if relative.startswith("*/"):
            paths += sorted(PACKAGE.glob(relative + ".py"))
        elif (PACKAGE / relative).is_dir():
            paths += sorted((PACKAGE / relative).rglob("*.py"))
        else:
            paths.append(PACKAGE / f"{relative}.py")
    return paths


def _clock_calls(path: Path) -> list[int]:
    """The line numbers of the calls in `path` that read the clock."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else (
                owner.attr if isinstance(owner, ast.Attribute) else None)
            if (owner_name, node.func.attr) in CLOCK_CALLS:
                found.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if (None, node.func.id) in CLOCK_CALLS:
                found.append(node.lineno)
    return found


def test_the_pure_modules_are_found() -> None:
    paths = _pure_modules()
    assert len(paths) > 20
    assert all(path.exists() for path in paths), [p for p in paths if not p.exists()]


@pytest.mark.parametrize("path", _pure_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_pure_modules_do_not_read_the_clock(path: Path) -> None:
    assert _clock_calls(path) == []


def test_the_clock_check_finds_a_clock_call(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from datetime import datetime\nimport time\n\n"
                      "def f():\n    return datetime.now(), time.time(), max(1, 2)\n")
    assert _clock_calls(sample) == [5, 5]
