"""`build.py --add-custom`: datasets built elsewhere by a plain `tfds build`, brought into the data dir.

The fixtures are built once per module by TFDS's own command line (`tensorflow_datasets.scripts.cli.main
build`, what `tfds build` runs), not by build.py.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import FIXTURE_BUILDERS, ROOT, load_script, run_main, run_script, tree

pytestmark = pytest.mark.integration

build = load_script("build.py")
GOOD = ("fixture_good", "0.1.0")
GOOD_FILES = [
    "dataset_info.json",
    "features.json",
    "fixture_good-test.tfrecord-00000-of-00001",
    "fixture_good-train.tfrecord-00000-of-00001",
]


def tfds_build(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    """A plain `tfds build` (TFDS's own CLI) of fixture builder folders, started in the background."""
    return subprocess.Popen(
        [sys.executable, "-m", "tensorflow_datasets.scripts.cli.main", "build", *args, "--data_dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        cwd=data_dir.parent,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(D, D2): fixture_good and fixture_configs in D; in D2 fixture_good again, other contents (1 example a split)."""
    root = tmp_path_factory.mktemp("tfds")
    first, second = root / "D", root / "D2"
    runs = [
        tfds_build(first, str(FIXTURE_BUILDERS / "fixture_good"), str(FIXTURE_BUILDERS / "fixture_configs")),
        tfds_build(second, str(FIXTURE_BUILDERS / "fixture_good"), "--max_examples_per_split", "1"),
    ]
    for run in runs:
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, output[-3000:]
    return first, second


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(build, argv, capsys)


def snapshot(path: Path) -> dict[str, bytes | None]:
    """Every path under `path` with its bytes (None for a directory): to assert nothing changed."""
    return {str(p.relative_to(path)): None if p.is_dir() else p.read_bytes() for p in sorted(path.rglob("*"))}


def members(tarball: Path) -> list[str]:
    listing = subprocess.run(["tar", "tzf", str(tarball)], capture_output=True, text=True, check=True)
    return listing.stdout.split()


def renamed_copy(version_dir: Path, name: str, root: Path) -> Path:
    """A copy of a built fixture_good under another name, otherwise valid: dirs, shard names and dataset_info.json."""
    target = root / name / version_dir.name
    shutil.copytree(version_dir, target)
    for shard in target.glob("fixture_good-*"):
        shard.rename(target / shard.name.replace("fixture_good", name, 1))
    info_path = target / "dataset_info.json"
    info = json.loads(info_path.read_text())
    info["name"] = name
    info_path.write_text(json.dumps(info))
    return target


def test_adds_a_plain_tfds_build_hard_linked_and_packed(built, tmp_path: Path) -> None:
    source = built[0] / "fixture_good" / "0.1.0"
    out = tmp_path / "out"
    result = run_script("build.py", "--add-custom", str(source), "-o", str(out))
    assert result.returncode == 0, result.stderr
    installed = out / "fixture_good" / "0.1.0"
    tarball, checksum_file = out / "fixture_good-0.1.0.tar.gz", out / "fixture_good-0.1.0.json"
    assert result.stdout.splitlines() == [
        f"fixture_good 0.1.0: added as {installed}: 4 files hard-linked from {source}",
        "fixture_good 0.1.0: packed",
        f"  tarball:       {tarball} ({tarball.stat().st_size:,} bytes)",
        f"  checksum file: {checksum_file}",
        f"  publish with:  python upload.py fixture_good -o {out}",
    ]
    assert sorted(p.name for p in installed.iterdir()) == GOOD_FILES
    for name in GOOD_FILES:  # the same file system: hard links, so the same inodes
        assert (installed / name).read_bytes() == (source / name).read_bytes()
        assert (installed / name).stat().st_ino == (source / name).stat().st_ino
    assert members(tarball) == ["fixture_good/0.1.0/", *(f"fixture_good/0.1.0/{n}" for n in GOOD_FILES)]
    record = json.loads(checksum_file.read_text())
    assert record["sha256"] == hashlib.sha256(tarball.read_bytes()).hexdigest()
    assert record["subdir"] == "fixture_good/0.1.0" and "provenance" not in record
    assert not [p for p in out.iterdir() if p.name.startswith(".dsbuild-tmp-")]

    # upload.py finds it by name.
    from dsbuild.remote.upload import resolve_upload_targets

    assert resolve_upload_targets(out, ["fixture_good"]) == [tarball]

    # Again: nothing copied, the tarball kept.
    before = tarball.stat()
    again = run_script("build.py", "--add-custom", str(source), "-o", str(out))
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[:2] == [
        f"fixture_good 0.1.0: already present as {installed}, the same files as {source}",
        "fixture_good 0.1.0: up to date",
    ]
    assert tarball.stat().st_ino == before.st_ino and tarball.stat().st_mtime_ns == before.st_mtime_ns


def test_a_builder_with_configs_by_its_name_dir_and_both_load_by_name(built, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(
        ["--add-custom", str(built[0] / "fixture_configs"), str(built[0] / "fixture_good" / "0.1.0"), "-o", str(out)],
        capsys,
    )
    assert code == 0, err
    assert stdout.splitlines()[0] == (
        f"fixture_configs 2.0.0: added as {out / 'fixture_configs'} (configs large, small at 2.0.0): "
        f"7 files hard-linked from {built[0] / 'fixture_configs'}"
    )
    names = members(out / "fixture_configs-2.0.0.tar.gz")
    assert {n.split("/")[1] for n in names} == {".config", "large", "small"}
    assert "fixture_configs/.config/metadata.json" in names
    assert "fixture_configs/small/2.0.0/fixture_configs-train.tfrecord-00000-of-00001" in names
    # Loaded by name, with no builder code: TFDS reads what is in the data dir.
    probe = (
        "import sys, tensorflow_datasets as tfds\n"
        "for name in ('fixture_good', 'fixture_configs/large', 'fixture_configs/small'):\n"
        "    print(name, len(list(tfds.load(name, split='train', data_dir=sys.argv[1]))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe, str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        cwd=tmp_path,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert loaded.stdout.split("\n")[:3] == ["fixture_good 3", "fixture_configs/large 3", "fixture_configs/small 1"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("mnist", "mnist is a TFDS-core dataset (the installed tensorflow-datasets registers it)"),
        ("beans", "beans is a TFDS-core dataset"),  # registered by TFDS, not used by armory
        ("digit", "digit is a supported armory dataset (standard, see `python build.py --list`)"),
    ],
)
def test_a_name_tfds_or_armory_gives_is_refused_unless_force(built, tmp_path, capsys, name, message) -> None:
    source = renamed_copy(built[0] / "fixture_good" / "0.1.0", name, tmp_path / "elsewhere")
    out = tmp_path / "out"
    code, stdout, err = run(["--add-custom", str(source), "-o", str(out)], capsys)
    assert code == 2
    assert f"error: {message}" in err and "pass --force to add it anyway" in err
    assert stdout == "" and not out.exists()
    code, stdout, err = run(["--add-custom", str(source), "-o", str(out), "--force", "--no-pack"], capsys)
    assert code == 0, err
    assert "adding it anyway (--force)" in err
    assert stdout.splitlines()[1:] == [
        f"{name} 0.1.0: not packed (--no-pack)",
        f"  publish with:  python upload.py {out / name / '0.1.0'} -o {out}",
    ]
    assert len(list((out / name / "0.1.0").iterdir())) == 4


def test_an_incomplete_build_is_refused(built, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built[0], copy)
    version_dir = copy / "fixture_good" / "0.1.0"
    (version_dir / "fixture_good-test.tfrecord-00000-of-00001").unlink()
    out = tmp_path / "out"
    code, _, err = run(["--add-custom", str(version_dir), "-o", str(out)], capsys)
    assert code == 2
    assert f"error: {version_dir} is not a complete, intact build; nothing was added" in err
    assert "fixture_good-test.tfrecord-00000-of-00001 listed in dataset_info.json is missing" in err

    # What TFDS leaves when a build is stopped: an incomplete.* directory beside the version.
    shutil.copy2(built[0] / "fixture_good" / "0.1.0" / GOOD_FILES[2], version_dir)
    (copy / "fixture_good" / "incomplete.1a2b3c").mkdir()
    code, _, err = run(["--add-custom", str(version_dir), "-o", str(out)], capsys)
    assert code == 2
    assert "holds unfinished build directories: incomplete.1a2b3c" in err

    # A damaged record is caught by the CRC check, before anything is copied.
    shutil.rmtree(copy / "fixture_good" / "incomplete.1a2b3c")
    shard = version_dir / GOOD_FILES[3]
    data = bytearray(shard.read_bytes())
    data[20] ^= 0xFF
    shard.write_bytes(bytes(data))
    code, _, err = run(["--add-custom", str(version_dir), "-o", str(out)], capsys)
    assert code == 2
    assert "bad data CRC of the record at byte 0" in err
    assert not out.exists()


def test_a_version_installed_with_other_contents_needs_overwrite(built, tmp_path: Path, capsys) -> None:
    first, second = (d / "fixture_good" / "0.1.0" for d in built)
    out = tmp_path / "out"
    assert run(["--add-custom", str(first), "-o", str(out)], capsys)[0] == 0
    before = snapshot(out)
    code, stdout, err = run(["--add-custom", str(second), "-o", str(out)], capsys)
    assert code == 2
    assert (
        f"error: fixture_good 0.1.0 is already installed with other contents ({out / 'fixture_good' / '0.1.0'}); "
        f"pass --overwrite to replace it with {second}"
    ) in err
    assert stdout == "" and snapshot(out) == before

    code, stdout, err = run(["--add-custom", str(second), "-o", str(out), "--overwrite"], capsys)
    assert code == 0, err
    assert stdout.splitlines()[0] == (
        f"fixture_good 0.1.0: replaced {out / 'fixture_good' / '0.1.0'} (--overwrite): "
        f"4 files hard-linked from {second}"
    )
    for name in GOOD_FILES:
        assert (out / "fixture_good" / "0.1.0" / name).read_bytes() == (second / name).read_bytes()
    assert (out / "fixture_good-0.1.0.tar.gz").read_bytes() != before["fixture_good-0.1.0.tar.gz"]
    assert not [p for p in out.iterdir() if p.name.startswith(".dsbuild-tmp-")]


def test_links_and_other_non_files_are_refused(built, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built[0] / "fixture_good", copy / "fixture_good")
    link = copy / "fixture_good" / "0.1.0" / "notes.txt"
    link.symlink_to("/etc/hostname")
    out = tmp_path / "out"
    code, _, err = run(["--add-custom", str(link.parent), "-o", str(out)], capsys)
    assert code == 2
    assert f"error: '{link}' is a symbolic link: a dataset may hold only regular files and directories" in err
    link.unlink()
    os.mkfifo(link)
    code, _, err = run(["--add-custom", str(link.parent), "-o", str(out)], capsys)
    assert code == 2
    assert f"error: '{link}' is not a regular file or directory" in err
    assert not out.exists()


def test_a_bad_second_path_adds_nothing(built, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    missing = tmp_path / "nowhere" / "other" / "1.0.0"
    code, stdout, err = run(
        ["--add-custom", str(built[0] / "fixture_good" / "0.1.0"), str(missing), "-o", str(out)], capsys
    )
    assert code == 2
    assert f"error: '{missing}' does not exist" in err
    assert stdout == "" and not out.exists()


def test_the_installed_dataset_itself_is_verified_and_packed(built, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    shutil.copytree(built[0] / "fixture_good", out / "fixture_good")
    code, stdout, err = run(["--add-custom", str(out / "fixture_good" / "0.1.0"), "-o", str(out)], capsys)
    assert code == 0, err
    assert stdout.splitlines()[:2] == [
        f"fixture_good 0.1.0: already in the data dir as {out / 'fixture_good' / '0.1.0'}; verified",
        "fixture_good 0.1.0: packed",
    ]


def test_copies_where_hard_links_are_refused(built, tmp_path: Path, monkeypatch) -> None:
    from dsbuild.build import custom
    from dsbuild.build.catalog import load_catalog

    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", refuse)
    source = built[0] / "fixture_good" / "0.1.0"
    out = tmp_path / "out"
    (item,) = custom.plan([str(source)], out, load_catalog())
    outcome = custom.add(item, out, pack_it=False)
    assert (outcome.linked, outcome.copied) == (0, 4)
    for name in GOOD_FILES:
        copy = out / "fixture_good" / "0.1.0" / name
        assert copy.read_bytes() == (source / name).read_bytes()
        assert copy.stat().st_ino != (source / name).stat().st_ino


def test_an_interrupted_copy_leaves_nothing_under_the_final_name(built, tmp_path: Path, monkeypatch) -> None:
    from dsbuild.build import custom
    from dsbuild.build.catalog import load_catalog

    calls = []

    def link_then_interrupt(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_link(*args, **kwargs)

    real_link = os.link
    monkeypatch.setattr(os, "link", link_then_interrupt)
    out = tmp_path / "out"
    (item,) = custom.plan([str(built[0] / "fixture_configs")], out, load_catalog())
    with pytest.raises(KeyboardInterrupt):
        custom.add(item, out)
    assert tree(out) == ["_locks", "_locks/fixture_configs.lock"]


@pytest.mark.parametrize("stop_at", [1, 2, 3, 4, 6])
def test_an_interrupted_overwrite_keeps_the_old_version(built, tmp_path: Path, monkeypatch, stop_at: int) -> None:
    from dsbuild.build import custom
    from dsbuild.build.catalog import load_catalog

    out = tmp_path / "out"
    shutil.copytree(built[0] / "fixture_configs", out / "fixture_configs")
    info = out / "fixture_configs" / "large" / "2.0.0" / "dataset_info.json"
    info.write_text(info.read_text().replace('"name"', '"description": "old", "name"'))
    before = snapshot(out)
    (item,) = custom.plan([str(built[0] / "fixture_configs")], out, load_catalog(), overwrite=True)
    assert item.action is custom.Action.REPLACE

    renames = []

    def rename_then_interrupt(src, dst):
        renames.append(dst)
        if len(renames) == stop_at:  # old large aside, new large in, old small aside, new small in, ...
            raise KeyboardInterrupt
        return real_rename(src, dst)

    real_rename = os.rename
    monkeypatch.setattr(os, "rename", rename_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        custom.add(item, out, overwrite=True)
    monkeypatch.undo()
    assert {k: v for k, v in snapshot(out).items() if not k.startswith("_locks")} == before


def test_force_and_overwrite_go_with_add_custom(capsys) -> None:
    code, _, err = run(["-ds", "mnist", "--overwrite"], capsys)
    assert code == 2 and "--force and --overwrite go with --add-custom" in err


def test_tfds_core_names_are_what_tfds_registers() -> None:
    """The file scan agrees with `tfds.list_builders()` of the installed TFDS (imported once, here only)."""
    from dsbuild.build.tfds_names import registered_names

    listed = subprocess.run(
        [sys.executable, "-c", "import json, tensorflow_datasets as tfds; print(json.dumps(tfds.list_builders()))"],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        cwd=ROOT,
        check=True,
    )
    expected = set(json.loads(listed.stdout.splitlines()[-1]))
    assert registered_names() == expected
    assert {"mnist", "beans", "imagenette", "c4", "librispeech"} <= registered_names()
