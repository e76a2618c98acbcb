"""Large buffers go back to the system as soon as they are freed (Linux with glibc).

A scan reads about 150 IMatch answers of a few hundred kilobytes to a few megabytes each:
the body, its text and the parser's work are freed once the answer is parsed. glibc's
malloc serves blocks this large with their own mappings, returned on free, until the
first such block is freed: from then on it raises that threshold to the block's size and
serves the next ones from its heap, whose freed middle stays resident. At 50,000 photos
that was about 20 MB of the TUI's peak (`benchmarks/tui_memory.py`). Fixing the
threshold keeps the first behaviour. Windows' heap already gives blocks of this size
their own mappings; elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3
"""glibc's `mallopt` parameter; setting it turns the threshold's adjustment off."""
LARGE_BLOCK = 128 * 1024
"""glibc's own starting threshold."""

_done = False


def return_large_buffers() -> bool:
    """Have every block of `LARGE_BLOCK` bytes or more mapped on its own, so freeing it
    gives its memory back. Whether the setting took (False where there is no glibc)."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        # The process's own symbols, libc's among them: looking the library up by name
        # (`ctypes.util.find_library`) starts `ldconfig` in a process of its own.
        libc = ctypes.CDLL(None)
        _done = bool(libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK))
    except (OSError, AttributeError):
        return False
    return _done
