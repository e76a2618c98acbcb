"""What the TUI's detail pane shows of a Mastodon post (plain pairs: no textual here)."""

from __future__ import annotations

from sync.platforms.mastodon.post import MastodonPost
from sync.platforms.mastodon.text import countable_length, hashtags_in

VISIBILITY_TEXT = {
    "public": "public",
    "unlisted": "unlisted (public, kept out of timelines)",
    "private": "followers only",
    "direct": "direct (only the accounts it mentions)",
}


def detail_fields(post: MastodonPost) -> list[tuple[str, str]]:
    """(label, value) rows in display order."""
    tags = hashtags_in(post.caption)
    return [
        ("Text", post.caption),
        ("Length", f"{countable_length(post.caption)} characters as Mastodon counts them"),
        ("Hashtags", " ".join(f"#{t}" for t in tags) or "(none)"),
        ("Alt text", post.alt_text or "(none)"),
        ("Visibility", VISIBILITY_TEXT.get(post.visibility, post.visibility)),
        ("File", f"{post.file.path.name} ({post.file.format}, {post.file.size:,} bytes)"),
    ]
