"""dsbuild.loading.installed: which version directory a load opens (no TensorFlow, no network)."""

from __future__ import annotations

import pytest

from dsbuild.errors import AmbiguousConfigError, InvalidNameError
from dsbuild.loading.installed import Installed, find


def version_dir(root, *parts: str, complete: bool = True):
    path = root.joinpath(*parts)
    path.mkdir(parents=True)
    if complete:
        for name in ("dataset_info.json", "features.json"):
            (path / name).write_text("{}")
    return path


def test_the_highest_complete_version_wins(tmp_path):
    version_dir(tmp_path, "toy", "1.0.0")
    version_dir(tmp_path, "toy", "1.10.0")
    version_dir(tmp_path, "toy", "2.0.0", complete=False)  # a copy still being written
    version_dir(tmp_path, "toy", "incomplete.abc")
    assert find(tmp_path, "toy") == Installed(tmp_path, "toy", None, "1.10.0")
    assert find(tmp_path, "toy", version="1.0.0").path == tmp_path / "toy" / "1.0.0"
    assert find(tmp_path, "toy", version="2.0.0") is None
    assert find(tmp_path, "other") is None


def test_configs_preferred_single_or_asked_for(tmp_path):
    version_dir(tmp_path, "ds", "small", "1.0.0")
    (tmp_path / "ds" / ".config").mkdir()
    assert find(tmp_path, "ds") == Installed(tmp_path, "ds", "small", "1.0.0")
    version_dir(tmp_path, "ds", "large", "1.0.0")
    with pytest.raises(AmbiguousConfigError, match="with configs large, small: choose one with config="):
        find(tmp_path, "ds")
    assert find(tmp_path, "ds", preferred_config="large").config == "large"
    assert find(tmp_path, "ds", config="small").ref == "ds/small:1.0.0"
    assert find(tmp_path, "ds", config="missing") is None


@pytest.mark.parametrize(("name", "config"), [("../x", None), ("Bad", None), ("ds", "../x")])
def test_names_and_configs_are_checked(tmp_path, name, config):
    with pytest.raises(InvalidNameError):
        find(tmp_path, name, config)
