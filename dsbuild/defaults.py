"""Defaults and status words shared by the entry scripts and the library.

Light on purpose: the entry scripts import it before parsing, and `-h` must
answer instantly, so it imports nothing but the standard library's `enum`.
"""

from __future__ import annotations

from enum import StrEnum

# ISA-L levels run 0..3. Level 1 was measured fastest with the tarball within a
# few percent of gzip -6 on image + audio datasets (README, Performance); level 0
# grows incompressible data by over 20%.
COMPRESSION_LEVELS = (0, 1, 2, 3)
DEFAULT_COMPRESSION_LEVEL = 1

# Extraction limits for a tarball whose checksum file records none (armory's, or
# older ones): member data up to this many times the tarball's size, and this
# many members. download.py --max-expansion / --max-members raise them.
DEFAULT_MAX_EXPANSION = 20.0
DEFAULT_MAX_MEMBERS = 100_000
# Recorded member counts get this many extra entries, for directory entries a
# re-packer may add (tarballs made by other tools list parent directories).
DIR_ALLOWANCE = 16
# A checksum file recording more than this is refused as absurd.
ABSURD_BYTES = 1 << 50  # 1 PiB
ABSURD_MEMBERS = 10_000_000
ABSURD_EXPANSION = 10_000  # uncompressed bytes per compressed byte; gzip's ceiling is ~1032

# Where armory publishes datasets, and the key prefix under which they live.
PRIVATE_BUCKET = "armory-private-data"
PUBLIC_BUCKET = "armory-public-data"
DEFAULT_PREFIX = "datasets/"


class Status(StrEnum):
    """What happened to one dataset; the value is the word the scripts print."""

    PACKED = "packed"
    UP_TO_DATE = "up to date"
    UPLOADED = "uploaded"
    DRY_RUN = "dry run"
    DRY_RUN_PACK = "dry run, pack first"
    DOWNLOADED = "downloaded"
    ALREADY_PRESENT = "already present"
    REPAIRED = "repaired"
    FAILED = "failed"
