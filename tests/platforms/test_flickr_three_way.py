"""flickr updates with what we last published (the state store): only the setters of the
fields that differ, without reading the photo first; tags, albums and groups merged three
ways (ours that IMatch dropped go, the user's own stay); without it, today's read-then-diff.
"""

from __future__ import annotations

import dataclasses

from sandbox.flickr_state import build_tags
from sync.platforms.flickr.platform import marker_tag
from sync.published import snapshot
from tests.platforms.test_flickr_platform import MARKER, World, flickr_server, world

__all__ = ["flickr_server", "world"]  # the fixtures, shared with the adapter's own tests


async def test_a_new_title_with_stored_state_is_one_set_meta(world: World) -> None:
    platform = world.platform()
    post = world.post()
    ref = (await platform.add(post, MARKER)).ref
    published = snapshot(post, "1:1")
    mark = world.mark()
    outcome = await platform.update(
        ref, dataclasses.replace(post, title="Evening fog"), False, published
    )
    assert world.requests_since(mark) == ["flickr.photos.setMeta"]
    assert outcome.calls == 1
    assert world.sim.photo(ref.ids["photo_id"]).title == "Evening fog"


async def test_without_stored_state_the_photo_is_read_first(world: World) -> None:
    platform = world.platform()
    post = world.post()
    ref = (await platform.add(post, MARKER)).ref
    mark = world.mark()
    await platform.update(ref, dataclasses.replace(post, title="Evening fog"), False)
    assert world.requests_since(mark) == [
        "flickr.photos.getInfo",
        "flickr.photos.getAllContexts",
        "flickr.photos.setMeta",
    ]


async def test_new_tags_are_added_without_a_read_and_the_users_tags_stay(world: World) -> None:
    platform = world.platform()
    post = world.post()
    ref = (await platform.add(post, MARKER)).ref
    photo = world.sim.photo(ref.ids["photo_id"])
    photo.tags += build_tags(["my own"], photo.owner, photo.id, world.sim.state.next_number)
    mark = world.mark()
    await platform.update(
        ref, dataclasses.replace(post, tags=(*post.tags, "pines")), False, snapshot(post, "")
    )
    assert world.requests_since(mark) == ["flickr.photos.addTags"]
    assert {"myown", "pines", "lake"} <= {t.normalized for t in photo.tags}


async def test_a_dropped_keyword_goes_and_the_users_tag_and_machine_tag_stay(
    world: World,
) -> None:
    platform = world.platform()
    post = world.post()
    ref = (await platform.add(post, MARKER)).ref
    photo = world.sim.photo(ref.ids["photo_id"])
    photo.tags += build_tags(["my own"], photo.owner, photo.id, world.sim.state.next_number)
    mark = world.mark()
    fewer = dataclasses.replace(post, tags=("lake",))
    await platform.update(ref, fewer, False, snapshot(post, ""))
    assert world.requests_since(mark) == ["flickr.photos.getInfo", "flickr.photos.setTags"]
    assert {t.normalized for t in photo.tags} == {"lake", "myown", marker_tag(MARKER)}


async def test_the_read_path_with_stored_state_keeps_the_users_tags_too(world: World) -> None:
    """A `_metadata` flag with nothing different from the store: the photo is read to
    repair it, and still only our dropped tags go."""
    platform = world.platform()
    post = world.post()
    ref = (await platform.add(post, MARKER)).ref
    photo = world.sim.photo(ref.ids["photo_id"])
    photo.tags += build_tags(["my own"], photo.owner, photo.id, world.sim.state.next_number)
    photo.title = "Edited on flickr"
    await platform.update(ref, post, False, snapshot(post, ""))
    assert photo.title == post.title
    assert "myown" in {t.normalized for t in photo.tags}


async def test_albums_and_groups_we_set_and_no_longer_name_go_the_users_stay(
    world: World,
) -> None:
    ours = world.sim.add_photoset(world.user, "Ours", [world.sim.add_photo(world.user).id])
    mine = world.sim.add_photoset(world.user, "Mine", [world.sim.add_photo(world.user).id])
    new = world.sim.add_photoset(world.user, "New", [world.sim.add_photo(world.user).id])
    group = world.sim.add_group("Lakes")
    theirs = world.sim.add_group("Rivers")
    platform = world.platform()
    managed = frozenset({ours.id, mine.id, new.id})
    post = world.post(
        albums=(ours.id,),
        groups=(group.id,),
        managed_albums=managed,
        managed_groups=frozenset({group.id, theirs.id}),
    )
    ref = (await platform.add(post, MARKER)).ref
    photo_id = ref.ids["photo_id"]
    mine.photo_ids.append(photo_id)  # by hand on flickr, into an album IMatch knows
    theirs.pool.append(photo_id)  # and into a group IMatch knows
    after = dataclasses.replace(post, albums=(new.id,), groups=())
    mark = world.mark()
    await platform.update(ref, after, False, snapshot(post, ""))
    calls = world.requests_since(mark)
    assert "flickr.photos.getAllContexts" not in calls
    assert sorted(calls) == sorted(
        [
            "flickr.photosets.removePhoto",
            "flickr.photosets.addPhoto",
            "flickr.groups.pools.remove",
        ]
    )
    assert photo_id in mine.photo_ids
    assert photo_id in new.photo_ids
    assert photo_id not in ours.photo_ids
    assert photo_id not in group.pool
    assert photo_id in theirs.pool  # the user's own group membership stays

    # Named again in IMatch, our album and group come back; nothing of the user's is made.
    mine.photo_ids.remove(photo_id)
    theirs.pool.remove(photo_id)
    again = dataclasses.replace(after, albums=(new.id, ours.id), groups=(group.id,))
    await platform.update(ref, again, False, snapshot(after, ""))
    assert photo_id in ours.photo_ids
    assert photo_id in group.pool
    assert photo_id not in theirs.pool
    assert photo_id not in mine.photo_ids


async def test_a_refused_album_or_group_is_added_once_flickr_takes_it(world: World) -> None:
    """What flickr refused is not recorded as published (its digest is blank), though the
    post named it: the next update looks at flickr's memberships instead of trusting
    what we meant to set, and makes the membership."""
    group = world.sim.add_group("Strict", content_allowed=False)
    platform = world.platform()
    post = world.post(groups=(group.id,), managed_groups=frozenset({group.id}))
    added = await platform.add(post, MARKER)
    assert added.unsettled == ("groups",)
    photo_id = added.ref.ids["photo_id"]
    assert photo_id not in group.pool
    published = snapshot(post, "")
    published = dataclasses.replace(
        published,
        digests={**published.digests, "groups": ""},
        shown={**published.shown, "groups": ""},
    )
    group.content_allowed = True  # the group's rules changed, or the photo did
    outcome = await platform.update(added.ref, post, False, published)
    assert photo_id in group.pool
    assert outcome.unsettled == ()
