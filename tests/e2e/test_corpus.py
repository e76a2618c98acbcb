"""Bad-input corpus: odd IMatch data, odd files and odd service answers, run for real.

Photo-level cases share one world: each case spoils one photo of a generated library in
the IMatch simulator's database or on disk, then one real headless run (in-process, over
HTTP) handles them all together with clean control photos. Each case must end in its
expected post or in its named error, the control photos must be published as usual, and
a second run must change nothing (no duplicate, no needless edit).

Run-level cases (configuration, unknown platforms, malformed IMatch answers, HTML error
pages from the platforms) each get a small world of their own; their answers are bent by
`Tamper`, an ASGI wrapper put around a simulator before its server starts.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sandbox.flickr_server import FlickrSimulator
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import generate_library
from sandbox.pixelfed_server import PixelfedSimulator
from sandbox.world import SandboxWorld, sandbox_world
from tests.sync_checks import (
    NO_RATE_LIMITS,
    error_categories,
    records,
    remote_key,
    remote_posts,
    sync_once,
)

PLATFORMS = ("flickr", "pixelfed")
"""The platforms each case names its outcome on (Mastodon's depth is in its own tests)."""
Setup = Callable[[SandboxWorld, int], None]
LONG = "x" * 10_000


# --- the photo-level corpus -----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One spoiled photo and what must become of it on each platform.

    `flickr`/`pixelfed`: a set of error names (the photo is refused with exactly those),
    or None (it is published); `check` looks at the published posts.
    """

    name: str
    setup: Setup
    flickr: frozenset[str] | None = None
    pixelfed: frozenset[str] | None = None
    posted: bool = False
    """Needs a photo that is already on both platforms (flag cases)."""
    check: Callable[[SandboxWorld, int], None] | None = None
    gone: bool = False
    """The photo must end with no post and no record (deleted or cleared)."""
    subject: Callable[[SandboxWorld, int], int] | None = None
    """Which file to look at afterwards, when it is not the spoiled one."""


def own(world: SandboxWorld, file_id: int) -> dict[str, Any]:
    """The tags of the file itself (title, description, headline win over the master's)."""
    return world.imatch.db.files[file_id].tags


def source(world: SandboxWorld, file_id: int) -> dict[str, Any]:
    """The tags of the metadata source (the master when there is one): keywords and so on."""
    masters = world.imatch.db.master_groups(file_id)
    return world.imatch.db.files[masters[0][0] if masters else file_id].tags


def set_text(key: str, value: str) -> Setup:
    def setup(world: SandboxWorld, file_id: int) -> None:
        own(world, file_id)[key] = value
        source(world, file_id)[key] = value

    return setup


def set_keywords(*keywords: str) -> Setup:
    def setup(world: SandboxWorld, file_id: int) -> None:
        source(world, file_id)["hierarchicalkeywords"] = list(keywords)

    return setup


LANDSCAPES = "Socials|flickr|albums|Landscapes"


def album_id(world: SandboxWorld) -> str:
    """The flickr id of the library's `Landscapes` album (seeding gives it a fresh id)."""
    return world.imatch.db.categories[LANDSCAPES].description.splitlines()[0]


def category(path: str, description: str) -> Setup:
    """A new album or group category; `{album}` in the description is the real album id."""

    def setup(world: SandboxWorld, file_id: int) -> None:
        world.imatch.db.assign(path, [file_id])
        text = description.replace("{album}", album_id(world))
        world.imatch.db.categories[path].description = text

    return setup


def write_file(content: Callable[[bytes], bytes]) -> Setup:
    def setup(world: SandboxWorld, file_id: int) -> None:
        path = Path(world.imatch.db.files[file_id].file_name)
        path.write_bytes(content(path.read_bytes()))

    return setup


def sparse_file(size: int) -> Setup:
    def setup(world: SandboxWorld, file_id: int) -> None:
        with open(world.imatch.db.files[file_id].file_name, "r+b") as stream:
            stream.truncate(size)

    return setup


def padded_jpeg(size: int) -> Callable[[bytes], bytes]:
    """A valid JPEG followed by zeros up to `size` bytes (decoders stop at the end marker)."""
    return lambda data: data + bytes(size - len(data))


def remove_file(world: SandboxWorld, file_id: int) -> None:
    Path(world.imatch.db.files[file_id].file_name).unlink()


def set_format(fmt: str) -> Setup:
    def setup(world: SandboxWorld, file_id: int) -> None:
        world.imatch.db.files[file_id].format = fmt

    return setup


def drop_master(world: SandboxWorld, file_id: int) -> None:
    """The master was removed from IMatch: the version stands alone, without its metadata."""
    db = world.imatch.db
    master = db.master_groups(file_id)[0][0]
    with db.lock:
        relation = next(r for r in db.relations if r.master == master)
        db.relations.remove(relation)
        for member in (master, *relation.versions):
            db._relations_of[member].remove(relation)
        for path in [c.path for c in db.categories_of(master)]:
            db.unassign(path, [master])
        del db.files[master]


def master_of(world: SandboxWorld, file_id: int) -> int:
    return world.imatch.db.master_groups(file_id)[0][0]


def publish_master(world: SandboxWorld, file_id: int) -> None:
    """The master (a file with versions) itself is put in Socials|<platform>."""
    master = world.imatch.db.master_groups(file_id)[0][0]
    for platform in PLATFORMS:
        world.imatch.db.unassign(f"Socials|{platform}", [file_id])
        world.imatch.db.assign(f"Socials|{platform}", [master])


def flags(*names: str) -> Setup:
    def setup(world: SandboxWorld, file_id: int) -> None:
        for platform in PLATFORMS:
            for name in names:
                world.imatch.db.assign(f"Socials|{platform}|_{name}", [file_id])

    return setup


def stray(name: str) -> Setup:
    """The photo is taken out of Socials|<platform> and put in a flag category only."""

    def setup(world: SandboxWorld, file_id: int) -> None:
        for platform in PLATFORMS:
            world.imatch.db.unassign(f"Socials|{platform}", [file_id])
        flags(name)(world, file_id)

    return setup


def version_uploaded(world: SandboxWorld, master: int) -> None:
    """What was posted is the master's JPEG version, byte for byte."""
    [[version]] = world.imatch.db.version_groups(master)
    data = Path(world.imatch.db.files[version].file_name).read_bytes()
    assert flickr_post(world, master).sha256 == hashlib.sha256(data).hexdigest()


def break_record(world: SandboxWorld, file_id: int) -> None:
    """The flickr record lost its photo id and pixelfed's its status id; then _metadata."""
    for instance in world.imatch.db.instances.values():
        if instance.file_id == file_id:
            instance.values.pop("photo_id", None)
            instance.values.pop("status_id", None)
    flags("metadata")(world, file_id)


def flickr_post(world: SandboxWorld, file_id: int) -> Any:
    [record] = records(world, "flickr")[file_id]
    return world.flickr.photo(record["photo_id"])


def pixelfed_post(world: SandboxWorld, file_id: int) -> Any:
    [record] = records(world, "pixelfed")[file_id]
    return remote_posts(world, "pixelfed")[record["status_id"]]


def titled(title: str, stored: str = "") -> Callable[[SandboxWorld, int], None]:
    """flickr keeps the title as sent; pixelfed stores `stored` (what rendering protected)."""

    def check(world: SandboxWorld, file_id: int) -> None:
        assert flickr_post(world, file_id).title == title
        assert pixelfed_post(world, file_id).caption.startswith((stored or title) + " -- ")

    return check


def tagged(flickr_tag: str, hashtag: str) -> Callable[[SandboxWorld, int], None]:
    def check(world: SandboxWorld, file_id: int) -> None:
        tags = [t.raw for t in flickr_post(world, file_id).tags]
        assert flickr_tag in tags, tags
        caption = pixelfed_post(world, file_id).caption
        assert f" #{hashtag} " in f" {caption.split(chr(10) * 2)[1]} ", caption

    return check


def clean_hashtags(world: SandboxWorld, file_id: int) -> None:
    """Keywords of punctuation only leave no bare `#` and no empty separator behind."""
    caption = pixelfed_post(world, file_id).caption
    assert "# " not in caption + " "
    assert "##" not in caption
    assert "  " not in caption
    assert all(t for t in (t.raw for t in flickr_post(world, file_id).tags))


def in_albums(count: int) -> Callable[[SandboxWorld, int], None]:
    def check(world: SandboxWorld, file_id: int) -> None:
        photo_id = records(world, "flickr")[file_id][0]["photo_id"]
        found = {s.id for s in world.flickr.state.photosets.values() if photo_id in s.photo_ids}
        assert found == ({album_id(world)} if count else set())
        assert not any(photo_id in g.pool for g in world.flickr.state.groups.values())

    return check


def described(world: SandboxWorld, file_id: int) -> None:
    assert LONG in flickr_post(world, file_id).description


def image_replaced(world: SandboxWorld, file_id: int) -> None:
    assert flickr_post(world, file_id).replace_count == 1


E = frozenset
NAMES_OF_SIMPLE_ERRORS = {"missing title", "missing description"}
CASES = [
    # Text fields: empty, blank, huge, emoji, right-to-left, HTML, quotes and backslashes.
    Case("empty title", set_text("title", ""), E({"missing title"}), E({"missing title"})),
    Case(
        "whitespace-only title",
        set_text("title", " \t\n "),
        E({"missing title"}),
        E({"missing title"}),
    ),
    Case(
        "whitespace-only description",
        set_text("description", "   "),
        E({"missing description"}),
        E({"missing description"}),
    ),
    Case("empty headline", set_text("headline", ""), None, E({"missing headline"})),
    Case("10,000-character description", set_text("description", LONG), check=described),
    Case(
        "10,000-character headline",
        set_text("headline", LONG),
        None,
        E({"alt text too long", "caption too long"}),
    ),
    Case(
        "10,000-character title",
        set_text("title", LONG),
        E({"title too long"}),
        E({"caption too long"}),
    ),
    Case(
        "emoji title",
        set_text("title", "Sunrise 🌅 with ducks 🦆🦆"),
        check=titled("Sunrise 🌅 with ducks 🦆🦆"),
    ),
    Case(
        "right-to-left title",
        set_text("title", "שקיעה מעל האגם ‏(2024)"),
        check=titled("שקיעה מעל האגם ‏(2024)"),
    ),
    Case(
        "HTML and quotes in title",
        set_text("title", "<b>\"Fog\"</b> &amp; <i>'mist'</i> <script>x</script>"),
        # pixelfed's strip_tags would drop the markup: the caption keeps it, protected.
        check=titled(
            "<b>\"Fog\"</b> &amp; <i>'mist'</i> <script>x</script>",
            "\u2039b>\"Fog\"\u2039/b> &amp; \u2039i>'mist'\u2039/i> \u2039script>x\u2039/script>",
        ),
    ),
    Case(
        "backslashes in title",
        set_text("title", "C:\\Photos\\lake \\n \\\\ end\\"),
        check=titled("C:\\Photos\\lake \\n \\\\ end\\"),
    ),
    # Keywords with characters that tags and hashtags treat specially.
    Case(
        "keyword with ampersand",
        set_keywords("music|Rock & Roll"),
        check=tagged("Rock & Roll", "RockRoll"),
    ),
    Case("keyword with hash", set_keywords("sky|#sunset"), check=tagged("#sunset", "sunset")),
    Case(
        "keyword with dots", set_keywords("gear|f.64 group"), check=tagged("f.64 group", "f64group")
    ),
    Case(
        "non-ASCII keyword",
        set_keywords("places|Zürich|Café Größe"),
        check=tagged("Café Größe", "CaféGröße"),
    ),
    Case("punctuation-only keywords", set_keywords("!!!|&&", "nature|--"), check=clean_hashtags),
    Case(
        "whitespace-only keywords",
        set_keywords("  ", ""),
        E({"missing keywords"}),
        E({"missing keywords"}),
    ),
    # Album and group descriptions: spaces, several lines, no id.
    Case(
        "album id after blank lines and spaces",
        category("Socials|flickr|albums|Messy", "\n\n   {album}   \nmore text\n"),
        check=in_albums(1),
    ),
    Case(
        "album without an id",
        category("Socials|flickr|albums|No id", ""),
        check=in_albums(0),
    ),
    Case(
        "group description of spaces and lines only",
        category("Socials|flickr|groups|Blank", "   \n \t\n"),
        check=in_albums(0),
    ),
    # Files: empty, truncated, not a JPEG, too large, missing, unsupported format.
    Case(
        "0-byte file",
        write_file(lambda data: b""),
        E({"upload rejected"}),
        E({"upload rejected"}),
    ),
    # Both services take a truncated JPEG (its header is sound); so do we, once.
    Case("truncated JPEG", write_file(lambda data: data[: len(data) // 3])),
    Case(
        "text file named .jpg",
        write_file(lambda data: b"this is not an image\n" * 20),
        E({"upload rejected"}),
        E({"upload rejected"}),
    ),
    Case(
        "file over pixelfed's limit",
        write_file(padded_jpeg(15_400_000)),
        None,
        E({"file too large"}),
    ),
    Case(
        "file over flickr's limit",
        sparse_file(201 * 1024 * 1024),
        E({"file too large"}),
        E({"file too large"}),
    ),
    Case("file missing", remove_file, E({"file not found"}), E({"file not found"})),
    Case("WebP file", set_format("WebP"), E({"invalid format"}), E({"invalid format"})),
    # Versions and masters.
    Case(
        "master missing from IMatch",
        drop_master,
        E({"missing description", "missing keywords", "missing title", "missing genre"}),
        E(
            {
                "missing description",
                "missing keywords",
                "missing title",
                "missing genre",
                "missing headline",
            }
        ),
    ),
    # The original's last layout: the master in Socials, its single JPEG version uploaded.
    Case(
        "master published instead of its version",
        publish_master,
        subject=master_of,
        check=version_uploaded,
    ),
    # Flags, every pair (and all three) on a posted photo.
    Case("_update and _metadata", flags("update", "metadata"), posted=True, check=image_replaced),
    Case(
        "_update and _delete",
        flags("update", "delete"),
        E({"update and delete conflict"}),
        E({"update and delete conflict"}),
        posted=True,
    ),
    Case(
        "_metadata and _delete",
        flags("metadata", "delete"),
        E({"update and delete conflict"}),
        E({"update and delete conflict"}),
        posted=True,
    ),
    Case(
        "all three flags",
        flags("update", "metadata", "delete"),
        E({"update and delete conflict"}),
        E({"update and delete conflict"}),
        posted=True,
    ),
    Case("_delete on a never-posted photo", flags("delete"), gone=True),
    # Flags on a never-posted photo that is not in Socials|<platform> publish nothing.
    Case(
        "_update on a photo never posted and not in Socials",
        stray("update"),
        E({"flagged but not published"}),
        E({"flagged but not published"}),
    ),
    Case(
        "_metadata on a photo never posted and not in Socials",
        stray("metadata"),
        E({"flagged but not published"}),
        E({"flagged but not published"}),
    ),
    Case("_delete on a photo never posted and not in Socials", stray("delete"), gone=True),
    Case(
        "record without the remote id",
        break_record,
        E({"attribute record incomplete"}),
        E({"attribute record incomplete"}),
        posted=True,
    ),
]
CONTROLS = 4


@dataclass
class CorpusRun:
    world: SandboxWorld
    victims: dict[str, int]
    controls: list[int]
    before: dict[str, dict[int, list[dict[str, Any]]]]
    first: tuple[int, dict[str, Any]]
    second: tuple[int, dict[str, Any]]
    posts_after_first: dict[str, set[str]] = field(default_factory=dict)
    posts_before: dict[str, set[str]] = field(default_factory=dict)


def uploadable(world: SandboxWorld) -> list[int]:
    """Files directly in Socials|flickr (the versions and standalone JPEGs), in id order."""
    return world.imatch.db.direct_files("Socials|flickr")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusRun]:
    tmp = tmp_path_factory.mktemp("corpus")
    need_posted = sum(c.posted for c in CASES)
    # About half of the photos are already posted; seed 11 gives enough of both kinds.
    generate_library(
        tmp / "library", 2 * len(CASES) + CONTROLS, cases=False, seed=11, posted_share=0.4
    )
    with pytest.MonkeyPatch.context() as patch, sandbox_world(tmp / "library") as world:
        world.configure_home(tmp / "home", NO_RATE_LIMITS)
        patch.setenv("IMATCH_SOCIALS_HOME", str(tmp / "home"))
        posted = set(records(world, "flickr"))
        with_master = {f for f in uploadable(world) if world.imatch.db.master_groups(f)}
        fresh = [f for f in uploadable(world) if f not in posted and f in with_master]
        # The first posted photo is the seeded albums' only photo: keep it out of the cases
        # (an update rightly takes it out of albums IMatch does not name, emptying them).
        old = [f for f in uploadable(world) if f in posted][1:]
        assert len(old) >= need_posted + CONTROLS
        assert len(fresh) >= len(CASES) + CONTROLS
        posts_before = {p: set(remote_posts(world, p)) for p in PLATFORMS}
        victims: dict[str, int] = {}
        for case in CASES:
            file_id = (old if case.posted else fresh).pop(0)
            victims[case.name] = case.subject(world, file_id) if case.subject else file_id
            case.setup(world, file_id)
        controls = fresh[:CONTROLS] + old[:CONTROLS]
        before = {p: records(world, p) for p in PLATFORMS}
        first = sync_once()
        posts = {p: set(remote_posts(world, p)) for p in PLATFORMS}
        second = sync_once()
        yield CorpusRun(world, victims, controls, before, first, second, posts, posts_before)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_bad_input_ends_in_its_post_or_its_named_error(corpus: CorpusRun, case: Case) -> None:
    world, file_id = corpus.world, corpus.victims[case.name]
    for platform in PLATFORMS:
        wanted: frozenset[str] | None = getattr(case, platform)
        errors = {name for name, ids in error_categories(world, platform).items() if file_id in ids}
        have = records(world, platform).get(file_id, [])
        summary = corpus.first[1]["platforms"][platform]
        if wanted is None:
            assert errors == set(), (platform, errors, summary["failures"])
            assert len(have) == (0 if case.gone else 1), platform
        else:
            assert errors == set(wanted), (platform, errors, summary["failures"])
            # An error leaves what was there alone: nothing new posted, no record lost.
            assert have == corpus.before[platform].get(file_id, []), platform
    if case.check is not None:
        case.check(world, file_id)


def test_controls_and_posts_are_untouched_by_the_bad_inputs(corpus: CorpusRun) -> None:
    world = corpus.world
    for platform in PLATFORMS:
        have = records(world, platform)
        for file_id in corpus.controls:
            assert len(have.get(file_id, [])) == 1, (platform, file_id)
        errors = error_categories(world, platform)
        assert not any(set(corpus.controls) & ids for ids in errors.values()), platform
        # Every post has one record and every intact record one post; the one post whose
        # record was broken on purpose is left alone, not re-posted and not deleted.
        key = remote_key(platform)
        recorded = [r[0][key] for r in have.values() if key in r[0]]
        assert all(len(r) == 1 for r in have.values()), platform
        assert len(recorded) == len(set(recorded)), platform
        orphans = set(remote_posts(world, platform)) - set(recorded)
        assert len(orphans) == 1, platform
        assert orphans <= corpus.posts_before[platform], platform
        assert set(recorded) <= set(remote_posts(world, platform)), platform


def test_runs_go_on_and_a_second_run_changes_nothing(corpus: CorpusRun) -> None:
    code, summary = corpus.first
    assert code == 1  # the refused files fail; everything else was done
    for platform in PLATFORMS:
        assert summary["platforms"][platform]["status"] == "run"
        assert summary["platforms"][platform]["added"] > CONTROLS
    code, summary = corpus.second
    for platform in PLATFORMS:
        result = summary["platforms"][platform]
        changed = ("added", "updated", "metadata", "deleted", "cleared")
        assert {k: result[k] for k in changed} == dict.fromkeys(changed, 0), platform
        assert set(remote_posts(corpus.world, platform)) == corpus.posts_after_first[platform]


def test_an_album_without_an_id_is_a_warning_naming_the_category(corpus: CorpusRun) -> None:
    warnings = corpus.first[1]["platforms"]["flickr"]["warnings"]
    assert any("albums|No id has no flickr id" in w for w in warnings), warnings
    assert any("groups|Blank has no flickr id" in w for w in warnings), warnings


# --- run-level cases: configuration, platform names, odd answers ------------------------------

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]


@dataclass
class Rule:
    """Answer matching requests with `page` (status, content type, body) instead of the
    simulator, or pass the simulator's JSON answer through `rewrite`; `times` of them."""

    path: str
    page: tuple[int, str, bytes] | None = None
    rewrite: Callable[[Any], Any] | None = None
    times: int | None = None
    method: str | None = None
    used: int = 0

    def matches(self, scope: Scope) -> bool:
        if scope["path"] != self.path or (self.method and scope["method"] != self.method):
            return False
        return self.times is None or self.used < self.times


class Tamper:
    """ASGI wrapper around a simulator: bends chosen answers, passes the rest untouched."""

    def __init__(self, app: ASGI) -> None:
        self.app = app
        self.rules: list[Rule] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        rule = next((r for r in self.rules if scope["type"] == "http" and r.matches(scope)), None)
        if rule is None:
            await self.app(scope, receive, send)
            return
        rule.used += 1
        if rule.page is not None:
            status, content_type, body = rule.page
            await _answer(send, status, content_type, body)
            return
        assert rule.rewrite is not None
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def keep(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            else:
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, keep)
        body = json.dumps(rule.rewrite(json.loads(b"".join(chunks)))).encode()
        await _answer(send, started["status"], "application/json", body)


async def _answer(send: Any, status: int, content_type: str, body: bytes) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


HTML_502 = (
    502,
    "text/html",
    b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
)
HTML_413 = (413, "text/html", b"<html><body><h1>413 Request Entity Too Large</h1></body></html>")
HTML_200 = (
    200,
    "text/html; charset=utf-8",
    b"<!DOCTYPE html><html><body>Log in to Wi-Fi</body></html>",
)


@dataclass
class SmallWorld:
    world: SandboxWorld
    home: Path
    tamper: dict[str, Tamper]
    seeded: dict[str, set[str]]
    """Posts there before the first run (flickr's seeded album cover)."""

    def assert_each_post_once(self) -> None:
        for platform in PLATFORMS:
            have = records(self.world, platform)
            assert all(len(r) == 1 for r in have.values()), platform
            recorded = [r[0][remote_key(platform)] for r in have.values()]
            assert len(recorded) == len(set(recorded)), f"{platform}: two files share a post"
            posts = set(remote_posts(self.world, platform))
            assert posts == set(recorded) | self.seeded[platform], f"{platform}: extra posts"

    def mutations(self) -> int:
        w = self.world
        return w.flickr.knobs.mutations + w.pixelfed.knobs.mutations


@pytest.fixture
def small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallWorld]:
    """Six photos, not yet posted, with a Tamper around each simulator."""
    tamper: dict[str, Tamper] = {}
    for name, cls in (
        ("imatch", IMatchSimulator),
        ("flickr", FlickrSimulator),
        ("pixelfed", PixelfedSimulator),
    ):
        original = cls.asgi_app

        def wrapped(sim: Any, name: str = name, original: Any = original) -> Tamper:
            if name not in tamper:
                tamper[name] = Tamper(original.fget(sim))
            return tamper[name]

        monkeypatch.setattr(cls, "asgi_app", property(wrapped))
    generate_library(tmp_path / "library", 6, cases=False, seed=5)
    with sandbox_world(tmp_path / "library") as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        seeded = {p: set(remote_posts(world, p)) for p in PLATFORMS}
        yield SmallWorld(world, tmp_path / "home", tamper, seeded)


def all_posted(world: SandboxWorld) -> bool:
    wanted = set(world.imatch.db.direct_files("Socials|flickr"))
    return all(set(records(world, p)) == wanted for p in PLATFORMS)


def write_config(small: SmallWorld, extra: str) -> None:
    config = small.home / "config" / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("[instagram]\nurl = 'x'\n", "unknown key instagram"),
        ("[flickr\n", "not valid TOML"),
        ("concurrency = 'four'\n", "{last}.concurrency: expected a whole number"),
        ("[keywords]\nlevels = 'all'\n", "keywords.levels: expected a list"),
        ("max_file_mb = -1\n", "{last}.max_file_mb: expected a number of 0 or more"),
    ],
    ids=["unknown section", "broken TOML", "wrong type", "text for a list", "negative"],
)
def test_malformed_config_is_named_and_nothing_runs(
    small: SmallWorld, capsys: pytest.CaptureFixture[str], extra: str, message: str
) -> None:
    # Appended after the config's last platform section, so a bare key lands in it.
    config = (small.home / "config" / "config.toml").read_text(encoding="utf-8")
    last = re.findall(r"^\[(\w+)\]", config, flags=re.MULTILINE)[-1]
    write_config(small, extra)
    code, summary = sync_once()
    assert code == 2
    assert message.format(last=last) in capsys.readouterr().err
    assert summary["platforms"] == {}
    assert small.mutations() == 0


def test_unknown_platform_name_is_refused_before_anything_runs(
    small: SmallWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = sync_once(platforms=["flickr", "twitter"])
    assert code == 2
    assert "unknown platform 'twitter': expected one of flickr, pixelfed" in capsys.readouterr().err
    assert small.mutations() == 0
    assert len(small.world.imatch.log) == 0  # refused before IMatch was even asked


def drop_key(listing: str, key: str) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        for entry in body[listing]:
            entry.pop(key, None)
        return body

    return rewrite


def set_key(listing: str, key: str, value: Any) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        for entry in body[listing]:
            entry[key] = value
        return body

    return rewrite


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (Rule("/v1/files", rewrite=drop_key("files", "id")), "missing the number 'id'"),
        (Rule("/v1/files", rewrite=set_key("files", "size", "big")), "'size' is not a number"),
        (Rule("/v1/files", rewrite=lambda body: {"files": "none"}), "'files' is not a list"),
        (Rule("/v1/files", rewrite=lambda body: ["not", "an", "object"]), "expected an object"),
        (Rule("/v1/files", page=HTML_200), "answered without a JSON body"),
        (
            Rule("/v1/categories", rewrite=set_key("categories", "directFiles", ["x1"])),
            "'directFiles' is not a list of numbers",
        ),
        (
            Rule("/v1/categories", rewrite=set_key("categories", "children", [{"files": 7}])),
            "'files' is not a list of numbers",
        ),
        (
            Rule(
                "/v1/attributes",
                method="GET",
                rewrite=lambda body: {"result": [{"id": 1, "data": [{"fileId": 1}]}]},
            ),
            "missing the number 'instanceId'",
        ),
    ],
    ids=[
        "file without id",
        "size as text",
        "files not a list",
        "answer not an object",
        "HTML page with 200",
        "category ids as text",
        "child files a number",
        "record without instance id",
    ],
)
def test_malformed_imatch_answers_are_named_and_change_nothing(
    small: SmallWorld, capsys: pytest.CaptureFixture[str], rule: Rule, message: str
) -> None:
    small.tamper["imatch"].rules.append(rule)
    code, _ = sync_once()
    err = capsys.readouterr().err
    assert code == 2
    assert "IMatch" in err, err
    assert message in err, err
    assert "Traceback" not in err
    assert small.mutations() == 0
    small.tamper["imatch"].rules.clear()
    code, _ = sync_once()
    assert code == 0
    assert all_posted(small.world)


def test_an_app_variable_of_the_wrong_type_is_treated_as_missing(
    small: SmallWorld,
) -> None:
    small.tamper["imatch"].rules.append(
        Rule("/v1/imatch/appvar", rewrite=lambda body: {"value": ["a", "list"]})
    )
    code, summary = sync_once()
    assert code == 2  # neither platform has its credentials now
    for platform in PLATFORMS:
        assert summary["platforms"][platform]["status"] == "not run"
    assert "flickr_api_key" in summary["platforms"]["flickr"]["problem"]
    assert "pixelfed_url" in summary["platforms"]["pixelfed"]["problem"]
    assert small.mutations() == 0


def test_imatch_write_back_answered_oddly_is_finished_by_the_next_run(small: SmallWorld) -> None:
    """The post exists but IMatch's answer to recording it is unreadable: the next run
    adopts the post instead of uploading it again."""
    small.tamper["imatch"].rules.append(
        Rule("/v1/attributes", method="POST", page=(200, "application/json", b'{"result":"?"}'))
    )
    code, summary = sync_once()
    assert code == 1
    assert "did not answer result=ok" in json.dumps(summary)
    small.tamper["imatch"].rules.clear()
    posts = {p: set(remote_posts(small.world, p)) for p in PLATFORMS}
    code, summary = sync_once()
    assert code == 0, summary
    assert all_posted(small.world)
    for platform in PLATFORMS:
        assert set(remote_posts(small.world, platform)) == posts[platform]
        assert summary["platforms"][platform]["added"] == 0
    small.assert_each_post_once()


@pytest.mark.parametrize(
    ("platform", "rule"),
    [
        ("flickr", Rule("/services/upload/", page=HTML_502, times=3)),
        ("flickr", Rule("/services/rest/", page=HTML_502, times=3)),
        ("pixelfed", Rule("/api/v2/media", page=HTML_502, times=3)),
        ("pixelfed", Rule("/api/v1/statuses", page=HTML_502, times=3)),
    ],
    ids=["flickr upload", "flickr REST", "pixelfed media", "pixelfed status"],
)
def test_html_error_pages_from_a_proxy_are_retried_without_duplicates(
    small: SmallWorld, platform: str, rule: Rule
) -> None:
    small.tamper[platform].rules.append(rule)
    code, summary = sync_once()
    assert rule.used == 3
    assert code == 0, summary
    assert all_posted(small.world)
    small.assert_each_post_once()


@pytest.mark.parametrize(
    ("platform", "rule", "error"),
    [
        ("pixelfed", Rule("/api/v2/media", page=HTML_413), "upload rejected"),
        ("flickr", Rule("/services/upload/", page=HTML_200), "unreadable answer"),
    ],
    ids=["pixelfed 413 page", "flickr 200 HTML page"],
)
def test_html_pages_instead_of_answers_fail_the_photos_clearly(
    small: SmallWorld, platform: str, rule: Rule, error: str
) -> None:
    small.tamper[platform].rules.append(rule)
    code, summary = sync_once()
    assert code == 1
    result = summary["platforms"][platform]
    assert result["failed"] == 6
    assert all(error in reason for _, reason in result["failures"]), result["failures"]
    other = "flickr" if platform == "pixelfed" else "pixelfed"
    assert summary["platforms"][other]["added"] == 6
    assert records(small.world, platform) == {}
