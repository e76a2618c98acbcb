"""A record whose ids show nothing (a zero-width or no-break space typed into IMatch) is
as incomplete to every adapter as an empty one: no call may be made for such a post."""

from __future__ import annotations

import pytest

from sync.platforms.mastodon.platform import MastodonPlatform
from sync.platforms.pixelfed.platform import PixelfedPlatform

INVISIBLE = ("\u200b", "\u00a0", " \u200d ", "\ufeff")


@pytest.mark.parametrize("blank", INVISIBLE)
async def test_an_id_made_of_invisible_characters_is_no_id(blank: str) -> None:
    for platform in (
        PixelfedPlatform("http://127.0.0.1:9", "token"),
        MastodonPlatform("http://127.0.0.1:9", "token"),
    ):
        try:
            complete = {key: "12345" for key in platform.record_keys}
            assert platform.ref_from_record(complete) is not None
            for key in platform.record_keys:
                assert platform.ref_from_record({**complete, key: blank}) is None, key
            # Visible ids are taken as they are shown, trimmed.
            ref = platform.ref_from_record({k: f" {v} " for k, v in complete.items()})
            assert ref is not None
            assert ref.ids == complete
        finally:
            await platform.close()
