"""Make the platform simulators agree with a library: accounts, posts, albums and groups.

A generated library carries attribute records for photos that are "already posted" and
album/group categories with ids in their descriptions. Seeding creates those posts,
albums and groups in the simulators and rewrites the records and descriptions with the
ids the simulators gave them, so that updates and deletes find what they expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from sandbox.flickr_server import FlickrSimulator
from sandbox.imatch_db import IMatchDatabase, SimAttributeInstance
from sandbox.in_process import call_in_process
from sandbox.library import MODERATED_GROUP, RECORD_IDS, THROTTLED_GROUP
from sandbox.pixelfed_server import PixelfedSimulator
from sync.visible_text import visible

FLICKR_KEY = "demo-flickr-key"
FLICKR_SECRET = "demo-flickr-secret"
SEEDED_TEXT = "Posted before this run"
ACCOUNTS = ("pro", "free")
GROUP_CONDITIONS = ("normal", "throttled")
THROTTLE_PER_DAY = 2
THROTTLED_GROUP_PHOTOS = 5
"""New photos of the library in the throttled group with `--flickr-groups throttled`."""
MODERATED_GROUP_PHOTOS = 3
FREE_ACCOUNT_PRIVATE_PHOTOS = 48
"""Private photos a free sandbox account already holds: two short of the 50 allowed."""


@dataclass(frozen=True)
class FlickrLogin:
    api_key: str
    api_secret: str
    token: str
    token_secret: str
    perms: str
    user_nsid: str
    username: str
    fullname: str


def seeded_instances(db: IMatchDatabase, set_name: str) -> list[SimAttributeInstance]:
    """The records to create posts for; a record left without its ids (typed in by hand)
    stays as it is."""
    return [
        i
        for i in db.instances.values()
        if i.set_name == set_name and not _lacks_ids(i.values, set_name)
    ]


def _lacks_ids(values: dict[str, object], set_name: str) -> bool:
    """No id of the record shows anything (one typed as a zero-width space does not):
    as the app reads it (`sync.visible_text`)."""
    return all(not visible(str(values.get(key, ""))) for key in RECORD_IDS[set_name])


def _file_bytes(db: IMatchDatabase, file_id: int) -> bytes:
    path = Path(db.files[file_id].file_name)
    try:
        data = path.read_bytes()
    except OSError:
        return b"\xff\xd8\xff\xe0 sandbox jpeg"
    return data if data.startswith(b"\xff\xd8") and len(data) < 2_000_000 else data[:64]


def seed_flickr(
    sim: FlickrSimulator, db: IMatchDatabase, account: str = "pro", groups: str = "normal"
) -> FlickrLogin:
    """An account with a delete token, the library's posted photos, albums and groups.

    `account="free"`: a free flickr account (1,000 photos, 50 non-public, no replace)
    that already holds 48 private photos of its own, and the library publishes private
    photos (flickr_is_public = 0), so a first sync meets the limit. `groups="throttled"`:
    the library's group `Landscape Lovers` takes two photos a day from each member and
    `Misty Mornings` is moderated, and the first new photos of the library are put in
    them (5 and 3), so a first sync meets both.
    """
    if account not in ACCOUNTS:
        raise ValueError(f"flickr account must be one of {', '.join(ACCOUNTS)}")
    if groups not in GROUP_CONDITIONS:
        raise ValueError(f"flickr groups must be one of {', '.join(GROUP_CONDITIONS)}")
    consumer = sim.add_consumer(
        str(db.app_variables.get("flickr_api_key", FLICKR_KEY)),
        str(db.app_variables.get("flickr_api_secret", FLICKR_SECRET)),
    )
    user = sim.add_user("demo", "Demo Photographer", is_pro=account == "pro")
    token = sim.grant_token(user, consumer.key, "delete")
    if account == "free":
        for number in range(FREE_ACCOUNT_PRIVATE_PHOTOS):
            sim.add_photo(user, title=f"Private photo {number + 1}", is_public=False)
        db.app_variables["flickr_is_public"] = 0
    photo_ids = []
    for instance in seeded_instances(db, "flickr"):
        photo = sim.add_photo(user, _file_bytes(db, instance.file_id), title=SEEDED_TEXT)
        instance.values["photo_id"] = photo.id
        instance.values["url"] = f"https://www.flickr.com/photos/{user.nsid}/{photo.id}/"
        photo_ids.append(photo.id)
    cover = photo_ids[:1] or [sim.add_photo(user, title="Album cover").id]
    for category in db.descendants("Socials|flickr|albums"):
        lines = category.description.splitlines()[1:]
        photoset = sim.add_photoset(user, category.name, list(cover))
        category.description = "\n".join([photoset.id, *lines])
    if groups == "throttled":
        _crowd_groups(db)
    for category in db.descendants("Socials|flickr|groups"):
        knobs: dict[str, object] = {}
        if groups == "throttled" and category.name == THROTTLED_GROUP:
            knobs = {"throttle_limit": THROTTLE_PER_DAY, "throttle_mode": "day"}
        elif groups == "throttled" and category.name == MODERATED_GROUP:
            knobs = {"moderated": True}
        group = sim.add_group(category.name, **knobs)
        category.description = group.id
    return FlickrLogin(
        consumer.key,
        consumer.secret,
        token.token,
        token.secret,
        token.perms,
        user.nsid,
        user.username,
        user.fullname,
    )


def _crowd_groups(db: IMatchDatabase) -> None:
    """Put the library's first new photos (in Socials|flickr, no flickr record, not meant
    to be refused) in the throttled and the moderated group."""
    recorded = {i.file_id for i in seeded_instances(db, "flickr")}
    new = [
        file_id
        for file_id in sorted(db.direct_files("Socials|flickr"))
        if file_id not in recorded
        and db.files[file_id].expect.get("flickr", {"action": "add"}).get("action") == "add"
    ]
    db.assign(f"Socials|flickr|groups|{THROTTLED_GROUP}", new[:THROTTLED_GROUP_PHOTOS])
    db.assign(f"Socials|flickr|groups|{MODERATED_GROUP}", new[:MODERATED_GROUP_PHOTOS])


async def post_seeded_status(
    http: httpx.AsyncClient, instance: SimAttributeInstance, image: bytes, visibility: str
) -> None:
    """Post one record's photo through a Mastodon-API server (pixelfed's or Mastodon's) and
    write the ids and address the server gave into the record."""
    media = await http.post(
        "/api/v1/media",
        files={"file": ("photo.jpg", image, "image/jpeg")},
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


def seed_pixelfed(sim: PixelfedSimulator, url: str, db: IMatchDatabase) -> str:
    """An account and token, and the library's posted photos as statuses; returns the token."""
    _, token = sim.create_account_with_token("demo")
    visibility = str(db.app_variables.get("pixelfed_visibility", "public"))
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    instances = list(seeded_instances(db, "pixelfed"))
    settings = sim.settings
    caps = (settings.daily_media_cap, settings.daily_status_cap)
    # A big library's posts were made over many days: lift pixelfed's daily caps while
    # seeding, then let a day pass so they do not count against the first real run.
    over_caps = any(cap is not None and len(instances) >= cap for cap in caps)
    if over_caps:
        settings.daily_media_cap = settings.daily_status_cap = None

    async def post_all(http: httpx.AsyncClient) -> None:
        for instance in instances:
            await post_seeded_status(http, instance, _file_bytes(db, instance.file_id), visibility)

    call_in_process(sim.asgi_app, url, headers, post_all)
    if over_caps:
        settings.daily_media_cap, settings.daily_status_cap = caps
        sim.advance(24 * 3600 + 1)
    db.app_variables["pixelfed_url"] = url
    db.app_variables["pixelfed_token"] = token
    return token
