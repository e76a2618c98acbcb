"""Check the locked dependencies (requirements.lock) for known vulnerabilities and yanks.

An equivalent of pip-audit that also works behind a PyPI proxy which only serves the
project JSON (``/pypi/<name>/json``), as on our build machines. For each pinned package it
asks, in order:

1. ``/pypi/<name>/<version>/json``: the vulnerabilities of exactly that version (real PyPI);
2. ``/pypi/<name>/json``: the vulnerabilities of the latest release, which are the pinned
   version's own when the pin *is* the latest release.

A pin that is behind the latest release and whose own version the service does not know
cannot be audited; it is listed as such, never passed silently. Exit codes: 0 nothing
known against the pins, 1 a vulnerability or a yanked pin, 2 the index could not be
reached or the lock file is unreadable. ``--strict`` also fails on pins not audited.

Run: ``python tools/audit_dependencies.py [--lock requirements.lock] [--index URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

DEFAULT_INDEX = "https://pypi.org/pypi"
DEFAULT_LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
MAX_IN_FLIGHT = 8
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)")


class LockError(ValueError):
    """The lock file has a line that is not a plain ``name==version`` pin."""


@dataclass(frozen=True)
class Pin:
    name: str
    version: str


@dataclass
class Finding:
    """What the index says about one pin."""

    pin: Pin
    audited: bool = False
    source: str = ""
    latest: str = ""
    yanked: bool = False
    vulnerabilities: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.yanked or bool(self.vulnerabilities)


def read_lock(path: Path) -> list[Pin]:
    """The pins in a lock file; comments and blank lines are skipped, anything else refused."""
    pins = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = _PIN.match(text)
        if match is None:
            raise LockError(f"{path.name} line {number}: not a name==version pin: {text!r}")
        pins.append(Pin(match.group(1), match.group(2)))
    return pins


def _vulnerability_ids(entries: object) -> list[str]:
    if not isinstance(entries, list):
        return []
    ids = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("withdrawn"):
            continue
        aliases = [a for a in entry.get("aliases") or [] if isinstance(a, str)]
        ident = str(entry.get("id") or "unknown")
        fixed = ", ".join(str(v) for v in entry.get("fixed_in") or [])
        label = ident + (f" ({', '.join(aliases)})" if aliases else "")
        ids.append(label + (f", fixed in {fixed}" if fixed else ""))
    return ids


def _yanked(project: dict[str, object], version: str) -> bool:
    releases = project.get("releases")
    if not isinstance(releases, dict):
        return False
    files = releases.get(version) or []
    return bool(files) and all(isinstance(f, dict) and f.get("yanked") for f in files)


async def audit_pin(client: httpx.AsyncClient, index: str, pin: Pin) -> Finding:
    """Ask the index about one pin; raises httpx errors when the index cannot be reached."""
    finding = Finding(pin)
    exact = await client.get(f"{index}/{pin.name}/{pin.version}/json")
    if exact.status_code == 200:
        data = exact.json()
        finding.audited, finding.source = True, "version JSON"
        finding.vulnerabilities = _vulnerability_ids(data.get("vulnerabilities"))
        finding.yanked = bool(data.get("info", {}).get("yanked"))
        finding.latest = pin.version
        return finding
    project_answer = await client.get(f"{index}/{pin.name}/json")
    project_answer.raise_for_status()
    project = project_answer.json()
    finding.latest = str(project.get("info", {}).get("version", ""))
    finding.yanked = _yanked(project, pin.version)
    if finding.latest == pin.version:
        finding.audited, finding.source = True, "project JSON (pin is the latest release)"
        finding.vulnerabilities = _vulnerability_ids(project.get("vulnerabilities"))
    return finding


async def audit(pins: list[Pin], index: str, request_seconds: float = 30.0) -> list[Finding]:
    """Audit every pin, at most MAX_IN_FLIGHT requests at once."""
    gate = asyncio.Semaphore(MAX_IN_FLIGHT)
    async with httpx.AsyncClient(timeout=request_seconds, follow_redirects=True) as client:

        async def one(pin: Pin) -> Finding:
            async with gate:
                return await audit_pin(client, index.rstrip("/"), pin)

        return list(await asyncio.gather(*(one(pin) for pin in pins)))


def report(findings: list[Finding], strict: bool) -> tuple[str, int]:
    """The text to print and the exit code."""
    lines = []
    failed = [f for f in findings if f.failed]
    unaudited = [f for f in findings if not f.audited]
    for f in failed:
        what = "; ".join(f.vulnerabilities + (["this version is yanked"] if f.yanked else []))
        lines.append(f"VULNERABLE {f.pin.name}=={f.pin.version}: {what}")
    for f in unaudited:
        lines.append(
            f"NOT AUDITED {f.pin.name}=={f.pin.version}: behind the latest release "
            f"({f.latest}) and the index has no data for this version"
        )
    audited = len(findings) - len(unaudited)
    lines.append(
        f"{audited} of {len(findings)} pins audited, {len(failed)} with known problems, "
        f"{len(unaudited)} not audited"
    )
    code = 1 if failed or (strict and unaudited) else 0
    return "\n".join(lines), code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lock", type=Path, default=DEFAULT_LOCK)
    parser.add_argument("--index", default=DEFAULT_INDEX, help="PyPI JSON API base URL")
    parser.add_argument("--strict", action="store_true", help="fail on pins not audited")
    args = parser.parse_args(argv)
    try:
        pins = read_lock(args.lock)
    except (OSError, LockError) as error:
        print(f"audit: cannot read the lock file: {error}", file=sys.stderr)
        return 2
    try:
        findings = asyncio.run(audit(pins, args.index))
    except httpx.HTTPError as error:
        print(f"audit: the package index at {args.index} could not be asked: {error}")
        return 2
    text, code = report(findings, args.strict)
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
