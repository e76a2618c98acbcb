"""Make the Mastodon simulator agree with a library: an account, a token and the posts
the library's `mastodon` attribute records describe (their ids rewritten to match).

The counterpart of `seed_pixelfed` in `sandbox/seeding.py`, for `sandbox/world.py`.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from sandbox.imatch_db import IMatchDatabase, SimAttributeInstance
from sandbox.in_process import call_in_process
from sandbox.mastodon_server import MastodonSimulator

SEEDED_TEXT = "Posted before this run"
LIFTED_LIMITS = ("media_limit", "statuses_limit", "per_token_limit", "per_user_limit")


def seed_mastodon(sim: MastodonSimulator, url: str, db: IMatchDatabase) -> str:
    """An account and token, and the library's posted photos as statuses; returns the
    token. The app variables `mastodon_url` and `mastodon_token` are set to match."""
    _, token = sim.create_account_with_token("demo")
    visibility = str(db.app_variables.get("mastodon_visibility", "public")) or "public"
    # A record left without its ids (typed in by hand) stays as it is.
    instances = [
        i
        for i in db.instances.values()
        if i.set_name == "mastodon"
        and any(str(i.values.get(key, "")).strip() for key in ("media_id", "status_id"))
    ]
    # A library's posts were made over months: lift the rate limits while seeding.
    saved = {name: getattr(sim.settings, name) for name in LIFTED_LIMITS}
    for name in LIFTED_LIMITS:
        setattr(sim.settings, name, None)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    try:

        async def post_all(http: httpx.AsyncClient) -> None:
            for instance in instances:
                await _post(http, db, instance, visibility)

        call_in_process(sim.asgi_app, url, headers, post_all)
    finally:
        for name, value in saved.items():
            setattr(sim.settings, name, value)
        sim.state.throttles.clear()
        sim.state.families.clear()
    db.app_variables["mastodon_url"] = url
    db.app_variables["mastodon_token"] = token
    return token


async def _post(
    http: httpx.AsyncClient, db: IMatchDatabase, instance: SimAttributeInstance, visibility: str
) -> None:
    media = await http.post(
        "/api/v1/media",
        files={"file": ("photo.jpg", _file_bytes(db, instance.file_id), "image/jpeg")},
        data={"description": SEEDED_TEXT},
    )
    media.raise_for_status()
    media_id = str(media.json()["id"])
    status = await http.post(
        "/api/v1/statuses",
        json={"status": SEEDED_TEXT, "media_ids": [media_id], "visibility": visibility},
    )
    status.raise_for_status()
    instance.values["media_id"] = media_id
    instance.values["status_id"] = str(status.json()["id"])
    instance.values["url"] = str(status.json().get("url", ""))


def _file_bytes(db: IMatchDatabase, file_id: int) -> bytes:
    """The photo's JPEG, or a small placeholder when it is missing or not a JPEG."""
    try:
        data = Path(db.files[file_id].file_name).read_bytes()
    except OSError:
        return _placeholder()
    return data if data.startswith(b"\xff\xd8") and len(data) < 2_000_000 else _placeholder()


def _placeholder() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (32, 24), (90, 90, 90)).save(buffer, "JPEG")
    return buffer.getvalue()
