"""Change a photo in the sandbox's IMatch as a user would in IMatch, to try change detection.

    python -m sandbox.edit_photo 5 --title "Evening fog" --add-keyword "nature|water|lake"
    python -m sandbox.edit_photo 5 --new-image

It sends IMatch's metadata write (`POST /v1/metadata`, reference imatch-api.md 5.11) to
the sandbox's IMatch (default http://127.0.0.1:50519; `--imatch` names another address).
`--new-image` edits the picture as an image editor would: the file IMatch names for the
photo gets a different picture of the same size and format (IMatch has no API for this).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from imatch.client import IMatchClient

KEYWORDS = "hierarchicalkeywords"


def operations(args: argparse.Namespace) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"tag": tag, "op": "set", "value": value}
        for tag, value in (
            ("title", args.title),
            ("description", args.description),
            ("headline", args.headline),
        )
        if value is not None
    ]
    found += [{"tag": KEYWORDS, "op": "add", "value": k} for k in args.add_keyword]
    found += [{"tag": KEYWORDS, "op": "remove", "value": k} for k in args.remove_keyword]
    return found


async def send(url: str, file_id: int, changes: list[dict[str, Any]], new_image: bool) -> None:
    async with IMatchClient(url, user="sandbox") as client:
        if changes:
            body = {"id": str(file_id), "tags": json.dumps(changes)}
            await client.call("POST", "/v1/metadata", body)
        if new_image:
            [info] = await client.files([file_id], fields=("id", "filename"))
            redraw(Path(info.file_name))


def redraw(path: Path) -> None:
    """A different picture in the same file: same pixel size and format, colours
    inverted (as an edit in an image editor; the file is replaced in one step)."""
    with Image.open(path) as image:
        kind = image.format
        edited = ImageOps.invert(image.convert("RGB"))
    partial = path.with_name(path.name + ".editing")
    edited.save(partial, kind)
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.edit_photo", description=__doc__)
    parser.add_argument("file_id", type=int, help="the photo's IMatch file id")
    parser.add_argument("--imatch", default="http://127.0.0.1:50519", help="the sandbox's IMatch")
    parser.add_argument("--title")
    parser.add_argument("--description")
    parser.add_argument("--headline")
    parser.add_argument("--add-keyword", action="append", default=[], metavar="PATH")
    parser.add_argument("--remove-keyword", action="append", default=[], metavar="PATH")
    parser.add_argument(
        "--new-image", action="store_true", help="give the photo's file a different picture"
    )
    args = parser.parse_args(argv)
    changes = operations(args)
    if not changes and not args.new_image:
        parser.error(
            "name something to change (--title, --description, --headline, keywords, --new-image)"
        )
    try:
        asyncio.run(send(args.imatch, args.file_id, changes, args.new_image))
    except OSError as error:  # e.g. a raw file Pillow cannot draw
        print(f"file {args.file_id}: no new image: {error}", file=sys.stderr)
        return 1
    if changes:
        print(f"file {args.file_id}: {len(changes)} change(s) written to IMatch")
    if args.new_image:
        print(f"file {args.file_id}: a new image in its file")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
