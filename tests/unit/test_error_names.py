"""Every error name the code can give a photo is registered, with a fix text.

Names are found the way a new one would be written: the first argument of every
`PermanentError(...)` call (and of `super().__init__(...)` in its subclasses) under
`sync/`, a string literal or a module-level constant of the module that raises it. A new
unregistered name fails here before a photographer meets it without advice.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from sync.error_names import GENERIC_FIX, fix_for, registered
from sync.rules import ERROR_NAMES

ROOT = Path(__file__).resolve().parents[2]


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _raised_names() -> dict[str, str]:
    """Error name -> where it is raised."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "sync").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = None
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = getattr(func, "id", None) or getattr(func, "attr", None)
            if called not in ("PermanentError", "__init__"):
                continue
            if called == "__init__" and not _in_permanent_error_subclass(tree, node):
                continue
            first = node.args[0]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found[first.value] = where
            elif isinstance(first, ast.Name) and first.id.isupper():
                module = module or importlib.import_module(_module_name(path))
                found[getattr(module, first.id)] = where
    return found


def _in_permanent_error_subclass(tree: ast.Module, call: ast.Call) -> bool:
    for node in ast.walk(tree):
        subclass = isinstance(node, ast.ClassDef) and any(
            getattr(base, "id", "") == "PermanentError" for base in node.bases
        )
        if subclass and any(inner is call for inner in ast.walk(node)):
            return True
    return False


def test_every_raised_error_name_is_registered_with_a_fix_text() -> None:
    raised = _raised_names()
    assert len(raised) > 10  # the scan finds the names (it would pass on nothing)
    missing = {name: where for name, where in raised.items() if name not in registered()}
    assert missing == {}


def test_every_planning_error_name_is_registered() -> None:
    assert [name for name in ERROR_NAMES if name not in registered()] == []


def test_every_registered_name_has_its_own_fix_text() -> None:
    assert all(text.strip() and text != GENERIC_FIX for text in registered().values())
    assert fix_for("no such error") == GENERIC_FIX
