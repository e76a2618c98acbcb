"""The dependency audit (tools/audit_dependencies.py) against a fake PyPI JSON API.

The fake index behaves like the proxy on our build machines by default (no per-version
JSON) and like real PyPI for the packages listed in ``by_version``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.serving import serve_in_thread
from tools.audit_dependencies import DEFAULT_LOCK, main, read_lock

ROOT = Path(__file__).resolve().parents[2]

VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-1"], "fixed_in": ["2.0"], "withdrawn": None}
WITHDRAWN = {"id": "PYSEC-2099-2", "aliases": [], "fixed_in": [], "withdrawn": "2099-01-01"}

PROJECTS: dict[str, dict[str, Any]] = {
    "clean": {"latest": "1.0", "vulnerabilities": [WITHDRAWN]},
    "leaky": {"latest": "1.0", "vulnerabilities": [VULN]},
    "old": {"latest": "3.0", "vulnerabilities": [VULN]},
    "pulled": {"latest": "2.0", "vulnerabilities": [], "yanked": ["1.5"]},
}
BY_VERSION: dict[tuple[str, str], list[dict[str, Any]]] = {("exact", "0.9"): [VULN]}


def _project(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    if name not in PROJECTS:
        return JSONResponse({"message": "Not Found"}, status_code=404)
    spec = PROJECTS[name]
    releases = {v: [{"yanked": True}] for v in spec.get("yanked", [])}
    releases[spec["latest"]] = [{"yanked": False}]
    return JSONResponse(
        {
            "info": {"version": spec["latest"]},
            "releases": releases,
            "vulnerabilities": spec["vulnerabilities"],
        }
    )


def _version(request: Request) -> JSONResponse:
    key = (request.path_params["name"], request.path_params["version"])
    if key not in BY_VERSION:
        return JSONResponse({"message": "Not Found"}, status_code=404)
    return JSONResponse({"info": {"version": key[1]}, "vulnerabilities": BY_VERSION[key]})


@pytest.fixture(scope="module")
def index() -> Iterator[str]:
    routes = [Route("/pypi/{name}/json", _project), Route("/pypi/{name}/{version}/json", _version)]
    app = Starlette(routes=routes)
    with serve_in_thread(app) as url:
        yield f"{url}/pypi"


def _audit(tmp_path: Path, index: str, lock_text: str, *extra: str) -> int:
    lock = tmp_path / "requirements.lock"
    lock.write_text(lock_text, encoding="utf-8")
    return main(["--lock", str(lock), "--index", index, *extra])


def test_clean_pins_pass_and_withdrawn_advisories_are_ignored(tmp_path, index, capsys):
    assert _audit(tmp_path, index, "# comment\n\nclean==1.0\n") == 0
    out = capsys.readouterr().out
    assert "1 of 1 pins audited, 0 with known problems, 0 not audited" in out
    assert "PYSEC-2099-2" not in out


def test_a_vulnerable_latest_release_fails_naming_the_advisory(tmp_path, index, capsys):
    assert _audit(tmp_path, index, "clean==1.0\nleaky==1.0\n") == 1
    out = capsys.readouterr().out
    assert "VULNERABLE leaky==1.0: PYSEC-2099-1 (CVE-2099-1), fixed in 2.0" in out
    assert "clean" not in out.split("\n")[0]


def test_per_version_data_is_used_where_the_index_has_it(tmp_path, index, capsys):
    assert _audit(tmp_path, index, "exact==0.9\n") == 1
    assert "VULNERABLE exact==0.9: PYSEC-2099-1" in capsys.readouterr().out


def test_a_pin_behind_the_latest_release_is_reported_not_passed(tmp_path, index, capsys):
    # The latest release's advisories say nothing about 1.0, so none is claimed.
    assert _audit(tmp_path, index, "old==1.0\n") == 0
    out = capsys.readouterr().out
    assert "NOT AUDITED old==1.0: behind the latest release (3.0)" in out
    assert "VULNERABLE" not in out
    assert _audit(tmp_path, index, "old==1.0\n", "--strict") == 1


def test_a_yanked_pin_fails(tmp_path, index, capsys):
    assert _audit(tmp_path, index, "pulled==1.5\n") == 1
    assert "VULNERABLE pulled==1.5: this version is yanked" in capsys.readouterr().out


def test_an_unknown_package_or_unreachable_index_exits_2(tmp_path, index, capsys):
    assert _audit(tmp_path, index, "nosuchthing==1.0\n") == 2
    assert "could not be asked" in capsys.readouterr().out
    assert _audit(tmp_path, "http://127.0.0.1:9/pypi", "clean==1.0\n") == 2


def test_a_lock_line_that_is_not_a_pin_is_refused(tmp_path, index, capsys):
    assert _audit(tmp_path, index, "clean>=1.0\n") == 2
    assert "line 1: not a name==version pin" in capsys.readouterr().err


def test_the_lock_pins_every_declared_dependency_within_its_range():
    pins = {p.name.lower().replace("_", "-"): p.version for p in read_lock(DEFAULT_LOCK)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    for text in declared:
        requirement = Requirement(text)
        name = requirement.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} vs {text}"
