"""Planning renders a new photo's post only when its size might break a limit (issue 17):
rendering every photo to learn that it fits was most of a dry run's planning."""

from __future__ import annotations

import dataclasses

import pytest

from imatch.client import IMatchClient
from imatch.library import read_publication
from sync.config import Credentials, Settings
from sync.error_names import CAPTION_TOO_LONG, TOO_MANY_TAGS
from sync.plan import checks_for, make_plan
from sync.platforms import registry
from sync.rules import limit_errors


@pytest.mark.parametrize("platform", ["flickr", "pixelfed", "mastodon"])
async def test_a_new_photo_that_fits_is_planned_without_rendering_its_post(
    imatch: IMatchClient, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, credentials = Settings(), Credentials()
    pub = await read_publication(imatch, f"Socials|{platform}", platform)
    spec = registry.spec(platform)
    assert spec.size_bound is not None
    rendered: list[int] = []

    def counted(photo, settings, credentials):  # type: ignore[no-untyped-def]
        rendered.append(photo.id)
        return spec.render(photo, settings, credentials)

    monkeypatch.setitem(registry._REGISTRY, platform, dataclasses.replace(spec, render=counted))
    plan = make_plan(platform, pub, settings, credentials, None)
    checks = checks_for(platform, settings, None)
    new = [item.photo for item in plan.items if not item.photo.on_platform]
    assert len(new) > 10
    over = [p.id for p in new if limit_errors(spec.size_bound(p, settings), checks)]
    # Only the photos whose bound is over a limit are rendered to be planned...
    assert sorted(rendered) == sorted(over)
    assert len(rendered) < len(new) // 2

    # ...and every verdict is the one planning with every post rendered gives.
    every_one = dataclasses.replace(spec, render=counted, size_bound=None)
    monkeypatch.setitem(registry._REGISTRY, platform, every_one)
    rendering_all = make_plan(platform, pub, settings, credentials, None)
    assert [i.verdict for i in plan.items] == [i.verdict for i in rendering_all.items]
    assert len(rendered) == len(over) + len(plan.items)  # the second plan rendered them all


async def test_a_post_over_a_limit_is_still_found_when_its_photo_is_rendered(
    imatch: IMatchClient,
) -> None:
    """The sample library's photo with too many hashtags for pixelfed: its bound is over
    the limit, so it is rendered, and the error is the rendered post's."""
    settings, credentials = Settings(), Credentials()
    pub = await read_publication(imatch, "Socials|pixelfed", "pixelfed")
    plan = make_plan("pixelfed", pub, settings, credentials, None)
    limited = [i for i in plan.items if {CAPTION_TOO_LONG, TOO_MANY_TAGS} & set(i.verdict.errors)]
    assert limited
    checks = checks_for("pixelfed", settings, None)
    for item in limited:
        assert limit_errors(item.rendered.size, checks)
