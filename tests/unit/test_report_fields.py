"""The dry run's JSON carries every provenance field (built without `asdict`)."""

from __future__ import annotations


def test_provenance_fields_are_every_field() -> None:
    from dataclasses import asdict

    from sync.provenance import Provenance, provenance_fields

    found = Provenance(file="a.jpg", metadata="its own", post="none")
    assert provenance_fields(found) == asdict(found)
