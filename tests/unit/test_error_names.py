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

from sync.error_names import CORE_FIX_TEXTS, GENERIC_FIX, entries, fix_for, is_permanent, registered
from sync.platforms import registry
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


def test_a_name_every_platform_can_give_has_the_cores_fix_text() -> None:
    """A pixelfed or flickr photo with `upload rejected` is not told about Mastodon: a
    name has one fix text, whichever platform gave it."""
    for name, text in CORE_FIX_TEXTS.items():
        assert fix_for(name) == text, name


def test_no_platform_registers_a_name_again() -> None:
    seen = dict.fromkeys(CORE_FIX_TEXTS, "the core")
    for spec in registry.specs():
        for entry in spec.error_names:
            assert entry.name not in seen, f"{spec.name} registers {entry.name!r} again"
            seen[entry.name] = spec.name


def test_permanence_is_the_registrys() -> None:
    assert is_permanent("upload rejected")
    assert is_permanent("photo not found on flickr")
    assert not is_permanent("file not readable")  # closed or made readable: next run
    assert not is_permanent("upload not confirmed")  # settled by the next run's look
    assert not is_permanent("invalid visibility")  # a setting, not the photo
    assert all(isinstance(entry.permanent, bool) for entry in entries().values())


def _owner_modules() -> dict[str, str]:
    """Error name -> the one module allowed to spell it out."""
    owners = dict.fromkeys(CORE_FIX_TEXTS, "sync/error_names.py")
    for spec in registry.specs():
        for entry in spec.error_names:
            owners[entry.name] = f"sync/platforms/{spec.name}/errors.py"
    return owners


def test_error_names_are_spelled_out_only_in_the_registry() -> None:
    """Every other module imports the name's constant, so a name cannot drift apart
    (two spellings, two permanences) between the module that raises it and the rest."""
    owners = _owner_modules()
    strays: list[str] = []
    for folder in ("sync", "tui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                value = node.value if isinstance(node, ast.Constant) else None
                if isinstance(value, str) and value in owners and owners[value] != where:
                    strays.append(f"{where}:{node.lineno}: {value!r}")
    assert strays == []
