"""What a photographer does in IMatch to clear each error name (from `sync.error_names`)."""

from __future__ import annotations

from sync.error_names import CORE_FIX_TEXTS as FIXES
from sync.error_names import fix_for

__all__ = ["FIXES", "fix_for"]
