"""A loading indicator that redraws four times a second instead of Textual's sixteen.

The spinners stand in front of the photo table while IMatch is read and planned; every
redraw refreshes the screen, and the reading competes with the redraws for the one
interpreter. At sixteen a second they took about a fifth of a first start at 10,000
photos (benchmarks/RESULTS.md, issue 17); four keep the pulse visible.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import LoadingIndicator

CALM_REFRESH_SECONDS = 0.25


class CalmLoadingIndicator(LoadingIndicator):
    """Textual's indicator, refreshed at most every `CALM_REFRESH_SECONDS`."""

    # Textual's indicator sets its own interval when it is mounted; the setter keeps ours.
    @property
    def auto_refresh(self) -> float | None:
        return Widget.auto_refresh.fget(self)  # type: ignore[attr-defined,no-any-return]

    @auto_refresh.setter
    def auto_refresh(self, interval: float | None) -> None:
        calm = None if interval is None else max(interval, CALM_REFRESH_SECONDS)
        Widget.auto_refresh.fset(self, calm)  # type: ignore[attr-defined]
