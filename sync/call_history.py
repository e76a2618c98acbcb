"""Each platform's calls of the last window, kept in the state folder between processes.

A platform counts the calls made with one key in any hour (e.g. 3,600), whichever
process made them. Every run is a new process (the IMatch app's button, a scheduled run,
the terminal app), so at its start a run adds to its rate limiter the calls the runs
before it made within the window, and at its end writes back all it knows. Runs do not
overlap (the run lock), so the file is read and written by one process at a time. A
missing or unreadable file only means an empty history: it never stops a run.
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path

from sync.state_db import make_private_folder, write_private_file


def history_file(folder: Path, platform: str) -> Path:
    return folder / f"calls-{platform}.json"


def load_calls(folder: Path, platform: str) -> list[float]:
    """Epoch seconds of the platform's recent calls, as the last run left them."""
    try:
        data = json.loads(history_file(folder, platform).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    moments = data.get("calls") if isinstance(data, dict) else None
    if not isinstance(moments, list):
        return []
    return [float(m) for m in moments if isinstance(m, (int, float))]


def save_calls(folder: Path, platform: str, moments: list[float]) -> None:
    """Replace the platform's history (a private file, written whole, then renamed)."""
    with suppress(OSError):
        make_private_folder(folder)
        text = json.dumps({"calls": [round(m, 3) for m in moments]})
        write_private_file(history_file(folder, platform), text)
