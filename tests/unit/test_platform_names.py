"""The core and the TUI name no platform: everything about one comes from the registry.

Every line of `sync/*.py` (not `sync/platforms/`) and of `tui/` is searched, code,
strings, comments and docstrings alike, for each registered platform's name as a word
(any case). Adding a platform must need no edit there, and a comment that says "e.g.
flickr" is the first step towards code that does.
"""

from __future__ import annotations

import re
from pathlib import Path

from sync.platforms import registry

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_FREE = [
    *sorted((ROOT / "sync").glob("*.py")),
    *sorted(p for p in (ROOT / "tui").rglob("*") if p.suffix in (".py", ".tcss")),
]


def test_the_core_and_the_tui_name_no_platform() -> None:
    names = registry.names()
    assert len(names) >= 2
    word = re.compile(rf"\b({'|'.join(map(re.escape, names))})\b", re.IGNORECASE)
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in PLATFORM_FREE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if word.search(line)
    ]
    assert found == []


def test_registering_the_platforms_does_not_import_their_adapters() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from sync.platforms import registry\n"
        "assert len(registry.specs()) >= 2\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'flickrapi'"
        " or m.endswith('.platform') and m.startswith('sync.platforms.')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
