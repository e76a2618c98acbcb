"""Fault soak, short version: 80 photos against all three simulators with random faults.

The full run is `python -m benchmarks.fault_soak` (1,000 photos). It starts with two real
headless processes at once on one state folder (pixelfed; they back off for real, so
their faults are fewer here); the runs after it use a fake clock.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.fault_soak import soak
from sync.found_errors import UNCONFIRMED, hold_unconfirmed_adds
from sync.journal import Intent
from sync.plan import Plan, PlanItem
from sync.rules import Action, Verdict


def test_every_photo_ends_once_in_its_final_state_despite_faults(tmp_path: Path) -> None:
    result = soak(80, 0.1, seed=7, work=tmp_path, parallel_rate=0.02)
    assert result.injected > 30, result.faults
    kinds = ("5xx", "dropped answers", "429", "IMatch resets while sending")
    assert all(result.faults[k] > 0 for k in kinds), result.faults
    assert result.duplicates == 0
    assert result.wrong == []
    assert result.runs <= 8  # converged with the faults still on
    assert result.parallel is not None
    assert result.parallel.exit_code in (0, 1)
    assert result.parallel.turned_away >= 1  # a second process came while it ran
    assert result.parallel.misbehaved == []


def test_an_add_whose_earlier_upload_is_unsettled_is_held_back() -> None:
    def item(file_id: int, action: Action) -> PlanItem:
        photo = type("P", (), {"id": file_id})()
        return PlanItem(photo, Verdict(action), None)  # type: ignore[arg-type]

    plan = Plan("flickr", None, [item(1, Action.ADD), item(2, Action.ADD)])  # type: ignore[arg-type]
    open_add = Intent.__new__(Intent)
    object.__setattr__(open_add, "file_id", 1)
    object.__setattr__(open_add, "action", "add")
    hold_unconfirmed_adds(plan, [open_add])
    assert plan.items[0].verdict.errors == (UNCONFIRMED,)
    assert plan.items[0].action is Action.ERROR
    assert plan.items[1].action is Action.ADD
