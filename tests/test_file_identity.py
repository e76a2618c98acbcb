"""A picture digest that metadata written into the file does not change, and new pixels do."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from sync.file_identity import image_digest


def jpeg(shade: int, size: tuple[int, int] = (300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (shade, 120, 200)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def with_metadata(data: bytes, text: bytes) -> bytes:
    """The file as IMatch's metadata write-back leaves it: an XMP segment after SOI."""
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + text
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    return data[:2] + segment + data[2:]


def test_metadata_written_into_a_jpeg_leaves_its_digest(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(90))
    before = image_digest(path)
    assert before.startswith("jpeg:")
    path.write_bytes(with_metadata(jpeg(90), b"<x:xmpmeta>title: Evening fog</x:xmpmeta>"))
    assert image_digest(path) == before


def test_new_pixels_change_the_digest(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg(90))
    before = image_digest(path)
    path.write_bytes(jpeg(91))
    assert image_digest(path) != before


def test_other_formats_and_missing_files_have_no_digest(tmp_path: Path) -> None:
    png = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(png, "PNG")
    assert image_digest(png) == ""
    assert image_digest(tmp_path / "missing.jpg") == ""
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe1\x00")
    assert image_digest(broken) == ""
