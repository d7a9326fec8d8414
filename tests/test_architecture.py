"""The core imports only the standard library and itself, and never reads the wall clock."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "src" / "tenderhub" / "core"
MODULES = sorted(CORE.rglob("*.py"))
WALL_CLOCK = {"now", "utcnow", "today"}


def imported_modules(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # a relative import stays inside the package
                continue
            names.append(node.module or "")
    return names


def test_the_core_has_modules():
    assert len(MODULES) > 20


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_imports_only_the_standard_library_and_the_core(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for name in imported_modules(tree):
        top = name.split(".")[0]
        if top == "tenderhub":
            assert name == "tenderhub.core" or name.startswith("tenderhub.core."), f"{path.name} imports {name}"
        else:
            assert top in sys.stdlib_module_names or top == "__future__", f"{path.name} imports {name}"


@pytest.mark.parametrize("path", [p for p in MODULES if p.name != "clock.py" or p.parent.name != "shared"],
                         ids=lambda p: str(p.relative_to(CORE)))
def test_core_module_never_reads_the_wall_clock(path):
    """Only ``shared/clock.py`` (the SystemClock adapter behind the Clock port) may."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in WALL_CLOCK:
            owner = node.value
            owner_name = getattr(owner, "id", getattr(owner, "attr", ""))
            assert owner_name not in ("datetime", "date"), f"{path.name}:{node.lineno} calls {owner_name}.{node.attr}"
        if isinstance(node, ast.ImportFrom) and node.module == "datetime":
            assert not {a.name for a in node.names} & WALL_CLOCK


def test_only_the_system_clock_reads_the_wall_clock():
    source = (CORE / "shared" / "clock.py").read_text(encoding="utf-8")
    assert source.count("datetime.now(") == 1 and "class SystemClock" in source


def test_the_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    if exe is None:
        pytest.skip("lint-imports (import-linter) is not installed in this environment")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
