"""flickr and IMatch calls for one add (2 albums, 1 group) and for metadata updates.

    python -m benchmarks.call_counts

Counted from the simulators' request logs around one headless run of one photo (the
three login calls every run makes, test.login, checkToken and getLimits, are left out).
Metadata updates are counted before the state store (no record of what was published:
the photo is read first, 2 reads, then the setters that differ) and after (only the
setters of the fields that differ from what was published).
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.journal import Journal
from tests.sync_checks import NO_RATE_LIMITS, sync_once

FIRST_GROUP = "Socials|flickr|groups|Landscape Lovers"
LOGIN = {"flickr.test.login", "flickr.auth.oauth.checkToken", "flickr.people.getLimits"}


def counted(world: SandboxWorld, label: str) -> None:
    world.flickr.log.clear()
    world.imatch.log.clear()
    code, _ = sync_once(platforms=["flickr"])
    methods = Counter(r.params.get("method", r.path) for r in world.flickr.log.records)
    for name in LOGIN:
        methods.pop(name, None)
    imatch_writes = world.imatch.log.count(method="POST") - world.imatch.log.count(
        "/v1/authenticate"
    )
    print(
        f"{label}: {sum(methods.values())} flickr calls ({dict(sorted(methods.items()))}); "
        f"IMatch: {len(world.imatch.log)} requests, {imatch_writes} writes; exit {code}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        generate_library(Path(tmp) / "library", 1, cases=False, seed=1)
        with sandbox_world(Path(tmp) / "library") as world:
            world.configure_home(Path(tmp) / "home", NO_RATE_LIMITS)
            os.environ["IMATCH_SOCIALS_HOME"] = str(Path(tmp) / "home")
            db = world.imatch.db
            [file_id] = db.direct_files("Socials|flickr")
            for path in db.categories:
                if path.startswith("Socials|flickr|albums|") or path == FIRST_GROUP:
                    db.assign(path, [file_id])
            counted(world, "add with 2 albums and 1 group")
            db.assign("Socials|flickr|_metadata", [file_id])
            counted(world, "metadata update, nothing changed")

            db.files[file_id].tags["title"] = "A new title"
            db.assign("Socials|flickr|_metadata", [file_id])
            forget_published(file_id)
            counted(world, "before (no stored state): metadata update, title changed")
            db.files[file_id].tags["title"] = "Another title"
            db.assign("Socials|flickr|_metadata", [file_id])
            counted(world, "after (with the store): metadata update, title changed")

            keywords = db.files[file_id].tags.setdefault("hierarchicalkeywords", [])
            keywords.append("Zoo|Zebra")
            db.assign("Socials|flickr|_metadata", [file_id])
            counted(world, "after (with the store): metadata update, a keyword added")
            keywords.remove("Zoo|Zebra")
            db.assign("Socials|flickr|_metadata", [file_id])
            counted(world, "after (with the store): metadata update, a keyword removed")
            keywords.append("Zoo|Zebra")
            db.assign("Socials|flickr|_metadata", [file_id])
            forget_published(file_id)
            counted(world, "before (no stored state): metadata update, a keyword added")

            overrides = {"flickr": {**NO_RATE_LIMITS["flickr"], "detect_changes": "publish"}}
            world.configure_home(Path(tmp) / "home", overrides)
            db.files[file_id].tags["title"] = "A third title"
            counted(world, "after: changed, no flag (detect_changes = publish), title changed")


def forget_published(file_id: int) -> None:
    """As for a photo posted before imatch-socials kept what it published."""
    journal = Journal()
    try:
        journal.store.forget_file("flickr", file_id)
    finally:
        journal.close()


if __name__ == "__main__":
    main()
