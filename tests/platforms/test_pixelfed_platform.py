"""The pixelfed adapter over real HTTP against the pixelfed simulator (platform-apis.md C, D2)."""

from __future__ import annotations

import io
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PIL import Image

from sandbox.pixelfed_server import PixelfedSimulator
from sandbox.serving import SwappableApp, serve_in_thread
from sync.config import Settings
from sync.photo import Photo
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
from sync.platforms.pixelfed.platform import (
    PixelfedConfigError,
    PixelfedPlatform,
    PixelfedPost,
    check_login,
)
from sync.platforms.pixelfed.render import render_pixelfed
from sync.platforms.pixelfed.settings import PixelfedCredentials

START = 1_700_000_000.0
CAPTION = "Lake at dawn & mist\n\nSony A7 | 35 mm\n#lake #nature https://example.org/lake"
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
def sim(server: tuple[SwappableApp, str]) -> PixelfedSimulator:
    simulator = PixelfedSimulator(clock=lambda: START)
    server[0].app = simulator.asgi_app
    return simulator


@pytest.fixture
def url(server: tuple[SwappableApp, str], sim: PixelfedSimulator) -> str:
    return server[1]


@pytest.fixture
def token(sim: PixelfedSimulator) -> str:
    _, bearer = sim.create_account_with_token("alice")
    return bearer


@pytest.fixture(autouse=True)
def token_never_logged(caplog: pytest.LogCaptureFixture, token: str) -> Iterator[None]:
    caplog.set_level(logging.DEBUG)
    yield
    assert token not in caplog.text


@pytest.fixture
async def platform(url: str, token: str) -> AsyncIterator[PixelfedPlatform]:
    adapter = PixelfedPlatform(url, token, timeout=5)
    yield adapter
    await adapter.close()


@pytest.fixture(scope="module")
def jpeg(tmp_path_factory: pytest.TempPathFactory) -> MediaFile:
    path = tmp_path_factory.mktemp("photos") / "lake.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buffer, "JPEG")
    path.write_bytes(buffer.getvalue())
    return MediaFile(path, path.stat().st_size, "JPEG")


def make_post(
    file: MediaFile,
    caption: str = CAPTION,
    alt_text: str = ALT_TEXT,
    visibility: str = "public",
) -> PixelfedPost:
    return PixelfedPost(file=file, caption=caption, alt_text=alt_text, visibility=visibility)


async def expect(kind: type[ErrorT], call: Awaitable[Any], token: str) -> ErrorT:
    """The error `call` raises; it must be `kind` and must not reveal the token."""
    with pytest.raises(kind) as raised:
        await call
    assert token not in str(raised.value)
    assert token not in repr(raised.value)
    return raised.value


class Journal:
    """A checkpoint that also records whether the status existed when it was called."""

    def __init__(self, sim: PixelfedSimulator) -> None:
        self.sim = sim
        self.entries: list[dict[str, str]] = []
        self.status_existed: list[bool] = []

    async def __call__(self, ids: Mapping[str, str]) -> None:
        self.entries.append(dict(ids))
        self.status_existed.append(self.sim.status_with_media(ids["media_id"]) is not None)


def next_request_number(sim: PixelfedSimulator) -> int:
    return len(sim.log) + 1


# --- configuration, login, limits ---------------------------------------------------------


async def test_connect_reads_the_account_and_the_limits_from_v2(
    sim: PixelfedSimulator, platform: PixelfedPlatform
) -> None:
    sim.settings.max_caption_length = 2200
    sim.settings.media_types = ("image/jpeg", "image/png", "image/gif", "image/webp")
    account = await platform.connect()
    assert account.name == "alice"
    assert account.id in sim.state.accounts
    assert account.url.endswith("/alice")
    limits = await platform.limits()
    assert limits.max_caption_chars == 2200
    assert limits.formats == {"JPEG", "PNG", "GIF", "WebP"}
    assert limits.max_file_bytes == 15000 * 1024
    assert limits.max_alt_text_chars == 1000
    assert limits.max_tags == 60  # pixelfed links the first 60 hashtags only
    assert sim.log.count("/api/v1/instance") == 0


async def test_connect_falls_back_to_v1_instance_when_v2_is_missing(
    sim: PixelfedSimulator, platform: PixelfedPlatform
) -> None:
    sim.settings.v2_instance = False
    sim.settings.v1_max_photo_size_kb = 8000
    await platform.connect()
    limits = await platform.limits()
    assert limits.max_file_bytes == 8000 * 1024
    assert limits.max_caption_chars == 500
    assert sim.log.count("/api/v2/instance") == 1
    assert sim.log.count("/api/v1/instance") == 1


async def test_plain_http_is_refused_except_for_loopback(token: str) -> None:
    with pytest.raises(PixelfedConfigError, match="https://"):
        PixelfedPlatform("http://pixelfed.example", token)
    assert issubclass(PixelfedConfigError, ValueError)
    for allowed in ("http://localhost:8080", "http://[::1]:8080", "https://pixelfed.example/"):
        adapter = PixelfedPlatform(allowed, token)
        assert not adapter.base_url.endswith("/")
        await adapter.close()


@pytest.mark.parametrize("quirk", [True, False])
async def test_a_bad_token_is_an_auth_error(
    sim: PixelfedSimulator, url: str, token: str, quirk: bool
) -> None:
    sim.settings.error_quirk = quirk
    sim.revoke_token(token)
    adapter = PixelfedPlatform(url, token)
    try:
        error = await expect(AuthError, adapter.connect(), token)
    finally:
        await adapter.close()
    assert "imatch-socials login pixelfed" in str(error)


async def test_an_unverified_email_is_an_auth_error_that_says_so(
    sim: PixelfedSimulator, url: str
) -> None:
    account = sim.create_account("bob", email_verified=False)
    bearer = sim.create_token(account)
    error = await expect(AuthError, check_login(url, bearer), bearer)
    assert "email" in str(error)


async def test_check_login_returns_the_account(url: str, token: str) -> None:
    account = await check_login(url, token)
    assert account.name == "alice"


async def test_check_login_with_an_expired_token(
    sim: PixelfedSimulator, url: str, token: str
) -> None:
    sim.advance(366 * 86400)
    error = await expect(AuthError, check_login(url, token), token)
    assert "pixelfed_token" in str(error)


async def test_check_login_of_an_unreachable_instance(token: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = await expect(TransientError, check_login(f"http://127.0.0.1:{port}", token), token)
    assert "could not reach pixelfed" in str(error)
    assert not isinstance(error, AmbiguousError)


# --- add ----------------------------------------------------------------------------------


async def test_direct_visibility_is_refused_before_any_call(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    post = make_post(jpeg, visibility="direct")
    error = await expect(PermanentError, platform.add(post, MARKER), token)
    assert "direct" in str(error)
    await expect(PermanentError, platform.update(RemoteRef({"status_id": "1"}), post, False), token)
    assert len(sim.log) == 0


async def test_add_posts_the_photo_with_caption_alt_text_and_visibility(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    journal = Journal(sim)
    outcome = await platform.add(make_post(jpeg, visibility="unlisted"), MARKER, journal)

    media_id, status_id = outcome.ref.ids["media_id"], outcome.ref.ids["status_id"]
    assert journal.entries == [{"media_id": media_id}]
    assert journal.status_existed == [False]
    [status] = sim.statuses_of(next(iter(sim.state.accounts)))
    assert status.id == status_id
    assert status.media_ids == [media_id]
    assert status.caption == CAPTION
    assert status.visibility == "unlisted"
    assert status.idempotency_key == MARKER
    assert sim.state.media[media_id].description == ALT_TEXT
    assert outcome.ref.url.endswith(f"/p/alice/{status_id}")
    assert outcome.calls == 2
    assert platform.ref_from_record(outcome.ref.record("2024-01-01")) == outcome.ref


@pytest.mark.parametrize("quirk", [True, False])
async def test_a_caption_over_the_instance_limit_is_caption_too_long(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str, quirk: bool
) -> None:
    sim.settings.error_quirk = quirk
    sim.settings.max_caption_length = 20
    error = await expect(PermanentError, platform.add(make_post(jpeg), MARKER), token)
    assert error.error_name == "caption too long"
    assert sim.log.matching(STATUSES)[0].status == (500 if quirk else 422)
    assert not sim.state.statuses


@pytest.mark.parametrize("quirk", [True, False])
async def test_a_file_that_is_no_image_is_upload_rejected(
    sim: PixelfedSimulator,
    platform: PixelfedPlatform,
    tmp_path: Path,
    token: str,
    quirk: bool,
) -> None:
    sim.settings.error_quirk = quirk
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo at all")
    post = make_post(MediaFile(text, text.stat().st_size, "JPEG"))
    error = await expect(PermanentError, platform.add(post, MARKER), token)
    assert error.error_name == "upload rejected"
    assert not sim.state.media


async def test_a_missing_file_is_file_not_found(
    sim: PixelfedSimulator, platform: PixelfedPlatform, tmp_path: Path, token: str
) -> None:
    post = make_post(MediaFile(tmp_path / "gone.jpg", 1, "JPEG"))
    error = await expect(PermanentError, platform.add(post, MARKER), token)
    assert error.error_name == "file not found"
    assert len(sim.log) == 0


async def test_an_account_that_was_never_active_is_an_auth_error(
    sim: PixelfedSimulator, url: str, jpeg: MediaFile
) -> None:
    bearer = sim.create_token(sim.create_account("sleeper", active=False))
    adapter = PixelfedPlatform(url, bearer)
    try:
        error = await expect(AuthError, adapter.add(make_post(jpeg), MARKER), bearer)
    finally:
        await adapter.close()
    assert "never been active" in str(error)


# --- recovery: lost answers, journaled media, used idempotency keys -----------------------


async def test_a_lost_status_answer_is_ambiguous_and_recovered_without_a_second_post(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.knobs.drop_mutations = {2}  # 1 = the upload, 2 = the status create
    await expect(AmbiguousError, platform.add(make_post(jpeg), MARKER, journal), token)
    [journaled] = journal.entries
    created = sim.status_with_media(journaled["media_id"])
    assert created is not None

    # Newer posts push it to the second page of the account's statuses.
    for number in range(40):
        await platform.add(make_post(jpeg, caption=f"later {number}"), f"later{number}")

    found = await platform.find_by_marker(MARKER, journaled)
    assert found is not None
    assert found.ids == {"media_id": journaled["media_id"], "status_id": created.id}
    assert sim.log.matching(f"/api/v1/accounts/{created.account_id}/statuses")[-1].params.get(
        "max_id"
    )

    posts_before = sim.log.count(STATUSES, "POST")
    retried = await platform.add(make_post(jpeg), MARKER, journal, resume=journaled)
    assert retried.ref.ids["status_id"] == created.id
    assert sim.log.count(STATUSES, "POST") == posts_before
    assert len(journal.entries) == 1  # nothing uploaded again
    assert len(sim.statuses_of(created.account_id)) == 41


async def test_a_retry_after_the_key_was_used_without_a_post_uses_a_new_key(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.settings.daily_status_cap = 0  # the key is consumed, then the cap refuses (C7)
    await expect(RateLimited, platform.add(make_post(jpeg), MARKER, journal), token)
    assert not sim.state.statuses

    sim.settings.daily_status_cap = None
    outcome = await platform.add(make_post(jpeg), MARKER, journal, resume=journal.entries[0])
    [status] = sim.state.statuses.values()
    assert outcome.ref.ids == {"media_id": journal.entries[0]["media_id"], "status_id": status.id}
    assert status.idempotency_key == f"{MARKER}-2"
    assert [r.status for r in sim.log.matching(STATUSES)] == [429, 400, 200]
    assert sim.log.count("/api/v2/media", "POST") == 1


async def test_resume_reuses_an_unattached_media_instead_of_uploading_again(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.knobs.fail_requests = {2}  # the status create fails before pixelfed sees it
    await expect(AmbiguousError, platform.add(make_post(jpeg), MARKER, journal), token)
    [journaled] = journal.entries
    assert await platform.find_by_marker(MARKER, journaled) is None
    assert await platform.find_by_marker(MARKER) is None

    outcome = await platform.add(make_post(jpeg), MARKER, journal, resume=journaled)
    assert outcome.ref.ids["media_id"] == journaled["media_id"]
    assert sim.log.count("/api/v2/media", "POST") == 1
    assert len(journal.entries) == 1
    assert len(sim.state.statuses) == 1


async def test_resume_with_a_collected_media_uploads_again(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)
    sim.knobs.fail_requests = {2}
    await expect(AmbiguousError, platform.add(make_post(jpeg), MARKER, journal), token)
    sim.advance(2 * 3600)  # unattached media are garbage-collected after 2 h
    assert journal.entries[0]["media_id"] in sim.state.collected_media_ids

    outcome = await platform.add(make_post(jpeg), MARKER, journal, resume=journal.entries[0])
    assert outcome.ref.ids["media_id"] == journal.entries[1]["media_id"]
    assert outcome.ref.ids["media_id"] != journal.entries[0]["media_id"]
    assert len(sim.state.statuses) == 1


# --- update -------------------------------------------------------------------------------


async def test_an_update_with_nothing_changed_edits_nothing(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    outcome = await platform.update(added.ref, make_post(jpeg), replace_image=False)
    assert outcome.warnings == ()
    assert outcome.calls == 1
    assert outcome.ref == added.ref
    assert sim.log.count(method="PUT") == 0
    assert sim.state.statuses[added.ref.ids["status_id"]].edit_count == 0


async def test_a_caption_change_edits_once_and_keeps_the_photo(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    changed = make_post(jpeg, caption=CAPTION.replace("dawn", "dusk"))
    outcome = await platform.update(added.ref, changed, replace_image=False)

    status = sim.state.statuses[added.ref.ids["status_id"]]
    assert status.edit_count == 1
    # An edited caption is stored as the HTML purifier cleans it.
    assert status.caption == changed.caption.replace("&", "&amp;")
    assert status.media_ids == [added.ref.ids["media_id"]]
    assert added.ref.ids["media_id"] in sim.state.media
    assert outcome.calls == 2
    assert sim.log.count(f"/api/v1/media/{added.ref.ids['media_id']}", "PUT") == 0

    # The edited caption is rendered with <br /> and links; it still compares equal.
    await platform.update(added.ref, changed, replace_image=False)
    assert status.edit_count == 1


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
async def test_a_caption_edit_is_made_once_where_the_purifier_collapses_whitespace(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, visibility: str
) -> None:
    """pixelfed 0.12's purifier collapses whitespace, also in an edited caption (the same
    `Purify::clean`): the caption's line breaks come back as spaces. It is the same caption:
    editing it again on every sync would use up the post's ten edits."""
    sim.settings.purifier_collapses_whitespace = True
    added = await platform.add(make_post(jpeg, visibility=visibility), MARKER)
    changed = make_post(jpeg, caption=CAPTION.replace("dawn", "dusk"), visibility=visibility)
    for _ in range(3):
        await platform.update(added.ref, changed, replace_image=False)
    status = sim.state.statuses[added.ref.ids["status_id"]]
    assert "\n" not in (status.caption or "")
    assert status.edit_count == 1


@pytest.mark.parametrize("caption", ["Fish &amp; chips at dusk", "R&D &lt;lab&gt; &copy; me"])
async def test_a_caption_with_text_that_reads_as_an_entity_is_not_edited_again(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, caption: str
) -> None:
    """pixelfed shows a caption as HTML, where `&amp;` typed in IMatch reads `&`: the
    caption read back never equals the text sent, and each sync would edit it again."""
    added = await platform.add(make_post(jpeg), MARKER)
    for _ in range(3):
        await platform.update(added.ref, make_post(jpeg, caption=caption), replace_image=False)
    assert sim.state.statuses[added.ref.ids["status_id"]].edit_count == 1
    fresh = await platform.add(make_post(jpeg, caption=caption), "0" * 32)
    await platform.update(fresh.ref, make_post(jpeg, caption=caption), replace_image=False)
    assert sim.state.statuses[fresh.ref.ids["status_id"]].edit_count == 0


async def test_an_alt_text_change_puts_the_media_as_json(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    media_id = added.ref.ids["media_id"]
    outcome = await platform.update(
        added.ref, make_post(jpeg, alt_text="Fog over a lake"), replace_image=False
    )
    # A multipart PUT would arrive empty and clear the alt text (C6).
    assert sim.state.media[media_id].description == "Fog over a lake"
    assert sim.log.count(f"/api/v1/media/{media_id}", "PUT") == 1
    assert sim.state.statuses[added.ref.ids["status_id"]].edit_count == 0
    assert outcome.calls == 2


async def test_replace_image_updates_the_text_and_warns(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    changed = make_post(jpeg, caption="New words", visibility="private")
    outcome = await platform.update(added.ref, changed, replace_image=True)
    assert sim.state.statuses[added.ref.ids["status_id"]].caption == "New words"
    assert sim.log.count("/api/v2/media", "POST") == 1
    [replace_warning, visibility_warning] = outcome.warnings
    assert "not replaced" in replace_warning
    assert "delete" in replace_warning
    assert "stays public" in visibility_warning


async def test_updating_a_deleted_post_is_post_not_found(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    await platform.delete(added.ref)
    error = await expect(PermanentError, platform.update(added.ref, make_post(jpeg), False), token)
    assert error.error_name == "post not found on pixelfed"


# --- delete -------------------------------------------------------------------------------


@pytest.mark.parametrize("quirk", [True, False])
async def test_delete_and_delete_again(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, quirk: bool
) -> None:
    sim.settings.error_quirk = quirk
    added = await platform.add(make_post(jpeg), MARKER)
    await platform.delete(added.ref)
    assert sim.state.statuses[added.ref.ids["status_id"]].deleted
    # Deleting again: pixelfed no longer has it, and the record's url is this account's.
    await platform.delete(added.ref)
    calls = [
        (r.method, r.status) for r in sim.log.matching(f"{STATUSES}/{added.ref.ids['status_id']}")
    ]
    assert calls == [("GET", 200), ("DELETE", 200), ("GET", 404)]


# --- transient failures and rate limits ---------------------------------------------------


async def test_a_server_error_on_a_read_is_transient(
    sim: PixelfedSimulator, platform: PixelfedPlatform, token: str
) -> None:
    sim.knobs.fail_requests = {next_request_number(sim)}
    error = await expect(TransientError, platform.connect(), token)
    assert not isinstance(error, AmbiguousError)
    assert "500" in str(error)
    assert (await platform.connect()).name == "alice"


async def test_429_with_retry_after_is_rate_limited_and_pauses_the_limiter(
    sim: PixelfedSimulator, url: str, token: str, jpeg: MediaFile
) -> None:
    now = [0.0]
    waits: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(rate_per_hour=3600, burst=10, clock=lambda: now[0], sleep=fake_sleep)
    sim.settings.rate_limit_writes = 1
    adapter = PixelfedPlatform(url, token, limiter=limiter)
    try:
        error = await expect(RateLimited, adapter.add(make_post(jpeg), MARKER), token)
    finally:
        await adapter.close()
    assert error.retry_after == 60.0
    assert waits == []
    await limiter.acquire()
    assert waits == [60.0]


# --- what real pixelfed does (0.11.13's code), and how the adapter copes -------------------


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
async def test_an_edit_of_a_non_public_post_is_done_despite_the_empty_answer(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, visibility: str
) -> None:
    added = await platform.add(make_post(jpeg, visibility=visibility), MARKER)
    changed = make_post(jpeg, caption="A new caption", visibility=visibility)
    outcome = await platform.update(added.ref, changed, replace_image=False)
    status = sim.state.statuses[added.ref.ids["status_id"]]
    assert status.caption == "A new caption"
    assert outcome.warnings == ()
    assert outcome.ref == added.ref
    assert sim.log.count(f"{STATUSES}/{status.id}", "PUT") == 1


async def test_an_edit_always_sends_the_posts_media_ids(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    added = await platform.add(make_post(jpeg), MARKER)
    await platform.update(added.ref, make_post(jpeg, caption=""), replace_image=False)
    [edit] = sim.log.matching(f"{STATUSES}/{added.ref.ids['status_id']}")[-1:]
    assert edit.status == 200
    assert edit.params["media_ids"] == added.ref.ids["media_id"]
    assert sim.state.statuses[added.ref.ids["status_id"]].caption is None


@pytest.mark.parametrize("collapse", [False, True], ids=["0.11", "0.12"])
async def test_alt_text_with_html_characters_is_synced_once(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, collapse: bool
) -> None:
    sim.settings.purifier_collapses_whitespace = collapse
    added = await platform.add(make_post(jpeg), MARKER)
    media_id = added.ref.ids["media_id"]
    changed = make_post(jpeg, alt_text="Fog & rain <3 over the lake >  the  <b>pines</b>")
    for _ in range(3):
        await platform.update(added.ref, changed, replace_image=False)
    assert sim.log.count(f"/api/v1/media/{media_id}", "PUT") == 1
    assert "&amp;" in (sim.state.media[media_id].description or "")


async def test_a_refused_media_id_on_create_uploads_again_without_a_second_post(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, token: str
) -> None:
    journal = Journal(sim)

    async def collected_before_the_post(ids: Mapping[str, str]) -> None:
        await journal(ids)
        sim.state.media.pop(ids["media_id"])  # gone before the status is created

    error = await expect(
        TransientError, platform.add(make_post(jpeg), MARKER, collected_before_the_post), token
    )
    assert not isinstance(error, AmbiguousError)
    assert [r.status for r in sim.log.matching(STATUSES)] == [400]
    assert not sim.state.statuses

    outcome = await platform.add(make_post(jpeg), MARKER, journal, resume=journal.entries[0])
    [status] = sim.state.statuses.values()
    assert outcome.ref.ids == {"media_id": journal.entries[1]["media_id"], "status_id": status.id}
    assert status.media_ids == [journal.entries[1]["media_id"]]


async def test_an_edit_pixelfed_does_not_allow_is_a_named_permanent_error(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, url: str, token: str
) -> None:
    _, bob = sim.create_account_with_token("bob")
    other = PixelfedPlatform(url, bob)
    try:
        foreign = await other.add(make_post(jpeg), MARKER)
    finally:
        await other.close()
    error = await expect(
        PermanentError, platform.update(foreign.ref, make_post(jpeg, caption="Mine"), False), token
    )
    assert error.error_name == "post not editable"
    assert "This action is unauthorized." in error.detail
    assert sim.log.count(f"{STATUSES}/{foreign.ref.ids['status_id']}", "PUT") == 1


@pytest.mark.parametrize(
    "headline",
    [
        "I <3 fog over the lake",
        "a<b and c<d",
        "A <b>bold</b> heron",
        "Ends with <",
        "5 < 6 and 7 > 2 <<deep>> <!-- not a comment -->",
    ],
)
async def test_a_caption_that_strip_tags_would_cut_is_posted_whole(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile, headline: str
) -> None:
    photo = Photo(
        id=7,
        name="fog.jpg",
        file=jpeg,
        file_exists=True,
        title="Fog",
        headline=headline,
        keywords=("weather|fog",),
    )
    post = render_pixelfed(
        photo, Settings(), PixelfedCredentials(pixelfed_visibility="public")
    ).post
    outcome = await platform.add(post, MARKER)
    status = sim.state.statuses[outcome.ref.ids["status_id"]]
    # pixelfed ran PHP's strip_tags on it and kept every character.
    assert status.caption == post.caption
    assert len(status.caption) == len(f"Fog -- {headline}\n\n#fog #photography #weather")
    visible = status.caption.replace("\u2039", "<")
    assert headline in visible
    # Read back, it compares equal: no edit is made.
    await platform.update(outcome.ref, post, replace_image=False)
    assert sim.log.count(method="PUT") == 0


async def test_a_file_that_cannot_be_read_now_is_file_not_readable(
    sim: PixelfedSimulator, platform: PixelfedPlatform, tmp_path: Path, token: str
) -> None:
    """Not `file not found` (that one is fixed in IMatch): the next run tries it again."""
    folder = tmp_path / "a folder.jpg"
    folder.mkdir()
    post = make_post(MediaFile(folder, 1, "JPEG"))
    error = await expect(PermanentError, platform.add(post, MARKER), token)
    assert error.error_name == "file not readable"
    assert len(sim.log) == 0


async def test_what_an_edit_could_not_set_is_not_recorded_as_published(
    sim: PixelfedSimulator, platform: PixelfedPlatform, jpeg: MediaFile
) -> None:
    """A visibility pixelfed cannot change by editing, and an alt text with no photo to
    hold it, are warnings and `unsettled` (the photo stays changed)."""
    added = await platform.add(make_post(jpeg), MARKER)
    status_id = added.ref.ids["status_id"]
    outcome = await platform.update(
        added.ref, make_post(jpeg, visibility="private"), replace_image=False
    )
    assert outcome.unsettled == ("visibility",)
    assert sim.state.statuses[status_id].visibility == "public"
    ref = RemoteRef({"media_id": "1", "status_id": status_id}, added.ref.url)
    sim.state.statuses[status_id].media_ids = []
    outcome = await platform.update(ref, make_post(jpeg, alt_text="other"), replace_image=False)
    assert "no photo attached" in outcome.warnings[0]
    assert outcome.unsettled == ("alt text",)
