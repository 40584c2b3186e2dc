"""The import rules of the code's rooms (shared/__init__.py states them).

Every `import` and `from ... import` in the source tree is read with `ast`,
module-level or inside a function alike, so a lazy import breaks a rule as
surely as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"seqsuite": "seqsuite", "shared": "seqsuite.shared", "suites": "seqsuite.suites",
           "tuning": "seqsuite.tuning"}
BASE = ("seqsuite.shared.errors", "seqsuite.shared.checks")


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = [FOLDERS[rel.parts[0]], *rel.parts[1:]]
    parts[-1] = parts[-1].removesuffix(".py")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every seqsuite module `path` imports (`from a import b` counts a.b and a)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return {name for name in found if name.startswith("seqsuite")}


SOURCES = {_module(p): _imports(p) for folder in FOLDERS for p in (ROOT / folder).rglob("*.py")}


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _offences(source_prefix: str, allowed) -> list[str]:
    bad = []
    for module, imported in SOURCES.items():
        if not _within(module, source_prefix):
            continue
        bad += [f"{module} imports {name}" for name in sorted(imported)
                if name in SOURCES and not allowed(module, name)]
    return bad


def test_every_source_file_is_seen():
    assert "seqsuite.shared.layers.cells.zoneout" in SOURCES
    assert "seqsuite.suites.forecasting.model" in SOURCES
    assert len(SOURCES) > 100


def test_layer_library_imports_only_itself_and_the_base():
    assert _offences("seqsuite.shared.layers", lambda m, n: _within(n, "seqsuite.shared.layers")
                     or n in BASE) == []


def test_data_helpers_import_no_run_machinery_suites_or_cli():
    rooms = ("seqsuite.shared.data", "seqsuite.shared.layers", "seqsuite.shared.run.files",
             *BASE)
    assert _offences("seqsuite.shared.data",
                     lambda m, n: any(_within(n, r) for r in rooms)) == []


def test_shared_imports_no_suite_and_no_command_line():
    assert _offences("seqsuite.shared", lambda m, n: _within(n, "seqsuite.shared")) == []


@pytest.mark.parametrize("suite", sorted({m.split(".")[2] for m in SOURCES
                                          if m.startswith("seqsuite.suites.")}))
def test_a_suite_imports_only_itself_and_shared(suite):
    own = f"seqsuite.suites.{suite}"
    assert _offences(own, lambda m, n: _within(n, own) or _within(n, "seqsuite.shared")) == []


def test_the_rule_checker_finds_an_offence(tmp_path):
    # A rule that can never fail proves nothing: feed it a file that breaks one.
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from seqsuite.shared.run import runner\n")
    assert "seqsuite.shared.run.runner" in _imports(bad)
