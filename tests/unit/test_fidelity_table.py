"""`sandbox/FIDELITY.md` stays truthful: every simulator file, line and name a row cites
exists, a line cited with a name is where that name is (on it, just after it, or the
function or class holding it), and every pinning test it names is a test in `tests/`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = ROOT / "sandbox"
FIDELITY = SANDBOX / "FIDELITY.md"
CODE = re.compile(r"`([^`]+)`")
FILE_REF = re.compile(r"^(?:sandbox/)?((?:mastodon_api/)?\w+\.py)(?::(\d+))?$")
# A test file by name (`test_x.py`, found in whichever layer folder holds it) or by path
# (`tests/<layer>/test_x.py`), then optionally `::test_name`.
TEST_REF = re.compile(r"^((?:tests/\w+/)?test_\w+\.py)?(?:::(\w+))?$")


def rows() -> list[tuple[str, str, str]]:
    """(behaviour, simulator cell, pinning-test cell) of every table row."""
    found = []
    for line in FIDELITY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 4 or set(cells[0]) <= {"-", " "}:
            continue
        if cells[0].lower() in ("behaviour", "condition"):
            continue
        found.append((cells[0][:60], cells[-2], cells[-1]))
    return found


_DEFINITION = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+(\w+)")


def names_at(lines: list[str], number: int) -> set[str]:
    """The words on line `number` (1-based) and the next (a decorator's), and the names of the
    functions and classes that enclose it: what a `file.py:N` reference can name."""
    found = set(re.findall(r"\w+", "\n".join(lines[number - 1 : number + 1])))
    indent = len(lines[number - 1]) - len(lines[number - 1].lstrip()) + 1
    for line in reversed(lines[:number]):
        definition = _DEFINITION.match(line)
        if definition and len(definition.group(1)) < indent:
            found.add(definition.group(2))
            indent = len(definition.group(1))
    return found


def simulator_problems(cell: str) -> list[str]:
    problems: list[str] = []
    current: Path | None = None
    cited_line: int | None = None
    """A line just cited, waiting for the name after it (`file.py:N` (`name`))."""
    for token in CODE.findall(cell):
        file_ref = FILE_REF.match(token)
        line_ref = re.fullmatch(r":(\d+)", token)
        if file_ref:
            current = SANDBOX / file_ref.group(1)
            if not current.is_file():
                problems.append(f"no file sandbox/{file_ref.group(1)}")
                current = None
                continue
            line = file_ref.group(2)
        elif line_ref and current is not None:
            line = line_ref.group(1)
        else:
            if current is not None:
                text = current.read_text(encoding="utf-8")
                parts = re.split(r"\.|::", token)
                missing = [part for part in parts if part not in text]
                if missing:
                    problems.append(f"{token!r} not in {current.name}")
                elif cited_line is not None:
                    near = names_at(text.splitlines(), cited_line)
                    if parts[-1] not in near:
                        problems.append(f"{current.name}:{cited_line} is not at {token!r}")
            cited_line = None
            continue
        cited_line = None
        if current is not None and line is not None:
            length = len(current.read_text(encoding="utf-8").splitlines())
            if int(line) > length:
                problems.append(f"{current.name}:{line} beyond its {length} lines")
            else:
                cited_line = int(line)
    return problems


def cited_test_file(cited: str) -> Path | None:
    """The cited test file: a path from the repository root, or a name in a layer folder."""
    if "/" in cited:
        path = ROOT / cited
        return path if path.is_file() else None
    found = sorted((ROOT / "tests").glob(f"*/{cited}"))
    return found[0] if len(found) == 1 else None


def pinning_problems(cell: str) -> list[str]:
    problems: list[str] = []
    current: str | None = None
    for token in CODE.findall(cell):
        match = TEST_REF.match(token)
        if match is None or not (match.group(1) or match.group(2)):
            continue
        current = match.group(1) or current
        if current is None:
            problems.append(f"{token!r} names no test file")
            continue
        path = cited_test_file(current)
        if path is None:
            problems.append(f"no test file {current} in tests/<layer>/")
            continue
        name = match.group(2)
        if name and not re.search(rf"def {name}\(", path.read_text(encoding="utf-8")):
            problems.append(f"no {current}::{name}")
    return problems


def test_the_table_has_rows_for_every_simulator() -> None:
    text = FIDELITY.read_text(encoding="utf-8")
    for heading in ("## pixelfed", "## Mastodon", "## The Mastodon-API core", "## flickr"):
        assert heading in text
    assert len(rows()) > 60


@pytest.mark.parametrize(("behaviour", "simulator", "pinning"), rows())
def test_each_row_cites_what_exists(behaviour: str, simulator: str, pinning: str) -> None:
    assert simulator_problems(simulator) == []
    assert pinning_problems(pinning) == []


def test_every_pixelfed_and_mastodon_simulator_module_is_cited() -> None:
    text = FIDELITY.read_text(encoding="utf-8")
    modules = [
        *SANDBOX.glob("pixelfed_*.py"),
        *SANDBOX.glob("mastodon_*.py"),
        *(SANDBOX / "mastodon_api").glob("[!_]*.py"),
    ]
    assert [m.name for m in modules if m.name not in text] == []
    assert not (SANDBOX / "FIDELITY-mastodon.md").exists()
