"""The flickr simulator, driven over real HTTP by the real flickrapi 2.4.0 library."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import flickrapi
import pytest
import requests
from flickrapi.auth import FlickrAccessToken, OAuthFlickrInterface
from flickrapi.exceptions import FlickrError
from PIL import Image
from requests_oauthlib import OAuth1

from sandbox.flickr_server import FlickrSimulator, flickrapi_urls
from sandbox.flickr_state import AccessToken, Consumer, User
from sandbox.serving import serve_in_thread

MARKER = "imatch:uid=3f9c0a7e12"


def jpeg_bytes(taken: str | None = "2021:06:05 14:30:00", shade: int = 90) -> bytes:
    image = Image.new("RGB", (8, 8), (shade, 120, 200))
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


class FakeClock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Account:
    sim: FlickrSimulator
    url: str
    consumer: Consumer
    user: User

    def api(
        self,
        perms: str = "delete",
        user: User | None = None,
        secret: str | None = None,
        token: AccessToken | None = None,
        fmt: str = "parsed-json",
    ) -> flickrapi.FlickrAPI:
        """A flickrapi client holding a pre-authorised token (no OAuth dance)."""
        user = user or self.user
        token = token or self.sim.grant_token(user, self.consumer.key, perms)
        flickr_token = FlickrAccessToken(
            token.token, token.secret, token.perms, user.fullname, user.username, user.nsid
        )
        return flickrapi.FlickrAPI(
            self.consumer.key,
            secret or self.consumer.secret,
            token=flickr_token,
            store_token=False,
            format=fmt,
            timeout=10,
        )

    def upload(self, flickr: flickrapi.FlickrAPI, data: bytes | None = None, **fields: str) -> str:
        fields.setdefault("title", "Lake")
        rsp = flickr.upload(
            "lake.jpg",
            fileobj=io.BytesIO(jpeg_bytes() if data is None else data),
            format="etree",
            **fields,
        )
        return str(rsp.findtext("photoid"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> FlickrSimulator:
    return FlickrSimulator(clock=clock)


@pytest.fixture
def base_url(sim: FlickrSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The simulator on 127.0.0.1, with flickrapi's endpoint attributes pointing at it."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with serve_in_thread(sim.asgi_app) as url:
        for name, value in flickrapi_urls(url).items():
            owner = (
                flickrapi.FlickrAPI if hasattr(flickrapi.FlickrAPI, name) else OAuthFlickrInterface
            )
            monkeypatch.setattr(owner, name, value)
        yield url


@pytest.fixture
def account(sim: FlickrSimulator, base_url: str) -> Account:
    return Account(sim, base_url, sim.add_consumer(), sim.add_user("jane", "Jane Doe"))


@pytest.fixture
def flickr(account: Account) -> flickrapi.FlickrAPI:
    return account.api("delete")


def error_code(call: Callable[[], object]) -> int | None:
    with pytest.raises(FlickrError) as caught:
        call()
    return None if caught.value.code is None else int(caught.value.code)


# --- OAuth ----------------------------------------------------------------------------


def approve(authorize_url: str, user: User) -> requests.Response:
    page = requests.get(authorize_url, timeout=10)
    assert page.status_code == 200
    assert 'name="decision" value="approve"' in page.text
    token = re.search(r'name="oauth_token" value="([^"]+)"', page.text)
    perms = re.search(r'name="perms" value="([^"]+)"', page.text)
    assert token
    assert perms
    form = {
        "oauth_token": token.group(1),
        "perms": perms.group(1),
        "user_nsid": user.nsid,
        "decision": "approve",
    }
    action = authorize_url.split("?", 1)[0]
    return requests.post(action, data=form, timeout=10, allow_redirects=False)


def test_out_of_band_oauth_dance_gives_a_working_token(account: Account) -> None:
    f = flickrapi.FlickrAPI(account.consumer.key, account.consumer.secret, store_token=False)
    f.get_request_token(oauth_callback="oob")
    approved = approve(f.auth_url(perms="delete"), account.user)
    verifier = re.search(r'<code id="oauth-verifier">([0-9-]+)</code>', approved.text)
    assert verifier, approved.text
    assert re.fullmatch(r"\d{3}-\d{3}-\d{3}", verifier.group(1))

    f.get_access_token(verifier.group(1))

    token = f.token_cache.token
    assert (token.user_nsid, token.username, token.fullname) == (
        account.user.nsid,
        "jane",
        "Jane Doe",
    )
    assert account.sim.state.access_tokens[token.token].perms == "delete"
    assert account.sim.state.request_tokens == {}
    assert f.token_valid(perms="delete")  # flickr.auth.oauth.checkToken in XML
    assert f.test.login(format="parsed-json")["user"]["id"] == account.user.nsid


def test_authorize_with_a_callback_redirects_with_the_verifier(account: Account) -> None:
    f = flickrapi.FlickrAPI(account.consumer.key, account.consumer.secret, store_token=False)
    f.get_request_token(oauth_callback="http://127.0.0.1:9/cb")
    approved = approve(f.auth_url(perms="write"), account.user)
    assert approved.status_code == 302
    location = approved.headers["location"]
    assert location.startswith("http://127.0.0.1:9/cb?oauth_token=")
    f.get_access_token(re.search(r"oauth_verifier=([0-9-]+)", location).group(1))
    assert account.sim.state.access_tokens[f.token_cache.token.token].perms == "write"


def test_wrong_verifier_is_refused(account: Account) -> None:
    f = flickrapi.FlickrAPI(account.consumer.key, account.consumer.secret, store_token=False)
    f.get_request_token(oauth_callback="oob")
    approve(f.auth_url(perms="read"), account.user)
    with pytest.raises(FlickrError, match="Status code 401"):
        f.get_access_token("000-000-000")
    assert account.sim.state.access_tokens == {}


def test_wrong_consumer_secret_fails_like_flickr(account: Account) -> None:
    f = flickrapi.FlickrAPI(account.consumer.key, "not-the-secret", store_token=False)
    with pytest.raises(FlickrError, match="Status code 401"):
        f.get_request_token(oauth_callback="oob")

    raw = requests.post(
        account.url + "/services/oauth/request_token",
        data={"oauth_callback": "oob"},
        auth=OAuth1(account.consumer.key, "not-the-secret"),
        timeout=10,
    )
    assert (raw.status_code, raw.text) == (401, "oauth_problem=signature_invalid")

    # A REST call with a bad signature is answered the same way, not with error 96.
    with pytest.raises(FlickrError, match="Status code 401"):
        account.api(secret="not-the-secret").test.login()


def test_rest_auth_errors(account: Account) -> None:
    good = account.sim.grant_token(account.user, account.consumer.key, "read")
    wrong_token_secret = AccessToken(good.token, "nope", good.consumer_key, good.user_nsid, "read")
    with pytest.raises(FlickrError, match="Status code 401"):
        account.api(token=wrong_token_secret).test.login()
    unknown = AccessToken("123-456", "nope", good.consumer_key, good.user_nsid, "read")
    assert error_code(account.api(token=unknown).test.login) == 98
    stranger = flickrapi.FlickrAPI("unknown-key", "x", token=account.api().token_cache.token)
    assert error_code(stranger.test.login) == 100
    unsigned = requests.get(
        account.url + "/services/rest/",
        params={
            "method": "flickr.test.login",
            "api_key": account.consumer.key,
            "format": "json",
            "nojsoncallback": "1",
        },
        timeout=10,
    )
    assert unsigned.json()["code"] == 99
    assert "requires read privileges; none granted" in unsigned.json()["message"]


def test_token_valid_with_a_lower_level_is_false(account: Account) -> None:
    assert not account.api("write").token_valid(perms="delete")


# --- upload and replace ----------------------------------------------------------------


def test_upload_stores_metadata_privacy_and_bytes(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    data = jpeg_bytes()
    photo_id = account.upload(
        flickr,
        data,
        title="Evening lake",
        description="Calm <b>water</b>",
        tags=f'lake "long tag" Hasselblad {MARKER}',
        is_public="0",
        is_friend="1",
        is_family="0",
    )

    photo = account.sim.photo(photo_id)
    assert photo.owner == account.user.nsid
    assert (photo.title, photo.description) == ("Evening lake", "Calm <b>water</b>")
    assert photo.raw_tags == ["lake", "long tag", "Hasselblad", MARKER]
    assert [t.normalized for t in photo.tags] == ["lake", "longtag", "hasselblad", MARKER]
    assert photo.machine_tags == [MARKER]
    assert (photo.is_public, photo.is_friend, photo.is_family) == (False, True, False)
    assert (photo.size, photo.media_type) == (len(data), "image/jpeg")
    assert photo.date_taken == "2021-06-05 14:30:00"
    assert not photo.date_taken_unknown
    assert account.sim.photos_of(account.user) == [photo]


def test_upload_errors(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    def upload(data: bytes, **fields: str) -> int | None:
        return error_code(lambda: account.upload(flickr, data, **fields))

    assert upload(b"%PDF-1.4 not an image") == 5
    assert upload(b"") == 4
    account.sim.settings.max_upload_bytes = 100
    assert upload(jpeg_bytes()) == 8
    assert account.sim.state.photos == {}


def test_unsigned_upload_is_refused_in_xml(account: Account) -> None:
    response = requests.post(
        account.url + "/services/upload/",
        files={"photo": ("dummy name", b"")},
        data={"api_key": account.consumer.key},
        timeout=10,
    )
    # Unsigned: the permission check comes first, and the answer is XML regardless.
    assert response.headers["content-type"].startswith("text/xml")
    assert ET.fromstring(response.content).find("err").get("code") == "99"


def test_dedup_check_answers_9_with_the_duplicate_id(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    data = jpeg_bytes()
    first = account.upload(flickr, data)
    raw = flickr.upload("x.jpg", fileobj=io.BytesIO(data), format="rest", dedup_check="1")
    rsp = ET.fromstring(raw)
    assert rsp.get("stat") == "fail"
    assert rsp.find("err").get("code") == "9"
    assert rsp.findtext("duplicate_photo_id") == first
    assert len(account.sim.state.photos) == 1


def test_upload_answer_is_xml_even_for_parsed_json(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    with pytest.raises(json.JSONDecodeError):
        flickr.upload("x.jpg", fileobj=io.BytesIO(jpeg_bytes()), format="parsed-json")
    assert len(account.sim.state.photos) == 1  # uploaded all the same (reference A6)


def test_upload_with_a_bad_signature_is_http_401(account: Account) -> None:
    good = account.sim.grant_token(account.user, account.consumer.key, "write")
    bad = AccessToken(good.token, "wrong", good.consumer_key, good.user_nsid, "write")
    with pytest.raises(FlickrError, match="do_upload: Status code 401"):
        account.upload(account.api(token=bad))


def test_replace_changes_the_file_and_keeps_the_metadata(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    photo_id = account.upload(flickr, jpeg_bytes(shade=10), title="Kept")
    before = account.sim.photo(photo_id).sha256
    new_data = jpeg_bytes(shade=250)
    rsp = flickr.replace("lake.jpg", photo_id, fileobj=io.BytesIO(new_data), format="etree")
    answer = rsp.find("photoid")
    photo = account.sim.photo(photo_id)
    assert answer.text == photo_id
    assert answer.get("secret") == photo.secret
    assert answer.get("originalsecret") == photo.original_secret
    assert photo.sha256 != before
    assert (photo.size, photo.replace_count, photo.title) == (len(new_data), 1, "Kept")

    def replace_missing() -> object:
        return flickr.replace("x.jpg", "999", fileobj=io.BytesIO(new_data), format="etree")

    assert error_code(replace_missing) == 3


# --- REST methods -------------------------------------------------------------------


def test_get_info_shape_and_visibility(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    photo_id = account.upload(flickr, tags=f"lake {MARKER}", description="d", is_public="0")
    info = flickr.photos.getInfo(photo_id=photo_id)["photo"]
    assert info["title"]["_content"] == "Lake"
    assert info["description"]["_content"] == "d"
    assert info["visibility"]["ispublic"] == 0
    assert info["dates"]["taken"] == "2021-06-05 14:30:00"
    tags = info["tags"]["tag"]
    assert [(t["raw"], t["_content"], t["machine_tag"]) for t in tags] == [
        ("lake", "lake", 0),
        (MARKER, MARKER, 1),
    ]
    assert error_code(lambda: flickr.photos.getInfo(photo_id="1")) == 1
    public_view = requests.get(
        account.url + "/services/rest/",
        params={
            "method": "flickr.photos.getInfo",
            "photo_id": photo_id,
            "api_key": account.consumer.key,
        },
        timeout=10,
    )
    assert ET.fromstring(public_view.content).find("err").get("code") == "1"


def test_set_meta(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    photo_id = account.upload(flickr)
    flickr.photos.setMeta(photo_id=photo_id, title="New", description="Text")
    photo = account.sim.photo(photo_id)
    assert (photo.title, photo.description) == ("New", "Text")
    assert error_code(lambda: flickr.photos.setMeta(photo_id=photo_id)) == 2
    other = account.api(user=account.sim.add_user("bob"))
    assert error_code(lambda: other.photos.setMeta(photo_id=photo_id, title="x")) == 1
    account.sim.settings.max_title_length = 3
    flickr.photos.setMeta(photo_id=photo_id, title="Truncated")
    assert photo.title == "Tru"


def test_set_dates(account: Account, flickr: flickrapi.FlickrAPI, clock: FakeClock) -> None:
    photo_id = account.upload(flickr)
    photo = account.sim.photo(photo_id)
    flickr.photos.setDates(photo_id=photo_id, date_taken="2004-04", date_taken_granularity=4)
    assert (photo.date_taken, photo.date_taken_granularity) == ("2004-04-01 00:00:00", 4)
    flickr.photos.setDates(photo_id=photo_id, date_posted=int(clock.now) - 60)
    assert photo.date_posted == int(clock.now) - 60

    def code(**kwargs: object) -> int | None:
        return error_code(lambda: flickr.photos.setDates(photo_id=photo_id, **kwargs))

    assert code() == 2
    assert code(date_taken_granularity=5) == 3
    assert code(date_posted=int(clock.now) + 3600) == 4
    assert code(date_taken="last tuesday") == 5
    assert code(date_taken="2999-01-01 00:00:00") == 6
    assert photo.date_taken == "2004-04-01 00:00:00"


def test_tags_set_add_remove(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    photo_id = account.upload(flickr, tags="old")
    photo = account.sim.photo(photo_id)
    flickr.photos.setTags(photo_id=photo_id, tags=f'"New York" {MARKER}')
    assert photo.raw_tags == ["New York", MARKER]
    flickr.photos.addTags(photo_id=photo_id, tags="newyork extra")
    assert photo.raw_tags == ["New York", MARKER, "extra"]  # same normalised form kept once

    too_many = " ".join(f"t{i}" for i in range(76))
    assert error_code(lambda: flickr.photos.setTags(photo_id=photo_id, tags=too_many)) == 2
    assert error_code(lambda: flickr.photos.addTags(photo_id=photo_id, tags=too_many)) == 2
    assert photo.raw_tags == ["New York", MARKER, "extra"]

    tags = flickr.photos.getInfo(photo_id=photo_id)["photo"]["tags"]["tag"]
    flickr.photos.removeTag(tag_id=tags[0]["id"])
    assert photo.raw_tags == [MARKER, "extra"]
    assert error_code(lambda: flickr.photos.removeTag(tag_id=tags[0]["id"])) == 1


def test_set_perms(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    photo_id = account.upload(flickr)
    photo = account.sim.photo(photo_id)
    answer = flickr.photos.setPerms(photo_id=photo_id, is_public=0, is_friend=0, is_family=1)
    assert answer["photoid"] == {
        "_content": photo_id,
        "secret": photo.secret,
        "originalsecret": photo.original_secret,
    }
    assert (photo.is_public, photo.is_friend, photo.is_family) == (False, False, True)
    # requests sends True as "True", which flickr (PHP) reads as 0 (reference A5).
    flickr.photos.setPerms(photo_id=photo_id, is_public=True, is_friend=0, is_family=0)
    assert not photo.is_public
    assert error_code(lambda: flickr.photos.setPerms(photo_id=photo_id, is_public=1)) == 2


def test_photosets(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    first, second = account.upload(flickr), account.upload(flickr, jpeg_bytes(shade=3))
    assert error_code(lambda: flickr.photosets.create(primary_photo_id=first)) == 1
    assert error_code(lambda: flickr.photosets.create(title="T", primary_photo_id="9")) == 2
    older = flickr.photosets.create(title="Older", primary_photo_id=first)["photoset"]["id"]
    set_id = flickr.photosets.create(title="Trips", description="d", primary_photo_id=first)[
        "photoset"
    ]["id"]

    flickr.photosets.addPhoto(photoset_id=set_id, photo_id=second)
    assert account.sim.state.photosets[set_id].photo_ids == [first, second]
    assert error_code(lambda: flickr.photosets.addPhoto(photoset_id=set_id, photo_id=second)) == 3
    assert error_code(lambda: flickr.photosets.addPhoto(photoset_id="1", photo_id=second)) == 1
    assert error_code(lambda: flickr.photosets.addPhoto(photoset_id=set_id, photo_id="1")) == 2

    listing = flickr.photosets.getList()["photosets"]["photoset"]
    assert [(s["id"], s["title"]["_content"], s["photos"]) for s in listing] == [
        (set_id, "Trips", 2),
        (older, "Older", 1),
    ]
    contexts = flickr.photos.getAllContexts(photo_id=second)
    assert contexts["set"] == [{"id": set_id, "title": "Trips"}]
    assert "pool" not in contexts

    flickr.photosets.removePhoto(photoset_id=set_id, photo_id=second)
    assert account.sim.state.photosets[set_id].photo_ids == [first]
    assert (
        error_code(lambda: flickr.photosets.removePhoto(photoset_id=set_id, photo_id=second)) == 3
    )


def test_group_pools(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    sim = account.sim
    photo_id = account.upload(flickr)
    open_group = sim.add_group("Lakes")
    moderated = sim.add_group("Curated", moderated=True)
    throttled = sim.add_group("Busy", throttle_limit=0)
    picky = sim.add_group("Picky", content_allowed=False)
    closed = sim.add_group("Closed", members=set())

    def add(group_id: str) -> int | None:
        return error_code(lambda: flickr.groups.pools.add(photo_id=photo_id, group_id=group_id))

    flickr.groups.pools.add(photo_id=photo_id, group_id=open_group.id)
    assert open_group.pool == [photo_id]
    assert add(open_group.id) == 3
    assert add(moderated.id) == 6
    assert moderated.pending == [photo_id]
    assert add(moderated.id) == 7
    assert add(throttled.id) == 5
    assert add(picky.id) == 8
    assert add(closed.id) == 2
    assert flickr.photos.getAllContexts(photo_id=photo_id)["pool"] == [
        {"id": open_group.id, "title": "Lakes"}
    ]
    info = flickr.groups.getInfo(group_id=throttled.id)["group"]
    assert info["throttle"]["remaining"] == "0"

    flickr.groups.pools.remove(photo_id=photo_id, group_id=open_group.id)
    assert open_group.pool == []
    assert (
        error_code(lambda: flickr.groups.pools.remove(photo_id=photo_id, group_id=open_group.id))
        == 2
    )
    assert error_code(lambda: flickr.groups.pools.remove(photo_id=photo_id, group_id="0@N01")) == 1


def test_delete_needs_delete_permission_and_is_not_found_twice(account: Account) -> None:
    writer = account.api("write")
    photo_id = account.upload(writer)
    set_id = writer.photosets.create(title="S", primary_photo_id=photo_id)["photoset"]["id"]
    for perms in ("read", "write"):
        assert error_code(lambda p=perms: account.api(p).photos.delete(photo_id=photo_id)) == 99
    deleter = account.api("delete")
    deleter.photos.delete(photo_id=photo_id)
    assert photo_id not in account.sim.state.photos
    assert set_id not in account.sim.state.photosets  # a set without photos disappears
    assert error_code(lambda: deleter.photos.delete(photo_id=photo_id)) == 1


def test_read_token_cannot_write(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    photo_id = account.upload(flickr)
    reader = account.api("read")
    assert reader.test.login()["user"]["username"]["_content"] == "jane"
    assert error_code(lambda: reader.photos.setMeta(photo_id=photo_id, title="x")) == 99
    assert error_code(lambda: account.upload(reader)) == 99


# --- search, dropped answers, faults ------------------------------------------------


def search_ids(flickr: flickrapi.FlickrAPI, **kwargs: str) -> list[str]:
    found = flickr.photos.search(user_id="me", extras="machine_tags,date_upload", **kwargs)
    return [p["id"] for p in found["photos"]["photo"]]


def test_search_finds_an_upload_whose_answer_was_dropped(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    account.sim.knobs.drop_mutations = {1}
    with pytest.raises(requests.exceptions.ConnectionError):
        account.upload(flickr, tags=f"lake {MARKER}", is_public="0")
    assert len(account.sim.state.photos) == 1

    found = flickr.photos.search(user_id="me", machine_tags=MARKER, extras="machine_tags")
    photos = found["photos"]["photo"]
    assert len(photos) == 1
    assert photos[0]["id"] == account.sim.photos_with_machine_tag(MARKER)[0].id
    assert photos[0]["machine_tags"] == MARKER
    assert search_ids(flickr, machine_tags="imatch:uid=other") == []
    assert search_ids(flickr, machine_tags="imatch:") == [photos[0]["id"]]


def test_dropped_rest_answer_still_changed_the_state(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    photo_id = account.upload(flickr)
    account.sim.knobs.drop_mutations = {account.sim.knobs.mutations + 1}
    with pytest.raises(requests.exceptions.ConnectionError):
        flickr.photos.setMeta(photo_id=photo_id, title="Changed")
    assert account.sim.photo(photo_id).title == "Changed"


def test_search_index_lag_and_errors(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    account.sim.settings.search_index_lag = 1
    photo_id = account.upload(flickr, tags=MARKER)
    assert search_ids(flickr, machine_tags=MARKER) == []
    assert search_ids(flickr, machine_tags=MARKER) == [photo_id]
    assert error_code(lambda: flickr.photos.search()) == 3
    assert error_code(lambda: flickr.photos.search(user_id="me", machine_tags="not a tag")) == 11
    many = ",".join(f"a:b={i}" for i in range(9))
    assert error_code(lambda: flickr.photos.search(user_id="me", machine_tags=many)) == 12
    assert error_code(lambda: flickr.photos.search(user_id="nobody@N00")) == 2


def test_private_photos_are_searchable_only_by_their_owner(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    photo_id = account.upload(flickr, tags=MARKER, is_public="0")
    bob = account.api(user=account.sim.add_user("bob"))
    assert search_ids(flickr, machine_tags=MARKER) == [photo_id]
    found = bob.photos.search(user_id=account.user.nsid, machine_tags=MARKER)
    assert found["photos"]["photo"] == []


def test_injected_500_then_recovery(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    account.sim.knobs.fail_requests = {len(account.sim.log) + 1}
    with pytest.raises(FlickrError, match="Status code 500"):
        flickr.test.login()
    assert flickr.test.login()["stat"] == "ok"


def test_rate_limit_per_key_per_hour(
    account: Account, flickr: flickrapi.FlickrAPI, clock: FakeClock
) -> None:
    account.sim.settings.rate_limit_per_hour = 2
    flickr.test.login()
    clock.now += 600
    flickr.test.login()
    with pytest.raises(FlickrError, match="Status code 429"):
        flickr.test.login()
    raw = requests.get(
        account.url + "/services/rest/",
        params={"method": "flickr.test.echo", "api_key": account.consumer.key},
        timeout=10,
    )
    assert raw.status_code == 429
    assert "retry-after" not in raw.headers  # flickr's 429 is an HTML page without one
    assert raw.headers["content-type"].startswith("text/html")
    clock.now += 3000
    assert flickr.test.login()["stat"] == "ok"


def test_xml_format_unknown_method_and_json_callback(account: Account) -> None:
    xml_api = account.api(fmt="etree")
    assert xml_api.test.login().find("user").get("id") == account.user.nsid
    assert error_code(xml_api.photos.noSuchMethod) == 112
    wrapped = requests.get(
        account.url + "/services/rest/",
        params={"method": "flickr.test.echo", "api_key": account.consumer.key, "format": "json"},
        timeout=10,
    )
    assert wrapped.text.startswith("jsonFlickrApi({")


def test_secrets_never_reach_the_log_or_answers(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    token = flickr.token_cache.token
    account.upload(flickr)
    check = ET.tostring(flickr.auth.oauth.checkToken(format="etree"), encoding="unicode")
    assert "<perms>delete</perms>" in check
    logged = repr(account.sim.log.records)
    for secret in (token.token, token.token_secret, account.consumer.secret, account.consumer.key):
        assert secret not in logged
        assert secret not in check
    assert account.sim.log.count("/services/upload/") == 1


def test_listing_and_other_write_methods(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    first = account.upload(flickr, title="One")
    second = account.upload(flickr, jpeg_bytes(shade=7), title="Two", is_public="0")
    set_id = flickr.photosets.create(title="S", primary_photo_id=first)["photoset"]["id"]
    flickr.photosets.addPhoto(photoset_id=set_id, photo_id=second)
    in_set = flickr.photosets.getPhotos(photoset_id=set_id)["photoset"]["photo"]
    assert [(p["id"], p["isprimary"]) for p in in_set] == [(first, 1), (second, 0)]
    mine = flickr.people.getPhotos(user_id="me")["photos"]
    assert {p["id"] for p in mine["photo"]} == {first, second}
    assert mine["total"] == "2"
    updated = flickr.photos.recentlyUpdated(min_date=0, extras="last_update")["photos"]["photo"]
    assert len(updated) == 2
    limits = flickr.people.getLimits()["person"]["photos"]
    assert limits["maxupload"] == str(account.sim.settings.max_upload_bytes)

    flickr.photos.setSafetyLevel(photo_id=first, safety_level=2, hidden=1)
    flickr.photos.setContentType(photo_id=first, content_type=2)
    photo = account.sim.photo(first)
    assert (photo.safety_level, photo.hidden, photo.content_type) == (2, True, 2)

    group = account.sim.add_group("Lakes")
    assert flickr.groups.pools.getGroups()["groups"]["group"][0]["nsid"] == group.id
    flickr.photosets.delete(photoset_id=set_id)
    assert set_id not in account.sim.state.photosets
    assert error_code(lambda: flickr.photosets.delete(photoset_id=set_id)) == 1


def test_async_upload_answers_a_ticket(account: Account, flickr: flickrapi.FlickrAPI) -> None:
    rsp = flickr.upload("x.jpg", fileobj=io.BytesIO(jpeg_bytes()), format="etree", **{"async": 1})
    ticket = rsp.findtext("ticketid")
    checked = flickr.photos.upload.checkTickets(tickets=f"{ticket},999")["uploader"]["ticket"]
    photo_id = next(iter(account.sim.state.photos))
    assert checked == [
        {"id": ticket, "complete": 1, "photoid": photo_id},
        {"id": "999", "invalid": 1},
    ]


# --- what real flickr does that clients trip over (issue 13) -------------------------------


def signed_upload(account: Account, filename: str, data: bytes, **fields: str) -> requests.Response:
    """An upload signed the way flickrapi signs it, but with a file name of our choice
    (flickrapi 2.4 always sends "dummy name")."""
    token = account.sim.grant_token(account.user, account.consumer.key, "write")
    auth = OAuth1(account.consumer.key, account.consumer.secret, token.token, token.secret)
    url = account.url + "/services/upload/"
    dummy = requests.Request("POST", url, data=fields, auth=auth).prepare()
    headers = {"Authorization": dummy.headers["Authorization"]}
    return requests.post(url, data=fields, files={"photo": (filename, data)}, headers=headers)


def upload_code(response: requests.Response) -> str | None:
    rsp = ET.fromstring(response.content)
    err = rsp.find("err")
    return None if err is None else err.get("code")


def test_a_bad_rest_signature_is_http_401_signature_invalid(account: Account) -> None:
    raw = requests.post(
        account.url + "/services/rest/",
        data={"method": "flickr.test.login", "format": "json", "nojsoncallback": "1"},
        auth=OAuth1(account.consumer.key, "wrong-secret"),
        timeout=10,
    )
    assert raw.status_code == 401
    assert raw.text == "oauth_problem=signature_invalid"


def test_webp_is_refused_by_file_name_and_by_content(account: Account) -> None:
    webp = io.BytesIO()
    Image.new("RGB", (8, 8)).save(webp, "WEBP")
    jpeg = jpeg_bytes()
    assert upload_code(signed_upload(account, "lake.webp", jpeg)) == "5"
    assert upload_code(signed_upload(account, "lake.webp", webp.getvalue())) == "5"
    assert upload_code(signed_upload(account, "lake.jpg", jpeg)) is None
    # Without an extension (flickrapi's "dummy name") the content decides.
    assert upload_code(signed_upload(account, "dummy name", webp.getvalue())) == "5"
    assert upload_code(signed_upload(account, "dummy name", jpeg)) is None
    assert len(account.sim.state.photos) == 2


def test_a_description_keeps_only_limited_html(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    sent = 'Calm <b>water</b> & <script>alert(1)</script> <3 "fog" <a href="https://x.org">x</a>'
    kept = 'Calm <b>water</b> &amp; alert(1) &lt;3 &quot;fog&quot; <a href="https://x.org">x</a>'
    photo_id = account.upload(flickr, description=sent)
    assert account.sim.photo(photo_id).description == kept
    flickr.photos.setMeta(photo_id=photo_id, title="T & <i>t</i>", description=sent)
    info = flickr.photos.getInfo(photo_id=photo_id)["photo"]
    assert info["description"]["_content"] == kept
    assert info["title"]["_content"] == "T & <i>t</i>"  # a title is plain text


@pytest.mark.parametrize(
    ("granularity", "stored"),
    [
        (0, "1950-06-15 10:20:30"),
        (4, "1950-06-01 00:00:00"),
        (6, "1950-01-01 00:00:00"),
        (8, "1950-01-01 00:00:00"),
    ],
)
def test_a_date_taken_is_stored_at_its_granularity(
    account: Account, flickr: flickrapi.FlickrAPI, granularity: int, stored: str
) -> None:
    photo_id = account.upload(flickr)
    flickr.photos.setDates(
        photo_id=photo_id,
        date_taken="1950-06-15 10:20:30",
        date_taken_granularity=granularity,
    )
    dates = flickr.photos.getInfo(photo_id=photo_id)["photo"]["dates"]
    assert (dates["taken"], int(dates["takengranularity"])) == (stored, granularity)


def test_a_group_throttle_lasts_until_its_window_ends(
    account: Account, flickr: flickrapi.FlickrAPI, clock: FakeClock
) -> None:
    group = account.sim.add_group("Three a day", throttle_limit=2, throttle_mode="day")
    photos = [account.upload(flickr, jpeg_bytes(shade=n)) for n in range(4)]

    def add(photo_id: str) -> int | None:
        try:
            flickr.groups.pools.add(photo_id=photo_id, group_id=group.id)
        except FlickrError as error:
            return int(error.code) if error.code is not None else None
        return None

    assert [add(p) for p in photos[:3]] == [None, None, 5]
    info = flickr.groups.getInfo(group_id=group.id)["group"]["throttle"]
    assert (info["count"], info["mode"], info["remaining"]) == ("2", "day", "0")
    clock.now += 86399
    assert add(photos[2]) == 5
    clock.now += 1
    assert [add(p) for p in photos[2:]] == [None, None]
    assert group.pool == photos


def test_a_moderated_pool_queues_and_counts_against_the_throttle(
    account: Account, flickr: flickrapi.FlickrAPI
) -> None:
    group = account.sim.add_group("Curated", moderated=True, throttle_limit=1)
    first, second = (account.upload(flickr, jpeg_bytes(shade=n)) for n in range(2))
    assert error_code(lambda: flickr.groups.pools.add(photo_id=first, group_id=group.id)) == 6
    assert error_code(lambda: flickr.groups.pools.add(photo_id=first, group_id=group.id)) == 7
    assert error_code(lambda: flickr.groups.pools.add(photo_id=second, group_id=group.id)) == 5
    assert group.pending == [first]


def test_a_free_account_holds_50_non_public_and_1000_photos_and_cannot_replace(
    account: Account,
) -> None:
    sim = account.sim
    free = sim.add_user("freda", is_pro=False)
    flickr = account.api(user=free)
    sim.settings.free_account_non_public_limit = 2
    sim.settings.free_account_photo_limit = 4
    private = [account.upload(flickr, jpeg_bytes(shade=n), is_public="0") for n in range(2)]
    code = error_code(lambda: account.upload(flickr, jpeg_bytes(shade=9), is_public="0"))
    assert code == 6
    public = [account.upload(flickr, jpeg_bytes(shade=n), is_public="1") for n in range(2)]
    assert error_code(lambda: account.upload(flickr, jpeg_bytes(shade=8))) == 6
    assert len(sim.photos_of(free)) == len(private) + len(public) == 4

    def replace() -> object:
        return flickr.replace("x.jpg", public[0], fileobj=io.BytesIO(jpeg_bytes()), format="etree")

    assert error_code(replace) == 1


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("code 0", 200, 0),
        ("code 105", 200, 105),
        ("code 106", 200, 106),
        ("code 201", 200, 201),
        ("HTML 502", 502, None),
        ("HTML 503", 503, None),
        ("HTML 429", 429, None),
    ],
)
def test_transient_failures_change_nothing(
    account: Account, flickr: flickrapi.FlickrAPI, kind: str, status: int, code: int | None
) -> None:
    photo_id = account.upload(flickr, title="Before")
    sim = account.sim
    sim.settings.transient_rate = 1.0
    sim.settings.transient_kinds = (kind,)
    raw = requests.post(
        account.url + "/services/rest/",
        data={"method": "flickr.test.echo", "format": "json", "nojsoncallback": "1"},
        timeout=10,
    )
    assert raw.status_code == status
    if code is None:
        assert raw.headers["content-type"].startswith("text/html")
        assert "retry-after" not in raw.headers
    else:
        assert (raw.json()["stat"], raw.json()["code"]) == ("fail", code)
    with pytest.raises(FlickrError) as caught:
        flickr.photos.setMeta(photo_id=photo_id, title="After")
    assert caught.value.code == code
    with pytest.raises(FlickrError):
        account.upload(flickr, jpeg_bytes(shade=3))
    sim.settings.transient_rate = 0.0
    assert sim.photo(photo_id).title == "Before"
    assert len(sim.state.photos) == 1
