"""dsbuild.load and load_from_config as a consumer uses them: a fresh data dir, a real S3 server, real TFDS.

Each load runs in a child process (TFDS and TensorFlow stay out of the test process; every child
starts cold, as a user's script does).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.s3_server import WeedServer

FIXTURES = ROOT / "tests" / "fixtures" / "builders"


def python(code: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def script(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """fixture_good 0.1.0 (3 train, 2 test) and fixture_configs 2.0.0 (configs small, large), built and packed."""
    data = tmp_path_factory.mktemp("built")
    result = script(
        "build.py", "-lcs", str(FIXTURES / "fixture_good"), str(FIXTURES / "fixture_configs"), "-o", str(data)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return data


LOAD = """
import json, sys
import numpy as np
from dsbuild import load
kwargs = json.loads(sys.argv[1])
info, ds = load(*kwargs.pop("args"), **kwargs)
rows = [{k: np.asarray(v).tolist() for k, v in ex.items()} for ex in ds.as_numpy_iterator()]
print(json.dumps({"name": info.name, "version": str(info.version), "config": info.config_name, "rows": rows,
                  "boto3": "boto3" in sys.modules}))
"""


def load(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return python(LOAD, json.dumps({"args": list(args), **kwargs}))


def loaded(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.integration
def test_load_fetches_from_the_bucket_then_loads_offline(tmp_path, built, s3_creds):
    server = WeedServer(tmp_path / "s3").start()  # its own server: this test stops it
    try:
        bucket = server.create_bucket()
        remote = ["--endpoint-url", server.endpoint, "-b", bucket, "--no-progress"]
        uploaded = script("upload.py", "-o", str(built), *remote, "fixture_good")
        assert uploaded.returncode == 0, uploaded.stderr[-3000:]
        fresh = tmp_path / "fresh"
        first = loaded(load("fixture_good", "train", data_dir=str(fresh), bucket=bucket, endpoint_url=server.endpoint))
    finally:
        server.stop()
    assert (first["name"], first["version"]) == ("fixture_good", "0.1.0")
    assert sorted(row["x"] for row in first["rows"]) == [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]
    # Installed exactly as download.py installs it: the data and its checksum file.
    assert (fresh / "fixture_good" / "0.1.0" / "dataset_info.json").is_file()
    assert (fresh / "fixture_good-0.1.0.json").is_file()

    # The server is gone: the second load reads the data dir only, without boto3 and without a socket.
    offline = """
    import socket, sys, runpy
    def refuse(*args, **kwargs):
        raise AssertionError(f"network request during an installed load: {args}")
    socket.socket.connect = refuse
    socket.create_connection = refuse
    sys.argv = sys.argv[1:]
    runpy.run_path(sys.argv[0], run_name="__main__")
    """
    load_script = tmp_path / "load.py"
    load_script.write_text(textwrap.dedent(LOAD))
    args = json.dumps({"args": ["fixture_good"], "data_dir": str(fresh), "split": "train", "bucket": bucket})
    second = loaded(python(offline, str(load_script), args))
    assert second["rows"] == first["rows"] and second["boto3"] is False


@pytest.mark.integration
def test_without_download_a_missing_dataset_names_the_command(tmp_path):
    fresh = tmp_path / "my data"
    code = """
    import sys
    from dsbuild import load
    from dsbuild.errors import NotInstalledError
    try:
        load("fixture_good", data_dir=sys.argv[1], download=False, bucket="b1", endpoint_url="http://127.0.0.1:9")
    except NotInstalledError as exc:
        print(exc)
    print("tensorflow" in sys.modules, "boto3" in sys.modules)
    """
    result = python(code, str(fresh))
    assert result.returncode == 0, result.stderr[-2000:]
    message, modules = result.stdout.splitlines()
    assert message == (
        f"fixture_good is not installed in {fresh}; fetch it with `python download.py fixture_good -o "
        f"'{fresh}' -b b1 --endpoint-url http://127.0.0.1:9`, or call load(..., download=True)"
    )
    assert modules == "False False"
    assert not fresh.exists()


@pytest.mark.integration
def test_configs_are_chosen_or_asked_for(built):
    several = load("fixture_configs", data_dir=str(built), download=False)
    assert several.returncode == 1
    assert "fixture_configs is installed in" in several.stderr and "configs large, small" in several.stderr
    small = loaded(load("fixture_configs", "train", config="small", data_dir=str(built), download=False))
    assert (small["config"], small["version"], len(small["rows"])) == ("small", "2.0.0", 1)
    bad_split = load("fixture_good", "validation", data_dir=str(built), download=False)
    assert "fixture_good:0.1.0 has no split 'validation'; it has test, train" in bad_split.stderr


FROM_CONFIG = """
import json, sys
import numpy as np
from dsbuild import load_from_config
from dsbuild.errors import DsbuildError
out = []
for block in json.loads(sys.argv[1]):
    try:
        batches = load_from_config(block, data_dir=sys.argv[2], download=False)
    except DsbuildError as exc:
        out.append(str(exc))
        continue
    if block.get("framework") == "tf":
        import tensorflow as tf
        assert isinstance(batches, tf.data.Dataset)
        batches = batches.as_numpy_iterator()
    out.append([np.asarray(b["x"]).shape[0] for b in batches])
print(json.dumps(out))
"""


def from_config(blocks: list[dict], data_dir: Path) -> list:
    """What load_from_config gives for each block (batch sizes, or the error's message), in one child."""
    result = python(FROM_CONFIG, json.dumps(blocks), str(data_dir))
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.integration
def test_load_from_config_batches_the_chosen_split(built):
    cases = [
        ({"name": "fixture_good", "batch_size": 2, "framework": "numpy", "eval_split": "train"}, [2, 1]),
        ({"name": "fixture_good", "batch_size": 1, "framework": "tf", "train_split": "test"}, [1, 1]),
        ({"name": "fixture_good", "batch_size": 5, "split": "train", "eval_split": "test"}, [3]),
        ({"name": "fixture_configs", "config": "large", "batch_size": 2, "eval_split": "train"}, [2, 1]),
    ]
    assert from_config([block for block, _ in cases], built) == [sizes for _, sizes in cases]


@pytest.mark.integration
def test_load_from_config_resolves_loaders_and_refuses_bad_blocks(tmp_path):
    cases = [
        (
            {"module": "armory.data.adversarial_datasets", "name": "carla_multi_object_tracking_dev"},
            "carla_mot_dev:1.0.1 is not installed in",
        ),
        ({"module": "armory.data.datasets", "name": "resisc45"}, "resisc45_split:3.0.0 is not installed in"),
        ({"name": "fixture_good", "framework": "pytorch"}, "framework 'pytorch' is not supported here"),
        ({"name": "fixture_good", "batch_size": 0}, "batch_size must be a positive integer, not '0'"),
        ({"name": "../etc"}, "it is not a dataset name either"),
    ]
    messages = from_config([block for block, _ in cases], tmp_path / "empty")
    for (_, expected), message in zip(cases, messages, strict=True):
        assert isinstance(message, str) and expected in message, (expected, message)
    assert not (tmp_path / "empty").exists()  # nothing fetched, nothing created
