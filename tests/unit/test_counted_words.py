"""Counts in the headless report read as English: `1 photo`, `2 photos` (never `1 photos`)."""

from __future__ import annotations

import io

import pytest

from sync.events import RunSummary
from sync.reconcile import Reconciliation
from sync.report import Reporter


def said_of(summary: RunSummary) -> str:
    out = io.StringIO()
    Reporter(out).summary(summary)
    return out.getvalue()


@pytest.mark.parametrize("count", [1, 2])
def test_the_run_summary_counts_in_english(count: int) -> None:
    said = said_of(RunSummary("flickr", changed_left=count, unrecorded=count))
    if count == 1:
        assert "flickr: 1 photo changed in IMatch since it was published was left as it is" in said
        assert "flickr: 1 change was made that IMatch could not record" in said
    else:
        assert "flickr: 2 photos changed in IMatch since they were published were left" in said
        assert "flickr: 2 changes were made that IMatch could not record" in said
    assert "1 photos" not in said
    assert "1 changes" not in said


def test_what_a_crash_left_is_counted_in_english() -> None:
    lines = Reconciliation(adopted=1, completed=1, abandoned=1).count_lines()
    assert lines == [
        "recovered 1 post an interrupted run had made",
        "finished recording 1 change of an interrupted run",
        "closed 1 interrupted change that never happened",
    ]
    assert Reconciliation(adopted=2).count_lines() == [
        "recovered 2 posts an interrupted run had made"
    ]
