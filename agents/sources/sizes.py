"""Sizes as people read them."""

from __future__ import annotations


def format_size(size: int) -> str:
    """`512 bytes`, `3.4 MiB`, `1.1 GiB`."""
    if size < 1024:
        return f"{size} bytes"
    value = size / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            break
        value /= 1024
    return f"{value:.1f} {unit}"
