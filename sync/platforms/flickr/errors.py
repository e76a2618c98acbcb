"""flickr's own error names (each becomes `Socials|flickr|__errors|<name>`).

Names any platform can give (`upload rejected`, `file not found`...) are the core's, in
`sync.error_names`; these are the ones only flickr gives, with their fix texts and
permanence, registered through the platform's spec.
"""

from __future__ import annotations

from sync.error_names import NamedError

PHOTO_NOT_FOUND = "photo not found on flickr"
REJECTED_BY_FLICKR = "rejected by flickr"
"""The name of a refusal no caller interpreted (never the bare `flickr error`)."""
UPDATE_REJECTED = "update rejected"

ERRORS: tuple[NamedError, ...] = (
    NamedError(
        PHOTO_NOT_FOUND,
        "The post no longer exists: remove the attribute record so it is added again.",
    ),
    NamedError(
        REJECTED_BY_FLICKR,
        "flickr refused this change; the log and the run's report show its reason. Fix "
        "that in IMatch (or on flickr), then run again.",
    ),
    NamedError(
        UPDATE_REJECTED,
        "flickr refused the new title, description, tags or date of this photo; the log "
        "shows why. Correct it in IMatch, then run again.",
    ),
)
