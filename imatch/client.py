"""Async client for the IMatch web API (IMWS), over httpx.

Every call that takes an id list is chunked (`chunk_size`, default 500) and run with at
most `max_in_flight` requests at once. Reads and idempotent writes are retried on
transient faults; a refused token is renewed once, transparently. Answers are turned into
the dataclasses of `imatch.models` at this edge, and nothing raised here names the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import logging
import random
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from imatch.errors import (
    IMatchAuthError,
    IMatchNotAnswering,
    IMatchRequestError,
    IMatchResponseError,
    IMatchUnavailable,
)
from imatch.models import (
    AppValue,
    AppVariables,
    AttributeRecord,
    Category,
    CategoryRef,
    FileInfo,
    RelatedFile,
    TagValue,
    Values,
)
from imatch.redaction import protect_loggers
from imatch.tls import tls_context_for

DEFAULT_URL = "http://127.0.0.1:50519"
CategorySets = dict[tuple[int, ...], tuple[CategoryRef, ...]]
"""One tuple per distinct list of categories, keyed by the ids of its (one-per-category) refs."""
FILE_FIELDS = ("id", "filename", "name", "datetime", "format", "size", "width", "height")
CATEGORY_FIELDS = ("id", "path", "name", "description", "files", "directfiles", "children")
PING_TIMEOUT = 5.0
PING_VARIABLE = "imatch_to_socials_python_script_path"
"""Read to learn whether IMatch answers (any answer will do)."""
_log = logging.getLogger(__name__)
T = TypeVar("T")
ChunkListener = Callable[[int], None]
"""Told the number of files in each batch whose answer has arrived."""
protect_loggers()


class IMatchClient:
    """One authenticated session with IMatch. Use as `async with IMatchClient(...) as c:`."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        user: str | None = None,
        timeout: float = 30.0,
        chunk_size: int = 500,
        max_in_flight: int = 4,
        retries: int = 3,
        retry_delay: float = 0.25,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.url = url.rstrip("/")
        self.user = user if user is not None else _login_name()
        self.chunk_size = chunk_size
        self.retries = retries
        self.retry_delay = retry_delay
        self._sleep = sleep
        """How the client waits between retries (a caller's fake clock in tests)."""
        self.requests_made = 0
        self._token: str | None = None
        self._auth_lock = asyncio.Lock()
        self._in_flight = asyncio.Semaphore(max(1, max_in_flight))
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=httpx.Timeout(timeout),
            transport=transport,
            verify=tls_context_for(self.url),
            limits=httpx.Limits(max_connections=max(1, max_in_flight)),
        )
        self._app_variables: dict[str, AppValue | None] = {}
        self._category_refs: dict[tuple[str, str], CategoryRef] = {}

    async def __aenter__(self) -> IMatchClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"IMatchClient(url={self.url!r}, user={self.user!r})"

    def _category_ref(self, path: str, description: str) -> CategoryRef:
        """One object per category for every file in it (a library has far fewer
        categories than assignments)."""
        key = (path, description)
        ref = self._category_refs.get(key)
        if ref is None:
            ref = self._category_refs[key] = CategoryRef(_shared(path), _shared(description))
        return ref

    # --- transport ----------------------------------------------------------------------

    async def authenticate(self) -> None:
        """Open a session (done automatically by the first call)."""
        params = {"id": self.user, "password": "", "appid": ""}
        body = await self._with_retries(
            "/v1/authenticate", lambda: self._send("POST", "/v1/authenticate", params)
        )
        token = body.get("auth_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise IMatchAuthError("IMatch did not return an auth token")
        self._token = token

    async def _ensure_token(self) -> str:
        async with self._auth_lock:
            if self._token is None:
                await self.authenticate()
            assert self._token is not None
            return self._token

    async def _renew_token(self, refused: str) -> None:
        async with self._auth_lock:
            if self._token == refused:
                _log.info("IMatch refused the session token; authenticating again")
                self._token = None
                await self.authenticate()

    async def call(self, method: str, endpoint: str, params: Mapping[str, str]) -> Any:
        """One authenticated call, retried when safe; returns the decoded JSON body."""
        return await self._with_retries(
            endpoint, lambda: self._authenticated_call(method, endpoint, params)
        )

    async def _authenticated_call(
        self, method: str, endpoint: str, params: Mapping[str, str]
    ) -> Any:
        token = await self._ensure_token()
        try:
            return await self._send(method, endpoint, {**params, "auth_token": token})
        except IMatchRequestError as error:
            if error.status != 401:
                raise
        await self._renew_token(token)
        token = await self._ensure_token()
        try:
            return await self._send(method, endpoint, {**params, "auth_token": token})
        except IMatchRequestError as error:
            if error.status == 401:
                raise IMatchAuthError(
                    f"IMatch refused the session for {endpoint} even after authenticating again"
                ) from None
            raise

    async def _with_retries(self, endpoint: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """Retry IMatch's transient answers and broken exchanges a few times, briefly.

        When the exchange itself keeps failing, IMatch is not answering: that is
        `IMatchUnavailable` (the engine stops the run on it), never a traceback."""
        for number in range(self.retries + 1):
            try:
                return await attempt()
            except IMatchRequestError as error:
                if not error.transient or number == self.retries:
                    raise
                _log.warning("IMatch %s: %s; retrying", endpoint, error.detail or error.status)
            except _TransientTransportError as error:
                if number == self.retries:
                    if error.refused:
                        raise IMatchUnavailable(self.url) from None
                    raise IMatchNotAnswering(self.url, endpoint, error.kind) from None
                _log.warning("IMatch %s: %s; retrying", endpoint, error.kind)
            await self._sleep(self.retry_delay * (2**number) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        """Check that IMatch answers (briefly retried); raises IMatchUnavailable if not."""

        async def attempt() -> None:
            with contextlib.suppress(IMatchRequestError, IMatchResponseError):  # any answer
                params = {"name": PING_VARIABLE}
                if self._token:
                    params["auth_token"] = self._token
                await self._send("GET", "/v1/imatch/appvar", params, wait=PING_TIMEOUT)

        await self._with_retries("/v1/imatch/appvar", attempt)

    async def _send(
        self,
        method: str,
        endpoint: str,
        params: Mapping[str, str],
        wait: float | None = None,
    ) -> Any:
        """One request; `wait`: seconds to wait for it instead of the client's timeout."""
        extra: dict[str, Any] = {} if wait is None else {"timeout": wait}
        async with self._in_flight:
            self.requests_made += 1
            try:
                if method == "GET":
                    # Whole, so httpx checks the long URL once, not once more to join it
                    # to the base address.
                    url = self.url + with_query(endpoint, params)
                    request = self._http.build_request("GET", url, **extra)
                elif endpoint == "/v1/authenticate":
                    # Real clients send authenticate's parameters in the query string.
                    request = self._http.build_request(
                        "POST", endpoint, params=dict(params), **extra
                    )
                else:
                    request = self._http.build_request("POST", endpoint, data=dict(params), **extra)
                response, content = await self._exchange(request)
            except httpx.ConnectError:
                # Refused or unreachable: the request never left, so it is safe to retry.
                raise _TransientTransportError("ConnectError", refused=True) from None
            except httpx.RequestError as error:
                # Every other failure of the exchange (timeouts, a reset while sending or
                # reading, a cut-off answer, a broken proxy): the call may or may not have
                # been carried out, which is what the callers' retries allow for.
                raise _TransientTransportError(type(error).__name__) from None
        body = _decode(content)
        if response.status_code != 200:
            code, message = _error_details(body)
            raise IMatchRequestError(endpoint, response.status_code, code, message)
        if body is None:
            raise IMatchResponseError(f"IMatch {endpoint} answered without a JSON body")
        return body

    async def _exchange(self, request: httpx.Request) -> tuple[httpx.Response, bytes]:
        """The response and its body, read here rather than kept on the response: httpx's
        response objects refer to each other, and a body they held would stay until the
        cycle collector runs (a headless scan pauses it, issue 17)."""
        response = await self._http.send(request, stream=True)
        try:
            content = b"".join([part async for part in response.aiter_bytes()])
        finally:
            await response.aclose()
        return response, content

    async def _chunked(
        self,
        ids: Iterable[int],
        run: Callable[[list[int]], Awaitable[T]],
        on_chunk: ChunkListener | None = None,
    ) -> list[T]:
        unique = list(dict.fromkeys(ids))
        chunks = [
            unique[start : start + self.chunk_size]
            for start in range(0, len(unique), self.chunk_size)
        ]

        async def run_and_tell(chunk: list[int]) -> T:
            result = await run(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
            return result

        return list(await asyncio.gather(*(run_and_tell(chunk) for chunk in chunks)))

    # --- files --------------------------------------------------------------------------

    async def files(
        self,
        ids: Iterable[int],
        *,
        fields: Sequence[str] = FILE_FIELDS,
        tags: Mapping[str, str] | None = None,
        variables: Mapping[str, str] | None = None,
        on_chunk: ChunkListener | None = None,
    ) -> list[FileInfo]:
        """Properties of files plus `tag<key>` and `var<key>` values, in id order.

        `on_chunk(n)`, here and in the other batched reads, is called as the answer for
        each batch of `n` files arrives (for progress)."""
        base = {"fields": ",".join(dict.fromkeys(("id", *fields)))}
        base.update({f"tag{key}": tag for key, tag in (tags or {}).items()})
        base.update({f"var{key}": expr for key, expr in (variables or {}).items()})
        value_keys = [*(tags or {}), *(variables or {})]

        async def run(chunk: list[int]) -> list[FileInfo]:
            body = await self.call("GET", "/v1/files", {**base, "id": _ids(chunk)})
            return [_file_info(entry, value_keys) for entry in _list(body, "files")]

        return [info for chunk in await self._chunked(ids, run, on_chunk) for info in chunk]

    async def file_categories(
        self,
        ids: Iterable[int],
        on_chunk: ChunkListener | None = None,
        sets: CategorySets | None = None,
    ) -> dict[int, tuple[CategoryRef, ...]]:
        """The categories each file is assigned to, keyed by file id. Files with the same
        categories share one tuple, kept in `sets` (give the same one to every read of a
        scan; a new one per call by default)."""
        known = {} if sets is None else sets

        def one_copy(refs: list[CategoryRef]) -> tuple[CategoryRef, ...]:
            # The refs are one object per category for the client's life: their ids are
            # a cheap key that stays valid.
            key = tuple([id(ref) for ref in refs])
            found = known.get(key)
            if found is None:
                found = known[key] = tuple(refs)
            return found

        async def run(chunk: list[int]) -> dict[int, tuple[CategoryRef, ...]]:
            params = {"id": _ids(chunk), "fields": "path,description"}
            body = await self.call("GET", "/v1/files/categories", params)
            return {
                _int(entry, "id"): one_copy(
                    [
                        self._category_ref(_str(c, "path"), _str(c, "description"))
                        for c in _list(entry, "categories")
                    ]
                )
                for entry in _list(body, "files")
            }

        return _merge(await self._chunked(ids, run, on_chunk))

    async def relations(
        self, ids: Iterable[int], kind: str, on_chunk: ChunkListener | None = None
    ) -> dict[int, list[list[RelatedFile]]]:
        """Relation groups of each file: `kind` is `versions` or `masters`."""
        _check_relation_kind(kind)

        async def run(chunk: list[int]) -> dict[int, list[list[RelatedFile]]]:
            return {
                _int(entry, "id"): [
                    [_related_file(f) for f in _list(group, "files")]
                    for group in _list(entry, kind)
                ]
                for entry in await self._relation_entries(chunk, kind)
            }

        return _merge(await self._chunked(ids, run, on_chunk))

    async def related_ids(
        self, ids: Iterable[int], kind: str, on_chunk: ChunkListener | None = None
    ) -> dict[int, tuple[int, ...]]:
        """`relations`, as the ids of each file's related files (in order, once each),
        for the files that have any: at 50,000 files, what a scan keeps of its masters."""
        _check_relation_kind(kind)

        async def run(chunk: list[int]) -> dict[int, tuple[int, ...]]:
            found = {}
            for entry in await self._relation_entries(chunk, kind):
                related = [_int(f, "id") for g in _list(entry, kind) for f in _list(g, "files")]
                if related:
                    found[_int(entry, "id")] = tuple(dict.fromkeys(related))
            return found

        return _merge(await self._chunked(ids, run, on_chunk))

    async def _relation_entries(self, chunk: list[int], kind: str) -> list[dict[str, Any]]:
        """One chunk's `/v1/files/relations` answer: an entry per file."""
        body = await self.call("GET", "/v1/files/relations", {"id": _ids(chunk), "type": kind})
        return _list(body, "files")

    # --- categories ---------------------------------------------------------------------

    async def category(self, path: str, fields: Sequence[str] = CATEGORY_FIELDS) -> Category | None:
        """The category at `path` (children one level deep), or None when it does not exist."""
        body = await self.call("GET", "/v1/categories", {"path": path, "fields": ",".join(fields)})
        found = _list(body, "categories")
        return _category(found[0], path) if found else None

    async def assign(self, path: str, ids: Iterable[int]) -> None:
        """Assign files to a category (IMatch creates a missing path)."""
        await self._category_write("/v1/categories/assign", path, ids)

    async def unassign(self, path: str, ids: Iterable[int]) -> None:
        """Remove files from a category; files not in it are ignored."""
        await self._category_write("/v1/categories/unassign", path, ids)

    async def _category_write(self, endpoint: str, path: str, ids: Iterable[int]) -> None:
        async def run(chunk: list[int]) -> None:
            body = await self.call("POST", endpoint, {"path": path, "fileid": _ids(chunk)})
            _expect_ok(body, endpoint)

        await self._chunked(ids, run)

    # --- attributes ---------------------------------------------------------------------

    async def attributes(
        self, set_name: str, ids: Iterable[int], on_chunk: ChunkListener | None = None
    ) -> dict[int, list[AttributeRecord]]:
        """Every instance of attribute set `set_name` on each file that has one."""

        async def run(chunk: list[int]) -> dict[int, list[AttributeRecord]]:
            body = await self.call("GET", "/v1/attributes", {"set": set_name, "id": _ids(chunk)})
            result: dict[int, list[AttributeRecord]] = {}
            for entry in _list(body, "result"):
                records = [_attribute_record(d, entry) for d in _list(entry, "data")]
                for record in records:
                    result.setdefault(record.file_id, []).append(record)
            return result

        return _merge(await self._chunked(ids, run, on_chunk))

    async def add_attribute_record(
        self, set_name: str, file_id: int, values: Mapping[str, str]
    ) -> None:
        """Create one record. Not idempotent in IMatch, so a failed call is checked first."""
        tasks = json.dumps([{"op": "add", "data": dict(values)}])
        params = {"set": set_name, "id": str(file_id), "tasks": tasks}

        async def attempt() -> Any:
            try:
                return await self._authenticated_call("POST", "/v1/attributes", params)
            except (IMatchRequestError, _TransientTransportError):
                existing = await self.attributes(set_name, [file_id])
                if any(_same_values(r.values, values) for r in existing.get(file_id, [])):
                    return {"result": "ok"}
                raise

        _expect_ok(await self._with_retries("/v1/attributes", attempt), "/v1/attributes")

    async def update_attribute_records(
        self, set_name: str, updates: Mapping[int, tuple[int, Mapping[str, str]]]
    ) -> None:
        """Update records in batches: file id -> (instance id, values to set)."""

        async def run(chunk: list[int]) -> None:
            tasks = [
                {"op": "update", "instanceid": [updates[f][0]], "data": dict(updates[f][1])}
                for f in chunk
            ]
            params = {"set": set_name, "id": _ids(chunk), "tasks": json.dumps(tasks)}
            _expect_ok(await self.call("POST", "/v1/attributes", params), "/v1/attributes")

        await self._chunked(updates, run)

    async def delete_attribute_records(
        self, set_name: str, instances: Mapping[int, Sequence[int]]
    ) -> None:
        """Delete records in batches: file id -> instance ids of that file."""

        async def run(chunk: list[int]) -> None:
            ids = [i for f in chunk for i in instances[f]]
            tasks = json.dumps([{"op": "delete", "instanceid": ids}])
            params = {"set": set_name, "id": _ids(chunk), "tasks": tasks}
            _expect_ok(await self.call("POST", "/v1/attributes", params), "/v1/attributes")

        await self._chunked([f for f, ids in instances.items() if ids], run)

    # --- application variables ----------------------------------------------------------

    async def app_variables(self, names: Iterable[str]) -> AppVariables:
        """Read application variables (each at most once per session, concurrently)."""
        wanted = [n for n in dict.fromkeys(names) if n not in self._app_variables]

        async def read(name: str) -> None:
            body = await self.call("GET", "/v1/imatch/appvar", {"name": name})
            value = body.get("value") if isinstance(body, dict) else None
            self._app_variables[name] = value if isinstance(value, str | int | float) else None

        async def read_or_missing(name: str) -> None:
            try:
                await read(name)
            except IMatchRequestError as error:
                if error.status != 404:
                    raise
                self._app_variables[name] = None

        await asyncio.gather(*(read_or_missing(n) for n in wanted))
        return AppVariables({n: v for n, v in self._app_variables.items() if v is not None})


class _TransientTransportError(Exception):
    """A broken exchange: a timeout, a reset or dropped connection (`refused`: IMatch did not
    accept the connection at all). A write may or may not have been carried out."""

    def __init__(self, kind: str, refused: bool = False) -> None:
        super().__init__(kind)
        self.kind = kind
        self.refused = refused


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "imatch-socials"


def _decode(content: bytes) -> Any:
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def _error_details(body: Any) -> tuple[int | None, str]:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        return (
            code if isinstance(code, int) else None,
            message if isinstance(message, str) else "",
        )
    return None, ""


def _expect_ok(body: Any, endpoint: str) -> None:
    if not isinstance(body, dict) or body.get("result") != "ok":
        raise IMatchResponseError(f"IMatch {endpoint} did not answer result=ok")


def with_query(endpoint: str, params: Mapping[str, str]) -> str:
    """`endpoint?id=1,2,3&...`: the query encoded once, here. Commas (which separate ids)
    stay as they are, everything else is percent-encoded; given as `params`, httpx would
    write every comma as `%2C` and then walk the URL once per escape, which at 500 ids a
    request costs more than the request itself."""
    if not params:
        return endpoint
    query = "&".join(
        f"{quote(str(key), safe='')}={quote(str(value), safe=',')}" for key, value in params.items()
    )
    return f"{endpoint}?{query}"


def _ids(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in ids)


def _merge(parts: Iterable[dict[int, T]]) -> dict[int, T]:
    merged: dict[int, T] = {}
    for part in parts:
        merged.update(part)
    return merged


def _check_relation_kind(kind: str) -> None:
    if kind not in ("versions", "masters"):
        raise ValueError("kind must be 'versions' or 'masters'")


def _list(body: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        raise IMatchResponseError(f"IMatch answered {type(body).__name__}, expected an object")
    value = body.get(key, [])
    if not isinstance(value, list):
        raise IMatchResponseError(f"IMatch answer key {key!r} is not a list")
    return [v for v in value if isinstance(v, dict)]


def _int(entry: Mapping[str, Any], key: str, default: int | None = None) -> int:
    value = entry.get(key, default)
    if type(value) is int:  # the usual case, checked first: this runs for every file
        return value
    if isinstance(value, bool) or value is None:
        raise IMatchResponseError(f"IMatch answer is missing the number {key!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise IMatchResponseError(f"IMatch answer key {key!r} is not a number") from None


def _id_list(entry: Mapping[str, Any], key: str) -> tuple[int, ...]:
    """A list of file ids; anything else is a named IMatchResponseError, not a crash."""
    value = entry.get(key) or []
    try:
        if not isinstance(value, list) or any(isinstance(i, bool) for i in value):
            raise TypeError
        return tuple(int(i) for i in value)
    except (TypeError, ValueError):
        raise IMatchResponseError(f"IMatch answer key {key!r} is not a list of numbers") from None


def _str(entry: Mapping[str, Any], key: str) -> str:
    value = entry.get(key)
    if type(value) is str:
        return value
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _date_time(text: str) -> datetime | None:
    """IMatch's local date and time; an offset, if any, is dropped (not applied)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)  # takes `Z` too (Python 3.11)
    except ValueError:
        return None
    return moment if moment.tzinfo is None else moment.replace(tzinfo=None)


SHARED_TEXT_CHARS = 100
"""Texts up to this long are kept once however many files hold them (camera, lens,
format, keywords, category paths repeat across tens of thousands of files)."""


def _shared(text: str) -> str:
    return sys.intern(text) if len(text) <= SHARED_TEXT_CHARS else text


def _tag_value(value: Any) -> TagValue:
    if type(value) is str:
        return _shared(value)
    if isinstance(value, list):
        return tuple([_shared(str(v)) for v in value if v is not None])
    if value is None:
        return ""
    return _shared(str(value))


def _file_info(entry: Mapping[str, Any], value_keys: Sequence[str]) -> FileInfo:
    # Only values that are set are kept: `text()` and `items()` read a missing one as empty.
    names: list[str] = []
    values: list[TagValue] = []
    get = entry.get
    for key in value_keys:
        value = get(key)
        if type(value) is str:  # most values: a short cut past `_tag_value`
            if value:
                names.append(key)
                values.append(sys.intern(value) if len(value) <= SHARED_TEXT_CHARS else value)
        elif value is not None and (value := _tag_value(value)):
            names.append(key)
            values.append(value)
    # Each property as IMatch sends it (a number, a string) is taken as it is; anything
    # else goes through the checking conversions.
    file_id, size, width, height = get("id"), get("size", 0), get("width", 0), get("height", 0)
    file_name, name, format, taken = get("fileName"), get("name"), get("format"), get("dateTime")
    return FileInfo(
        file_id if type(file_id) is int else _int(entry, "id"),
        file_name if type(file_name) is str else _str(entry, "fileName"),
        name if type(name) is str else _str(entry, "name"),
        _shared(format if type(format) is str else _str(entry, "format")),
        size if type(size) is int else _int(entry, "size", 0),
        width if type(width) is int else _int(entry, "width", 0),
        height if type(height) is int else _int(entry, "height", 0),
        _date_time(taken if type(taken) is str else _str(entry, "dateTime")),
        Values(tuple(names), tuple(values)),
    )


def _related_file(entry: Mapping[str, Any]) -> RelatedFile:
    return RelatedFile(
        id=_int(entry, "id"),
        name=_str(entry, "name"),
        file_name=_str(entry, "fileName"),
        format=_str(entry, "format"),
        size=_int(entry, "size", 0),
    )


def _category(entry: Mapping[str, Any], fallback_path: str = "") -> Category:
    path = _str(entry, "path") or fallback_path
    children = entry.get("children", [])
    return Category(
        path=path,
        id=_int(entry, "id") if "id" in entry else None,
        name=_str(entry, "name") or path.rsplit("|", 1)[-1],
        description=_str(entry, "description"),
        files=_id_list(entry, "files"),
        direct_files=_id_list(entry, "directFiles"),
        children=tuple(
            _category(c, f"{path}|{_str(c, 'name')}")
            for c in (children if isinstance(children, list) else [])
            if isinstance(c, dict)
        ),
    )


def _attribute_record(data: Mapping[str, Any], entry: Mapping[str, Any]) -> AttributeRecord:
    values = {
        k: ("" if v is None else str(v))
        for k, v in data.items()
        if k not in ("instanceId", "fileId", "id")
    }
    file_id = data.get("fileId", entry.get("id"))
    if file_id is None:
        raise IMatchResponseError("IMatch attribute answer does not say which file it is for")
    return AttributeRecord(
        instance_id=_int(data, "instanceId"), file_id=int(file_id), values=values
    )


def _same_values(stored: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(stored.get(k, "") == str(v) for k, v in wanted.items())
