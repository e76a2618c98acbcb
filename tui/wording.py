"""Small wording helpers shared by the widgets and screens."""

from __future__ import annotations

from sync.summary_text import count_of

__all__ = ["count_of"]
