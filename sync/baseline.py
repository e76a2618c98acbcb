"""`imatch-socials baseline [--platform NAME]`: record what is published now.

Change detection compares each posted photo with what was last published of it. For
posts made before imatch-socials kept that record (or on another computer), the baseline
records the current rendering of every posted photo as published, so turning detection
on shows only what changes from then on. It reads IMatch and writes the state store in
the state folder; it makes no call to any platform.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from imatch.errors import IMatchError
from sync.config import ConfigError, load_settings
from sync.connect import SetupError
from sync.run_lock import RunInProgress
from sync.session import SyncSession
from sync.state_db import StateDatabaseError


def run_baseline(platforms: Sequence[str] = ()) -> int:
    """Record the baseline of the named (default: every enabled) platform; exit code 0 when
    it was recorded, 2 when it could not be (the reason is said in one line)."""
    try:
        return asyncio.run(_baseline(platforms))
    except ConfigError as error:
        problem = f"configuration: {error}"
    except IMatchError as error:
        problem = f"IMatch: {error}"
    except RunInProgress as error:
        problem = str(error)
    except (StateDatabaseError, SetupError) as error:
        problem = f"baseline not recorded: {error}"
    print(f"imatch-socials: {problem}", file=sys.stderr)
    return 2


def say(text: str) -> None:
    print(text, flush=True)


async def _baseline(platforms: Sequence[str]) -> int:
    settings = load_settings()
    names = list(platforms) or list(settings.enabled_platforms)
    for name in names:
        settings.platform(name)  # an unknown name fails before anything is written
    async with SyncSession(settings) as session:
        for name in names:
            count = await session.baseline(name)
            say(
                f"{name}: baseline recorded for {count:,} posted photos (nothing was sent to "
                f"{name}); from now on a photo whose post or file changes is shown as changed"
            )
    return 0
