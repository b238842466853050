"""Dataset cards: `<name>-<version>.card.html`, one static page to look at a built dataset before publishing.

`read` loads the metadata and a few examples, `features` turns each feature kind into
cells, `draw` makes the pictures and sounds, `html` lays out the page.
"""

from __future__ import annotations

import os
from pathlib import Path

from dsbuild.artifact.built_dataset import BuiltDataset
from dsbuild.log import log
from dsbuild.paths import card_name, temp_sibling

__all__ = ["write_card", "write_card_or_warn"]


def write_card(built: BuiltDataset, examples: int = 8) -> Path:
    """Write the card beside the tarball (atomically) and return its path."""
    from dsbuild.card import html, read

    page = html.render(read.read_dataset(built, examples))
    target = built.data_dir / card_name(built.name, built.version)
    staged = temp_sibling(target)
    try:
        staged.write_text(page, encoding="utf-8")
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    log.info("dataset card: {}", target)
    return target


def write_card_or_warn(built: BuiltDataset, examples: int = 8) -> Path | None:
    """write_card after a good build or download: a failure is a warning, never a failed run."""
    try:
        return write_card(built, examples)
    except Exception as exc:  # the dataset is fine; only its card could not be made
        log.warning("{} {}: no dataset card: {}: {}", built.name, built.version, type(exc).__name__, exc)
        return None
