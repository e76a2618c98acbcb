"""Messages that carry the session's results and the engine's events to the widgets.

Workers never touch widgets: they post one of these and the screen's handlers update
what is shown.
"""

from __future__ import annotations

from textual.message import Message

from sync.events import Event, RunSummary
from sync.plan_snapshot import PlanSnapshot
from sync.session import PlatformState, SetupProblem


class SessionOpened(Message):
    """IMatch answered; these platforms are enabled and will be prepared."""

    def __init__(
        self, imatch_url: str, platforms: tuple[str, ...], warnings: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.imatch_url = imatch_url
        self.platforms = platforms
        self.warnings = warnings
        """Session-wide warnings (e.g. IMatch not on this computer)."""


class SessionFailed(Message):
    """IMatch could not be reached, the configuration cannot be used, or a bug stopped
    the session before its tabs existed."""

    def __init__(self, problem: SetupProblem) -> None:
        super().__init__()
        self.problem = problem


class PlatformReady(Message):
    """A platform was connected and planned (or rescanned); `state.problem` may be set."""

    def __init__(self, state: PlatformState, rescanned: bool = False) -> None:
        super().__init__()
        self.state = state
        self.rescanned = rescanned


class SnapshotsLoaded(Message, bubble=False):
    """The platforms' last plans from the state store, shown while the plans are made.
    Only the main screen handles it: bubbling up to the app would keep the rows (50,000
    a platform) alive in the app's queue after the tabs have let them go."""

    def __init__(self, snapshots: dict[str, PlanSnapshot]) -> None:
        super().__init__()
        self.snapshots = snapshots


class ScanProgressed(Message):
    """Reading or planning a platform advanced (sent from the session thread)."""

    def __init__(self, platform: str, stage: str, done: int, total: int) -> None:
        super().__init__()
        self.platform = platform
        self.stage = stage
        self.done = done
        self.total = total


class PlatformScanFailed(Message):
    """Preparing or rescanning one platform failed (IMatch went away, say)."""

    def __init__(self, platform: str, problem: str) -> None:
        super().__init__()
        self.platform = platform
        self.problem = problem


class RunEvent(Message):
    """One event of the sync engine, forwarded as it happens."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class RunEnded(Message):
    """A run finished (completely, cancelled, or stopped by the platform)."""

    def __init__(self, platform: str, summary: RunSummary | None, problem: str = "") -> None:
        super().__init__()
        self.platform = platform
        self.summary = summary
        self.problem = problem


class RunLockChecked(Message):
    """Whether another process holds the run lock: `holder` says which run, "" if none."""

    def __init__(self, holder: str) -> None:
        super().__init__()
        self.holder = holder
