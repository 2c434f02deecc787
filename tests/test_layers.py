"""The layers import only downward: store ← ingest, search ← api ← portal, and the composition
root (gongshi/config, app, cli, service, serving, democity…) is imported by none of them. Every import
statement counts, also those inside functions, so a lazy import cannot hide a cycle."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RANK = {"store": 0, "ingest": 1, "search": 1, "api": 2, "portal": 3}
# The composition root: every module and subpackage of gongshi/ itself (config, app, cli, service, …).
ROOT_MODULES = {p.stem for p in (ROOT / "gongshi").glob("*.py") if p.stem != "__init__"} | {
    p.parent.name for p in (ROOT / "gongshi").glob("*/__init__.py")}
PROJECT_DIRS = [*RANK, "gongshi", "tests", "bench"]


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in a file; `from a import b` yields a.b too,
    since b may be a module (`from gongshi import search`)."""
    package = ["gongshi", *path.relative_to(ROOT).parent.parts]
    if package[1:2] == ["gongshi"]:  # gongshi/ is the package itself, not a subpackage of it
        package = package[1:]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the file's package
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found += [(node.lineno, base)] + [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer_violations(path: Path) -> list[str]:
    own = path.relative_to(ROOT).parts[0]
    out = []
    for line, module in imported_modules(path):
        parts = module.split(".")
        if parts[0] != "gongshi" or len(parts) < 2:
            continue
        target = parts[1]
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        if target in ROOT_MODULES:
            out.append(f"{where}: the composition root is above every layer")
        elif target in RANK and target != own and RANK[target] >= RANK[own]:
            out.append(f"{where}: {target} is not below {own}")
    return out


def bare_imports(path: Path) -> list[str]:
    return [f"{path.relative_to(ROOT)}:{line} imports {module}: spell it gongshi.{module}"
            for line, module in imported_modules(path) if module.split(".")[0] in RANK]


def sources(*dirs: str) -> list[Path]:
    return [p for d in dirs for p in sorted((ROOT / d).rglob("*.py"))]


def test_layers_import_only_downward():
    assert sources(*RANK), "no layer sources found"
    violations = [v for p in sources(*RANK) for v in layer_violations(p)]
    assert not violations, "\n".join(violations)


def test_project_modules_are_imported_by_their_gongshi_name():
    violations = [v for p in sources(*PROJECT_DIRS) for v in bare_imports(p)]
    assert not violations, "\n".join(violations)


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "store").mkdir()
    planted = tmp_path / "store" / "planted.py"
    planted.write_text("def f():\n    from gongshi.api import context\n    from .. import service\n"
                       "    import search.text\n", encoding="utf-8")
    assert len(layer_violations(planted)) == 3  # gongshi.api, gongshi.api.context, gongshi.service
    assert bare_imports(planted) == ["store/planted.py:4 imports search.text: spell it gongshi.search.text"]
