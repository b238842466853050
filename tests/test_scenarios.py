"""download.py --scenario / --download-config: ARMORY configs resolved to datasets, looked up, fetched.

(a) every scenario config the installed armory-testbed ships, resolved in-process (no TF, no network);
(b) --dry-run as a child process against an unreachable endpoint; (c) fetching through the test S3
server, in-process and end to end with a real build; (d) armory's download-data config; (e) bad input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

import download
import upload
from dsbuild.armory import scenarios
from dsbuild.armory.scenarios import DatasetRef
from dsbuild.build.catalog import TFDS_CORE, load_catalog
from dsbuild.errors import UsageError
from dsbuild.remote import download as download_workflow
from dsbuild.sizes import human_size
from tests.helpers import EXAMPLE, ROOT
from tests.publish_helpers import make_tarball, tree

ADV, STD = "armory.data.adversarial_datasets", "armory.data.datasets"
# Every loader armory-testbed 0.19.2's configs name -> the dataset it asks TFDS for (name, version, config).
EXPECTED = {
    f"{ADV}.apricot_dev_adversarial": DatasetRef("apricot_dev", "1.0.2"),
    f"{ADV}.carla_multi_object_tracking_dev": DatasetRef("carla_mot_dev", "1.0.1"),
    f"{ADV}.carla_obj_det_dev": DatasetRef("carla_obj_det_dev", "2.0.0"),
    f"{ADV}.carla_over_obj_det_dev": DatasetRef("carla_over_obj_det_dev", "2.0.1"),
    f"{ADV}.carla_video_tracking_dev": DatasetRef("carla_video_tracking_dev", "2.0.0"),
    f"{ADV}.dapricot_test_adversarial": DatasetRef("dapricot_test", "1.0.0"),
    f"{STD}.cifar10": DatasetRef("cifar10", "3.0.2"),
    f"{STD}.german_traffic_sign": DatasetRef("german_traffic_sign", "3.0.0"),
    f"{STD}.librispeech": DatasetRef("librispeech", "2.1.0"),
    f"{STD}.librispeech_dev_clean": DatasetRef("librispeech_dev_clean_split", "1.1.0", "plain_text"),
    f"{STD}.minicoco": DatasetRef("minicoco", "1.0.0", "2017"),
    f"{STD}.mnist": DatasetRef("mnist", "3.0.1"),
    f"{STD}.resisc10": DatasetRef("resisc10_poison", "1.1.0"),
    f"{STD}.resisc45": DatasetRef("resisc45_split", "3.0.0"),
    f"{STD}.so2sat": DatasetRef("so2sat", "2.1.0", "all"),
    f"{STD}.speech_commands": DatasetRef("speech_commands", "0.0.2"),
    f"{STD}.ucf101": DatasetRef("ucf101", "2.0.0", "ucf101_1"),
    f"{STD}.xview": DatasetRef("xview", "1.0.1"),
}
# How many of the 168 configs load each dataset (the `dataset` block).
CONFIGS_PER_DATASET = {
    "cifar10": 33,
    "german_traffic_sign": 32,
    "librispeech": 18,
    "carla_over_obj_det_dev": 16,
    "speech_commands": 11,
    "carla_obj_det_dev": 9,
    "ucf101": 9,
    "xview": 7,
    "carla_mot_dev": 6,
    "resisc45_split": 5,
    "so2sat": 5,
    "librispeech_dev_clean_split": 4,
    "minicoco": 4,
    "carla_video_tracking_dev": 3,
    "apricot_dev": 2,
    "mnist": 2,
    "dapricot_test": 1,
    "resisc10_poison": 1,
}
SHIPPED = scenarios.shipped_scenario_configs()
needs_armory = pytest.mark.skipif(len(SHIPPED) != 168, reason="armory-testbed 0.19.2 with its 168 configs is needed")


def kind(ref: DatasetRef | None, catalog: dict) -> str:
    """The row of the resolution table a dataset falls in."""
    if ref is None:
        return "unresolvable"
    entry = catalog.get(ref.name)
    if entry is None:
        return "not in the catalog"
    core = entry.category == TFDS_CORE
    if ref.version not in entry.buildable:
        return "TFDS core, another version than build.py makes" if core else "builder folder, version not buildable"
    return "TFDS core, build it" if core else "builder folder (datasets/, adversarial/)"


# ---------------------------------------------------------------- (a) all shipped configs


@needs_armory
def test_every_shipped_config_resolves_to_the_dataset_its_loader_asks_for() -> None:
    resolved = scenarios.resolve_scenarios(SHIPPED)
    assert len(resolved) == 168
    catalog = load_catalog()
    by_dataset: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    attacks = []
    for config in resolved:
        blocks = [r.block for r in config.resolutions]
        assert blocks in (["dataset"], ["dataset", "attack"]), config.source
        for resolution in config.resolutions:
            assert resolution.dataset is not None or resolution.reason, config.source
            assert not resolution.custom, config.source  # every name is one of armory's loaders
            assert resolution.dataset == EXPECTED[resolution.loader_label], config.source
            if resolution.block == "dataset":
                by_dataset[resolution.dataset.name] += 1
                kinds[kind(resolution.dataset, catalog)] += 1
            else:
                attacks.append((Path(config.source).name, resolution.dataset))
    assert by_dataset == CONFIGS_PER_DATASET
    assert kinds == {
        "builder folder (datasets/, adversarial/)": 90,
        "TFDS core, build it": 49,  # cifar10 33, ucf101 9, so2sat 5, mnist 2
        "TFDS core, another version than build.py makes": 29,  # librispeech 2.1.0 18, speech_commands 0.0.2 11
    }
    assert sorted(attacks) == [
        (f"apricot_frcnn{d}.json", DatasetRef("apricot_dev", "1.0.2")) for d in ("", "_defended")
    ]


@needs_armory
@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "eval6/carla_overhead_object_detection/carla_obj_det_adversarialpatch_undefended.json",
            "carla_over_obj_det_dev 2.0.1",
        ),
        ("eval7/carla_mot/carla_mot_adversarialpatch_undefended.json", "carla_mot_dev 1.0.1"),
        ("poisoning_gtsrb_dirty_label.json", "german_traffic_sign 3.0.0"),
        ("so2sat_eo_masked_pgd.json", "so2sat 2.1.0, config all"),
        ("speaker_id_librispeech.json", "librispeech_dev_clean_split 1.1.0, config plain_text"),
    ],
)
def test_representative_configs(config: str, expected: str) -> None:
    root = next(p for p in SHIPPED[0].parents if p.name == "scenario_configs")
    (resolved,) = scenarios.resolve_scenarios([root / config])
    assert resolved.resolutions[0].dataset is not None and resolved.resolutions[0].dataset.label == expected


def test_names_that_are_no_loader() -> None:
    helper = scenarios.resolve("cfg", "dataset", STD, "preprocessing_chain")
    assert helper.dataset is None and "asks TFDS for no dataset by name" in helper.reason
    typo = scenarios.resolve("cfg", "dataset", STD, "cifar_10")
    assert typo.custom and typo.dataset == DatasetRef("cifar_10", None)
    assert typo.hint == "no loader 'cifar_10' in armory.data.datasets (did you mean cifar10, cifar100?)"
    wrong_module = scenarios.resolve("cfg", "dataset", ADV, "mnist")
    assert "did you mean module armory.data.datasets, which has it?" in wrong_module.hint
    assert scenarios.resolve("cfg", "dataset", STD, "mine/cfg:1.2.3").dataset == DatasetRef("mine", "1.2.3", "cfg")
    bad = scenarios.resolve("cfg", "dataset", STD, "Not A Name\n" * 50)
    assert bad.dataset is None and "not a dataset name either" in bad.reason
    assert bad.loader == repr(("Not A Name\n" * 50)[:200]) + "..."  # quoted: no raw line break, 200 characters


# ---------------------------------------------------------------- (b) --dry-run, child process, no server

UNREACHABLE = ["--endpoint-url", "http://127.0.0.1:9", "--public", "--no-progress"]  # loopback, nothing listens


def run_child(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "download.py"), *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


@needs_armory
def test_dry_run_with_an_unreachable_bucket_prints_the_plan_and_writes_nothing(tmp_path: Path) -> None:
    root = next(p for p in SHIPPED[0].parents if p.name == "scenario_configs")
    built = root / "eval6/carla_overhead_object_detection/carla_obj_det_adversarialpatch_undefended.json"
    core = root / "cifar10_baseline.json"
    data = tmp_path / "data"
    result = run_child("--scenario", str(built), str(core), "--dry-run", "-o", str(data), *UNREACHABLE)
    assert result.returncode == 0, result.stderr  # nothing is known to be missing
    unknown = "not installed; published: unknown (cannot reach the S3 server at http://127.0.0.1:9; check --endpoint-url and the network)"
    assert result.stdout.splitlines() == [
        f"{built}:",
        f"  dataset: carla_over_obj_det_dev 2.0.1  (loader {ADV}.carla_over_obj_det_dev)",
        f"    {unknown}",
        f"{core}:",
        f"  dataset: cifar10 3.0.2  (loader {STD}.cifar10)",
        f"    {unknown}",
        "total to download: 0 dataset(s), 0 B, 2 published: unknown; dry run: nothing was written",
    ]
    assert not data.exists()

    unresolvable = tmp_path / "helper.json"
    unresolvable.write_text(json.dumps({"dataset": {"module": STD, "name": "preprocessing_chain"}}))
    speech = root / "eval6/poisoning/audio_dlbd/audio_p00_undefended.json"  # TFDS core, a version build.py cannot make
    result = run_child("--scenario", str(unresolvable), str(speech), "--dry-run", "-o", str(data), *UNREACHABLE)
    assert result.returncode == 1, result.stderr  # a real run would surely fail
    lines = result.stdout.splitlines()
    assert lines[1] == (
        f"  dataset: {STD}.preprocessing_chain: unresolved: {STD}.preprocessing_chain asks TFDS for no dataset by "
        "name (it is a helper, or a loader that gets its data another way): there is nothing download.py can fetch for it"
    )
    assert lines[3] == f"  dataset: speech_commands 0.0.2  (loader {STD}.speech_commands)"
    assert lines[-1] == (
        "total to download: 0 dataset(s), 0 B, 1 published: unknown, 1 unresolved; dry run: nothing was written"
    )
    assert not data.exists()


# ---------------------------------------------------------------- (c) fetching, through the test S3 server


def run(capfd, *argv: str) -> tuple[int, str, str]:
    capfd.readouterr()
    code = download.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


@pytest.fixture
def stub_load_check(monkeypatch) -> None:
    """The fake datasets of publish_helpers do not load with TFDS (the end-to-end test runs the real check)."""
    monkeypatch.setattr(download_workflow, "verify_built", lambda data_dir, subdirs: None)


@pytest.fixture
def toy(tmp_path, remote, capfd, stub_load_check):
    """toy 1.0.0 packed and uploaded to the test bucket."""
    packed = make_tarball(tmp_path / "build", payload=b"toy payload")
    assert upload.main(["-o", str(tmp_path / "build"), *remote, "toy"]) == 0
    return packed


def write_config(path: Path, dataset: str, attack: str | None = None) -> Path:
    config = {"_description": "test", "dataset": {"module": STD, "name": dataset, "batch_size": 1}, "attack": None}
    if attack:
        config["attack"] = {"module": STD, "name": attack, "type": "preloaded", "kwargs": {}}
    path.write_text(json.dumps(config))
    return path


@needs_armory
def test_a_custom_dataset_is_fetched_once_then_already_present(capfd, tmp_path, data_dir, remote, toy, s3_bucket):
    # The dataset block and a preloaded attack name the same tarball: fetched once.
    config = write_config(tmp_path / "cfg.json", "toy", attack="toy:1.0.0")
    code, out, err = run(capfd, "--scenario", str(config), "-o", str(data_dir), *remote, "--dry-run")
    assert code == 0, err
    url = f"s3://{s3_bucket}/datasets/toy-1.0.0.json"
    size = human_size(toy.record.size)
    assert out.splitlines() == [
        f"{config}:",
        "  dataset: toy (highest published version)  (dataset name toy)",
        f"    not installed; published: version 1.0.0, {size} to download ({url})",
        "  attack: toy 1.0.0  (dataset name toy:1.0.0)",
        f"    not installed; published: {size} to download ({url})",
        f"total to download: 1 dataset(s), {size}; dry run: nothing was written",
    ]
    assert not data_dir.exists()

    code, out, err = run(capfd, "--scenario", str(config), "-o", str(data_dir), *remote)
    assert code == 0, err
    assert out == f"toy 1.0.0: downloaded ({size}), verified, extracted to {data_dir / 'toy/1.0.0'}\n"
    assert tree(data_dir / "toy") == tree(tmp_path / "build" / "toy")

    code, out, err = run(capfd, "--scenario", str(config), "-o", str(data_dir), *remote)
    assert code == 0, err
    assert (
        out.splitlines()
        == [
            f"toy 1.0.0: already present in {data_dir / 'toy/1.0.0'} (installed; nothing downloaded)",
            f"toy 1.0.0: already present in {data_dir / 'toy/1.0.0'} (installed; nothing downloaded)",
            "",
            "summary (2 of 2 succeeded):",
            *out.splitlines()[4:],  # one row for each: the checks are by name and version
        ][:4]
        + out.splitlines()[4:]
    )
    assert [line.split()[:3] for line in out.splitlines()[4:]] == [["toy", "1.0.0", "ok"]] * 2


@needs_armory
def test_what_cannot_be_had_is_named_with_what_to_do_and_the_rest_is_fetched(
    capfd, tmp_path, data_dir, remote, toy, s3_bucket
):
    configs = [
        write_config(tmp_path / "a.json", "toy:2.0.0"),  # another version than the one published
        write_config(tmp_path / "b.json", "mnist"),  # a loader: mnist 3.0.1, TFDS core, not published here
        write_config(tmp_path / "c.json", "toy/big:1.0.0"),  # a config the published tarball lacks
        write_config(tmp_path / "d.json", "toy"),
        write_config(tmp_path / "e.json", "preprocessing_chain"),
    ]
    code, out, err = run(capfd, "--scenario", *map(str, configs), "-o", str(data_dir), *remote, "--dry-run")
    assert code == 1
    lines = out.splitlines()
    prefix = f"s3://{s3_bucket}/datasets"
    assert lines[2] == (
        f"    neither installed in {data_dir} nor published ({prefix}/toy-2.0.0.json does not exist; published "
        "versions: 1.0.0, not the 2.0.0 the loader asks for): no loader 'toy:2.0.0' in armory.data.datasets; "
        "publish it with upload.py where it was built, or correct the name"
    )
    assert lines[5] == (
        f"    neither installed in {data_dir} nor published ({prefix}/mnist-3.0.1.json does not exist): build it: "
        f"python build.py -ds mnist -o {data_dir}; or fetch armory-testbed's own copy: "
        f"python download.py mnist --armory-checksums -o {data_dir}"
    )
    assert lines[8] == (
        f"    not installed in {data_dir}; published, but not usable: the published tarball ({prefix}/toy-1.0.0.json) "
        "holds toy/1.0.0, not config big"
    )
    assert lines[-1] == (
        f"total to download: 1 dataset(s), {human_size(toy.record.size)}, 2 neither installed nor published, "
        "1 published, but not usable, 1 unresolved; dry run: nothing was written"
    )

    code, out, err = run(capfd, "--scenario", *map(str, configs), "-o", str(data_dir), *remote)
    assert code == 1
    assert (data_dir / "toy" / "1.0.0" / "dataset_info.json").is_file()  # the others did not stop it
    assert f"error: mnist 3.0.1 (for loader {STD}.mnist): neither installed in {data_dir} nor published" in err
    assert "error: toy 2.0.0 (for dataset name toy:2.0.0): neither installed" in err
    assert f"error: {configs[4]}: {STD}.preprocessing_chain: unresolved:" in err
    summary = out.split("summary (1 of 5 succeeded):\n")[1].splitlines()
    assert [line.split()[:2] for line in summary] == [
        ["toy", "2.0.0"],
        ["mnist", "3.0.1"],
        ["toy", "1.0.0"],
        ["toy", "1.0.0"],
        ["preprocessing_chain", "failed"],
    ]


@pytest.mark.integration
@pytest.mark.skipif(not EXAMPLE.is_dir(), reason="the example builder is absent")
@needs_armory
def test_end_to_end_build_upload_then_fetch_by_scenario(tmp_path, s3_server, s3_bucket, s3_creds) -> None:
    build = tmp_path / "build"
    built = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "-lcs", str(EXAMPLE), "-o", str(build)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    remote = ["--endpoint-url", s3_server.endpoint, "-b", s3_bucket, "--no-progress"]
    uploaded = subprocess.run(
        [sys.executable, str(ROOT / "upload.py"), "-o", str(build), *remote], capture_output=True, text=True, cwd=ROOT
    )
    assert uploaded.returncode == 0, uploaded.stderr
    config = write_config(tmp_path / "tiny.json", "tiny_shapes:1.0.0")
    data = tmp_path / "data"
    first = run_child("--scenario", str(config), "-o", str(data), *remote)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("tiny_shapes 1.0.0: downloaded (") and "verified, extracted to" in first.stdout
    assert tree(data / "tiny_shapes") == tree(build / "tiny_shapes")
    again = run_child("--scenario", str(config), "-o", str(data), *remote)
    assert again.returncode == 0, again.stderr
    assert (
        again.stdout
        == f"tiny_shapes 1.0.0: already present in {data / 'tiny_shapes/1.0.0'} (installed; nothing downloaded)\n"
    )


# ---------------------------------------------------------------- (d) armory's download-data config


@pytest.fixture
def download_config(tmp_path: Path) -> Path:
    path = tmp_path / "download.json"
    path.write_text(
        json.dumps(
            {
                "scenario": {
                    "toy-scenario": {"dataset_name": ["toy"], "weights_file": [None]},
                    "speaker-id": {"dataset_name": ["librispeech_dev_clean", "toy"], "weights_file": ["w.pth"]},
                }
            }
        )
    )
    return path


def test_download_config_list(capfd, download_config: Path, data_dir: Path) -> None:
    code, out, err = run(capfd, "--download-config", str(download_config), "list", "-o", str(data_dir))
    assert (code, err) == (0, "")
    assert out == "toy-scenario: toy\nspeaker-id: librispeech_dev_clean, toy\n"
    assert not data_dir.exists()


@needs_armory
def test_download_config_one_scenario_and_all(capfd, download_config, data_dir, remote, toy, s3_bucket) -> None:
    code, out, err = run(
        capfd, "--download-config", str(download_config), "speaker-id", "-o", str(data_dir), *remote, "--dry-run"
    )
    assert code == 1, err  # librispeech_dev_clean_split is not published in the test bucket
    lines = out.splitlines()
    assert lines[:2] == [
        f"{download_config} (scenario 'speaker-id'):",
        f"  dataset_name: librispeech_dev_clean_split 1.1.0, config plain_text  (loader {STD}.librispeech_dev_clean)",
    ]
    assert "build it: python build.py -ds librispeech_dev_clean_split" in lines[2]
    assert lines[3] == "  dataset_name: toy (highest published version)  (dataset name toy)"
    code, out, err = run(capfd, "--download-config", str(download_config), "-o", str(data_dir), *remote)  # all
    assert code == 1
    assert (data_dir / "toy" / "1.0.0").is_dir()
    assert out.count("toy 1.0.0: downloaded") == 1  # two scenarios ask for it: fetched once
    assert (
        f"error: librispeech_dev_clean_split 1.1.0, config plain_text (for loader {STD}.librispeech_dev_clean)" in err
    )


def test_unknown_scenario_names_the_known_ones(capfd, download_config: Path, data_dir: Path) -> None:
    code, out, err = run(capfd, "--download-config", str(download_config), "nope", "-o", str(data_dir))
    assert (code, out) == (2, "")
    assert err == (
        f"error: download-data config {str(download_config)!r} has no scenario 'nope'; its scenarios are "
        "'toy-scenario', 'speaker-id' (or give list, or all)\n"
    )
    assert not data_dir.exists()


# ---------------------------------------------------------------- (e) bad input: exit 2 before any work


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "scenario config {path!r} does not exist"),
        (
            b"{not json",
            "scenario config {path!r} is not JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        ),
        (b"\xff\xfe{}", "scenario config {path!r} is not UTF-8 text (byte 0)"),
        (b"[" * 200_000 + b"]" * 200_000, "scenario config {path!r} nests deeper than 64 levels: not a config file"),
        (b"[1, 2]", "scenario config {path!r} is a JSON list, not an object"),
        (
            b'{"model": {}}',
            'scenario config {path!r} has no "dataset" block: ARMORY scenario configs name their data there',
        ),
        (b'{"dataset": []}', 'scenario config {path!r} has a "dataset" that is not an object'),
        (
            b'{"dataset": {"module": "my.own", "name": "x"}}',
            "{path!r}: \"dataset\".module is 'my.own', not armory.data.datasets or armory.data.adversarial_datasets",
        ),
        (
            b'{"dataset": {"module": "armory.data.datasets", "name": 7}}',
            "{path!r}: \"dataset\".name is '7', not a loader name",
        ),
        (
            b' {"dataset": {"module": "armory.data.datasets", "name": "mnist"}, "attack": {"type": "preloaded", "module": "x"}}',
            "{path!r}: \"attack\" (preloaded).module is 'x'",
        ),
    ],
)
def test_bad_scenario_configs(capfd, tmp_path: Path, data_dir: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(capfd, "--scenario", str(path), "-o", str(data_dir), *UNREACHABLE)
    assert (code, out) == (2, "")
    assert err.startswith("error: 1 problem(s) in the config files; nothing was done:\n  - ")
    assert message.format(path=str(path)) in err
    assert "Traceback" not in err and not data_dir.exists()


def test_attacker_text_is_cut_to_200_characters(capfd, tmp_path: Path, data_dir: Path) -> None:
    path = tmp_path / "long.json"
    path.write_text(json.dumps({"dataset": {"module": "m" * 5000, "name": "x"}}))
    code, _, err = run(capfd, "--scenario", str(path), "-o", str(data_dir))
    assert code == 2 and "m" * 200 + "'..." in err and "m" * 201 not in err
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"scenario": {f"s{i}" * 300: {"dataset_name": ["x"]} for i in range(80)}}))
    code, _, err = run(capfd, "--download-config", str(big), "nope", "-o", str(data_dir))
    assert code == 2 and "and 30 more (or give list, or all)" in err and len(err) < 80 * 210


def test_every_problem_of_every_file_at_once(capfd, tmp_path: Path, data_dir: Path) -> None:
    good = write_config(tmp_path / "good.json", "mnist")
    code, _, err = run(
        capfd, "--scenario", str(good), str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-o", str(data_dir)
    )
    assert code == 2 and err.startswith("error: 2 problem(s) in the config files; nothing was done:")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "name at least one dataset (NAME), or give --scenario FILE or --download-config FILE"),
        (["--download-config", "f.json", "all", "mnist"], "--download-config takes FILE and at most one of SCENARIO"),
        (["mnist", "--download-config", "f.json", "list"], "--download-config FILE list only lists its scenarios"),
        (["--scenario", "f.json", "--verify"], "cannot be combined with --verify or --armory-checksums"),
    ],
)
def test_usage(capfd, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as raised:
        download.main(argv)
    assert raised.value.code == 2
    assert message in capfd.readouterr().err


def test_paths_and_urls_beside_configs_are_refused(capfd, tmp_path: Path, data_dir: Path) -> None:
    code, _, err = run(capfd, "s3://b/datasets/x-1.0.0.json", "--dry-run", "-o", str(data_dir))
    assert code == 2 and "name datasets as NAME, NAME:VERSION or NAME-VERSION" in err


def test_a_nesting_bomb_past_the_bracket_count_is_still_a_message(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(scenarios, "MAX_DEPTH", 10**9)  # let json itself recurse until it gives up
    path = tmp_path / "bomb.json"
    path.write_bytes(b"[" * 500_000)
    with pytest.raises(UsageError, match="nests too deeply: not a config file"):
        scenarios.read_json(path, "scenario config")


@needs_armory
def test_a_real_run_with_an_unreachable_bucket_fails_by_name_and_writes_nothing(capfd, tmp_path, data_dir) -> None:
    config = write_config(tmp_path / "cfg.json", "mnist")
    code, out, err = run(capfd, "--scenario", str(config), "-o", str(data_dir), *UNREACHABLE)
    assert (code, out) == (1, "")
    assert err == (
        f"error: mnist 3.0.1 (for loader {STD}.mnist): not installed in {data_dir}, and the bucket cannot be asked: "
        "cannot reach the S3 server at http://127.0.0.1:9; check --endpoint-url and the network\n"
    )
    assert not data_dir.exists()


@needs_armory
def test_a_missing_bucket_is_named(capfd, tmp_path, data_dir, s3_server, s3_creds) -> None:
    config = write_config(tmp_path / "cfg.json", "mnist")
    remote = ["--endpoint-url", s3_server.endpoint, "-b", "no-such-bucket-here", "--no-progress"]
    code, out, _ = run(capfd, "--scenario", str(config), "-o", str(data_dir), *remote, "--dry-run")
    assert code == 0
    assert out.splitlines()[2] == (
        f"    not installed; published: unknown (the bucket does not exist at {s3_server.endpoint}; check -b/--bucket)"
    )
    code, _, err = run(capfd, "-o", str(data_dir), *remote, "mnist-3.0.1")  # plain download.py says so too
    assert code == 2 and "the bucket does not exist" in err and "never published" not in err


@needs_armory
def test_all_shipped_configs_in_one_dry_run_name_what_is_missing_and_what_to_do(capfd, data_dir, remote) -> None:
    code, out, err = run(capfd, "--scenario", *map(str, SHIPPED), "-o", str(data_dir), *remote, "--dry-run")
    assert code == 1, err  # the test bucket is empty: nothing is published
    lines = out.splitlines()
    assert sum(1 for line in lines if line.endswith(".json:")) == 168
    statuses = [line.strip() for line in lines if line.startswith("    ")]
    assert len(statuses) == 170  # 168 dataset blocks and 2 preloaded attacks
    assert all(s.startswith(f"neither installed in {data_dir} nor published (") for s in statuses)
    tips = Counter(s.split("): ", 1)[1].split(";")[0] for s in statuses)
    assert tips["build.py cannot make 2.1.0: it builds 2.1.2 (TFDS's own builder, at the pinned TFDS)"] == 18
    assert tips["build.py cannot make 0.0.2: it builds 0.0.3 (TFDS's own builder, at the pinned TFDS)"] == 11
    assert sum(n for tip, n in tips.items() if tip.startswith("build it: python build.py -ds ")) == 170 - 29
    assert lines[-1] == (
        "total to download: 0 dataset(s), 0 B, 18 neither installed nor published; dry run: nothing was written"
    )
    assert not data_dir.exists()
