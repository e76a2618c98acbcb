"""The IMatch simulator's metadata write (reference imatch-api.md 5.11), over HTTP."""

from __future__ import annotations

import json

import pytest

from imatch.client import IMatchClient
from imatch.errors import IMatchError
from sandbox.imatch_server import IMatchSimulator


async def write(client: IMatchClient, file_id: int, *operations: dict[str, object]) -> object:
    return await client.call(
        "POST", "/v1/metadata", {"id": str(file_id), "tags": json.dumps(operations)}
    )


async def test_metadata_write_sets_adds_and_removes_like_imatch(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    file = next(iter(imatch_sim.db.files.values()))
    assert await write(
        imatch,
        file.id,
        {"tag": "title", "op": "set", "value": "Evening fog"},
        {"tag": "headline", "op": "set", "value": "Mist at dusk"},
        {"tag": "hierarchicalkeywords", "op": "set", "value": ["nature|water|lake"]},
        {"tag": "hierarchicalkeywords", "op": "add", "value": "Zoo|Zebra"},
    ) == {"result": "ok"}
    [info] = await imatch.files([file.id], fields=("id",), tags={"title": "title"})
    assert info.text("title") == "Evening fog"
    assert file.tags["headline"] == "Mist at dusk"
    assert file.tags["hierarchicalkeywords"] == ["nature|water|lake", "Zoo|Zebra"]
    assert 5 in file.collections  # pending write-back
    await write(
        imatch, file.id, {"tag": "hierarchicalkeywords", "op": "remove", "value": "Zoo|Zebra"}
    )
    assert file.tags["hierarchicalkeywords"] == ["nature|water|lake"]


async def test_a_bad_metadata_write_is_refused_and_changes_nothing(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    file = next(iter(imatch_sim.db.files.values()))
    before = dict(file.tags)
    for operations in (
        ({"tag": "title", "op": "add", "value": "x"},),
        ({"tag": "title", "op": "rename", "value": "x"},),
        (),
    ):
        with pytest.raises(IMatchError):
            await write(imatch, file.id, *operations)
    assert file.tags == before


def test_the_sandbox_edit_command_changes_a_photo(
    imatch_url: str, imatch_sim: IMatchSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from sandbox.edit_photo import main

    file = next(iter(imatch_sim.db.files.values()))
    argv = [str(file.id), "--imatch", imatch_url, "--title", "Dusk", "--add-keyword", "a|b"]
    assert main(argv) == 0
    assert file.tags["title"] == "Dusk"
    assert "a|b" in file.tags["hierarchicalkeywords"]
    assert "2 change(s)" in capsys.readouterr().out


def test_the_sandbox_edit_command_changes_a_photos_image(
    imatch_url: str, imatch_sim: IMatchSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--new-image` edits the picture as an image editor would (same file, size in
    pixels and format; a different picture), so change detection sees a changed file."""
    from PIL import Image

    from sandbox.edit_photo import main
    from sync.file_identity import image_digest

    file = next(f for f in imatch_sim.db.files.values() if f.file_name.endswith(".jpg"))
    with Image.open(file.file_name) as before:
        dimensions, kind = before.size, before.format
    picture = image_digest(file.file_name)
    assert main([str(file.id), "--imatch", imatch_url, "--new-image"]) == 0
    with Image.open(file.file_name) as after:
        assert (after.size, after.format) == (dimensions, kind)
    assert image_digest(file.file_name) != picture
    assert "new image" in capsys.readouterr().out
