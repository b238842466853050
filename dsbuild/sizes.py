"""Byte counts as people read them, for messages, tables and cards."""

from __future__ import annotations


def human_size(size: float) -> str:
    """`512 B`, `6.3 KiB`, `1.0 GiB` (binary units, GiB at most)."""
    try:
        value = float(size)
    except OverflowError:  # an int from outside with hundreds of digits; parsers bound them, this never raises
        return "more than 1e308 B"
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
