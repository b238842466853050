"""Collection rules for the whole suite (tests/, datasets/, adversarial/)."""

from __future__ import annotations

import pytest

from dsbuild.media_tools import ensure_on_path

# A fresh machine has no system ffmpeg: the audio/video builders and dummy-data
# makers then use the static builds from the pinned wheel (requirements.txt).
ensure_on_path()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tf.test.TestCase has a helper method named `test_session`, which pytest would
    # collect and TensorFlow then skips as "Not a test": it is not one, so deselect it
    # (reported, so the summary's counts add up to what was collected).
    dropped = [item for item in items if item.name == "test_session"]
    if dropped:
        items[:] = [item for item in items if item.name != "test_session"]
        config.hook.pytest_deselected(items=dropped)
