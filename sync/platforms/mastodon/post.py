"""The rendered Mastodon post: exactly what is sent."""

from __future__ import annotations

from dataclasses import dataclass

from sync.platforms.base import MediaFile


@dataclass(frozen=True)
class MastodonPost:
    """One photo, its status text, its alt text and who may see it."""

    file: MediaFile
    caption: str
    """The status text (Mastodon keeps it as written and escapes any HTML)."""
    alt_text: str
    """The media description."""
    visibility: str
    """`public`, `unlisted`, `private` (followers only) or `direct` (mentioned accounts)."""

    def published_fields(self) -> dict[str, str]:
        """What Mastodon shows of the post, field by field (sync/published.py)."""
        return {"caption": self.caption, "alt text": self.alt_text, "visibility": self.visibility}

    def owned(self) -> dict[str, tuple[str, ...]]:
        return {}
