"""Freed large buffers (an IMatch answer's body) go back to the system (sync/allocator.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# The second 1 MB buffer is served after the first was freed: glibc has by then raised its
# threshold to 1 MB and takes it from its heap (`hblkhd`, the mapped bytes, stays 0),
# unless the threshold was fixed, when it has a mapping of its own.
PROBE = """
import ctypes, sys
from sync.allocator import return_large_buffers
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
if sys.argv[1] == "fixed":
    assert return_large_buffers()
first = bytearray(1024 * 1024)
del first
second = bytearray(1024 * 1024)
print(libc.mallinfo2().hblkhd)
"""


def mapped_bytes_holding_a_second_buffer(mode: str) -> int:
    found = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(found.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_freed_large_buffer_does_not_turn_the_next_ones_into_heap_memory() -> None:
    assert mapped_bytes_holding_a_second_buffer("dynamic") < 1024 * 1024  # glibc's default
    assert mapped_bytes_holding_a_second_buffer("fixed") >= 1024 * 1024
