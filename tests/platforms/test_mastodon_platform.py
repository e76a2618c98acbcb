"""The Mastodon adapter over real HTTP against the Mastodon simulator.

Covers what pixelfed's adapter tests cover, the Mastodon way: login and limits, posting
with asynchronous media processing, crash recovery by Idempotency-Key and journaled
media, alt text through the status edit, edits only of what changed, strict deletes and
Mastodon's rate limits. No test sleeps: waits move the simulator's clock.
"""

from __future__ import annotations

import hashlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from sandbox.mastodon_server import MastodonSimulator
from sandbox.serving import SwappableApp, serve_in_thread
from sync.platforms.base import (
    AmbiguousError,
    AuthError,
    MediaFile,
    PermanentError,
    PlatformError,
    RateLimited,
    RateLimiter,
    RemoteRef,
    TransientError,
)
from sync.platforms.mastodon import MastodonConfigError, MastodonPlatform, MastodonPost, check_login
from sync.platforms.mastodon import platform as platform_module
from tests.mastodon_fixtures import START, SimulatedTime, media_file

CAPTION = "Lake at dawn & mist <3\n\nX-T5 | 35 mm\n#lake #nature https://example.org/lake"
ALT_TEXT = "A calm lake in morning fog"
MARKER = "3f9c0a7e5b1d4c2a8e6f0b9d7c5a3e1f"
STATUSES = "/api/v1/statuses"
ErrorT = TypeVar("ErrorT", bound=PlatformError)


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SwappableApp, str]]:
    """One HTTP server for the module; each test swaps in a fresh simulator."""
    app = SwappableApp()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def sim(server: tuple[SwappableApp, str]) -> MastodonSimulator:
    simulator = MastodonSimulator(clock=lambda: START)
    server[0].app = simulator.asgi_app
    return simulator


@pytest.fixture
def url(server: tuple[SwappableApp, str], sim: MastodonSimulator) -> str:
    return server[1]


@pytest.fixture
def token(sim: MastodonSimulator) -> str:
    return sim.create_account_with_token("alice")[1]


@pytest.fixture(autouse=True)
def token_never_logged(caplog: pytest.LogCaptureFixture, token: str) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert token not in caplog.text


@pytest.fixture
def time_(sim: MastodonSimulator) -> SimulatedTime:
    return SimulatedTime(sim)


def adapter(url: str, token: str, time_: SimulatedTime, **kwargs: Any) -> MastodonPlatform:
    return MastodonPlatform(
        url,
        token,
        timeout=5,
        sleep=time_.sleep,
        clock=time_.clock,
        wall_clock=time_.clock,
        **kwargs,
    )


@pytest.fixture
async def platform(url: str, token: str, time_: SimulatedTime) -> AsyncIterator[MastodonPlatform]:
    instance = adapter(url, token, time_)
    yield instance
    await instance.close()


@pytest.fixture(scope="module")
def jpeg(tmp_path_factory: pytest.TempPathFactory) -> MediaFile:
    return media_file(tmp_path_factory.mktemp("photos") / "lake.jpg")


def make_post(
    file: MediaFile,
    caption: str = CAPTION,
    alt_text: str = ALT_TEXT,
    visibility: str = "public",
) -> MastodonPost:
    return MastodonPost(file=file, caption=caption, alt_text=alt_text, visibility=visibility)


async def expect(kind: type[ErrorT], call: Awaitable[Any], token: str) -> ErrorT:
    """The error `call` raises; it must be `kind` and must not reveal the token."""
    with pytest.raises(kind) as raised:
        await call
    assert token not in str(raised.value)
    assert token not in repr(raised.value)
    return raised.value


class Journal:
    """A checkpoint that also records whether a status held the media when it was called."""

    def __init__(self, sim: MastodonSimulator) -> None:
        self.sim = sim
        self.entries: list[dict[str, str]] = []
        self.status_existed: list[bool] = []

    async def __call__(self, ids: Mapping[str, str]) -> None:
        self.entries.append(dict(ids))
        self.status_existed.append(self.sim.status_with_media(ids["media_id"]) is not None)


def account_of(sim: MastodonSimulator, username: str = "alice") -> str:
    return next(a.id for a in sim.state.accounts.values() if a.username == username)


def create_keys(sim: MastodonSimulator) -> list[str]:
    return [r.params.get("Idempotency-Key", "") for r in sim.log.matching(STATUSES)]


# --- configuration, login, limits ---------------------------------------------------------


async def test_connect_reads_the_account_and_the_limits_from_v2(
    sim: MastodonSimulator, platform: MastodonPlatform
) -> None:
    sim.settings.max_characters = 1000
    sim.settings.description_limit = 10_000
    account = await platform.connect()
    assert (account.name, account.id) == ("alice", account_of(sim))
    assert account.url.endswith("/@alice")
    limits = await platform.limits()
    assert limits.max_caption_chars == 1000
    assert limits.max_alt_text_chars == 10_000
    assert limits.max_file_bytes == 16 * 1024 * 1024
    assert {"JPEG", "PNG", "GIF", "WebP", "HEIC", "AVIF"} <= limits.formats
    assert limits.max_tags is None
    assert sim.log.count("/api/v1/instance") == 0


async def test_older_servers_give_limits_through_v1_and_defaults(
    sim: MastodonSimulator, platform: MastodonPlatform
) -> None:
    sim.settings.v2_instance = False
    sim.settings.description_limit = 420  # not reported before 4.4: the default applies
    await platform.connect()
    limits = await platform.limits()
    assert (limits.max_caption_chars, limits.max_alt_text_chars) == (500, 1500)
    assert sim.log.count("/api/v2/instance") == sim.log.count("/api/v1/instance") == 1


async def test_plain_http_is_refused_except_for_loopback(token: str) -> None:
    with pytest.raises(MastodonConfigError, match="https://"):
        MastodonPlatform("http://mastodon.example", token)
    with pytest.raises(MastodonConfigError, match="mastodon_url"):
        MastodonPlatform("mastodon.social", token)
    for allowed in ("http://localhost:3000", "https://mastodon.example/"):
        instance = MastodonPlatform(allowed, token)
        assert not instance.base_url.endswith("/")
        await instance.close()


async def test_a_revoked_token_is_an_auth_error_naming_the_fix(
    sim: MastodonSimulator, url: str, token: str
) -> None:
    sim.revoke_token(token)
    error = await expect(AuthError, check_login(url, token), token)
    assert "revoked" in str(error)
    assert "mastodon_token" in str(error)


async def test_a_token_without_write_scope_is_an_auth_error(
    sim: MastodonSimulator, url: str, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    reader = sim.create_token(account_of(sim), ("read",))
    assert (await check_login(url, reader)).name == "alice"
    instance = adapter(url, reader, time_)
    try:
        error = await expect(AuthError, instance.add(make_post(jpeg), MARKER), reader)
    finally:
        await instance.close()
    assert "scopes read and write" in str(error)


async def test_an_unconfirmed_login_is_an_auth_error_in_mastodons_words(
    sim: MastodonSimulator, url: str
) -> None:
    bearer = sim.create_token(sim.create_account("new", confirmed=False))
    error = await expect(AuthError, check_login(url, bearer), bearer)
    assert "confirmed e-mail address" in str(error)


async def test_check_login_without_a_token_or_server(token: str) -> None:
    await expect(AuthError, check_login("https://mastodon.example", " "), token)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await expect(TransientError, check_login(f"http://127.0.0.1:{port}", token), token)
    assert "could not reach Mastodon" in str(error)
    assert not isinstance(error, AmbiguousError)


# --- add ----------------------------------------------------------------------------------


async def test_add_posts_photo_text_alt_text_and_visibility_with_the_marker_as_key(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    journal = Journal(sim)
    outcome = await platform.add(make_post(jpeg, visibility="direct"), MARKER, journal)

    media_id, status_id = outcome.ref.ids["media_id"], outcome.ref.ids["status_id"]
    assert journal.entries == [{"media_id": media_id}]
    assert journal.status_existed == [False]
    [status] = sim.statuses_of(account_of(sim))
    assert (status.id, status.media_ids) == (status_id, [media_id])
    assert status.text == CAPTION  # kept as written, HTML-looking text included
    assert status.visibility == "direct"
    assert status.idempotency_key == MARKER
    assert sim.state.media[media_id].description == ALT_TEXT
    assert outcome.ref.url.endswith(f"/@alice/{status_id}")
    assert outcome.calls == 2  # upload and status (the limits were read once, apart)
    assert platform.ref_from_record(outcome.ref.record("2024-01-01")) == outcome.ref


async def test_add_waits_for_processing_by_polling_the_media(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    sim.settings.delay_image_processing = True
    sim.settings.processing_seconds = 5
    outcome = await platform.add(make_post(jpeg), MARKER)
    media_path = f"/api/v1/media/{outcome.ref.ids['media_id']}"
    assert [r.status for r in sim.log.matching(media_path)] == [206, 206, 206, 200]
    assert time_.waits == [1.0, 2.0, 4.0]
    assert [r.status for r in sim.log.matching(STATUSES)] == [200]


async def test_processing_that_never_ends_is_transient_and_resumes_the_same_upload(
    sim: MastodonSimulator, url: str, token: str, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    sim.settings.delay_image_processing = True
    sim.settings.processing_seconds = 3600
    journal = Journal(sim)
    slow = adapter(url, token, time_, processing_timeout=60)
    try:
        error = await expect(TransientError, slow.add(make_post(jpeg), MARKER, journal), token)
        assert "still processing" in str(error)
        assert not sim.state.statuses
        sim.advance(3600)
        outcome = await slow.add(make_post(jpeg), MARKER, journal, resume=journal.entries[0])
    finally:
        await slow.close()
    assert outcome.ref.ids["media_id"] == journal.entries[0]["media_id"]
    assert sim.log.count("/api/v2/media", "POST") == 1


async def test_failed_processing_is_upload_rejected(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, token: str
) -> None:
    sim.settings.delay_image_processing = True
    sim.settings.failing_media_sha256.add(hashlib.sha256(jpeg.path.read_bytes()).hexdigest())
    error = await expect(PermanentError, platform.add(make_post(jpeg), MARKER), token)
    assert error.error_name == "upload rejected"
    assert not sim.state.statuses


async def test_too_many_pixels_are_refused_before_uploading(
    sim: MastodonSimulator, platform: MastodonPlatform, tmp_path: Path, token: str
) -> None:
    sim.settings.image_matrix_limit = 100 * 100
    big = media_file(tmp_path / "big.jpg", size=(200, 100))
    error = await expect(PermanentError, platform.add(make_post(big), MARKER), token)
    assert error.error_name == "file too large"
    assert "200x100" in str(error)
    assert sim.log.count("/api/v2/media", "POST") == 0


@pytest.mark.parametrize(
    ("limits", "post_changes", "error_name"),
    [
        ({"max_characters": 20}, {}, "caption too long"),
        ({"description_limit": 10}, {}, "alt text too long"),
        ({"image_size_limit": 100}, {}, "file too large"),
    ],
)
async def test_what_the_server_refuses_becomes_the_named_error(
    sim: MastodonSimulator,
    platform: MastodonPlatform,
    jpeg: MediaFile,
    token: str,
    limits: dict[str, int],
    post_changes: dict[str, str],
    error_name: str,
) -> None:
    for name, value in limits.items():
        setattr(sim.settings, name, value)
    error = await expect(PermanentError, platform.add(make_post(jpeg), MARKER), token)
    assert error.error_name == error_name
    assert not sim.state.statuses


async def test_a_file_that_is_no_image_is_upload_rejected(
    sim: MastodonSimulator, platform: MastodonPlatform, tmp_path: Path, token: str
) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo at all")
    post = make_post(MediaFile(text, text.stat().st_size, "JPEG"))
    error = await expect(PermanentError, platform.add(post, MARKER), token)
    assert error.error_name == "upload rejected"
    assert not sim.state.media


async def test_a_missing_file_or_a_bad_visibility_makes_no_call(
    sim: MastodonSimulator, platform: MastodonPlatform, tmp_path: Path, jpeg: MediaFile, token: str
) -> None:
    missing = make_post(MediaFile(tmp_path / "gone.jpg", 1, "JPEG"))
    assert (await expect(PermanentError, platform.add(missing, MARKER), token)).error_name == (
        "file not found"
    )
    friends = make_post(jpeg, visibility="friends")
    error = await expect(PermanentError, platform.add(friends, MARKER), token)
    assert error.error_name == "invalid visibility"
    await expect(
        PermanentError, platform.update(RemoteRef({"status_id": "1"}), friends, False), token
    )
    assert sim.log.count(method="POST") == sim.log.count(method="PUT") == 0


# --- recovery: lost answers, journaled media, idempotency keys ------------------------------


async def test_a_lost_create_answer_is_recovered_by_the_idempotency_key(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    sim.knobs.drop_mutations = {2}  # 1 = the upload, 2 = the status create
    outcome = await platform.add(make_post(jpeg), MARKER)
    [status] = sim.state.statuses.values()
    assert outcome.ref.ids["status_id"] == status.id
    assert create_keys(sim) == [MARKER, MARKER]
    assert [r.status for r in sim.log.matching(STATUSES)] == [None, 200]


async def test_a_create_that_failed_with_500_is_repeated_once_with_the_same_key(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    sim.knobs.fail_requests = {3}  # instance, upload, then the first create
    outcome = await platform.add(make_post(jpeg), MARKER)
    [status] = sim.state.statuses.values()
    assert outcome.ref.ids["status_id"] == status.id
    assert status.idempotency_key == MARKER
    assert [r.status for r in sim.log.matching(STATUSES)] == [500, 200]


async def test_a_key_mastodon_forgot_meets_the_taken_media_and_the_post_is_adopted(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    sim.settings.idempotency_seconds = 0  # as after the key's hour
    sim.knobs.drop_mutations = {2}
    outcome = await platform.add(make_post(jpeg), MARKER)
    [status] = sim.state.statuses.values()
    assert outcome.ref.ids == {"media_id": status.media_ids[0], "status_id": status.id}
    assert [r.status for r in sim.log.matching(STATUSES)] == [None, 422]


async def test_two_lost_answers_leave_it_to_find_by_marker_which_scans_forward(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.settings.media_limit = None  # more uploads than Mastodon takes in 30 minutes
    sim.knobs.drop_mutations = {2, 3}
    await expect(AmbiguousError, platform.add(make_post(jpeg), MARKER, journal), token)
    [journaled] = journal.entries
    created = sim.status_with_media(journaled["media_id"])
    assert created is not None

    # Later posts (more than a page of them) must not hide it, nor older ones confuse.
    for number in range(45):
        await platform.add(make_post(jpeg, caption=f"later {number}"), f"later{number}")

    found = await platform.find_by_marker(MARKER, journaled)
    assert found is not None
    assert found.ids == {"media_id": journaled["media_id"], "status_id": created.id}
    scans = sim.log.matching(f"/api/v1/accounts/{created.account_id}/statuses")
    assert scans[-1].params["min_id"] == journaled["media_id"]

    posts_before = sim.log.count(STATUSES, "POST")
    retried = await platform.add(make_post(jpeg), MARKER, journal, resume=journaled)
    assert retried.ref.ids["status_id"] == created.id
    assert sim.log.count(STATUSES, "POST") == posts_before
    assert len(journal.entries) == 1
    assert len(sim.statuses_of(created.account_id)) == 46


async def test_find_by_marker_without_media_or_with_unattached_media_is_none(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.knobs.fail_requests = {3, 4}  # both creates fail before Mastodon acts
    await expect(AmbiguousError, platform.add(make_post(jpeg), MARKER, journal), token)
    assert await platform.find_by_marker(MARKER) is None
    assert await platform.find_by_marker(MARKER, journal.entries[0]) is None

    # The next attempt reuses the media (and its changed alt text) without uploading.
    post = make_post(jpeg, alt_text="Fog over a lake")
    outcome = await platform.add(post, MARKER, journal, resume=journal.entries[0])
    assert outcome.ref.ids["media_id"] == journal.entries[0]["media_id"]
    assert sim.state.media[outcome.ref.ids["media_id"]].description == "Fog over a lake"
    assert sim.log.count("/api/v2/media", "POST") == 1
    assert len(sim.state.statuses) == 1


async def test_a_media_nobody_holds_any_more_is_uploaded_again(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.knobs.fail_requests = {3, 4}
    await expect(AmbiguousError, platform.add(make_post(jpeg), MARKER, journal), token)
    sim.advance(86400)  # the orphaned media is vacuumed after a day
    assert journal.entries[0]["media_id"] in sim.state.removed_media_ids
    outcome = await platform.add(make_post(jpeg), MARKER, journal, resume=journal.entries[0])
    assert (
        outcome.ref.ids["media_id"]
        == journal.entries[1]["media_id"]
        != journal.entries[0]["media_id"]
    )
    assert len(sim.state.statuses) == 1


async def test_a_scan_that_cannot_finish_says_so_instead_of_guessing(
    sim: MastodonSimulator,
    platform: MastodonPlatform,
    jpeg: MediaFile,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = await platform.add(make_post(jpeg), MARKER)
    monkeypatch.setattr(platform_module, "STATUS_PAGE_SIZE", 2)
    monkeypatch.setattr(platform_module, "STATUS_PAGES_SCANNED", 1)
    for number in range(2):
        await platform.add(make_post(jpeg, caption=f"n{number}"), f"n{number}")
    # The media stays attached, but to a status the scan never reaches.
    sim.state.statuses[held.ref.ids["status_id"]].media_ids = []
    error = await expect(TransientError, platform.find_by_marker(MARKER, held.ref.ids), token)
    assert "could not tell" in str(error)


# --- update -------------------------------------------------------------------------------


async def test_an_update_with_nothing_changed_edits_nothing(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    outcome = await platform.update(added.ref, make_post(jpeg), replace_image=False)
    assert outcome.warnings == ()
    assert outcome.calls == 2  # the status and its source
    assert outcome.ref == added.ref
    assert sim.log.count(method="PUT") == 0
    assert sim.state.statuses[added.ref.ids["status_id"]].edits == []


async def test_a_text_change_is_one_edit_that_keeps_photo_warning_and_sensitivity(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    status = sim.state.statuses[added.ref.ids["status_id"]]
    status.spoiler_text, status.sensitive = "bright light", True  # set by the user on Mastodon
    changed = make_post(jpeg, caption=CAPTION.replace("dawn", "dusk"))
    outcome = await platform.update(added.ref, changed, replace_image=False)

    assert status.text == changed.caption
    assert status.media_ids == [added.ref.ids["media_id"]]
    assert (status.spoiler_text, status.sensitive) == ("bright light", True)
    assert [e.counted for e in status.edits] == [False, True]
    assert sim.log.count(f"/api/v1/media/{added.ref.ids['media_id']}", "PUT") == 0
    assert outcome.calls == 3
    await platform.update(added.ref, changed, replace_image=False)
    assert len(status.edits) == 2


async def test_alt_text_of_the_posted_photo_changes_through_the_status_edit(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    media_id = added.ref.ids["media_id"]
    outcome = await platform.update(
        added.ref, make_post(jpeg, alt_text="Fog over a lake"), replace_image=False
    )
    assert sim.state.media[media_id].description == "Fog over a lake"
    [edit] = sim.log.matching(f"{STATUSES}/{added.ref.ids['status_id']}")[-1:]
    assert edit.method == "PUT"
    assert "Fog over a lake" in edit.params["media_attributes"]
    assert sim.log.count(f"/api/v1/media/{media_id}", "PUT") == 0
    assert outcome.warnings == ()


async def test_replace_image_and_a_new_visibility_are_warnings(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    changed = make_post(jpeg, caption="New words", visibility="private")
    outcome = await platform.update(added.ref, changed, replace_image=True)
    assert sim.state.statuses[added.ref.ids["status_id"]].text == "New words"
    assert sim.log.count("/api/v2/media", "POST") == 1
    [replace_warning, visibility_warning] = outcome.warnings
    assert "not replaced" in replace_warning
    assert "_delete" in replace_warning
    assert "stays public" in visibility_warning
    assert outcome.unsettled == ("visibility",)  # not recorded as published


async def test_a_post_without_the_recorded_photo_is_edited_with_a_warning(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    ref = RemoteRef({"media_id": "1", "status_id": added.ref.ids["status_id"]}, added.ref.url)
    outcome = await platform.update(ref, make_post(jpeg, alt_text="other"), replace_image=False)
    assert "no longer holds the recorded photo" in outcome.warnings[0]
    assert sim.log.count(method="PUT") == 0
    assert outcome.unsettled == ("alt text",)  # not recorded as published


async def test_updating_a_deleted_or_foreign_post_is_a_named_error(
    sim: MastodonSimulator,
    platform: MastodonPlatform,
    url: str,
    jpeg: MediaFile,
    token: str,
    time_: SimulatedTime,
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    other = adapter(url, sim.create_account_with_token("bob")[1], time_)
    try:
        foreign = await expect(
            PermanentError, other.update(added.ref, make_post(jpeg), False), token
        )
    finally:
        await other.close()
    assert foreign.error_name == "posted by another account"
    await platform.delete(added.ref)
    error = await expect(PermanentError, platform.update(added.ref, make_post(jpeg), False), token)
    assert error.error_name == "post not found on mastodon"


async def test_servers_without_source_are_compared_through_the_html(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    sim.settings.status_source = False
    added = await platform.add(make_post(jpeg), MARKER)
    await platform.update(added.ref, make_post(jpeg), replace_image=False)
    assert sim.log.count(method="PUT") == 0


# --- delete -------------------------------------------------------------------------------


async def test_delete_removes_post_and_files_and_again_is_done(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    await platform.delete(added.ref)
    assert sim.state.statuses[added.ref.ids["status_id"]].deleted
    assert sim.state.removed_media_ids == [added.ref.ids["media_id"]]
    [deletion] = sim.log.matching(f"{STATUSES}/{added.ref.ids['status_id']}")[-1:]
    assert (deletion.method, deletion.params["delete_media"]) == ("DELETE", "true")
    await platform.delete(added.ref)  # we saw it as ours just before deleting it


async def test_a_lost_delete_answer_is_done_on_the_retry(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, token: str
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    sim.knobs.drop_mutations = {sim.knobs.mutations + 1}
    await expect(AmbiguousError, platform.delete(added.ref), token)
    await platform.delete(added.ref)
    assert sim.log.count(f"{STATUSES}/{added.ref.ids['status_id']}", "DELETE") == 1


async def test_a_post_the_user_deleted_on_mastodon_counts_as_deleted(
    sim: MastodonSimulator, url: str, token: str, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    first = adapter(url, token, time_)
    added = await first.add(make_post(jpeg), MARKER)
    await first.close()
    # The web app deletes for a redraft: the media goes back to being ours, unattached.
    sim.state.statuses[added.ref.ids["status_id"]].deleted_at = sim.now()
    sim.state.media[added.ref.ids["media_id"]].status_id = None
    later = adapter(url, token, time_)
    try:
        await later.delete(added.ref)
    finally:
        await later.close()
    assert sim.log.count(method="DELETE") == 0


@pytest.mark.parametrize(
    "address",
    ["", "{url}/@bob/{id}", "https://elsewhere.example/@alice/{id}", "{url}/@alice/1"],
    ids=["no url", "another account", "another server", "another status"],
)
async def test_a_gone_post_that_cannot_be_shown_to_be_ours_is_an_error(
    sim: MastodonSimulator,
    url: str,
    token: str,
    jpeg: MediaFile,
    time_: SimulatedTime,
    address: str,
) -> None:
    first = adapter(url, token, time_)
    added = await first.add(make_post(jpeg), MARKER)
    await first.delete(added.ref)  # files destroyed with it
    await first.close()
    status_id = added.ref.ids["status_id"]
    record = RemoteRef(added.ref.ids, address.format(url=url, id=status_id))
    later = adapter(url, token, time_)  # a later run: nothing shows it was ours
    try:
        error = await expect(PermanentError, later.delete(record), token)
    finally:
        await later.close()
    assert error.error_name == "post not found on mastodon"


async def test_a_post_deleted_by_a_killed_run_counts_as_deleted_by_its_address(
    sim: MastodonSimulator, url: str, token: str, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    """The run was killed after its DELETE: the post and its media are gone, and the
    record's url (`/@alice/<id>` on this server) shows the post was this account's."""
    first = adapter(url, token, time_)
    added = await first.add(make_post(jpeg), MARKER)
    await first.delete(added.ref)
    await first.close()
    assert added.ref.url.endswith(f"/@alice/{added.ref.ids['status_id']}")
    later = adapter(url, token, time_)
    try:
        await later.delete(added.ref)
    finally:
        await later.close()
    assert (
        added.ref.ids["status_id"] not in sim.state.statuses
        or sim.state.statuses[added.ref.ids["status_id"]].removed
    )


async def test_another_accounts_posts_are_never_deleted(
    sim: MastodonSimulator,
    platform: MastodonPlatform,
    url: str,
    jpeg: MediaFile,
    token: str,
    time_: SimulatedTime,
) -> None:
    bob = adapter(url, sim.create_account_with_token("bob")[1], time_)
    try:
        public = await bob.add(make_post(jpeg), "b1")
        private = await bob.add(make_post(jpeg, visibility="private"), "b2")
    finally:
        await bob.close()
    error = await expect(PermanentError, platform.delete(public.ref), token)
    assert error.error_name == "posted by another account"
    hidden = await expect(PermanentError, platform.delete(private.ref), token)
    assert hidden.error_name == "post not found on mastodon"
    assert sim.log.count(method="DELETE") == 0
    assert not any(s.deleted for s in sim.state.statuses.values())


async def test_a_record_whose_media_is_not_in_the_post_deletes_nothing(
    sim: MastodonSimulator, platform: MastodonPlatform, jpeg: MediaFile, token: str
) -> None:
    first = await platform.add(make_post(jpeg), MARKER)
    second = await platform.add(make_post(jpeg, caption="another"), "second")
    mixed = RemoteRef(
        {"media_id": second.ref.ids["media_id"], "status_id": first.ref.ids["status_id"]}
    )
    error = await expect(PermanentError, platform.delete(mixed), token)
    assert error.error_name == "record does not match the post"
    assert sim.log.count(method="DELETE") == 0


# --- transient failures and rate limits ---------------------------------------------------


async def test_a_server_error_on_a_read_is_transient(
    sim: MastodonSimulator, platform: MastodonPlatform, token: str
) -> None:
    sim.knobs.fail_requests = {len(sim.log) + 1}
    error = await expect(TransientError, platform.connect(), token)
    assert not isinstance(error, AmbiguousError)
    assert "500" in str(error)
    assert (await platform.connect()).name == "alice"


async def test_a_429_is_rate_limited_until_the_reset_and_pauses_that_family(
    sim: MastodonSimulator, url: str, token: str, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    waits: list[float] = []
    limiter = RateLimiter(rate_per_hour=3600, burst=100, clock=time_.clock, sleep=time_.sleep)
    limiter.listeners.append(waits.append)
    sim.settings.media_limit = 1
    elsewhere = adapter(url, token, time_)  # another client used up the window
    await elsewhere.add(make_post(jpeg), "first")
    await elsewhere.close()
    instance = adapter(url, token, time_, limiter=limiter)
    try:
        error = await expect(RateLimited, instance.add(make_post(jpeg), MARKER), token)
        assert error.retry_after == pytest.approx(START - START % 1800 + 1800 - sim.now())
        assert waits == []
        await instance.add(make_post(jpeg), MARKER)  # waits for the reset, then uploads
    finally:
        await instance.close()
    assert waits == [pytest.approx(error.retry_after)]
    assert len(sim.state.statuses) == 2


async def test_uploads_are_paced_at_mastodons_30_per_30_minutes(
    sim: MastodonSimulator, url: str, token: str, jpeg: MediaFile, time_: SimulatedTime
) -> None:
    waits: list[float] = []
    limiter = RateLimiter(rate_per_hour=1_000_000, burst=1000, clock=time_.clock, sleep=time_.sleep)
    limiter.listeners.append(waits.append)
    instance = adapter(url, token, time_, limiter=limiter)
    try:
        for number in range(31):
            await instance.add(make_post(jpeg, caption=f"photo {number}"), f"m{number}")
    finally:
        await instance.close()
    # The 30th upload's answer says none remain: the 31st waits for the window's end.
    assert waits == [pytest.approx(START - START % 1800 + 1800 - START)]
    assert all(r.status != 429 for r in sim.log.records)


async def test_a_file_that_cannot_be_read_now_is_file_not_readable(
    sim: MastodonSimulator, platform: MastodonPlatform, tmp_path: Path, token: str
) -> None:
    """Not `file not found` (that one is fixed in IMatch): the next run tries it again."""
    folder = tmp_path / "a folder.jpg"
    folder.mkdir()
    post = make_post(MediaFile(folder, 1, "JPEG"))
    error = await expect(PermanentError, platform.add(post, MARKER), token)
    assert error.error_name == "file not readable"
    assert not sim.state.media
