"""TUI tests that check what widgets hold lay the screen out but do not paint it.

Under Pilot, Textual paints every changed region of the screen up to 60 times a second
although the headless driver shows nothing; measured, that painting was about half of
the CPU of a TUI test (benchmarks/RESULTS.md, issue 15, fourth round). An app passed
to `unpainted()` still lays out (sizes, regions, scrolling, what is on screen) as
before; only the painting of the changed regions is left out. When the test leaves
`run_test`, every widget visible on the screen it ends on is drawn once, so a widget that
cannot draw itself still fails its test. Snapshot tests paint as before.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

AppT = TypeVar("AppT", bound=App[Any])

_UNPAINTED: weakref.WeakSet[App[Any]] = weakref.WeakSet()
_paint = Screen._compositor_refresh


def _compositor_refresh(self: Screen[Any]) -> None:
    """Textual's refresh, without painting for an app in `_UNPAINTED`."""
    app = self.app
    if app not in _UNPAINTED:
        _paint(self)
        return
    # What the paint leaves behind: nothing dirty, the mouse's widget known.
    self._compositor._dirty_regions.clear()
    self._dirty_widgets.clear()
    app._update_mouse_over(self)


Screen._compositor_refresh = _compositor_refresh  # type: ignore[method-assign]


def paint_in_full(app: App[Any]) -> None:
    """Lay out the app's current screen and draw every widget visible on it, each at its
    size on screen; an error of a widget's drawing is raised here. (Cutting the drawn
    lines into the screen's rows, Textual's own work, is left out: a third of the cost.)"""
    if not app.is_running:
        return
    screen = app.screen
    screen._refresh_layout()
    for _region, _clip, lines in screen._compositor._get_renders():
        assert isinstance(lines, list)


def unpainted(app: AppT) -> AppT:
    """`app`, laid out but not painted while its test runs, and painted in full once at
    the end of `run_test` (when the test got there)."""
    _UNPAINTED.add(app)
    run_test: Callable[..., AbstractAsyncContextManager[Pilot[Any]]] = app.run_test

    @asynccontextmanager
    async def painted_at_the_end(*args: Any, **kwargs: Any) -> AsyncIterator[Pilot[Any]]:
        async with run_test(*args, **kwargs) as pilot:
            yield pilot
            paint_in_full(app)

    app.run_test = painted_at_the_end  # type: ignore[method-assign]
    return app
