"""The Mastodon simulator over real HTTP: the behaviour of Mastodon's own code it pins.

Each test names the Mastodon source it follows (see sandbox/FIDELITY.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from imatch.tls import default_tls_context
from sandbox.imatch_db import IMatchDatabase
from sandbox.library import LibraryInfo
from sandbox.mastodon_seeding import seed_mastodon
from sandbox.mastodon_server import MastodonSimulator
from sandbox.serving import SwappableApp, serve_in_thread
from tests.mastodon_fixtures import START, image_bytes

JPEG = image_bytes()
STATUSES = "/api/v1/statuses"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[SwappableApp, str]]:
    app = SwappableApp()
    with serve_in_thread(app) as url:
        yield app, url


@pytest.fixture
def sim(server: tuple[SwappableApp, str]) -> MastodonSimulator:
    simulator = MastodonSimulator(clock=lambda: START)
    server[0].app = simulator.asgi_app
    return simulator


@pytest.fixture
async def client(
    server: tuple[SwappableApp, str], sim: MastodonSimulator
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        verify=default_tls_context(),
        base_url=server[1],
        headers={"Accept": "application/json"},
        timeout=5,
    ) as http:
        yield http


@pytest.fixture
def token(sim: MastodonSimulator) -> str:
    return sim.create_account_with_token("alice")[1]


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def upload(
    client: httpx.AsyncClient,
    token: str,
    data: bytes = JPEG,
    description: str | None = None,
    version: int = 2,
) -> httpx.Response:
    fields = {"description": description} if description is not None else {}
    return await client.post(
        f"/api/v{version}/media",
        headers=auth(token),
        files={"file": ("photo.jpg", data, "image/jpeg")},
        data=fields,
    )


async def media_id(client: httpx.AsyncClient, token: str, **kwargs: Any) -> str:
    answer = await upload(client, token, **kwargs)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


async def post_status(
    client: httpx.AsyncClient, token: str, key: str | None = None, **body: Any
) -> httpx.Response:
    headers = auth(token, **({"Idempotency-Key": key} if key else {}))
    return await client.post(STATUSES, headers=headers, json=body)


async def photo_post(client: httpx.AsyncClient, token: str, text: str = "A lake") -> dict[str, Any]:
    media = await media_id(client, token)
    answer = await post_status(client, token, status=text, media_ids=[media])
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


# --- instance (REST::InstanceSerializer, REST::V1::InstanceSerializer) ----------------------


async def test_v2_instance_reports_the_limits(
    sim: MastodonSimulator, client: httpx.AsyncClient
) -> None:
    sim.settings.max_characters = 1000
    body = (await client.get("/api/v2/instance")).json()
    statuses = body["configuration"]["statuses"]
    media = body["configuration"]["media_attachments"]
    assert statuses == {
        "max_characters": 1000,
        "max_media_attachments": 4,
        "characters_reserved_per_url": 23,
    }
    assert media["image_size_limit"] == 16 * 1024 * 1024
    assert media["description_limit"] == 1500
    assert media["image_matrix_limit"] == 33_177_600
    assert "image/jpeg" in media["supported_mime_types"]
    assert body["version"].startswith("4.")


async def test_older_servers_lack_v2_or_the_description_limit(
    sim: MastodonSimulator, client: httpx.AsyncClient
) -> None:
    sim.settings.reports_description_limit = False
    media = (await client.get("/api/v2/instance")).json()["configuration"]["media_attachments"]
    assert "description_limit" not in media
    sim.settings.v2_instance = False
    missing = await client.get("/api/v2/instance")
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
    v1 = (await client.get("/api/v1/instance")).json()
    assert v1["configuration"]["statuses"]["max_characters"] == 500


# --- tokens, scopes and logins (Doorkeeper, Api::BaseController) ----------------------------


async def test_a_missing_or_revoked_token_is_401_with_doorkeeper_header(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    missing = await client.get("/api/v1/accounts/verify_credentials")
    assert missing.status_code == 401
    assert missing.json() == {"error": "The access token is invalid"}
    assert 'error="invalid_token"' in missing.headers["www-authenticate"]
    sim.revoke_token(token)
    revoked = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert (revoked.status_code, revoked.json()) == (
        401,
        {"error": "The access token was revoked"},
    )


async def test_scopes_are_checked_granular_ones_included(
    sim: MastodonSimulator, client: httpx.AsyncClient
) -> None:
    account = sim.create_account("reader")
    read_only = sim.create_token(account, ("read",))
    refused = await upload(client, read_only)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This action is outside the authorized scopes"}
    granular = sim.create_token(account, ("read:accounts", "write:media"))
    assert (await upload(client, granular)).status_code == 200
    assert (await post_status(client, granular, status="x")).status_code == 403


async def test_logins_that_cannot_act_are_403_with_mastodons_words(
    sim: MastodonSimulator, client: httpx.AsyncClient
) -> None:
    unconfirmed = sim.create_token(sim.create_account("new", confirmed=False))
    answer = await client.get("/api/v1/accounts/verify_credentials", headers=auth(unconfirmed))
    assert answer.status_code == 403
    assert answer.json() == {"error": "Your login is missing a confirmed e-mail address"}
    pending = sim.create_token(sim.create_account("pending", approved=False))
    answer = await upload(client, pending)
    assert answer.json() == {"error": "Your login is currently pending approval"}


async def test_verify_credentials_returns_the_account_with_source(
    client: httpx.AsyncClient, token: str
) -> None:
    body = (await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))).json()
    assert body["username"] == body["acct"] == "alice"
    assert body["url"].endswith("/@alice")
    assert body["source"]["privacy"] == "public"


# --- media (Api::V1/V2::MediaController, MediaAttachment, Attachmentable) --------------------


async def test_v2_upload_of_an_image_is_processed_at_once(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    answer = await upload(client, token, description="Fog")
    assert answer.status_code == 200
    body = answer.json()
    assert body["type"] == "image"
    assert body["url"] is not None
    assert body["description"] == "Fog"
    assert body["meta"]["original"]["size"] == "64x48"


async def test_delayed_processing_answers_202_then_206_until_done(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.delay_image_processing = True  # Mastodon before 4.1, or a GIF today
    answer = await upload(client, token)
    assert answer.status_code == 202
    assert answer.json()["url"] is None
    media = answer.json()["id"]
    assert (await client.get(f"/api/v1/media/{media}", headers=auth(token))).status_code == 206
    early = await post_status(client, token, status="x", media_ids=[media])
    assert early.status_code == 422
    assert "not finished processing" in early.json()["error"]
    sim.advance(sim.settings.processing_seconds)
    done = await client.get(f"/api/v1/media/{media}", headers=auth(token))
    assert done.status_code == 200
    assert done.json()["url"] is not None


async def test_a_gif_becomes_a_gifv_processed_later_and_v1_processes_at_once(
    client: httpx.AsyncClient, token: str
) -> None:
    gif = image_bytes("GIF")
    v2 = await upload(client, token, data=gif)
    assert (v2.status_code, v2.json()["type"], v2.json()["url"]) == (202, "gifv", None)
    v1 = await upload(client, token, data=gif, version=1)
    assert v1.status_code == 200
    assert v1.json()["url"] is not None


async def test_failed_processing_is_422_on_the_media(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    import hashlib

    sim.settings.failing_media_sha256.add(hashlib.sha256(JPEG).hexdigest())
    media = (await upload(client, token)).json()["id"]
    answer = await client.get(f"/api/v1/media/{media}", headers=auth(token))
    assert answer.status_code == 422
    assert answer.json() == {"error": "Error processing thumbnail for uploaded media"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"just some text", "Validation failed: File content type is invalid, File is invalid"),
        (b"\xff\xd8\xff\xe0 broken jpeg", "File type of uploaded media could not be verified"),
    ],
)
async def test_uploads_that_are_not_images_are_422(
    client: httpx.AsyncClient, token: str, data: bytes, message: str
) -> None:
    answer = await upload(client, token, data=data)
    assert (answer.status_code, answer.json()) == (422, {"error": message})


async def test_upload_limits_size_pixels_and_alt_text(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.image_size_limit = len(JPEG)
    too_big = await upload(client, token)
    assert too_big.status_code == 422
    assert "File file size must be less than" in too_big.json()["error"]
    sim.settings.image_size_limit = 16 * 1024 * 1024
    sim.settings.image_matrix_limit = 64 * 47
    answer = await upload(client, token)
    assert answer.json() == {"error": "64x48 images are not supported"}
    sim.settings.image_matrix_limit = 33_177_600
    long_alt = await upload(client, token, description="a" * 1501)
    assert long_alt.json() == {
        "error": "Validation failed: Description is too long (maximum is 1500 characters)"
    }
    assert not sim.state.media


async def test_attached_media_can_no_longer_be_read_or_changed(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    changed = await client.put(
        f"/api/v1/media/{media}", headers=auth(token), data={"description": "multipart works"}
    )
    assert changed.json()["description"] == "multipart works"
    assert (await post_status(client, token, status="x", media_ids=[media])).status_code == 200
    for method in ("GET", "PUT"):
        answer = await client.request(method, f"/api/v1/media/{media}", headers=auth(token))
        assert (answer.status_code, answer.json()) == (404, {"error": "Record not found"})
    in_use = await client.delete(f"/api/v1/media/{media}", headers=auth(token))
    assert in_use.json() == {"error": "Media attachment is currently used by a status"}


async def test_unattached_media_are_vacuumed_after_a_day(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    orphan = await media_id(client, token)
    kept = (await photo_post(client, token))["media_attachments"][0]["id"]
    sim.advance(86400)
    assert sim.state.removed_media_ids == [orphan]
    assert kept in sim.state.media


# --- creating statuses (PostStatusService, StatusLengthValidator) ---------------------------


async def test_ids_are_snowflakes_that_grow_across_media_and_statuses(
    client: httpx.AsyncClient, token: str
) -> None:
    status = await photo_post(client, token)
    media = status["media_attachments"][0]["id"]
    assert int(status["id"]) > int(media)
    assert int(media) >> 16 == int(START * 1000)


async def test_a_repeated_idempotency_key_returns_the_first_status(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    first = await post_status(client, token, "k1", status="first", media_ids=[media])
    again = await post_status(client, token, "k1", status="something else", media_ids=[media])
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert len(sim.state.statuses) == 1
    # An hour later the key is forgotten; the media, attached once, stops a second post.
    sim.advance(3600)
    late = await post_status(client, token, "k1", status="first", media_ids=[media])
    assert late.status_code == 422
    assert late.json() == {"error": f"Media {media} not found or already attached to another post"}


async def test_a_key_whose_status_was_deleted_is_record_not_found(
    client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    first = (await post_status(client, token, "k2", status="x", media_ids=[media])).json()
    await client.delete(f"{STATUSES}/{first['id']}", headers=auth(token))
    again = await post_status(client, token, "k2", status="x", media_ids=[media])
    assert (again.status_code, again.json()) == (404, {"error": "Record not found"})


async def test_a_failed_create_does_not_burn_its_key(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    refused = await post_status(client, token, "k3", status="x" * 501, media_ids=[media])
    assert refused.status_code == 422
    assert (
        await post_status(client, token, "k3", status="ok", media_ids=[media])
    ).status_code == 200


async def test_text_is_counted_the_mastodon_way(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.max_characters = 30
    url = "https://example.org/" + "long-path/" * 20  # any URL counts as 23
    flags = "\U0001f1e9\U0001f1ea" * 3  # three flags are three characters
    assert (await post_status(client, token, status=f"{url} {flags}")).status_code == 200
    mention = "@alice@a-very-long-domain-name.example.org"  # counts as "@alice"
    assert (await post_status(client, token, status=f"{mention} hello")).status_code == 200
    over = await post_status(client, token, status="x" * 31)
    assert over.json() == {"error": "Validation failed: Text character limit of 30 exceeded"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": "  "}, "Validation failed: Text can't be blank"),
        ({"status": "x", "visibility": "friends"}, "Validation failed: Visibility is not included"),
        ({"status": "x", "media_ids": ["1", "2", "3", "4", "5"]}, "Cannot attach more than 4"),
    ],
)
async def test_invalid_statuses_are_422(
    client: httpx.AsyncClient, token: str, body: dict[str, Any], message: str
) -> None:
    answer = await post_status(client, token, **body)
    assert answer.status_code == 422
    assert answer.json()["error"].startswith(message)


async def test_another_accounts_media_cannot_be_attached(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    _, other = sim.create_account_with_token("bob")
    media = await media_id(client, other)
    answer = await post_status(client, token, status="x", media_ids=[media])
    assert answer.json() == {
        "error": f"Media {media} not found or already attached to another post"
    }


async def test_direct_posts_exist_and_silenced_accounts_post_unlisted(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    direct = await post_status(client, token, status="note to self", visibility="direct")
    assert direct.json()["visibility"] == "direct"
    quiet = sim.create_token(sim.create_account("quiet", silenced=True))
    assert (await post_status(client, quiet, status="hi")).json()["visibility"] == "unlisted"


async def test_form_encoded_arrays_follow_rails_rules(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    created = await client.post(
        STATUSES, headers=auth(token), data={"status": "form", "media_ids[]": [media]}
    )
    assert created.json()["media_attachments"][0]["id"] == media
    edited = await client.put(
        f"{STATUSES}/{created.json()['id']}",
        headers=auth(token),
        data={
            "status": "form",
            "media_ids[]": [media],
            "media_attributes[][id]": media,
            "media_attributes[][description]": "described",
        },
    )
    assert edited.json()["media_attachments"][0]["description"] == "described"


# --- reading, editing, deleting (StatusesController, UpdateStatusService, RemoveStatusService)


async def test_source_gives_the_raw_text_and_content_is_html(
    client: httpx.AsyncClient, token: str
) -> None:
    text = "Fog & mist <b>\n\n#lake https://example.org/x"
    status = await photo_post(client, token, text)
    assert status["content"].startswith("<p>Fog &amp; mist &lt;b&gt;</p>")
    assert 'class="mention hashtag"' in status["content"]
    assert status["tags"] == [{"name": "lake", "url": status["tags"][0]["url"]}]
    source = (await client.get(f"{STATUSES}/{status['id']}/source", headers=auth(token))).json()
    assert source == {"id": status["id"], "text": text, "spoiler_text": ""}


async def test_an_edit_without_media_ids_drops_the_photo(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await photo_post(client, token)
    edited = await client.put(
        f"{STATUSES}/{status['id']}", headers=auth(token), json={"status": "new"}
    )
    assert edited.json()["media_attachments"] == []
    assert edited.json()["edited_at"] is not None
    media = status["media_attachments"][0]["id"]
    assert sim.state.media[media].status_id == status["id"]  # still held, no longer shown


async def test_alt_text_of_a_posted_photo_changes_through_media_attributes(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await photo_post(client, token)
    media = status["media_attachments"][0]["id"]
    body = {
        "status": "A lake",
        "media_ids": [media],
        "media_attributes": [{"id": media, "description": "Fog over a lake"}],
    }
    edited = await client.put(f"{STATUSES}/{status['id']}", headers=auth(token), json=body)
    assert edited.json()["media_attachments"][0]["description"] == "Fog over a lake"
    record = sim.state.statuses[status["id"]]
    assert [e.counted for e in record.edits] == [False, True]
    assert record.edits[0].media_descriptions == [None]
    # The same edit again changes nothing: no edit is recorded.
    again = await client.put(f"{STATUSES}/{status['id']}", headers=auth(token), json=body)
    assert again.status_code == 200
    assert len(record.edits) == 2


async def test_an_edit_sets_content_warning_and_sensitivity_from_what_is_sent(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await photo_post(client, token)
    media = [status["media_attachments"][0]["id"]]
    path = f"{STATUSES}/{status['id']}"
    marked = {"status": "A lake", "media_ids": media, "spoiler_text": "eyes", "sensitive": True}
    assert (await client.put(path, headers=auth(token), json=marked)).json()["sensitive"] is True
    plain = await client.put(
        path, headers=auth(token), json={"status": "A lake", "media_ids": media}
    )
    assert (plain.json()["spoiler_text"], plain.json()["sensitive"]) == ("", False)


async def test_others_cannot_edit_or_delete_and_hidden_posts_are_not_found(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    _, other = sim.create_account_with_token("bob")
    status = await photo_post(client, token)
    path = f"{STATUSES}/{status['id']}"
    for method in ("PUT", "DELETE"):
        answer = await client.request(method, path, headers=auth(other), json={"status": "x"})
        assert (answer.status_code, answer.json()) == (404, {"error": "Record not found"})
    private = (await post_status(client, token, status="p", visibility="private")).json()
    hidden = await client.get(f"{STATUSES}/{private['id']}", headers=auth(other))
    assert (hidden.status_code, hidden.json()) == (404, {"error": "Not Found"})
    assert (await client.get(f"{STATUSES}/{private['id']}", headers=auth(token))).status_code == 200


async def test_delete_answers_the_source_text_and_releases_the_media_for_a_redraft(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await photo_post(client, token, "Fog & mist")
    media = status["media_attachments"][0]["id"]
    answer = await client.delete(f"{STATUSES}/{status['id']}", headers=auth(token))
    assert answer.json()["text"] == "Fog & mist"
    assert "content" not in answer.json()
    gone = await client.get(f"{STATUSES}/{status['id']}", headers=auth(token))
    assert (gone.status_code, gone.json()) == (404, {"error": "Not Found"})
    assert (await client.get(f"/api/v1/media/{media}", headers=auth(token))).status_code == 200
    again = await client.delete(f"{STATUSES}/{status['id']}", headers=auth(token))
    assert (again.status_code, again.json()) == (404, {"error": "Record not found"})


async def test_delete_media_destroys_the_files_and_older_servers_ignore_it(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    first = await photo_post(client, token)
    await client.delete(f"{STATUSES}/{first['id']}?delete_media=true", headers=auth(token))
    assert sim.state.removed_media_ids == [first["media_attachments"][0]["id"]]
    sim.settings.delete_media_param = False
    second = await photo_post(client, token)
    await client.delete(f"{STATUSES}/{second['id']}?delete_media=true", headers=auth(token))
    assert sim.state.media[second["media_attachments"][0]["id"]].status_id is None


async def test_media_stay_attached_until_the_removal_worker_runs(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.removal_delay_seconds = 30
    status = await photo_post(client, token)
    media = status["media_attachments"][0]["id"]
    await client.delete(f"{STATUSES}/{status['id']}", headers=auth(token))
    assert (await client.get(f"/api/v1/media/{media}", headers=auth(token))).status_code == 404
    sim.advance(30)
    assert (await client.get(f"/api/v1/media/{media}", headers=auth(token))).status_code == 200


# --- an account's statuses (Api::V1::Accounts::StatusesController, AccountStatusesFilter) ---


async def test_min_id_pages_forward_from_the_oldest_and_only_media_filters(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    account = next(iter(sim.state.accounts))
    first_media = await media_id(client, token)
    ids = []
    for number in range(5):
        ids.append((await photo_post(client, token, f"photo {number}"))["id"])
        await post_status(client, token, status=f"text only {number}")
    path = f"/api/v1/accounts/{account}/statuses"
    params = {"min_id": first_media, "limit": "2", "only_media": "true"}
    page = (await client.get(path, headers=auth(token), params=params)).json()
    assert [s["id"] for s in page] == [ids[1], ids[0]]
    answer = await client.get(path, headers=auth(token), params={"limit": "100"})
    assert len(answer.json()) == 10
    assert 'rel="prev"' in answer.headers["link"]
    full = await client.get(path, headers=auth(token), params={"limit": "3"})
    assert 'rel="next"' in full.headers["link"]


async def test_others_see_only_public_and_unlisted_statuses(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    account = next(iter(sim.state.accounts))
    for visibility in ("public", "unlisted", "private", "direct"):
        await post_status(client, token, status=visibility, visibility=visibility)
    _, other = sim.create_account_with_token("bob")
    path = f"/api/v1/accounts/{account}/statuses"
    seen = [s["visibility"] for s in (await client.get(path, headers=auth(other))).json()]
    assert seen == ["unlisted", "public"]
    assert len((await client.get(path, headers=auth(token))).json()) == 4


# --- rate limits (rack_attack.rb, RateLimiter, Api::RateLimitHeaders) ------------------------


def reset_of(answer: httpx.Response) -> float:
    return datetime.fromisoformat(answer.headers["x-ratelimit-reset"]).timestamp()


async def test_api_answers_carry_the_per_token_rate_limit_headers(
    client: httpx.AsyncClient, token: str
) -> None:
    first = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    second = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert first.headers["x-ratelimit-limit"] == "300"
    assert (first.headers["x-ratelimit-remaining"], second.headers["x-ratelimit-remaining"]) == (
        "299",
        "298",
    )
    assert reset_of(first) == START - START % 300 + 300


async def test_the_31st_upload_in_30_minutes_is_429_until_the_window_ends(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    for _ in range(30):
        assert (await upload(client, token)).status_code == 200
    refused = await upload(client, token)
    assert refused.status_code == 429
    assert refused.json() == {"error": "Too many requests"}
    assert (refused.headers["x-ratelimit-limit"], refused.headers["x-ratelimit-remaining"]) == (
        "30",
        "0",
    )
    assert "retry-after" not in refused.headers
    sim.advance(reset_of(refused) - sim.now())
    assert (await upload(client, token)).status_code == 200


async def test_the_31st_delete_in_30_minutes_is_429(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    ids = [(await post_status(client, token, status=f"s{n}")).json()["id"] for n in range(31)]
    answers = [await client.delete(f"{STATUSES}/{i}", headers=auth(token)) for i in ids]
    assert [a.status_code for a in answers] == [200] * 30 + [429]
    assert not sim.state.statuses[ids[-1]].deleted


async def test_statuses_and_edits_share_the_300_per_3_hours_family(
    sim: MastodonSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.statuses_limit = 3
    sim.settings.per_token_limit = sim.settings.per_user_limit = None
    created = await post_status(client, token, status="one")
    assert created.headers["x-ratelimit-limit"] == "3"
    assert created.headers["x-ratelimit-remaining"] == "2"
    await client.put(
        f"{STATUSES}/{created.json()['id']}", headers=auth(token), json={"status": "1"}
    )
    await post_status(client, token, status="two")
    refused = await post_status(client, token, status="three")
    assert (refused.status_code, refused.json()) == (429, {"error": "Too many requests"})
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert len(sim.state.statuses) == 2
    sim.advance(reset_of(refused) - sim.now())
    assert (await post_status(client, token, status="three")).status_code == 200


# --- seeding a library's posts (sandbox/mastodon_seeding.py) --------------------------------


def test_seeding_posts_the_librarys_mastodon_records(
    sim: MastodonSimulator, server: tuple[SwappableApp, str], sample_library: LibraryInfo
) -> None:
    db = IMatchDatabase.load(sample_library.path)
    for existing in [i for i in db.instances.values() if i.set_name == "mastodon"]:
        db.delete_instance(existing.instance_id)  # only this test's three are seeded
    posted = [i for i in db.instances.values() if i.set_name == "pixelfed"][:3]
    for instance in posted:
        # The library's ids (from before the world existed) are replaced by the server's.
        db.add_instance(
            "mastodon",
            instance.file_id,
            {"posted": "2024-01-01", "media_id": "old-media", "status_id": "old-status"},
        )
    sim.settings.media_limit = 2  # lifted while seeding, restored after
    token = seed_mastodon(sim, server[1], db)
    records = [i for i in db.instances.values() if i.set_name == "mastodon"]
    assert len(records) == len(posted) == len(sim.state.statuses)
    for record in records:
        status = sim.state.statuses[record.values["status_id"]]
        assert status.media_ids == [record.values["media_id"]]
        assert record.values["url"].endswith(f"/{status.id}")
    assert db.app_variables["mastodon_token"] == token
    assert db.app_variables["mastodon_url"] == server[1]
    assert sim.settings.media_limit == 2
    assert not sim.state.throttles
