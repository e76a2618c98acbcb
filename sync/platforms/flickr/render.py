"""The flickr post for a photo: title, description, tags, date, privacy, albums, groups."""

from __future__ import annotations

from sync.config import Settings
from sync.photo import Photo
from sync.platforms.flickr.platform import FlickrPost, unique_tags
from sync.platforms.flickr.settings import FlickrCredentials
from sync.rendering import (
    UNBOUNDED,
    PostSize,
    Rendered,
    camera_lines,
    date_text,
    keyword_terms,
    post_title,
    raw_terms,
)
from sync.visible_text import first_line

CIRCA_GRANULARITY = 8
EXACT_GRANULARITY = 0


def flickr_description(photo: Photo) -> str:
    """Headline, description, `Taken ca. <date>.` for circa dates, then the camera lines."""
    blocks = [photo.headline, photo.description]
    if photo.circa and photo.date_taken is not None:
        blocks.append(f"Taken {date_text(photo)}.")
    blocks.append(camera_lines(photo))
    return "\n\n".join(block for block in blocks if block)


def memberships(photo: Photo, settings: Settings, kind: str) -> tuple[tuple[str, ...], list[str]]:
    """Ids of the albums or groups (by layout name `kind`) the photo's categories name."""
    prefix = f"{settings.categories.root}|flickr|{kind}|"
    ids: list[str] = []
    warnings: list[str] = []
    # Filtered, then sorted: most photos are in no album or group.
    for path, description in sorted(
        item for item in photo.categories.items() if item[0].startswith(prefix)
    ):
        remote_id = first_line(description)
        if remote_id:
            ids.append(remote_id)
        else:
            warnings.append(f"category {path} has no flickr id in its description")
    return tuple(dict.fromkeys(ids)), warnings


def _managed(photo: Photo, kind: str, wanted: tuple[str, ...]) -> frozenset[str]:
    """Every album (or group) IMatch has a category for; one set shared by all photos."""
    managed = photo.managed.get(kind, frozenset())
    return managed if managed.issuperset(wanted) else managed | set(wanted)


def render_flickr(
    photo: Photo, settings: Settings, credentials: FlickrCredentials
) -> Rendered[FlickrPost]:
    albums, album_warnings = memberships(photo, settings, settings.categories.albums)
    groups, group_warnings = memberships(photo, settings, settings.categories.groups)
    # What flickr keeps: tags that differ only in case and punctuation are one tag.
    tags = tuple(unique_tags(keyword_terms(photo, settings.keywords, settings.categories)))
    post = FlickrPost(
        file=photo.file,
        title=post_title(photo),
        description=flickr_description(photo),
        tags=tags,
        date_taken=photo.date_taken,
        date_granularity=CIRCA_GRANULARITY if photo.circa else EXACT_GRANULARITY,
        is_public=credentials.flickr_is_public,
        is_friend=credentials.flickr_is_friend,
        is_family=credentials.flickr_is_family,
        albums=albums,
        groups=groups,
        managed_albums=_managed(photo, settings.categories.albums, albums),
        managed_groups=_managed(photo, settings.categories.groups, groups),
    )
    size = PostSize(
        title_chars=len(post.title),
        caption_chars=len(post.description),
        # Our machine tag rides along with every upload.
        tags=len(tags) + 1,
    )
    return Rendered(post, size, tuple(album_warnings + group_warnings))


def flickr_size_bound(photo: Photo, settings: Settings) -> PostSize:
    """At least each measure `render_flickr` gives, without making the post: the title
    as it is, the tags as if none were merged (planning renders only a photo whose bound
    is over a limit). flickr sets no limit on descriptions, so they are not measured."""
    terms = raw_terms(photo, settings.keywords, settings.categories)
    return PostSize(
        title_chars=len(post_title(photo)),
        caption_chars=UNBOUNDED,
        tags=len(terms) + 1,  # with our machine tag
    )
