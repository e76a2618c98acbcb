"""The suite's own layout: every test file in a layer folder, every test with its layer."""

from __future__ import annotations

import tomllib

import pytest

from tests.conftest import LAYERS, TESTS, layer_of


def test_every_test_file_is_in_a_layer_folder() -> None:
    misplaced = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("test_*.py")
        if "__snapshots__" not in path.parts and layer_of(path) is None
    ]
    assert misplaced == [], f"move these into tests/<{'|'.join(LAYERS)}>/"


def test_each_layer_is_a_registered_marker() -> None:
    pyproject = tomllib.loads((TESTS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    options = pyproject["tool"]["pytest"]["ini_options"]
    registered = {line.split(":")[0] for line in options["markers"]}
    assert set(LAYERS) <= registered
    assert "--strict-markers" in options["addopts"]


def test_every_collected_test_carries_exactly_its_folders_layer(
    request: pytest.FixtureRequest,
) -> None:
    wrong = []
    for item in request.session.items:
        marks = [mark.name for mark in item.iter_markers() if mark.name in LAYERS]
        if marks != [layer_of(item.path)]:
            wrong.append((item.nodeid, marks))
    assert wrong == []
