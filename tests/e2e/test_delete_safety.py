"""Deleting never forgets a post that is still online, and never deletes someone else's.

A file with two records has both posts deleted. "Not found" on delete counts as done only
when the logged-in account posted it: flickr by the owner in the record's url, pixelfed
by the status's account and the record's media id belonging to that status. Otherwise the
photo gets a named error and its records, `_delete` flag and Socials membership stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.platforms.flickr.api import FlickrToken
from sync.platforms.flickr.login import save_token
from sync.secret_store import SecretStore
from tests.sync_checks import NO_RATE_LIMITS, error_categories, records, remote_posts, sync_once

OTHER_ACCOUNT = "posted by another account"
MISMATCH = "record does not match the post"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def world(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 6, cases=False, posted_share=1.0, seed=9)
    with sandbox_world(library) as world:
        world.configure_home(home, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
        yield world


def flag_delete(world: SandboxWorld, platform: str, file_id: int) -> None:
    world.imatch.db.assign(f"Socials|{platform}|_delete", [file_id])


def still_flagged(world: SandboxWorld, platform: str, file_id: int) -> bool:
    db = world.imatch.db
    root = f"Socials|{platform}"
    return file_id in db.direct_files(f"{root}|_delete") and file_id in db.direct_files(root)


def pixelfed_post(world: SandboxWorld, token: str, text: str = "another post") -> dict[str, Any]:
    """A status with one photo, made through the API; returns its media id, id and url."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=world.pixelfed_url, headers=headers) as http:
        media = http.post(
            "/api/v1/media",
            files={"file": ("p.jpg", b"\xff\xd8\xff\xe0 second", "image/jpeg")},
            data={"description": text},
        ).json()
        status = http.post(
            "/api/v1/statuses", json={"status": text, "media_ids": [media["id"]]}
        ).json()
    return {"media_id": str(media["id"]), "status_id": str(status["id"]), "url": status["url"]}


# --- 3: every recorded post of a file is deleted -----------------------------------------


def test_a_file_with_two_flickr_records_has_both_posts_deleted(world: SandboxWorld) -> None:
    file_id = sorted(records(world, "flickr"))[0]
    [user] = world.flickr.state.users.values()
    second = world.flickr.add_photo(user, title="posted twice")
    url = f"https://www.flickr.com/photos/{user.nsid}/{second.id}/"
    world.imatch.db.add_instance(
        "flickr", file_id, {"posted": "2024-01-01", "photo_id": second.id, "url": url}
    )
    first = records(world, "flickr")[file_id][0]["photo_id"]
    flag_delete(world, "flickr", file_id)
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert first not in world.flickr.state.photos
    assert second.id not in world.flickr.state.photos
    assert file_id not in records(world, "flickr")
    assert not still_flagged(world, "flickr", file_id)
    assert file_id not in world.imatch.db.direct_files("Socials|flickr")


def test_a_file_with_two_pixelfed_records_has_both_posts_deleted(world: SandboxWorld) -> None:
    file_id = sorted(records(world, "pixelfed"))[0]
    token = str(world.imatch.db.app_variables["pixelfed_token"])
    second = pixelfed_post(world, token)
    world.imatch.db.add_instance("pixelfed", file_id, {"posted": "2024-01-01", **second})
    first = records(world, "pixelfed")[file_id][0]["status_id"]
    flag_delete(world, "pixelfed", file_id)
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 0, summary
    live = remote_posts(world, "pixelfed")
    assert first not in live
    assert second["status_id"] not in live
    assert file_id not in records(world, "pixelfed")
    assert file_id not in world.imatch.db.direct_files("Socials|pixelfed")


def test_when_one_of_two_posts_cannot_be_deleted_its_record_and_flags_stay(
    world: SandboxWorld,
) -> None:
    file_id = sorted(records(world, "flickr"))[0]
    other = world.flickr.add_user("someone", "Someone Else")
    foreign = world.flickr.add_photo(other, title="not ours")
    url = f"https://www.flickr.com/photos/{other.nsid}/{foreign.id}/"
    world.imatch.db.add_instance(
        "flickr", file_id, {"posted": "2024-01-01", "photo_id": foreign.id, "url": url}
    )
    ours = records(world, "flickr")[file_id][0]["photo_id"]
    flag_delete(world, "flickr", file_id)
    code, _ = sync_once(platforms=["flickr"])
    assert code == 1
    assert ours not in world.flickr.state.photos
    assert foreign.id in world.flickr.state.photos
    left = records(world, "flickr")[file_id]
    assert [r["photo_id"] for r in left] == [foreign.id]
    assert still_flagged(world, "flickr", file_id)
    assert error_categories(world, "flickr")[OTHER_ACCOUNT] == {file_id}


# --- 4: "not found" is done only for the account that posted it --------------------------


def log_in_to_flickr_as_someone_else(world: SandboxWorld, home: Path) -> str:
    other = world.flickr.add_user("second", "Second Account")
    token = world.flickr.grant_token(other, world.flickr_login.api_key, "delete")
    save_token(
        SecretStore(home / "state"),
        world.flickr_login.api_key,
        FlickrToken(token.token, token.secret, "delete", other.nsid, other.username),
    )
    return other.nsid


def test_flickr_delete_logged_in_as_another_account_deletes_and_forgets_nothing(
    world: SandboxWorld, home: Path
) -> None:
    file_id = sorted(records(world, "flickr"))[0]
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    log_in_to_flickr_as_someone_else(world, home)
    flag_delete(world, "flickr", file_id)
    code, summary = sync_once(platforms=["flickr"])
    result = summary["platforms"]["flickr"]
    assert code == 1
    assert result["deleted"] == 0
    assert photo_id in world.flickr.state.photos
    assert len(records(world, "flickr")[file_id]) == 1
    assert still_flagged(world, "flickr", file_id)
    assert error_categories(world, "flickr")[OTHER_ACCOUNT] == {file_id}
    [(_, reason)] = result["failures"]
    assert OTHER_ACCOUNT in reason


def test_flickr_photo_already_deleted_by_its_owner_counts_as_deleted(
    world: SandboxWorld,
) -> None:
    file_id = sorted(records(world, "flickr"))[0]
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    del world.flickr.state.photos[photo_id]  # deleted on flickr's web site
    flag_delete(world, "flickr", file_id)
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert summary["platforms"]["flickr"]["deleted"] == 1
    assert file_id not in records(world, "flickr")


def test_flickr_not_found_without_an_owner_in_the_url_is_not_forgotten(
    world: SandboxWorld,
) -> None:
    file_id = sorted(records(world, "flickr"))[0]
    [instance] = world.imatch.db.instances_of("flickr", file_id)
    del world.flickr.state.photos[instance.values["photo_id"]]
    instance.values["url"] = ""
    flag_delete(world, "flickr", file_id)
    code, _ = sync_once(platforms=["flickr"])
    assert code == 1
    assert len(records(world, "flickr")[file_id]) == 1
    assert still_flagged(world, "flickr", file_id)


def test_pixelfed_delete_logged_in_as_another_account_deletes_and_forgets_nothing(
    world: SandboxWorld,
) -> None:
    file_id = sorted(records(world, "pixelfed"))[0]
    status_id = records(world, "pixelfed")[file_id][0]["status_id"]
    _, token = world.pixelfed.create_account_with_token("second")
    world.imatch.db.app_variables["pixelfed_token"] = token
    flag_delete(world, "pixelfed", file_id)
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 1
    assert summary["platforms"]["pixelfed"]["deleted"] == 0
    assert world.pixelfed.state.statuses[status_id].deleted_at is None
    assert len(records(world, "pixelfed")[file_id]) == 1
    assert still_flagged(world, "pixelfed", file_id)
    assert error_categories(world, "pixelfed")[OTHER_ACCOUNT] == {file_id}


def test_pixelfed_private_post_of_another_account_is_left_alone(world: SandboxWorld) -> None:
    file_id = sorted(records(world, "pixelfed"))[0]
    status_id = records(world, "pixelfed")[file_id][0]["status_id"]
    world.pixelfed.state.statuses[status_id].visibility = "private"
    _, token = world.pixelfed.create_account_with_token("second")
    world.imatch.db.app_variables["pixelfed_token"] = token
    flag_delete(world, "pixelfed", file_id)
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 1, summary
    assert summary["platforms"]["pixelfed"]["stopped"] == ""
    assert world.pixelfed.state.statuses[status_id].deleted_at is None
    assert error_categories(world, "pixelfed")[OTHER_ACCOUNT] == {file_id}


def test_pixelfed_record_pointing_at_another_photos_post_deletes_neither(
    world: SandboxWorld,
) -> None:
    first, second = sorted(records(world, "pixelfed"))[:2]
    [instance] = world.imatch.db.instances_of("pixelfed", first)
    own_status = instance.values["status_id"]
    other_status = records(world, "pixelfed")[second][0]["status_id"]
    instance.values["status_id"] = other_status  # a record edited by hand, wrongly
    flag_delete(world, "pixelfed", first)
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 1, summary
    statuses = world.pixelfed.state.statuses
    assert statuses[other_status].deleted_at is None
    assert statuses[own_status].deleted_at is None
    assert len(records(world, "pixelfed")[first]) == 1
    assert error_categories(world, "pixelfed")[MISMATCH] == {first}


def test_pixelfed_post_already_deleted_by_its_owner_counts_as_deleted(
    world: SandboxWorld,
) -> None:
    file_id = sorted(records(world, "pixelfed"))[0]
    status_id = records(world, "pixelfed")[file_id][0]["status_id"]
    world.pixelfed.state.statuses[status_id].deleted_at = world.pixelfed.now()
    world.pixelfed.state.statuses[status_id].purged = True
    flag_delete(world, "pixelfed", file_id)
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 0, summary
    assert summary["platforms"]["pixelfed"]["deleted"] == 1
    assert file_id not in records(world, "pixelfed")


def test_flickr_owner_given_by_the_path_alias_in_the_url_is_recognised(
    world: SandboxWorld,
) -> None:
    first, second = sorted(records(world, "flickr"))[:2]
    [user] = world.flickr.state.users.values()
    user.path_alias = "fog-and-lakes"
    other = world.flickr.add_user("neighbour", "Neighbour")
    other.path_alias = "neighbours-lakes"
    for file_id, alias in ((first, user.path_alias), (second, other.path_alias)):
        [instance] = world.imatch.db.instances_of("flickr", file_id)
        photo_id = instance.values["photo_id"]
        instance.values["url"] = f"https://www.flickr.com/photos/{alias}/{photo_id}/"
        del world.flickr.state.photos[photo_id]  # gone: only the url can tell whose it was
        flag_delete(world, "flickr", file_id)
    code, summary = sync_once(platforms=["flickr"])
    assert code == 1
    assert summary["platforms"]["flickr"]["deleted"] == 1
    assert first not in records(world, "flickr")
    assert len(records(world, "flickr")[second]) == 1
    assert error_categories(world, "flickr")[OTHER_ACCOUNT] == {second}


def test_pixelfed_update_of_a_record_pointing_at_another_photos_post_changes_neither(
    world: SandboxWorld,
) -> None:
    """The same check before an edit: pixelfed cannot add a photo to a post, so a post
    that holds photos but not the recorded one is another photo's post."""
    first, second = sorted(records(world, "pixelfed"))[:2]
    [instance] = world.imatch.db.instances_of("pixelfed", first)
    own_status = instance.values["status_id"]
    other_status = records(world, "pixelfed")[second][0]["status_id"]
    instance.values["status_id"] = other_status  # a record edited by hand, wrongly
    world.imatch.db.files[first].tags["title"] = "A new title for the first photo"
    world.imatch.db.assign("Socials|pixelfed|_metadata", [first])
    statuses = world.pixelfed.state.statuses
    other_caption = statuses[other_status].caption
    other_alt_texts = {m.id: m.description for m in world.pixelfed.state.media.values()}
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 1, summary
    assert statuses[other_status].caption == other_caption
    assert statuses[other_status].edit_count == 0
    assert {m.id: m.description for m in world.pixelfed.state.media.values()} == other_alt_texts
    assert statuses[own_status].edit_count == 0
    assert error_categories(world, "pixelfed")[MISMATCH] == {first}
    assert first in world.imatch.db.direct_files("Socials|pixelfed|_metadata")


def test_pixelfed_update_of_another_accounts_private_post_is_named_and_changes_nothing(
    world: SandboxWorld,
) -> None:
    """Logged in as another account, the record's post is private: pixelfed will not
    show it. That is this photo's error, not a refused login for the whole platform."""
    first, second = sorted(records(world, "pixelfed"))[:2]
    status_id = records(world, "pixelfed")[first][0]["status_id"]
    world.pixelfed.state.statuses[status_id].visibility = "private"
    world.imatch.db.files[first].tags["title"] = "A new title"
    world.imatch.db.assign("Socials|pixelfed|_metadata", [first])
    world.imatch.db.assign("Socials|pixelfed|_delete", [second])
    _, token = world.pixelfed.create_account_with_token("second")
    world.imatch.db.app_variables["pixelfed_token"] = token
    code, summary = sync_once(platforms=["pixelfed"])
    result = summary["platforms"]["pixelfed"]
    assert code == 1, summary
    assert result["stopped"] == "", result
    assert error_categories(world, "pixelfed")[OTHER_ACCOUNT] == {first, second}
    assert world.pixelfed.state.statuses[status_id].edit_count == 0
