"""What flickr keeps of what it is sent, so an update compares like with like.

flickr stores a description as "limited HTML": markup it does not allow is removed and
the text comes back HTML-escaped (`&amp;`, `&lt;`, `&quot;`). A date taken is stored at its
granularity: a month keeps year and month, a year or a circa date only the year. Compared
raw, such a photo would look changed on every run and get `setMeta` or `setDates` again.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from sync.platforms.base import plain_lines

MONTH_GRANULARITY = 4
YEAR_GRANULARITY = 6
CIRCA_GRANULARITY = 8

_MARKUP = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)


def comparable_text(text: str) -> str:
    """A title or description reduced to what a reader sees: markup removed (flickr keeps
    some and drops the rest; which it keeps is not documented), entities read, line ends
    and trailing spaces normalised. Both sides of a comparison go through this."""
    return plain_lines(html.unescape(_MARKUP.sub("", text)))


def taken_as_kept(moment: datetime, granularity: int) -> datetime:
    """The date taken as flickr keeps it at `granularity` (0 keeps it to the second)."""
    if granularity == MONTH_GRANULARITY:
        return datetime(moment.year, moment.month, 1)
    if granularity in (YEAR_GRANULARITY, CIRCA_GRANULARITY):
        return datetime(moment.year, 1, 1)
    return moment
