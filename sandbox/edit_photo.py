"""Change a photo in the sandbox's IMatch as a user would in IMatch, to try change detection.

    python -m sandbox.edit_photo 5 --title "Evening fog" --add-keyword "nature|water|lake"

It sends IMatch's metadata write (`POST /v1/metadata`, reference imatch-api.md 5.11) to
the sandbox's IMatch (default http://127.0.0.1:50519; `--imatch` names another address).
To change the image itself, edit the file in the library's `photos` folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

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


async def send(url: str, file_id: int, changes: list[dict[str, Any]]) -> None:
    async with IMatchClient(url, user="sandbox") as client:
        await client.call("POST", "/v1/metadata", {"id": str(file_id), "tags": json.dumps(changes)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.edit_photo", description=__doc__)
    parser.add_argument("file_id", type=int, help="the photo's IMatch file id")
    parser.add_argument("--imatch", default="http://127.0.0.1:50519", help="the sandbox's IMatch")
    parser.add_argument("--title")
    parser.add_argument("--description")
    parser.add_argument("--headline")
    parser.add_argument("--add-keyword", action="append", default=[], metavar="PATH")
    parser.add_argument("--remove-keyword", action="append", default=[], metavar="PATH")
    args = parser.parse_args(argv)
    changes = operations(args)
    if not changes:
        parser.error("name something to change (--title, --description, --headline, keywords)")
    asyncio.run(send(args.imatch, args.file_id, changes))
    print(f"file {args.file_id}: {len(changes)} change(s) written to IMatch")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
