"""The flickr adapter against the flickr simulator, over real HTTP with flickrapi 2.4.0.

One server per module serves whichever simulator the current test swapped in. Every test
also checks, when it ends, that no token, token secret or API secret reached the log
(captured at DEBUG) or the text of any exception the test caught.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import re
import socket
import stat
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from PIL import Image

from sandbox.flickr_server import FlickrSimulator
from sandbox.flickr_state import Consumer, User
from sandbox.serving import SwappableApp, serve_in_thread
from sync.config import Credentials, Settings
from sync.connect import SetupError, open_platform
from sync.engine import RetryPolicy, retrying
from sync.platforms.base import (
    Account,
    AccountLimited,
    AmbiguousError,
    AuthError,
    MediaFile,
    PermanentError,
    RateLimited,
    RateLimiter,
    RemoteRef,
    TransientError,
)
from sync.platforms.flickr.api import SecretScrubber, classify
from sync.platforms.flickr.platform import (
    FlickrEndpoints,
    FlickrLogin,
    FlickrPlatform,
    FlickrPost,
    FlickrToken,
    load_token,
    marker_tag,
    save_token,
)
from sync.platforms.flickr.settings import FlickrCredentials
from sync.secret_store import SecretStore

MARKER = "3f9c0a7e12ab"
UPLOAD = "/services/upload/"
REPLACE = "/services/replace/"
E = TypeVar("E", bound=BaseException)


def jpeg_bytes(shade: int = 90) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (shade, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


class FakeClock:
    """The simulator's wall clock (mid-2025, so 2024 dates are in the past)."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    sim: FlickrSimulator
    url: str
    clock: FakeClock
    consumer: Consumer
    user: User
    folder: Path
    secrets: set[str] = field(default_factory=set)
    errors: list[BaseException] = field(default_factory=list)
    platforms: list[FlickrPlatform] = field(default_factory=list)

    def token(self, perms: str = "delete", user: User | None = None) -> FlickrToken:
        user = user or self.user
        granted = self.sim.grant_token(user, self.consumer.key, perms)
        self.secrets.update({granted.token, granted.secret})
        return FlickrToken(
            granted.token, granted.secret, perms, user.nsid, user.username, user.fullname
        )

    def platform(
        self,
        perms: str = "delete",
        token: FlickrToken | None = None,
        limiter: RateLimiter | None = None,
        endpoints: FlickrEndpoints | None = None,
    ) -> FlickrPlatform:
        platform = FlickrPlatform(
            self.consumer.key,
            self.consumer.secret,
            token or self.token(perms),
            endpoints=endpoints or FlickrEndpoints.for_base(self.url),
            timeout=10,
            limiter=limiter,
        )
        self.platforms.append(platform)
        return platform

    def image(self, name: str = "lake.jpg", data: bytes | None = None) -> Path:
        path = self.folder / name
        path.write_bytes(jpeg_bytes() if data is None else data)
        return path

    def post(self, path: Path | None = None, **changes: Any) -> FlickrPost:
        path = path or self.image()
        post = FlickrPost(
            file=MediaFile(path, path.stat().st_size, "JPEG"),
            title="Morning fog over the lake",
            description="The lake at dawn, before the wind picked up.",
            tags=("lake", "landscape photography", "nature"),
            date_taken=datetime(2024, 3, 5, 6, 42, 10),
            date_granularity=0,
            is_public=False,
            is_friend=True,
            is_family=False,
            albums=(),
            groups=(),
        )
        return dataclasses.replace(post, **changes)

    def mark(self) -> int:
        return len(self.sim.log)

    def requests_since(self, mark: int) -> list[str]:
        """REST method names, or the path for upload/replace, of requests after `mark`."""
        return [r.params.get("method", r.path) for r in self.sim.log.records[mark:]]

    async def expect(self, kind: type[E], pending: Awaitable[object]) -> E:
        with pytest.raises(kind) as caught:
            await pending
        self.errors.append(caught.value)
        return caught.value


@pytest.fixture(scope="module")
def flickr_server() -> Iterator[tuple[SwappableApp, str]]:
    app = SwappableApp()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
async def world(
    flickr_server: tuple[SwappableApp, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[World]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    caplog.set_level(logging.DEBUG)
    app, url = flickr_server
    clock = FakeClock()
    sim = FlickrSimulator(clock=clock)
    app.app = sim.asgi_app
    consumer = sim.add_consumer()
    world = World(sim, url, clock, consumer, sim.add_user("jane", "Jane Doe"), tmp_path)
    world.secrets.add(consumer.secret)
    yield world
    for platform in world.platforms:
        await platform.close()
    # caplog.text would only hold the teardown's records; the test ran in "call".
    logged = [r.getMessage() for when in ("setup", "call") for r in caplog.get_records(when)]
    assert logged, "the log was not captured"
    shown = logged + [f"{e!s} {e!r} {e.args!r}" for e in world.errors]
    for token in world.sim.state.access_tokens.values():
        world.secrets.update({token.token, token.secret})
    leaked = [s for s in world.secrets if any(s in text for text in shown)]
    assert leaked == [], "a secret reached the log or an exception"


def recording_limiter(**kwargs: Any) -> tuple[RateLimiter, list[float]]:
    """A limiter whose clock only moves when it sleeps; returns it and its waits."""
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    return RateLimiter(clock=lambda: now[0], sleep=sleep, **kwargs), waits


# --- connect ----------------------------------------------------------------------


async def test_connect_returns_the_account_and_reads_the_limits(world: World) -> None:
    world.sim.settings.max_upload_bytes = 12_345_678
    platform = world.platform()
    mark = world.mark()

    account = await platform.connect()

    nsid = world.user.nsid
    assert account == Account(nsid, "jane", f"https://www.flickr.com/photos/{nsid}/")
    limits = await platform.limits()
    assert limits.max_file_bytes == 12_345_678
    assert (limits.formats, limits.max_tags, limits.max_title_chars) == (
        frozenset({"JPEG"}),
        75,
        255,
    )
    assert world.requests_since(mark) == [
        "flickr.test.login",
        "flickr.auth.oauth.checkToken",
        "flickr.people.getLimits",
    ]


async def test_connect_with_a_revoked_or_wrong_token_is_an_auth_error(world: World) -> None:
    platform = world.platform()
    del world.sim.state.access_tokens[platform.token.token]
    error = await world.expect(AuthError, platform.connect())
    assert "imatch-socials login flickr" in str(error)

    wrong_secret = dataclasses.replace(world.token(), secret="not-the-secret")
    error = await world.expect(AuthError, world.platform(token=wrong_secret).connect())
    assert "imatch-socials login flickr" in str(error)


async def test_a_token_without_delete_permission_is_refused(world: World) -> None:
    error = await world.expect(AuthError, world.platform("read").connect())
    assert "delete permission" in str(error)

    writer = world.platform("write")
    outcome = await writer.add(world.post(), MARKER)
    error = await world.expect(AuthError, writer.delete(outcome.ref))
    assert "delete permission" in str(error)
    assert outcome.ref.ids["photo_id"] in world.sim.state.photos


# --- add --------------------------------------------------------------------------


async def test_add_publishes_one_photo_with_everything_and_checkpoints_first(
    world: World,
) -> None:
    sim = world.sim
    earlier = sim.add_photo(world.user, title="earlier")
    album = sim.add_photoset(world.user, "Trips", [earlier.id])
    group = sim.add_group("Lakes")
    platform = world.platform()
    post = world.post(date_granularity=8, albums=(album.id,), groups=(group.id,))
    mark = world.mark()
    checkpoints: list[tuple[dict[str, str], list[str]]] = []

    async def checkpoint(ids: Mapping[str, str]) -> None:
        checkpoints.append((dict(ids), world.requests_since(mark)))

    outcome = await platform.add(post, MARKER, checkpoint)

    photo_id = outcome.ref.ids["photo_id"]
    assert checkpoints == [({"photo_id": photo_id}, [UPLOAD])]
    photo = sim.photo(photo_id)
    assert (photo.title, photo.description) == (post.title, post.description)
    assert photo.raw_tags == [marker_tag(MARKER), "lake", "landscape photography", "nature"]
    assert photo.machine_tags == [f"imatchsocials:intent={MARKER}"]
    assert (photo.is_public, photo.is_friend, photo.is_family) == (False, True, False)
    # A circa date is kept at its granularity (the year).
    assert (photo.date_taken, photo.date_taken_granularity) == ("2024-01-01 00:00:00", 8)
    assert album.photo_ids == [earlier.id, photo_id]
    assert group.pool == [photo_id]
    assert len(sim.photos_of(world.user)) == 2
    page = f"https://www.flickr.com/photos/{world.user.nsid}/{photo_id}/"
    assert outcome.ref == RemoteRef({"photo_id": photo_id}, page)
    assert outcome.warnings == ()
    assert world.requests_since(mark) == [
        UPLOAD,
        "flickr.photos.setDates",
        "flickr.photosets.addPhoto",
        "flickr.groups.pools.add",
    ]
    assert outcome.calls == 4


async def test_the_recorded_url_follows_the_originals_flickr_url(
    world: World, tmp_path: Path
) -> None:
    """The original recorded `url` as its `flickr_url` app variable + `/` + the photo id."""
    photostream = "https://www.flickr.com/photos/dcbuchan"
    store = SecretStore(tmp_path / "state")
    save_token(store, world.consumer.key, world.token())
    flickr = FlickrCredentials(
        flickr_api_key=world.consumer.key,
        flickr_api_secret=world.consumer.secret,
        flickr_url=f"{photostream}/",
    )
    credentials = Credentials({"flickr": flickr})
    own = dataclasses.replace(Settings().platform("flickr"), url=world.url)
    settings = Settings(platforms={"flickr": own})
    platform = open_platform("flickr", settings, credentials, store)
    assert isinstance(platform, FlickrPlatform)
    world.platforms.append(platform)
    outcome = await platform.add(world.post(), MARKER)
    assert outcome.ref.url == f"{photostream}/{outcome.ref.ids['photo_id']}"


def test_a_flickr_url_that_is_no_address_is_named(tmp_path: Path) -> None:
    store = SecretStore(tmp_path / "state")
    save_token(store, "key", FlickrToken("t", "s", "delete", "1@N00", "jane", "Jane"))
    flickr = FlickrCredentials(flickr_api_key="key", flickr_api_secret="x", flickr_url="dcbuchan")
    credentials = Credentials({"flickr": flickr})
    with pytest.raises(SetupError, match="flickr_url is 'dcbuchan': set the IMatch application"):
        open_platform("flickr", Settings(), credentials, store)


async def test_add_reports_every_refusal_after_the_upload_as_a_warning(world: World) -> None:
    sim = world.sim
    moderated = sim.add_group("Curated", moderated=True)
    throttled = sim.add_group("Busy", throttle_limit=0, throttle_mode="day")
    picky = sim.add_group("Picky", content_allowed=False)
    open_group = sim.add_group("Lakes")
    groups = (open_group.id, moderated.id, throttled.id, picky.id)
    platform = world.platform()

    outcome = await platform.add(
        world.post(albums=("999",), groups=groups, date_taken=datetime(2999, 1, 1)), MARKER
    )

    photo_id = outcome.ref.ids["photo_id"]
    assert list(sim.state.photos) == [photo_id]
    warnings = "\n".join(outcome.warnings)
    assert len(outcome.warnings) == 3
    assert "date taken not set" in warnings
    assert "album 999: album not found" in warnings
    assert f"group {picky.id}: content not allowed" in warnings
    # Moderated and throttled groups are not refusals: the add is pending.
    assert [(p.group, p.retry_after is None) for p in outcome.pending] == [
        (moderated.id, True),
        (throttled.id, False),
    ]
    assert moderated.pending == [photo_id]
    assert open_group.pool == [photo_id]


async def test_add_resumes_a_journaled_upload_without_uploading_again(world: World) -> None:
    platform = world.platform()
    first = await platform.add(world.post(), MARKER)
    photo_id = first.ref.ids["photo_id"]
    album = world.sim.add_photoset(world.user, "Trips", [world.sim.add_photo(world.user).id])
    mark = world.mark()

    resumed = await platform.add(world.post(albums=(album.id,)), MARKER, resume={**first.ref.ids})

    assert resumed.ref.ids == {"photo_id": photo_id}
    assert UPLOAD not in world.requests_since(mark)
    assert photo_id in album.photo_ids
    assert len(world.sim.photos_of(world.user)) == 2  # the resumed one and the set's primary


async def test_upload_of_a_non_image_or_missing_file_is_permanent(world: World) -> None:
    platform = world.platform()
    called: list[Mapping[str, str]] = []

    async def checkpoint(ids: Mapping[str, str]) -> None:
        called.append(ids)

    pdf = world.image("notes.jpg", b"%PDF-1.4 not an image")
    error = await world.expect(PermanentError, platform.add(world.post(pdf), MARKER, checkpoint))
    assert error.error_name == "upload rejected"
    assert "error 5" in error.detail

    missing = dataclasses.replace(
        world.post(), file=MediaFile(world.folder / "gone.jpg", 1, "JPEG")
    )
    error = await world.expect(PermanentError, platform.add(missing, MARKER, checkpoint))
    assert error.error_name == "file not found"
    assert (called, world.sim.state.photos) == ([], {})


# --- update -----------------------------------------------------------------------


async def test_update_with_nothing_changed_only_reads(world: World) -> None:
    album = world.sim.add_photoset(world.user, "Trips", [world.sim.add_photo(world.user).id])
    group = world.sim.add_group("Lakes")
    platform = world.platform()
    post = world.post(albums=(album.id,), groups=(group.id,))
    added = await platform.add(post, MARKER)
    mark = world.mark()

    outcome = await platform.update(added.ref, post, replace_image=False)

    assert world.requests_since(mark) == ["flickr.photos.getInfo", "flickr.photos.getAllContexts"]
    assert (outcome.calls, outcome.warnings) == (2, ())
    assert outcome.ref == added.ref


async def test_update_calls_only_the_setters_whose_value_differs(world: World) -> None:
    platform = world.platform()
    post = world.post()
    ref = (await platform.add(post, MARKER)).ref
    photo = world.sim.photo(ref.ids["photo_id"])
    reads = ["flickr.photos.getInfo", "flickr.photos.getAllContexts"]

    steps: list[tuple[dict[str, Any], str]] = [
        ({"title": "Fog"}, "flickr.photos.setMeta"),
        ({"tags": ("sunrise", "lake")}, "flickr.photos.setTags"),
        ({"is_public": True}, "flickr.photos.setPerms"),
        (
            {"date_taken": datetime(2020, 1, 2, 3, 4, 5), "date_granularity": 8},
            "flickr.photos.setDates",
        ),
    ]
    for changes, setter in steps:
        post = dataclasses.replace(post, **changes)
        mark = world.mark()
        outcome = await platform.update(ref, post, replace_image=False)
        assert world.requests_since(mark) == [*reads, setter]
        assert outcome.calls == 3

    assert photo.title == "Fog"
    assert photo.raw_tags == [marker_tag(MARKER), "sunrise", "lake"]
    assert photo.machine_tags == [marker_tag(MARKER)]
    assert photo.is_public
    assert (photo.date_taken, photo.date_taken_granularity) == ("2020-01-01 00:00:00", 8)


async def test_update_replaces_the_image_when_asked(world: World) -> None:
    platform = world.platform()
    post = world.post(world.image("v1.jpg", jpeg_bytes(shade=10)))
    ref = (await platform.add(post, MARKER)).ref
    photo = world.sim.photo(ref.ids["photo_id"])
    before = photo.sha256
    new_file = world.image("v2.jpg", jpeg_bytes(shade=250))
    mark = world.mark()

    await platform.update(ref, world.post(new_file), replace_image=True)

    assert world.requests_since(mark)[-1] == REPLACE
    assert (photo.replace_count, photo.size) == (1, new_file.stat().st_size)
    assert photo.sha256 != before
    assert photo.machine_tags == [marker_tag(MARKER)]


async def test_update_diffs_albums_and_groups_both_ways(world: World) -> None:
    sim = world.sim
    primary = sim.add_photo(world.user).id
    old_album = sim.add_photoset(world.user, "Old", [primary])
    new_album = sim.add_photoset(world.user, "New", [primary])
    old_group, new_group = sim.add_group("Old pool"), sim.add_group("New pool")
    curated = sim.add_group("Curated", moderated=True)
    platform = world.platform()
    ref = (
        await platform.add(world.post(albums=(old_album.id,), groups=(old_group.id,)), MARKER)
    ).ref
    photo_id = ref.ids["photo_id"]

    outcome = await platform.update(
        ref,
        world.post(
            albums=(new_album.id,),
            groups=(new_group.id, curated.id),
            managed_albums=frozenset({old_album.id, new_album.id}),
            managed_groups=frozenset({old_group.id, new_group.id, curated.id}),
        ),
        replace_image=False,
    )

    assert old_album.photo_ids == [primary]
    assert new_album.photo_ids == [primary, photo_id]
    assert (old_group.pool, new_group.pool, curated.pending) == ([], [photo_id], [photo_id])
    assert outcome.warnings == ()
    assert [p.group for p in outcome.pending] == [curated.id]
    assert outcome.calls == 7  # 2 reads; albums: 1 remove, 1 add; groups: 1 remove, 2 adds


async def test_update_leaves_albums_and_groups_imatch_does_not_manage_alone(
    world: World,
) -> None:
    """Issue 12 item 4: memberships made by hand on flickr survive a `_metadata` update,
    and an album whose only photo this is is not deleted with it."""
    sim = world.sim
    platform = world.platform()
    managed = sim.add_photoset(world.user, "Landscapes", [sim.add_photo(world.user).id])
    ref = (await platform.add(world.post(albums=(managed.id,)), MARKER)).ref
    photo_id = ref.ids["photo_id"]
    by_hand = sim.add_photoset(world.user, "Made on flickr", [photo_id])
    curated_pool = sim.add_group("Curated by hand")
    curated_pool.pool.append(photo_id)

    # The photo left the IMatch album category: only that membership goes.
    await platform.update(
        ref,
        world.post(albums=(), managed_albums=frozenset({managed.id}), managed_groups=frozenset()),
        replace_image=False,
    )

    assert photo_id not in managed.photo_ids
    assert by_hand.id in sim.state.photosets
    assert by_hand.photo_ids == [photo_id]
    assert curated_pool.pool == [photo_id]


async def test_update_of_a_photo_gone_from_flickr_is_permanent(world: World) -> None:
    platform = world.platform()
    ref = (await platform.add(world.post(), MARKER)).ref
    del world.sim.state.photos[ref.ids["photo_id"]]

    error = await world.expect(PermanentError, platform.update(ref, world.post(), False))
    assert error.error_name == "photo not found on flickr"


# --- delete -----------------------------------------------------------------------


async def test_delete_and_delete_again(world: World) -> None:
    platform = world.platform()
    ref = (await platform.add(world.post(), MARKER)).ref
    mark = world.mark()

    await platform.delete(ref)
    assert world.sim.state.photos == {}
    await platform.delete(ref)  # flickr answers "photo not found": already done

    assert world.requests_since(mark) == ["flickr.photos.delete"] * 2


# --- crash recovery -----------------------------------------------------------------


async def test_a_dropped_upload_answer_is_ambiguous_and_found_once_by_marker(
    world: World,
) -> None:
    platform = world.platform()
    world.sim.knobs.drop_mutations = {1}
    called: list[Mapping[str, str]] = []

    async def checkpoint(ids: Mapping[str, str]) -> None:
        called.append(ids)

    await world.expect(AmbiguousError, platform.add(world.post(), MARKER, checkpoint))
    assert called == []
    [photo] = world.sim.photos_of(world.user)

    found = await platform.find_by_marker(MARKER)
    again = await platform.find_by_marker(MARKER)

    assert found == again == RemoteRef({"photo_id": photo.id}, platform.photo_page(photo.id))
    assert list(world.sim.state.photos) == [photo.id]
    assert await platform.find_by_marker("0123abcd") is None


async def test_find_by_marker_keeps_the_oldest_and_deletes_the_others(world: World) -> None:
    platform = world.platform()
    oldest = (await platform.add(world.post(), MARKER)).ref
    world.clock.now += 60
    await platform.add(world.post(world.image("b.jpg", jpeg_bytes(3))), MARKER)
    world.clock.now += 60
    other = (await platform.add(world.post(), "feedface")).ref

    found = await platform.find_by_marker(MARKER)

    assert found == oldest
    assert sorted(world.sim.state.photos) == sorted([oldest.ids["photo_id"], other.ids["photo_id"]])


async def test_find_by_marker_looks_past_a_lagging_search_index(world: World) -> None:
    world.sim.settings.search_index_lag = 5
    platform = world.platform()
    added = (await platform.add(world.post(), MARKER)).ref
    mark = world.mark()

    found = await platform.find_by_marker(MARKER)

    assert found == added
    assert world.requests_since(mark) == ["flickr.photos.search", "flickr.people.getPhotos"]


# --- faults and the rate limit ------------------------------------------------------


async def test_a_server_error_is_transient_on_reads_and_ambiguous_on_writes(
    world: World,
) -> None:
    platform = world.platform()
    ref = (await platform.add(world.post(), MARKER)).ref
    world.sim.knobs.fail_requests = {world.mark() + 1, world.mark() + 2}

    error = await world.expect(TransientError, platform.connect())
    assert not isinstance(error, AmbiguousError)
    await world.expect(AmbiguousError, platform.delete(ref))
    assert ref.ids["photo_id"] in world.sim.state.photos
    await platform.delete(ref)
    assert world.sim.state.photos == {}


async def test_an_unreachable_flickr_is_transient_on_reads_and_ambiguous_on_writes(
    world: World,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    platform = world.platform(endpoints=FlickrEndpoints.for_base(f"http://127.0.0.1:{closed_port}"))

    error = await world.expect(TransientError, platform.connect())
    assert not isinstance(error, AmbiguousError)
    await world.expect(AmbiguousError, platform.add(world.post(), MARKER))


async def test_http_429_is_rate_limited_and_pauses_the_limiter(world: World) -> None:
    limiter, waits = recording_limiter()
    platform = world.platform(limiter=limiter)
    world.sim.settings.rate_limit_per_hour = 1

    error = await world.expect(RateLimited, platform.connect())

    # flickr's 429 has no Retry-After: a minute's pause, for every call to flickr.
    assert error.retry_after == 60
    await limiter.acquire()
    assert waits == [60]


async def test_every_call_waits_for_the_shared_rate_limiter(world: World) -> None:
    limiter, waits = recording_limiter(rate_per_hour=3600, burst=2)
    album = world.sim.add_photoset(world.user, "Trips", [world.sim.add_photo(world.user).id])
    platform = world.platform(limiter=limiter)

    outcome = await platform.add(world.post(albums=(album.id,), groups=()), MARKER)
    await platform.find_by_marker(MARKER)

    assert outcome.calls == 3
    assert waits == pytest.approx([1.0, 1.0])  # upload and setDates used the burst


# --- login ------------------------------------------------------------------------


def approve(authorize_url: str, user: User) -> str:
    """Drive the simulator's authorize page like a browser; the verifier it shows."""
    page = requests.get(authorize_url, timeout=10)
    token = re.search(r'name="oauth_token" value="([^"]+)"', page.text)
    perms = re.search(r'name="perms" value="([^"]+)"', page.text)
    assert token
    assert perms
    form = {
        "oauth_token": token.group(1),
        "perms": perms.group(1),
        "user_nsid": user.nsid,
        "decision": "approve",
    }
    answer = requests.post(authorize_url.split("?", 1)[0], data=form, timeout=10)
    verifier = re.search(r'<code id="oauth-verifier">([0-9-]+)</code>', answer.text)
    assert verifier
    return verifier.group(1)


async def test_out_of_band_login_gives_a_working_token_stored_privately(
    world: World, tmp_path: Path
) -> None:
    key = world.consumer.key
    login = FlickrLogin(key, world.consumer.secret, FlickrEndpoints.for_base(world.url))
    url = await asyncio.to_thread(login.start)
    assert url.startswith(f"{world.url}/services/oauth/authorize?")
    assert "perms=delete" in url
    verifier = await asyncio.to_thread(approve, url, world.user)

    token = await asyncio.to_thread(login.finish, verifier)

    world.secrets.update({token.token, token.secret})
    assert (token.perms, token.user_nsid, token.username, token.fullname) == (
        "delete",
        world.user.nsid,
        "jane",
        "Jane Doe",
    )
    assert token.secret not in repr(token)
    store = SecretStore(tmp_path / "state")
    save_token(store, key, token)
    assert stat.S_IMODE(store.path("flickr-token").stat().st_mode) == 0o600
    assert load_token(store, key) == token
    assert load_token(store, "another-key") is None
    account = await world.platform(token=load_token(store, key)).connect()
    assert account.id == world.user.nsid


async def test_login_refusals_are_clear_auth_errors(world: World) -> None:
    endpoints = FlickrEndpoints.for_base(world.url)
    wrong = FlickrLogin(world.consumer.key, "not-the-secret", endpoints)
    error = await world.expect(AuthError, asyncio.to_thread(wrong.start))
    assert str(error) == "flickr refused the API key or secret"

    login = FlickrLogin(world.consumer.key, world.consumer.secret, endpoints)
    error = await world.expect(AuthError, asyncio.to_thread(login.finish, "123-456-789"))
    assert "not started" in str(error)
    url = await asyncio.to_thread(login.start)
    await asyncio.to_thread(approve, url, world.user)
    error = await world.expect(AuthError, asyncio.to_thread(login.finish, "000-000-000"))
    assert "verification code" in str(error)
    assert world.sim.state.access_tokens == {}


def test_error_texts_are_scrubbed_of_secrets() -> None:
    scrub = SecretScrubber(["tok-123", "sec-456", "api-789"])
    failure = requests.exceptions.ConnectionError(
        "POST http://h/rest?oauth_token=tok-123&oauth_signature=abc%3D "
        'Authorization: OAuth oauth_signature="xyz", secret sec-456 and api-789'
    )

    error = classify(failure, method="flickr.photos.delete", write=True, scrub=scrub)

    assert isinstance(error, AmbiguousError)
    for secret in ("tok-123", "sec-456", "api-789", "abc%3D", "xyz"):
        assert secret not in str(error)
    token = FlickrToken("tok-123", "sec-456", "delete", "1@N00", "jane")
    assert "tok-123" not in repr(token)
    assert "sec-456" not in repr(token)


# --- what real flickr does (issue 13), and how the adapter copes -------------------------


@pytest.mark.parametrize("kind", ["code 0", "code 105", "code 106", "code 201"])
async def test_flickrs_transient_codes_are_transient_for_reads_uploads_and_writes(
    world: World, kind: str
) -> None:
    platform = world.platform()
    ref = (await platform.add(world.post(), MARKER)).ref
    world.sim.settings.transient_rate = 1.0
    world.sim.settings.transient_kinds = (kind,)
    for call in (
        platform.connect(),
        platform.add(world.post(), "feed01"),
        platform.update(ref, world.post(title="New"), replace_image=False),
    ):
        error = await world.expect(TransientError, call)
        # flickr answered: nothing happened, so there is nothing to look for.
        assert not isinstance(error, AmbiguousError)
    assert len(world.sim.state.photos) == 1


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [("HTML 502", TransientError), ("HTML 503", TransientError), ("HTML 429", RateLimited)],
)
async def test_flickrs_html_error_pages_are_retryable(
    world: World, kind: str, error_type: type[TransientError]
) -> None:
    limiter, _ = recording_limiter()
    platform = world.platform(limiter=limiter)
    world.sim.settings.transient_rate = 1.0
    world.sim.settings.transient_kinds = (kind,)
    await world.expect(error_type, platform.connect())
    await world.expect(error_type, platform.add(world.post(), MARKER))


async def test_an_upload_answered_201_is_retried_and_uploaded_once(world: World) -> None:
    platform = world.platform()
    world.sim.settings.transient_rate = 1.0
    world.sim.settings.transient_kinds = ("code 201",)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        world.sim.settings.transient_rate = 0.0  # flickr is back

    policy = RetryPolicy(attempts=3, base_delay=1.0, sleep=sleep)
    outcome = await retrying(policy, lambda: platform.add(world.post(), MARKER))
    assert len(waits) == 1
    assert list(world.sim.state.photos) == [outcome.ref.ids["photo_id"]]


async def test_a_transient_failure_after_the_upload_resumes_without_a_second_upload(
    world: World,
) -> None:
    platform = world.platform()
    journal: dict[str, str] = {}

    async def checkpoint(ids: Mapping[str, str]) -> None:
        journal.update(ids)

    world.sim.knobs.fail_requests = {world.mark() + 2}  # the setDates after the upload
    await world.expect(AmbiguousError, platform.add(world.post(), MARKER, checkpoint))
    [photo] = world.sim.photos_of(world.user)
    assert journal == {"photo_id": photo.id}
    mark = world.mark()
    outcome = await platform.add(world.post(), MARKER, checkpoint, resume=journal)
    assert outcome.ref.ids == journal
    assert outcome.warnings == ()
    assert UPLOAD not in world.requests_since(mark)
    assert photo.date_taken == "2024-03-05 06:42:10"


async def test_a_bad_signature_is_an_auth_error_that_says_so(world: World) -> None:
    platform = FlickrPlatform(
        world.consumer.key,
        "not-the-api-secret",
        world.token(),
        endpoints=FlickrEndpoints.for_base(world.url),
        timeout=10,
    )
    world.platforms.append(platform)
    error = await world.expect(AuthError, platform.connect())
    assert "signature" in str(error)
    assert "flickr_api_secret" in str(error)


async def test_webp_is_refused_by_name_without_uploading(world: World) -> None:
    platform = FlickrPlatform(
        world.consumer.key,
        world.consumer.secret,
        world.token(),
        endpoints=FlickrEndpoints.for_base(world.url),
        timeout=10,
        formats=frozenset({"JPEG", "WEBP"}),
    )
    world.platforms.append(platform)
    assert (await platform.limits()).formats == frozenset({"JPEG"})
    webp = io.BytesIO()
    Image.new("RGB", (8, 8)).save(webp, "WEBP")
    path = world.image("lake.webp", webp.getvalue())
    post = world.post(path, file=MediaFile(path, path.stat().st_size, "WebP"))
    mark = world.mark()
    error = await world.expect(PermanentError, platform.add(post, MARKER))
    assert error.error_name == "invalid format"
    assert "WebP" in error.detail
    assert world.requests_since(mark) == []


async def test_an_unchanged_photo_gets_no_setter_again(world: World) -> None:
    platform = world.platform()
    post = world.post(
        title="Fog & <i>mist</i>",
        description=(
            'Fog & rain <3 over <b>the</b> lake, "calm"\n\n<script>x</script>'
            '<a href="https://example.org">more</a>'
        ),
        date_taken=datetime(1950, 6, 15, 10, 20, 30),
        date_granularity=8,
    )
    ref = (await platform.add(post, MARKER)).ref
    for _ in range(2):
        mark = world.mark()
        outcome = await platform.update(ref, post, replace_image=False)
        assert world.requests_since(mark) == [
            "flickr.photos.getInfo",
            "flickr.photos.getAllContexts",
        ]
        assert outcome.calls == 2


async def test_a_free_accounts_51st_private_upload_stops_uploads(world: World) -> None:
    free = world.sim.add_user("freda", is_pro=False)
    for number in range(50):
        world.sim.add_photo(free, jpeg_bytes(number), is_public=False)
    platform = world.platform(token=world.token(user=free))
    mark = world.mark()
    error = await world.expect(AccountLimited, platform.add(world.post(), MARKER))
    assert "50" in str(error)
    assert "1,000" in str(error)
    assert world.requests_since(mark) == [UPLOAD]
    # The rest of the run's uploads stop at once: no upload of each file to be refused.
    await world.expect(AccountLimited, platform.add(world.post(), "feed02"))
    assert world.requests_since(mark) == [UPLOAD]
    assert len(world.sim.photos_of(free)) == 50
    # A public photo is not what a free account refuses; a new session tries again.
    public = world.platform(token=world.token(user=free))
    await public.add(world.post(is_public=True), "feed03")
    assert len(world.sim.photos_of(free)) == 51


async def test_an_update_on_a_free_account_updates_the_text_and_warns_the_image_stays(
    world: World,
) -> None:
    free = world.sim.add_user("freda", is_pro=False)
    platform = world.platform(token=world.token(user=free))
    ref = (await platform.add(world.post(is_public=True), MARKER)).ref
    photo = world.sim.photo(ref.ids["photo_id"])
    before = photo.sha256
    new_file = world.image("v2.jpg", jpeg_bytes(shade=250))
    for _ in range(2):
        mark = world.mark()
        outcome = await platform.update(
            ref, world.post(new_file, title="New title", is_public=True), replace_image=True
        )
        assert REPLACE not in world.requests_since(mark)
        [warning] = outcome.warnings
        assert warning.startswith("image not replaced:")
        assert "Pro" in warning
    assert photo.title == "New title"
    assert (photo.sha256, photo.replace_count) == (before, 0)


async def test_group_answers_done_pending_and_throttled(world: World) -> None:
    sim = world.sim
    lakes = sim.add_group("Lakes")
    curated = sim.add_group("Curated", moderated=True)
    busy = sim.add_group("Three a day", throttle_limit=1, throttle_mode="day")
    platform = world.platform()
    groups = (lakes.id, curated.id, busy.id)
    first = await platform.add(world.post(groups=groups), MARKER)
    assert [p.group for p in first.pending] == [curated.id]
    second = await platform.add(
        world.post(world.image("b.jpg", jpeg_bytes(5)), groups=groups), "b2"
    )
    [moderation, throttle] = second.pending
    assert (moderation.group, moderation.retry_after) == (curated.id, None)
    assert throttle.group == busy.id
    assert throttle.retry_after is not None
    assert "1 photo a day" in throttle.reason
    # Within the session the throttled group is not asked again until it is due.
    mark = world.mark()
    third = await platform.add(
        world.post(world.image("c.jpg", jpeg_bytes(6)), groups=(busy.id,)), "c3"
    )
    assert [p.group for p in third.pending] == [busy.id]
    assert "flickr.groups.pools.add" not in world.requests_since(mark)
    # A photo already in the pool, or already queued, is done.
    again = await platform.add_to_groups(first.ref, (lakes.id, curated.id))
    assert [p.group for p in again.pending] == [curated.id]
    assert again.warnings == ()
    assert busy.pool == [first.ref.ids["photo_id"]]
    # A photo in the most pools flickr allows: a warning, nothing pending.
    sim.settings.max_pools_per_photo = 1
    crowded = sim.add_group("Crowded")
    full = await platform.add_to_groups(first.ref, (crowded.id,))
    assert full.pending == ()
    assert full.warnings == (
        f"group {crowded.id}: the photo is in the maximum number of groups (error 4)",
    )
