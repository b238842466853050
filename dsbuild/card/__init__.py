"""Dataset cards: `<name>-<version>.card.html`, one static page to look at a built dataset before publishing.

`read` loads the metadata and a few examples (pictures left encoded: `pixels` decodes them
within a budget), `features` turns each feature kind into cells, `draw` makes the pictures
and sounds, `html` lays out the page.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dsbuild.artifact.built_dataset import BuiltDataset
from dsbuild.log import log
from dsbuild.native_stderr import quiet_native_stderr
from dsbuild.paths import card_name, temp_sibling

__all__ = ["quiet_libraries", "write_card", "write_card_or_warn"]

LIBRARY_LOGGERS = ("absl", "tensorflow")


class _ToDebugLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.debug("{}: {}", record.name, record.getMessage())


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """TensorFlow's native start-up lines and absl/TFDS warnings to the debug log, as a build's child keeps them.

    (TFDS warns about its own use of the deprecated `FeatureConnector.dtype` when decoding only the labels.)
    Our own messages still reach the console; at -v debug everything does.
    """
    saved = []
    try:
        for name in LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            saved.append((logger, logger.handlers[:], logger.propagate))
            logger.handlers, logger.propagate = [_ToDebugLog()], False
        with quiet_native_stderr():
            yield
    finally:
        for logger, handlers, propagate in saved:
            logger.handlers, logger.propagate = handlers, propagate


def write_card(built: BuiltDataset, examples: int = 8) -> Path:
    """Write the card beside the tarball (atomically) and return its path (printed by the caller, once)."""
    from dsbuild.card import html, read

    with quiet_libraries():
        page = html.render(read.read_dataset(built, examples))
    target = built.data_dir / card_name(built.name, built.version)
    staged = temp_sibling(target)
    try:
        staged.write_text(page, encoding="utf-8")
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)
    log.debug("dataset card: {}", target)
    return target


def write_card_or_warn(built: BuiltDataset, examples: int = 8) -> Path | None:
    """write_card after a good build or download: a failure is a warning, never a failed run."""
    try:
        return write_card(built, examples)
    except Exception as exc:  # the dataset is fine; only its card could not be made
        log.warning("{} {}: no dataset card: {}: {}", built.name, built.version, type(exc).__name__, exc)
        return None
