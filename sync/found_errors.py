"""Errors found while acting: kept between runs until the photo next succeeds or changes.

A platform's refusal of one photo (`upload rejected`, a post not found...) is only learnt
by trying. Only names the registry (`sync.error_names`) calls permanent are kept: one
about the moment (`file not readable`) is tried again next run. The state store keeps
each with a stamp of the photo as it was (file, flags, records and the rendered post), so
that `__errors|<name>` stays exact after partial, cancelled and `--only` runs, and an
upload the platform refused is not sent again until something about the photo changes.
Planning uses the same memory in the dry run and the real run, so both plan alike.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from sync.error_names import UPLOAD_NOT_CONFIRMED, is_permanent
from sync.journal import Intent
from sync.plan import Plan, PlanItem
from sync.rules import Action, Verdict
from sync.state_store import FoundError

REFUSED_BEFORE = "refused before: change the photo to try again"
UNCONFIRMED = UPLOAD_NOT_CONFIRMED


def stamp_of(item: PlanItem) -> str:
    """What identifies the photo as it is: a different stamp means it changed.

    The same photo has the same stamp in every process: each run is a new Python whose
    sets of strings (e.g. the albums a post's platform manages) iterate in an order of its own,
    so sets are written sorted, never as their `repr`."""
    photo = item.photo
    records = sorted((record.file_id, sorted(record.values.items())) for record in photo.records)
    parts = (photo.fingerprint, sorted(photo.flags), records, _canonical(item.rendered.post))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _stamp_of_earlier_versions(item: PlanItem) -> str:
    """The stamp versions before the sorted one stored (the post's plain `repr`): still
    right where the post holds no set (most platforms' posts), so an upgrade forgets nothing."""
    photo = item.photo
    records = sorted((record.file_id, sorted(record.values.items())) for record in photo.records)
    parts = (photo.fingerprint, sorted(photo.flags), records, repr(item.rendered.post))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """`value` with every set sorted and every dataclass spelled out field by field, so
    that its `repr` does not depend on the process's hash seed."""
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v) for v in value), key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        named = [(f.name, _canonical(getattr(value, f.name))) for f in dataclasses.fields(value)]
        return (type(value).__name__, named)
    if isinstance(value, Mapping):
        return sorted(((repr(k), _canonical(v)) for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def still_valid(
    plan: Plan, remembered: Mapping[int, tuple[FoundError, ...]]
) -> tuple[dict[int, set[str]], list[int]]:
    """Remembered error names of the plan's photos that have not changed since, and the
    files whose memory is obsolete (the photo changed, or is no longer a candidate, or
    nothing remembered is permanent: an older version may have kept such names)."""
    valid: dict[int, set[str]] = {}
    obsolete: list[int] = []
    for file_id, found in remembered.items():
        item = plan.item(file_id)
        if item is None:
            obsolete.append(file_id)
            continue
        stamps = {stamp_of(item), _stamp_of_earlier_versions(item)}
        names = {e.name for e in found if e.stamp in stamps and is_permanent(e.name)}
        if names:
            valid[file_id] = names
        else:
            obsolete.append(file_id)
    return valid, obsolete


def hold_refused_adds(plan: Plan, remembered: Mapping[int, tuple[FoundError, ...]]) -> None:
    """An upload the platform refused is not tried again while the photo is unchanged."""
    valid, _ = still_valid(plan, remembered)
    for index, item in enumerate(plan.items):
        names = valid.get(item.file_id)
        if names and item.action is Action.ADD:
            verdict = Verdict(Action.ERROR, tuple(sorted(names)), REFUSED_BEFORE)
            plan.items[index] = dataclasses.replace(item, verdict=verdict)


def hold_unconfirmed_adds(plan: Plan, open_intents: Iterable[Intent]) -> None:
    """Never add a photo again while an earlier upload of it may exist: an add intent the
    reconciliation could not settle (the platform kept failing) holds the photo back, as
    the error `upload not confirmed`, until a later run finds out what happened."""
    pending = {intent.file_id for intent in open_intents if intent.action == "add"}
    for index, item in enumerate(plan.items):
        if item.file_id in pending and item.action is Action.ADD:
            verdict = Verdict(Action.ERROR, (UNCONFIRMED,), "an earlier upload may exist")
            plan.items[index] = dataclasses.replace(item, verdict=verdict)
