"""The pixelfed simulator over real HTTP: endpoints, limits and pixelfed's quirks (C, D2)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from imatch.tls import default_tls_context
from sandbox.faults import FaultKnobs
from sandbox.pixelfed_server import PixelfedSettings, PixelfedSimulator
from sandbox.serving import serve_in_thread

START = 1_700_000_000.0
JSON = {"Accept": "application/json"}


def image_bytes(kind: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, kind)
    return buffer.getvalue()


JPEG = image_bytes()


@pytest.fixture
def sim() -> PixelfedSimulator:
    return PixelfedSimulator(knobs=FaultKnobs(), clock=lambda: START)


@pytest.fixture
def base_url(sim: PixelfedSimulator) -> Iterator[str]:
    with serve_in_thread(sim.asgi_app) as url:
        yield url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        verify=default_tls_context(), base_url=base_url, headers=JSON, timeout=5
    ) as http:
        yield http


@pytest.fixture
def token(sim: PixelfedSimulator) -> str:
    _, bearer = sim.create_account_with_token("alice")
    return bearer


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def upload(
    client: httpx.AsyncClient,
    token: str,
    data: bytes = JPEG,
    description: str | None = None,
    version: int = 1,
    content_type: str = "image/jpeg",
) -> httpx.Response:
    fields = {"description": description} if description is not None else {}
    return await client.post(
        f"/api/v{version}/media",
        headers=auth(token),
        files={"file": ("photo.jpg", data, content_type)},
        data=fields,
    )


async def media_id(client: httpx.AsyncClient, token: str) -> str:
    answer = await upload(client, token)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["id"])


async def post_status(
    client: httpx.AsyncClient,
    token: str,
    media_ids: list[str],
    key: str | None = None,
    **fields: Any,
) -> httpx.Response:
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    return await client.post(
        "/api/v1/statuses", headers=headers, json={"media_ids": media_ids, **fields}
    )


async def new_status(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    answer = await post_status(client, token, [await media_id(client, token)], **fields)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


# --- instance and credentials -------------------------------------------------------------


async def test_instance_v2_reports_the_enforced_limits(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    sim.settings.max_caption_length = 2200
    sim.settings.max_album_length = 10
    answer = await client.get("/api/v2/instance")
    assert answer.status_code == 200
    config = answer.json()["configuration"]
    assert config["statuses"]["max_characters"] == 2200
    assert config["statuses"]["max_media_attachments"] == 10
    assert config["media_attachments"]["image_size_limit"] == 15000 * 1024
    assert config["media_attachments"]["supported_mime_types"] == [
        "image/jpeg",
        "image/png",
        "image/gif",
    ]


async def test_instance_v1_reports_env_values_and_is_cached(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    sim.settings.v1_max_album_length = 6
    first = (await client.get("/api/v1/instance")).json()
    assert first["version"] == "3.5.3 (compatible; Pixelfed 0.11.13)"
    assert first["configuration"]["statuses"]["max_media_attachments"] == 6
    assert first["configuration"]["statuses"]["max_characters"] == 500

    sim.settings.max_caption_length = 1000
    cached = (await client.get("/api/v1/instance")).json()
    assert cached["configuration"]["statuses"]["max_characters"] == 500
    sim.advance(1800)
    fresh = (await client.get("/api/v1/instance")).json()
    assert fresh["configuration"]["statuses"]["max_characters"] == 1000


async def test_instance_v2_can_be_missing_so_clients_fall_back_to_v1(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    sim.settings.v2_instance = False
    assert (await client.get("/api/v2/instance")).status_code == 404
    assert (await client.get("/api/v1/instance")).status_code == 200


async def test_verify_credentials_returns_the_account(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert answer.status_code == 200
    body = answer.json()
    assert body["username"] == "alice"
    assert body["id"] in sim.state.accounts
    assert body["source"]["privacy"] == "public"


@pytest.mark.parametrize(
    ("quirk", "status", "expected"),
    [
        (True, 500, {"error": "Unauthenticated."}),
        (False, 401, {"error": "The access token is invalid"}),
    ],
)
async def test_bad_token_is_answered_per_error_mapping(
    sim: PixelfedSimulator,
    client: httpx.AsyncClient,
    quirk: bool,
    status: int,
    expected: dict[str, str],
) -> None:
    sim.settings.error_quirk = quirk
    answer = await client.get("/api/v1/accounts/verify_credentials", headers=auth("not-a-token"))
    assert answer.status_code == status
    assert answer.json() == expected
    assert "not-a-token" not in answer.text


async def test_bad_token_without_json_accept_redirects_to_login(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Accept": "*/*", **auth("nope")}
    )
    assert answer.status_code == 302
    assert answer.headers["location"].endswith("/login")


async def test_expired_token_is_unauthenticated(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.advance(366 * 86400)
    answer = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert answer.status_code == 500
    assert answer.json() == {"error": "Unauthenticated."}


async def test_read_only_token_cannot_upload(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    account = sim.create_account("reader")
    reader = sim.create_token(account, scopes=("read",))
    answer = await upload(client, reader)
    assert answer.status_code == 403
    assert sim.state.media == {}


async def test_oauth_flow_issues_and_refreshes_tokens(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    sim.create_account("alice")
    redirect = "http://127.0.0.1:9999/cb"
    app = (
        await client.post(
            "/api/v1/apps", data={"client_name": "imatch-socials", "redirect_uris": redirect}
        )
    ).json()
    authorize = await client.get(
        "/oauth/authorize",
        params={
            "client_id": app["client_id"],
            "redirect_uri": redirect,
            "response_type": "code",
            "scope": "read write",
        },
    )
    assert authorize.status_code == 302
    code = httpx.URL(authorize.headers["location"]).params["code"]
    grant = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    issued = await client.post(
        "/oauth/token",
        data={**grant, "grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
    )
    assert issued.status_code == 200
    tokens = issued.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 365 * 86400
    me = await client.get(
        "/api/v1/accounts/verify_credentials", headers=auth(tokens["access_token"])
    )
    assert me.status_code == 200

    refreshed = await client.post(
        "/oauth/token",
        data={**grant, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200
    old = await client.get(
        "/api/v1/accounts/verify_credentials", headers=auth(tokens["access_token"])
    )
    assert old.status_code == 500
    logged = repr([r.params for r in sim.log.records])
    for secret in (code, tokens["access_token"], tokens["refresh_token"], app["client_secret"]):
        assert secret not in logged


async def test_oob_redirect_is_refused_unless_supported(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    fields = {"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}
    refused = await client.post("/api/v1/apps", data=fields)
    assert refused.status_code == 500
    assert "invalid url format" in refused.json()["errors"]["redirect_uris"][0]
    sim.settings.oob_supported = True
    assert (await client.post("/api/v1/apps", data=fields)).status_code == 200


# --- media -------------------------------------------------------------------------------


async def test_upload_v1_stores_alt_text_and_file_facts(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    answer = await upload(client, token, description="A lake at dawn")
    assert answer.status_code == 200
    body = answer.json()
    assert body["description"] == "A lake at dawn"
    assert "?v=" in body["url"]
    # The dimensions come from a queued job: the upload's answer has none yet.
    assert body["meta"] is None
    media = sim.state.media[body["id"]]
    assert media.size == len(JPEG)
    assert media.mime == "image/jpeg"
    assert media.status_id is None
    assert len(media.sha256) == 64


async def test_upload_v2_answers_202_without_url(client: httpx.AsyncClient, token: str) -> None:
    answer = await upload(client, token, data=image_bytes("PNG"), version=2)
    assert answer.status_code == 202
    assert answer.json()["url"] is None
    assert answer.json()["preview_url"]


@pytest.mark.parametrize(
    "data",
    [b"just some text, not a photo", b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(16)],
    ids=["text", "webp"],
)
async def test_upload_of_non_image_or_disallowed_type_is_rejected(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, data: bytes
) -> None:
    answer = await upload(client, token, data=data)
    assert answer.status_code == 500
    assert answer.json()["errors"]["file"] == [
        "The file must be a file of type: image/jpeg, image/png, image/gif."
    ]
    assert sim.state.media == {}


async def test_upload_over_the_size_limit_is_rejected(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.max_photo_size_kb = 1
    answer = await upload(client, token, data=JPEG + bytes(2048))
    assert answer.status_code == 500
    assert answer.json()["errors"]["file"] == ["The file must not be greater than 1 kilobytes."]
    assert sim.state.media == {}


async def test_alt_text_changes_with_json_put_and_multipart_put_empties_it(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await new_status(client, token)
    attached = status["media_attachments"][0]["id"]
    changed = await client.put(
        f"/api/v1/media/{attached}", headers=auth(token), json={"description": "New alt"}
    )
    assert changed.status_code == 200
    assert changed.json()["description"] == "New alt"
    assert sim.state.media[attached].description == "New alt"

    multipart = await client.put(
        f"/api/v1/media/{attached}",
        headers=auth(token),
        files={"description": (None, "Lost alt")},
    )
    assert multipart.status_code == 200
    # The description arrives missing; the purifier turns the null into "".
    assert sim.state.media[attached].description == ""


# --- statuses ----------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "unlisted", "private"])
async def test_status_create_keeps_visibility_and_attaches_media(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, visibility: str
) -> None:
    media = await media_id(client, token)
    answer = await post_status(client, token, [media], status="Lake #nature", visibility=visibility)
    assert answer.status_code == 200
    body = answer.json()
    assert body["visibility"] == visibility
    assert body["media_attachments"][0]["id"] == media
    assert "mime" not in body["media_attachments"][0]
    assert [t["name"] for t in body["tags"]] == ["nature"]
    assert body["created_at"].endswith("Z")
    assert sim.state.media[media].status_id == body["id"]
    assert sim.state.statuses[body["id"]].caption == "Lake #nature"


async def test_only_the_first_60_hashtags_with_a_letter_are_linked(
    client: httpx.AsyncClient, token: str
) -> None:
    """pixelfed's Extractor keeps the first 60 hashtag matches (Status::MAX_HASHTAGS), a
    hashtag needs a letter, and one over 124 characters is ignored (StatusEntityLexer)."""
    names = [chr(97 + n // 26) + chr(97 + n % 26) for n in range(67)]
    caption = "Lake #2024 #" + "x" * 125 + " " + " ".join(f"#{n}" for n in names)
    body = await new_status(client, token, status=caption)
    assert [t["name"] for t in body["tags"]] == names[:60]
    assert body["content"].count('class="u-url hashtag"') == 60
    assert 'title="#2024"' not in body["content"]
    assert f'title="#{names[59]}"' in body["content"]
    assert f'title="#{names[60]}"' not in body["content"]


async def test_a_full_width_hash_sign_makes_a_hashtag_too(
    client: httpx.AsyncClient, token: str
) -> None:
    """pixelfed's lexer takes `#` and the full-width `＃` (Regex.php `hash_signs`)."""
    body = await new_status(client, token, status="Fog ＃dawn over the #lake")
    assert [t["name"] for t in body["tags"]] == ["dawn", "lake"]
    assert body["content"].count('class="u-url hashtag"') == 2


@pytest.mark.parametrize(("quirk", "status_code"), [(True, 500), (False, 422)])
async def test_direct_visibility_is_a_validation_error(
    sim: PixelfedSimulator,
    client: httpx.AsyncClient,
    token: str,
    quirk: bool,
    status_code: int,
) -> None:
    sim.settings.error_quirk = quirk
    answer = await post_status(client, token, [await media_id(client, token)], visibility="direct")
    assert answer.status_code == status_code
    assert "visibility" in answer.text
    assert sim.state.statuses == {}


@pytest.mark.parametrize(("quirk", "status_code"), [(True, 500), (False, 422)])
async def test_caption_over_the_limit_is_a_validation_error(
    sim: PixelfedSimulator,
    client: httpx.AsyncClient,
    token: str,
    quirk: bool,
    status_code: int,
) -> None:
    sim.settings.error_quirk = quirk
    media = await media_id(client, token)
    answer = await post_status(client, token, [media], status="x" * 501)
    assert answer.status_code == status_code
    if quirk:
        assert answer.json()["errors"]["status"] == [
            "The status must not be greater than 500 characters."
        ]
    else:
        assert answer.json()["error"].startswith("Validation failed:")
    assert (await post_status(client, token, [media], status="x" * 500)).status_code == 200


async def test_text_only_status_is_refused(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    answer = await post_status(client, token, [], status="Only words")
    assert answer.status_code == 403
    assert answer.json() == {"error": "Empty statuses are not allowed"}
    assert sim.state.statuses == {}


async def test_reused_idempotency_key_answers_duplicate_without_the_status(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    first = await post_status(client, token, [media], key="post-1")
    assert first.status_code == 200
    again = await post_status(client, token, [await media_id(client, token)], key="post-1")
    assert again.status_code == 400
    assert again.json() == {"error": "Duplicate idempotency key."}
    assert len(sim.state.statuses) == 1

    sim.advance(3600)
    later = await post_status(client, token, [await media_id(client, token)], key="post-1")
    assert later.status_code == 200


async def test_idempotency_key_is_burnt_when_creation_fails_after_validation(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    empty = await post_status(client, token, [], key="post-2")
    assert empty.status_code == 403
    media = await media_id(client, token)
    retry = await post_status(client, token, [media], key="post-2")
    assert retry.status_code == 400
    assert sim.state.statuses == {}
    assert (await post_status(client, token, [media], key="post-3")).status_code == 200


async def test_validation_failure_does_not_consume_the_key(
    client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    invalid = await post_status(client, token, [media], key="post-4", visibility="direct")
    assert invalid.status_code == 500
    assert (await post_status(client, token, [media], key="post-4")).status_code == 200


async def test_media_of_another_account_cannot_be_attached(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    _, bob = sim.create_account_with_token("bob")
    foreign = await media_id(client, bob)
    answer = await post_status(client, token, [foreign])
    assert answer.status_code == 400
    assert answer.json() == {"error": "Invalid media_ids"}
    assert sim.state.media[foreign].status_id is None


async def test_edit_without_status_clears_the_caption(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await new_status(client, token, status="Keep me", spoiler_text="cw", sensitive=True)
    media = [m["id"] for m in status["media_attachments"]]
    answer = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=auth(token), json={"media_ids": media}
    )
    assert answer.status_code == 200
    assert answer.json()["content"] is None
    stored = sim.state.statuses[status["id"]]
    assert stored.caption is None
    assert stored.spoiler_text == ""
    assert stored.edit_count == 1


async def test_edit_with_status_keeps_the_new_caption(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await new_status(client, token, status="Old")
    answer = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=auth(token),
        json={"status": "New\nline #tag"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["content_text"] == "New\nline #tag"
    assert "<br />" in body["content"]
    assert body["edited_at"] is not None
    assert sim.state.statuses[status["id"]].caption == "New\nline #tag"


async def test_edits_are_capped(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    # The first edit writes two history rows, later ones one: a cap of 4 rows allows 3 edits
    # (the default of 10 allows 9).
    sim.settings.max_edit_history = 4
    status = await new_status(client, token)
    url = f"/api/v1/statuses/{status['id']}"
    for number in range(3):
        edit = await client.put(url, headers=auth(token), json={"status": f"v{number}"})
        assert edit.status_code == 200
    refused = await client.put(url, headers=auth(token), json={"status": "one too many"})
    assert refused.status_code == 400
    assert refused.json() == {"error": "You cannot edit your post more than 4 times."}
    assert sim.state.statuses[status["id"]].caption == "v2"
    assert sim.state.statuses[status["id"]].edit_count == 3


async def test_album_edit_only_removes_and_reorders_media(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    ids = [await media_id(client, token) for _ in range(3)]
    status = (await post_status(client, token, ids, status="Album")).json()
    url = f"/api/v1/statuses/{status['id']}"
    extra = await media_id(client, token)
    answer = await client.put(
        url, headers=auth(token), json={"status": "Album", "media_ids": [ids[2], ids[0], extra]}
    )
    assert answer.status_code == 200
    assert [m["id"] for m in answer.json()["media_attachments"]] == [ids[2], ids[0]]
    assert ids[1] not in sim.state.media
    assert sim.state.media[extra].status_id is None
    crash = await client.put(url, headers=auth(token), json={"status": "no media ids"})
    assert crash.status_code == 500


async def test_delete_then_delete_again_is_not_found(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await new_status(client, token, status="Bye")
    url = f"/api/v1/statuses/{status['id']}"
    deleted = await client.delete(url, headers=auth(token))
    assert deleted.status_code == 200
    assert "text" in deleted.json()
    assert "content" not in deleted.json()
    assert sim.state.statuses[status["id"]].deleted
    assert status["media_attachments"][0]["id"] not in sim.state.media

    again = await client.delete(url, headers=auth(token))
    assert again.status_code == 500
    assert again.json()["error"] == f"No query results for model [App\\Status] {status['id']}"
    assert (await client.get(url, headers=auth(token))).status_code == 404

    sim.settings.error_quirk = False
    mastodon = await client.delete(url, headers=auth(token))
    assert mastodon.status_code == 404


async def test_asynchronous_delete_keeps_the_status_readable_for_a_while(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.async_delete_seconds = 30
    status = await new_status(client, token)
    url = f"/api/v1/statuses/{status['id']}"
    assert (await client.delete(url, headers=auth(token))).status_code == 200
    assert (await client.get(url, headers=auth(token))).status_code == 200
    sim.advance(30)
    assert (await client.get(url, headers=auth(token))).status_code == 404


async def test_account_statuses_page_with_max_id(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    created = [(await new_status(client, token, status=f"n{i}"))["id"] for i in range(3)]
    account_id = next(iter(sim.state.accounts))
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        page = await client.get(
            f"/api/v1/accounts/{account_id}/statuses", headers=auth(token), params=params
        )
        assert page.status_code == 200
        ids = [s["id"] for s in page.json()]
        if not ids:
            break
        assert len(ids) <= 2
        seen += ids
        params["max_id"] = ids[-1]
    assert seen == list(reversed(created))
    missing = await client.get("/api/v1/accounts/1/statuses", headers=auth(token))
    assert missing.status_code == 404
    assert missing.json() == {"error": "Account not found"}


async def test_unattached_media_are_garbage_collected_after_two_hours(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    orphan = await media_id(client, token)
    attached = (await new_status(client, token))["media_attachments"][0]["id"]
    sim.advance(7199)
    assert orphan in sim.state.media
    sim.advance(1)
    answer = await client.get(f"/api/v1/media/{orphan}", headers=auth(token))
    assert answer.status_code == 500
    assert "No query results for model [App\\Media]" in answer.json()["error"]
    assert attached in sim.state.media


# --- faults and recovery --------------------------------------------------------------------


async def test_dropped_create_answer_is_recovered_through_the_media_id(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    sim.knobs.drop_mutations = {sim.knobs.mutations + 1}
    with pytest.raises(httpx.TransportError):
        await post_status(client, token, [media], key="lost-answer", status="Lost")

    probe = await client.get(f"/api/v1/media/{media}", headers=auth(token))
    assert probe.status_code == 500
    assert probe.json()["error"].startswith("No query results for model")
    retry = await post_status(client, token, [media], key="lost-answer", status="Lost")
    assert retry.json() == {"error": "Duplicate idempotency key."}

    account_id = (
        await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    ).json()["id"]
    listing = await client.get(
        f"/api/v1/accounts/{account_id}/statuses", headers=auth(token), params={"limit": 40}
    )
    found = [s for s in listing.json() if media in [m["id"] for m in s["media_attachments"]]]
    assert len(found) == 1
    stored = sim.status_with_media(media)
    assert stored is not None
    assert found[0]["id"] == stored.id


async def test_injected_500_leaves_state_unchanged(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.knobs.fail_requests = {len(sim.log) + 1}
    failed = await upload(client, token)
    assert failed.status_code == 500
    assert sim.state.media == {}
    assert (await upload(client, token)).status_code == 200


async def test_rate_limit_answers_429_with_retry_after(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.rate_limit_writes = 2
    sim.settings.rate_limit_window_seconds = 60
    assert (await upload(client, token)).status_code == 200
    sim.advance(15)
    assert (await upload(client, token)).status_code == 200
    limited = await upload(client, token)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "45"
    assert len(sim.state.media) == 2
    sim.advance(45)
    assert (await upload(client, token)).status_code == 200


async def test_media_update_attempts_are_limited_per_minute(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.settings.media_update_per_minute = 3
    media = await media_id(client, token)
    url = f"/api/v1/media/{media}"
    for number in range(3):
        answer = await client.put(url, headers=auth(token), json={"description": f"a{number}"})
        assert answer.status_code == 200
    limited = await client.put(url, headers=auth(token), json={"description": "late"})
    assert limited.status_code == 429
    assert limited.json() == {"error": "Too many attempts. Try again in a few minutes."}
    assert sim.state.media[media].description == "a2"
    sim.advance(60)
    assert (
        await client.put(url, headers=auth(token), json={"description": "ok"})
    ).status_code == 200


async def test_inactive_account_gets_an_empty_list(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    account = sim.create_account("dormant", active=False)
    answer = await upload(client, sim.create_token(account))
    assert answer.status_code == 200
    assert answer.json() == []
    assert sim.state.media == {}


def test_settings_defaults_follow_the_reference() -> None:
    settings = PixelfedSettings()
    assert (settings.max_caption_length, settings.max_photo_size_kb) == (500, 15000)
    assert (settings.max_album_length, settings.max_alt_text_length) == (4, 1000)
    assert (settings.max_edit_history, settings.media_update_per_minute) == (10, 10)
    assert (settings.daily_media_cap, settings.daily_status_cap) == (1250, 1000)
    assert settings.error_quirk
    assert settings.rate_limit_writes is None


# --- what the real server does that clients trip over (pixelfed 0.11.13's code) ------------


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
async def test_edit_of_a_non_public_post_is_applied_and_answered_with_an_empty_body(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, visibility: str
) -> None:
    status = await new_status(client, token, status="Old", visibility=visibility)
    media = [m["id"] for m in status["media_attachments"]]
    answer = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=auth(token),
        json={"status": "New", "media_ids": media},
    )
    assert answer.status_code == 200
    assert answer.content == b""
    assert sim.state.statuses[status["id"]].caption == "New"


async def test_edit_of_a_public_post_answers_pixelfeds_own_entity(
    client: httpx.AsyncClient, token: str
) -> None:
    status = await new_status(client, token, status="Old", visibility="public")
    answer = await client.put(
        f"/api/v1/statuses/{status['id']}", headers=auth(token), json={"status": "Fog & rain"}
    )
    assert answer.status_code == 200
    body = answer.json()
    # The edited caption went through the purifier, not strip_tags.
    assert body["content_text"] == "Fog &amp; rain"
    assert body["language"] is None
    assert "card" not in body
    assert "pinned" not in body


async def test_alt_text_put_is_purified(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    media = await media_id(client, token)
    url = f"/api/v1/media/{media}"
    alt = "Fog & rain <3 over <b>the</b> lake >_<\n\nsecond  line"
    answer = await client.put(url, headers=auth(token), json={"description": alt})
    assert answer.status_code == 200
    stored = "Fog &amp; rain &lt;3 over the lake &gt;_&lt;\n\nsecond  line"
    assert answer.json()["description"] == stored
    assert sim.state.media[media].description == stored
    # The upload itself stores the alt text as sent.
    raw = await upload(client, token, description=alt)
    assert raw.json()["description"] == alt

    sim.settings.purifier_collapses_whitespace = True  # pixelfed 0.12
    await client.put(url, headers=auth(token), json={"description": alt})
    assert sim.state.media[media].description == (
        "Fog &amp; rain &lt;3 over the lake &gt;_&lt; second line"
    )


async def test_alt_text_put_without_a_description_stores_an_empty_one(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    answer = await upload(client, token, description="Alt")
    media = answer.json()["id"]
    cleared = await client.put(f"/api/v1/media/{media}", headers=auth(token), json={})
    assert cleared.status_code == 200
    assert cleared.json()["description"] == ""
    assert sim.state.media[media].description == ""


@pytest.mark.parametrize("status_text", [None, ""])
async def test_edit_without_a_caption_needs_media_ids(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, status_text: str | None
) -> None:
    status = await new_status(client, token, status="Keep me")
    body = {} if status_text is None else {"status": status_text}
    answer = await client.put(f"/api/v1/statuses/{status['id']}", headers=auth(token), json=body)
    assert answer.status_code == 500
    assert "media_ids" in answer.json()["errors"]
    assert sim.state.statuses[status["id"]].caption == "Keep me"
    media = [m["id"] for m in status["media_attachments"]]
    emptied = await client.put(
        f"/api/v1/statuses/{status['id']}",
        headers=auth(token),
        json={**body, "media_ids": media},
    )
    assert emptied.status_code == 200
    assert sim.state.statuses[status["id"]].caption is None
    read = await client.get(f"/api/v1/statuses/{status['id']}", headers=auth(token))
    assert read.json()["content"] is None


@pytest.mark.parametrize(
    ("caption", "kept"),
    [
        ("I <3 fog over the lake", "I "),
        ("A <b>bold</b> move", "A bold move"),
        ("5 < 6 and 7 > 2", "5 < 6 and 7 > 2"),
        ("Ends with <", "Ends with "),
        ('a <a title="x>y">link</a> here', "a link here"),
        ("skip <!-- a > comment --> this", "skip  this"),
    ],
)
async def test_a_new_caption_goes_through_php_strip_tags(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, caption: str, kept: str
) -> None:
    body = await new_status(client, token, status=caption)
    assert sim.state.statuses[body["id"]].caption == kept


async def test_a_new_captions_text_is_not_escaped_in_content(
    client: httpx.AsyncClient, token: str
) -> None:
    body = await new_status(client, token, status="Fog & rain #lake")
    # Autolink links hashtags but leaves the text as it is.
    assert body["content"].startswith("Fog & rain <a href=")
    assert body["language"] == "en"  # set on the create answer only
    assert body["card"] is None


@pytest.mark.parametrize("case", ["attached", "missing", "collected", "foreign", "garbage"])
async def test_create_with_an_unusable_media_id_answers_invalid_media_ids(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, case: str
) -> None:
    if case == "attached":
        media = (await new_status(client, token))["media_attachments"][0]["id"]
    elif case == "missing":
        media = "999999"
    elif case == "collected":
        media = await media_id(client, token)
        sim.advance(7200)
        assert media not in sim.state.media
    elif case == "foreign":
        _, bob = sim.create_account_with_token("bob")
        media = await media_id(client, bob)
    else:
        media = "not-an-id"
    statuses = len(sim.state.statuses)
    answer = await post_status(client, token, [media])
    assert answer.status_code == 400
    assert answer.json() == {"error": "Invalid media_ids"}
    assert len(sim.state.statuses) == statuses


@pytest.mark.parametrize("case", ["missing", "foreign", "reply"])
async def test_an_edit_the_caller_may_not_make_is_a_500_unauthorized(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str, case: str
) -> None:
    if case == "missing":
        status_id = "710000000000999999"
    elif case == "foreign":
        _, bob = sim.create_account_with_token("bob")
        status_id = (await new_status(client, bob))["id"]
    else:
        parent = await new_status(client, token)
        reply = await client.post(
            "/api/v1/statuses",
            headers=auth(token),
            json={"status": "a reply", "in_reply_to_id": parent["id"]},
        )
        status_id = reply.json()["id"]
    url = f"/api/v1/statuses/{status_id}"
    answer = await client.put(url, headers=auth(token), json={"status": "mine now"})
    assert answer.status_code == 500
    assert answer.json() == {"error": "This action is unauthorized."}
    page = await client.put(url, headers={"Accept": "text/html", **auth(token)}, json={})
    assert page.status_code == 403
    sim.settings.error_quirk = False
    assert (await client.put(url, headers=auth(token), json={"status": "x"})).status_code == 403


async def test_verify_credentials_marks_a_never_active_account_active(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    account = sim.create_account("dormant", active=False)
    token = sim.create_token(account)
    assert (await upload(client, token, version=2)).json() == []
    verified = await client.get("/api/v1/accounts/verify_credentials", headers=auth(token))
    assert verified.status_code == 200
    assert account.last_active_at is not None
    assert (await upload(client, token, version=2)).status_code == 202


async def test_a_v1_upload_marks_the_account_active_but_answers_the_first_one_empty(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    account = sim.create_account("dormant", active=False)
    token = sim.create_token(account)
    assert (await upload(client, token)).json() == []
    second = await upload(client, token)
    assert second.status_code == 200
    assert second.json()["id"] in sim.state.media


async def test_the_landing_page_is_where_a_form_without_json_is_sent_back(
    base_url: str, token: str
) -> None:
    async with httpx.AsyncClient(
        verify=default_tls_context(), base_url=base_url, follow_redirects=False
    ) as browser:
        refused = await browser.post(
            "/api/v1/statuses",
            headers={"Accept": "text/html", **auth(token)},
            json={"visibility": "direct"},
        )
        assert refused.status_code == 302
        assert refused.headers["location"] == f"{base_url}/"
        landing = await browser.get("/")
        assert landing.status_code == 200
        assert landing.headers["content-type"].startswith("text/html")


async def test_reads_have_no_language_card_or_pinned(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    status = await new_status(client, token, status="Lake")
    read = (await client.get(f"/api/v1/statuses/{status['id']}", headers=auth(token))).json()
    assert read["language"] is None
    assert "card" not in read
    assert "pinned" not in read
    # `exp.emc` (on by default): the Mastodon entity has no `content_text`, only `content`.
    assert "content_text" not in read
    account_id = next(iter(sim.state.accounts))
    [listed] = (
        await client.get(f"/api/v1/accounts/{account_id}/statuses", headers=auth(token))
    ).json()
    assert listed["language"] is None
    assert "card" not in listed


async def test_min_id_gives_the_newest_page_above_it_and_since_id_is_ignored(
    sim: PixelfedSimulator, client: httpx.AsyncClient, token: str
) -> None:
    created = [(await new_status(client, token, status=f"n{i}"))["id"] for i in range(5)]
    account_id = next(iter(sim.state.accounts))
    url = f"/api/v1/accounts/{account_id}/statuses"

    async def ids(**params: Any) -> list[str]:
        answer = await client.get(url, headers=auth(token), params=params)
        return [s["id"] for s in answer.json()]

    # Mastodon would answer the two just above min_id (n2, n1); pixelfed the newest two.
    assert await ids(min_id=created[0], limit=2) == [created[4], created[3]]
    assert await ids(since_id=created[3]) == list(reversed(created))


async def test_instance_v2_is_cached_for_half_an_hour(
    sim: PixelfedSimulator, client: httpx.AsyncClient
) -> None:
    first = (await client.get("/api/v2/instance")).json()
    sim.settings.max_caption_length = 1000
    cached = (await client.get("/api/v2/instance")).json()
    assert (
        cached["configuration"]["statuses"]["max_characters"]
        == 500
        == (first["configuration"]["statuses"]["max_characters"])
    )
    sim.advance(1800)
    fresh = (await client.get("/api/v2/instance")).json()
    assert fresh["configuration"]["statuses"]["max_characters"] == 1000
