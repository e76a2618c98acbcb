"""Every platform package has the same shape, so the next one is written by example.

One module per job (`api` the transport, `errors` the answers and error names, `limits`
the limits with their defaults written once, `platform` the adapter, `settings`, `spec`),
one call counter (`base.Tally`) and one keyword for the engine's rate limiter.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from sync.platforms import base, registry

ROOT = Path(__file__).resolve().parents[2]
MODULES = ("api", "errors", "limits", "platform", "settings", "spec")


def test_each_platform_package_has_the_same_modules() -> None:
    for spec in registry.specs():
        folder = ROOT / "sync" / "platforms" / spec.name
        assert [m for m in MODULES if not (folder / f"{m}.py").is_file()] == [], spec.name


def test_default_limits_are_written_once_in_the_limits_module() -> None:
    for spec in registry.specs():
        limits = importlib.import_module(f"sync.platforms.{spec.name}.limits")
        assert spec.default_limits is limits.default_limits, spec.name
        for path in (ROOT / "sync" / "platforms" / spec.name).glob("*.py"):
            if path.name == "limits.py":
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            built = [
                node.lineno
                for node in ast.walk(tree)
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Limits"
            ]
            assert built == [], f"{path.name} builds Limits itself at lines {built}"


def test_adapters_take_the_limiter_by_one_name_and_count_with_one_tally() -> None:
    for spec in registry.specs():
        module = importlib.import_module(f"sync.platforms.{spec.name}.platform")
        adapters = [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and issubclass(value, base.Platform)
            and value.__module__ == module.__name__
        ]
        assert len(adapters) == 1, spec.name
        assert "limiter" in inspect.signature(adapters[0]).parameters, spec.name
    for path in (ROOT / "sync" / "platforms").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        counters = [
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef)
            and path.name != "base.py"
            and any(
                isinstance(item, ast.AnnAssign) and getattr(item.target, "id", "") == "calls"
                for item in node.body
            )
        ]
        assert counters == [], f"{path.relative_to(ROOT)} has its own call counter {counters}"
