"""Small wording helpers shared by the widgets and screens."""

from __future__ import annotations


def count_of(number: int, noun: str, plural: str = "") -> str:
    """`1 photo`, `2 photos`, `10,000 photos`."""
    word = noun if number == 1 else (plural or noun + "s")
    return f"{number:,} {word}"
