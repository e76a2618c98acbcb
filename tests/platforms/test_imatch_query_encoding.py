"""Chunked id queries are encoded once: our query string goes out as written (digits and
commas), so httpx does not percent-encode 500 commas per request and then re-parse them,
and IMatch (here its simulator) reads the same ids and values."""

from __future__ import annotations

import httpx

from imatch.client import IMatchClient


class Recording(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.queries: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.queries.append(request.url.query)
        return await self.inner.handle_async_request(request)


async def test_ids_travel_as_written_and_are_read_back(imatch_url: str) -> None:
    recording = Recording(httpx.AsyncHTTPTransport())
    async with IMatchClient(imatch_url, transport=recording) as client:
        infos = await client.files([1, 2, 3], fields=["name"])
        categories = await client.file_categories([1, 2])
        socials = await client.category("Socials|flickr")
    assert [info.id for info in infos] == [1, 2, 3]
    assert set(categories) <= {1, 2}
    assert socials is not None
    sent = b"&".join(recording.queries)
    assert b"id=1,2,3" in sent
    assert b"%2C" not in sent
    # Everything else is still escaped: `|` and spaces in a category path.
    assert b"Socials%7Cflickr" in sent
