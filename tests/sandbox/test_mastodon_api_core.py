"""The Mastodon-API core the pixelfed and Mastodon simulators share (`sandbox/mastodon_api/`).

The core's rules (paging, Idempotency-Key memory, bearer tokens, the request log's view
of parameters), its contract with a server built on it (over real HTTP, with a small
server of our own), and what the two real simulators do through it.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from imatch.tls import default_tls_context
from sandbox.faults import ASGIApp, FaultKnobs, Receive, Scope, Send
from sandbox.mastodon_api.answers import error_answer
from sandbox.mastodon_api.paging import PageRequest, page_of
from sandbox.mastodon_api.requests import (
    UploadedFile,
    bearer_token,
    loggable_params,
    parse_json_body,
    sniff_mime,
)
from sandbox.mastodon_api.server import ApiMethods, MastodonApiSimulator, RouteSpec
from sandbox.mastodon_api.state import (
    ApiAccount,
    ApiMedia,
    ApiState,
    ApiStatus,
    ApiToken,
    IdempotencyKeys,
)
from sandbox.mastodon_methods import MASTODON_PAGING
from sandbox.mastodon_server import MastodonSimulator
from sandbox.pixelfed_methods import PIXELFED_PAGING
from sandbox.pixelfed_server import PixelfedSimulator
from sandbox.serving import serve_in_thread

START = 1_700_000_000.0
JSON = {"Accept": "application/json"}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 90, 90)).save(buffer, "JPEG")
    return buffer.getvalue()


# --- the core's rules ---------------------------------------------------------------------


def statuses(*ids: int) -> list[ApiStatus]:
    return [
        ApiStatus(id=str(i), account_id="1", visibility="public", media_ids=[], created_at=0)
        for i in ids
    ]


def ids_of(page: list[ApiStatus]) -> list[int]:
    return [int(s.id) for s in page]


@pytest.mark.parametrize(
    ("asked", "mastodon", "pixelfed"),
    [
        (PageRequest(limit=3), [10, 9, 8], [10, 9, 8]),
        (PageRequest(limit=3, max_id=8), [7, 6, 5], [7, 6, 5]),
        # Mastodon pages forward from min_id; pixelfed gives the newest page above it.
        (PageRequest(limit=3, min_id=3), [6, 5, 4], [10, 9, 8]),
        # pixelfed's min_id wins over max_id.
        (PageRequest(limit=3, min_id=3, max_id=6), [5, 4], [10, 9, 8]),
        # pixelfed ignores since_id.
        (PageRequest(limit=3, since_id=8), [10, 9], [10, 9, 8]),
        (PageRequest(limit=0), [], []),
    ],
)
def test_paging_follows_each_servers_rules(
    asked: PageRequest, mastodon: list[int], pixelfed: list[int]
) -> None:
    shuffled = statuses(4, 9, 1, 7, 10, 2, 6, 3, 8, 5)
    assert ids_of(page_of(shuffled, asked, MASTODON_PAGING)) == mastodon
    assert ids_of(page_of(shuffled, asked, PIXELFED_PAGING)) == pixelfed


def test_idempotency_keys_last_until_they_expire_and_belong_to_one_account() -> None:
    keys = IdempotencyKeys()
    keys.remember("alice", "k", "status-1", until=100.0)
    remembered = keys.recall("alice", "k", now=99.0)
    assert remembered is not None
    assert remembered.status_id == "status-1"
    assert keys.recall("bob", "k", now=99.0) is None
    assert keys.recall("alice", "other", now=99.0) is None
    assert keys.recall("alice", "k", now=100.0) is None


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (b"Bearer abc", "abc"),
        (b"bearer  abc ", "abc"),
        (b"Basic abc", None),
        (b"Bearer ", None),
        (b"", None),
    ],
)
def test_the_bearer_token_is_read_from_the_authorization_header(
    header: bytes, token: str | None
) -> None:
    headers = {b"authorization": header} if header else {}
    assert bearer_token(headers) == token


def test_the_request_log_shows_parameters_without_secrets_or_file_contents() -> None:
    params = {
        "media_ids": ["1", "2"],
        "status": "Fog",
        "file": UploadedFile("photo.jpg", "image/jpeg", b"\xff\xd8\xff" + b"x" * 97),
        "client_secret": "s3cret",
        "refresh_token": "r3fresh",
        "code": "c0de",
    }
    logged = loggable_params(params, "key-1")
    assert logged == {
        "media_ids": "1,2",
        "status": "Fog",
        "file": "<photo.jpg: 100 bytes>",
        "client_secret": "***",
        "refresh_token": "***",
        "code": "***",
        "Idempotency-Key": "key-1",
    }


def test_json_bodies_that_are_no_object_read_as_no_parameters() -> None:
    assert parse_json_body(b'{"status": "x"}') == {"status": "x"}
    assert parse_json_body(b"[1, 2]") == {}
    assert parse_json_body(b"{not json") == {}
    assert parse_json_body(b"") == {}


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\xff\xd8\xff\xe0", "image/jpeg"),
        (b"\x00\x00\x00\x18ftypheic", "image/heic"),
        (b"\x00\x00\x00\x18ftypavif", "image/avif"),
        (b"\x00\x00\x00\x18ftypisom", "video/mp4"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"hello", "text/plain"),
    ],
)
def test_uploads_are_typed_by_their_content(head: bytes, mime: str) -> None:
    assert sniff_mime(head) == mime


# --- a server built on the core -----------------------------------------------------------


class TinyState(ApiState[ApiAccount, ApiToken, ApiMedia, ApiStatus]):
    pass


class TinyMethods(ApiMethods):
    """Each shared endpoint answers its own name; `create_status` changes state."""

    def __init__(self, sim: TinySimulator) -> None:
        self.sim = sim

    @staticmethod
    def _named(name: str, request: Request) -> Response:
        return JSONResponse({"endpoint": name, "path_params": request.path_params})

    def instance_v1(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("instance_v1", request)

    def instance_v2(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("instance_v2", request)

    def verify_credentials(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("verify_credentials", request)

    def account_statuses(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("account_statuses", request)

    def upload_v1(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("upload_v1", request)

    def upload_v2(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("upload_v2", request)

    def show_media(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("show_media", request)

    def update_media(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("update_media", request)

    def show_status(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("show_status", request)

    def update_status(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("update_status", request)

    def delete_status(self, request: Request, params: dict[str, Any]) -> Response:
        return self._named("delete_status", request)

    def create_status(self, request: Request, params: dict[str, Any]) -> Response:
        if params.get("status") == "refuse":
            raise error_answer(418, "refused", {"X-Why": "asked to"})
        status = ApiStatus(
            id=str(len(self.sim.state.statuses) + 1),
            account_id="1",
            visibility="public",
            media_ids=[],
            created_at=self.sim.now(),
        )
        self.sim.store_status(status, [])
        self.sim.after_mutation(request)
        return JSONResponse({"endpoint": "create_status", "id": status.id})


class TinySimulator(MastodonApiSimulator[ApiAccount, ApiToken, ApiMedia, ApiStatus]):
    """The least a server must say for itself; everything else comes from the core."""

    def __init__(self, knobs: FaultKnobs | None = None) -> None:
        super().__init__(TinyState(), knobs, clock=lambda: START)
        self.methods = TinyMethods(self)
        self.jobs_run = 0
        self.refuse_at_the_door = False

    def create_account(self, username: str = "alice") -> ApiAccount:
        raise NotImplementedError

    def create_token(self, account: ApiAccount | str, scopes: tuple[str, ...] = ("read",)) -> str:
        raise NotImplementedError

    def run_due_jobs(self) -> None:
        self.jobs_run += 1

    async def read_params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            params.update(parse_json_body(await request.body()))
        return params

    async def render_routing_error(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("no such route here", 404)

    def extra_routes(self) -> list[RouteSpec]:
        return [("/extra", "GET", lambda request, params: PlainTextResponse("extra"))]

    def front_layer(self, app: ASGIApp) -> ASGIApp:
        async def door(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and self.refuse_at_the_door:
                await PlainTextResponse("closed", 503)(scope, receive, send)
                return
            await app(scope, receive, send)

        return door

    def fault_error_body(self, status: int) -> Any:
        return {"tiny": status}


@pytest.fixture
def tiny() -> TinySimulator:
    return TinySimulator()


@pytest.fixture
async def tiny_client(tiny: TinySimulator) -> AsyncIterator[httpx.AsyncClient]:
    with serve_in_thread(tiny.asgi_app) as url:
        async with httpx.AsyncClient(verify=default_tls_context(), base_url=url, timeout=5) as http:
            yield http


SHARED_ENDPOINTS = [
    ("GET", "/api/v1/instance", "instance_v1"),
    ("GET", "/api/v2/instance", "instance_v2"),
    ("GET", "/api/v1/accounts/verify_credentials", "verify_credentials"),
    ("GET", "/api/v1/accounts/42/statuses", "account_statuses"),
    ("POST", "/api/v1/media", "upload_v1"),
    ("POST", "/api/v2/media", "upload_v2"),
    ("GET", "/api/v1/media/7", "show_media"),
    ("PUT", "/api/v1/media/7", "update_media"),
    ("POST", "/api/v1/statuses", "create_status"),
    ("GET", "/api/v1/statuses/9", "show_status"),
    ("PUT", "/api/v1/statuses/9", "update_status"),
    ("DELETE", "/api/v1/statuses/9", "delete_status"),
]


async def test_the_core_routes_every_shared_endpoint_to_the_servers_methods(
    tiny_client: httpx.AsyncClient,
) -> None:
    for method, path, name in SHARED_ENDPOINTS:
        answer = await tiny_client.request(method, path, json={})
        assert answer.status_code == 200, (method, path)
        assert answer.json()["endpoint"] == name
    assert (await tiny_client.get("/api/v1/accounts/42/statuses")).json()["path_params"] == {
        "account_id": "42"
    }
    assert (await tiny_client.get("/extra")).text == "extra"


async def test_unknown_routes_and_methods_are_answered_by_the_server(
    tiny_client: httpx.AsyncClient,
) -> None:
    for answer in (
        await tiny_client.get("/api/v1/nothing"),
        await tiny_client.patch("/api/v1/statuses/9"),
    ):
        assert (answer.status_code, answer.text) == (404, "no such route here")


async def test_an_api_answer_raised_by_a_handler_is_sent_as_it_is(
    tiny_client: httpx.AsyncClient,
) -> None:
    answer = await tiny_client.post("/api/v1/statuses", json={"status": "refuse"})
    assert answer.status_code == 418
    assert answer.json() == {"error": "refused"}
    assert answer.headers["x-why"] == "asked to"


async def test_requests_are_logged_with_their_parameters_and_idempotency_key(
    tiny: TinySimulator, tiny_client: httpx.AsyncClient
) -> None:
    await tiny_client.post(
        "/api/v1/statuses?visibility=public",
        json={"status": "Fog", "media_ids": ["3", "4"], "access_token": "t0ken"},
        headers={"Idempotency-Key": "abc"},
    )
    record = tiny.log.matching("/api/v1/statuses")[-1]
    assert record.params == {
        "visibility": "public",
        "status": "Fog",
        "media_ids": "3,4",
        "access_token": "***",
        "Idempotency-Key": "abc",
    }
    assert record.status == 200


async def test_faults_wrap_the_servers_front_layer(
    tiny: TinySimulator, tiny_client: httpx.AsyncClient
) -> None:
    tiny.knobs.fail_requests = {len(tiny.log) + 1}
    failed = await tiny_client.get("/api/v1/instance")
    assert (failed.status_code, failed.json()) == (500, {"tiny": 500})

    tiny.refuse_at_the_door = True
    refused = await tiny_client.get("/api/v1/instance")
    assert refused.status_code == 503
    assert tiny.log.records[-1].status == 503  # logged although the front layer answered


async def test_a_dropped_answer_leaves_the_change_made(
    tiny: TinySimulator, tiny_client: httpx.AsyncClient
) -> None:
    tiny.knobs.drop_mutations = {tiny.knobs.mutations + 1}
    with pytest.raises(httpx.TransportError):
        await tiny_client.post("/api/v1/statuses", json={"status": "lost"})
    assert list(tiny.state.statuses) == ["1"]
    again = await tiny_client.post("/api/v1/statuses", json={"status": "kept"})
    assert again.json() == {"endpoint": "create_status", "id": "2"}


def test_advancing_the_clock_runs_the_servers_due_jobs(tiny: TinySimulator) -> None:
    tiny.advance(30)
    assert tiny.now() == START + 30
    assert tiny.jobs_run == 1


# --- the two simulators through the core --------------------------------------------------

Simulator = PixelfedSimulator | MastodonSimulator


@pytest.fixture(params=["pixelfed", "mastodon"])
def sim(request: pytest.FixtureRequest) -> Simulator:
    if request.param == "pixelfed":
        return PixelfedSimulator(clock=lambda: START)
    return MastodonSimulator(clock=lambda: START)


@pytest.fixture
def sim_url(sim: Simulator) -> Iterator[str]:
    with serve_in_thread(sim.asgi_app) as url:
        yield url


@pytest.fixture
async def client(sim_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        verify=default_tls_context(), base_url=sim_url, headers=JSON, timeout=5
    ) as http:
        yield http


def test_both_simulators_are_built_on_the_core(sim: Simulator) -> None:
    assert isinstance(sim, MastodonApiSimulator)
    assert isinstance(sim.methods, ApiMethods)
    routes = [(path, method) for path, method, _ in sim.methods.shared_routes()]
    assert routes == [(path, method) for path, method, _ in TinySimulator().methods.shared_routes()]


async def upload_and_post(
    client: httpx.AsyncClient, token: str, key: str
) -> tuple[str, httpx.Response]:
    auth = {"Authorization": f"Bearer {token}"}
    media = await client.post(
        "/api/v1/media", headers=auth, files={"file": ("photo.jpg", jpeg(), "image/jpeg")}
    )
    assert media.status_code == 200, media.text
    media_id = str(media.json()["id"])
    status = await client.post(
        "/api/v1/statuses",
        headers=auth | {"Idempotency-Key": key},
        json={"status": "Fog #lake", "media_ids": [media_id]},
    )
    return media_id, status


async def test_both_log_a_new_posts_media_ids_and_idempotency_key(
    sim: Simulator, client: httpx.AsyncClient
) -> None:
    _, token = sim.create_account_with_token("alice")
    media_id, status = await upload_and_post(client, token, "post-1")
    assert status.status_code == 200, status.text
    logged = sim.log.matching("/api/v1/statuses")[-1].params
    assert logged["media_ids"] == media_id
    assert logged["Idempotency-Key"] == "post-1"
    assert sim.status_with_media(media_id) is not None
    assert [s.id for s in sim.statuses_of(next(iter(sim.state.accounts)))] == [
        str(status.json()["id"])
    ]


@pytest.mark.parametrize(("kind", "vacuum_seconds"), [("pixelfed", 7200), ("mastodon", 86400)])
async def test_each_servers_vacuum_removes_unattached_media_at_its_own_age(
    kind: str, vacuum_seconds: int
) -> None:
    sim: Simulator = (
        PixelfedSimulator(clock=lambda: START)
        if kind == "pixelfed"
        else MastodonSimulator(clock=lambda: START)
    )
    _, token = sim.create_account_with_token("alice")
    with serve_in_thread(sim.asgi_app) as url:
        async with httpx.AsyncClient(
            verify=default_tls_context(), base_url=url, headers=JSON, timeout=5
        ) as http:
            media_id, status = await upload_and_post(http, token, "k")
            assert status.status_code == 200
            loose = await http.post(
                "/api/v1/media",
                headers={"Authorization": f"Bearer {token}"},
                files={"file": ("loose.jpg", jpeg(), "image/jpeg")},
            )
    loose_id = str(loose.json()["id"])
    sim.advance(vacuum_seconds - 1)
    assert loose_id in sim.state.media
    sim.advance(1)
    assert loose_id not in sim.state.media
    assert media_id in sim.state.media  # attached: kept
    assert sim.state.removed_media_ids == [loose_id]


async def test_pixelfed_remembers_an_idempotency_key_for_the_time_set_when_it_was_stored() -> None:
    """`Cache::put($key, 1, 3600)`: a later change of the setting does not shorten it."""
    sim = PixelfedSimulator(clock=lambda: START)
    _, token = sim.create_account_with_token("alice")
    with serve_in_thread(sim.asgi_app) as url:
        async with httpx.AsyncClient(
            verify=default_tls_context(), base_url=url, headers=JSON, timeout=5
        ) as http:
            _, first = await upload_and_post(http, token, "same")
            assert first.status_code == 200
            sim.settings.idempotency_window_seconds = 60
            sim.advance(120)
            _, repeat = await upload_and_post(http, token, "same")
            assert (repeat.status_code, repeat.json()) == (
                400,
                {"error": "Duplicate idempotency key."},
            )
            sim.advance(3600)
            _, later = await upload_and_post(http, token, "same")
            assert later.status_code == 200
    assert sim.state.collected_media_ids is sim.state.removed_media_ids


def broken_png() -> bytes:
    """A PNG whose header reads fine but whose image data fails its checksum."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 90, 90)).save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0xFF
    return bytes(data)


async def test_mastodon_refuses_a_broken_image_that_pixelfed_takes() -> None:
    """Mastodon checks the whole file (422 "could not be verified"); pixelfed reads the
    size from the header and takes it."""
    for sim in (MastodonSimulator(clock=lambda: START), PixelfedSimulator(clock=lambda: START)):
        _, token = sim.create_account_with_token("alice")
        with serve_in_thread(sim.asgi_app) as url:
            async with httpx.AsyncClient(
                verify=default_tls_context(), base_url=url, headers=JSON, timeout=5
            ) as http:
                answer = await http.post(
                    "/api/v1/media",
                    headers={"Authorization": f"Bearer {token}"},
                    files={"file": ("broken.png", broken_png(), "image/png")},
                )
        if isinstance(sim, MastodonSimulator):
            assert (answer.status_code, answer.json()) == (
                422,
                {"error": "File type of uploaded media could not be verified"},
            )
        else:
            assert answer.status_code == 200


async def test_deleting_a_media_and_a_posts_source_are_mastodons_alone() -> None:
    """pixelfed's `routes/api.php` has no DELETE /api/v1/media/{id} and no
    /api/v1/statuses/{id}/source; Mastodon's `config/routes/api.rb` has both."""
    for sim in (PixelfedSimulator(clock=lambda: START), MastodonSimulator(clock=lambda: START)):
        _, token = sim.create_account_with_token("alice")
        with serve_in_thread(sim.asgi_app) as url:
            async with httpx.AsyncClient(
                verify=default_tls_context(), base_url=url, headers=JSON, timeout=5
            ) as http:
                media_id, status = await upload_and_post(http, token, "k")
                status_id = status.json()["id"]
                auth = {"Authorization": f"Bearer {token}"}
                source = await http.get(f"/api/v1/statuses/{status_id}/source", headers=auth)
                deletion = await http.delete(f"/api/v1/media/{media_id}", headers=auth)
        if isinstance(sim, MastodonSimulator):
            assert (source.status_code, source.json()["text"]) == (200, "Fog #lake")
            assert deletion.status_code == 422  # attached to the post
        else:
            assert source.status_code == 404
            assert deletion.status_code == 405
            assert deletion.json() == {
                "error": "The DELETE method is not supported for this route."
            }
