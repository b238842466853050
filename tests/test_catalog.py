"""The catalog: every builder folder passes the naming checks; TFDS-core versions are still what TFDS builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsbuild.build.catalog import CATEGORY_DIRS, TFDS_CORE_DATASETS, load_catalog, lookup, scan_builder_folders
from dsbuild.errors import BuilderCheckError, CatalogError, InvalidNameError, UnknownDatasetError, UsageError
from tests.helpers import FIXTURE_BUILDERS, ROOT

STANDARD = [
    "digit",
    "resisc45",
    "xview",
    "carla_obj_det_train",
    "carla_over_obj_det_train",
    "german_traffic_sign",
    "librispeech_dev_clean_split",
    "librispeech_full",
    "librispeech_dev_test",
    "minicoco",
    "resisc10_poison",
    "resisc45_split",
    "ucf101_clean",
]
ADVERSARIAL = [
    "apricot_dev",
    "apricot_test",
    "carla_obj_det_dev",
    "carla_obj_det_test",
    "carla_over_obj_det_dev",
    "carla_over_obj_det_test",
    "carla_video_tracking_dev",
    "carla_video_tracking_test",
    "carla_mot_dev",
    "carla_mot_test",
    "dapricot_dev",
    "dapricot_test",
    "gtsrb_bh_poison_micronnet",
    "imagenet_adversarial",
    "librispeech_adversarial",
    "resisc45_densenet121_univpatch_and_univperturbation_adversarial224x224",
    "ucf101_mars_perturbation_and_patch_adversarial112x112",
]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_builder_folder_passes_the_naming_checks(catalog) -> None:
    broken = {name: entry.problems for name, entry in catalog.items() if entry.problems}
    assert broken == {}


def test_folders_have_the_files_a_builder_folder_needs(catalog) -> None:
    for entry in catalog.values():
        if entry.source is None:
            continue
        folder = entry.source.folder
        for required in ("__init__.py", "checksums.tsv", f"test_{entry.name}.py", "dummy_data/make.py"):
            assert (folder / required).is_file(), f"{folder} has no {required}"


@pytest.mark.parametrize(("category", "names"), [("standard", STANDARD), ("adversarial", ADVERSARIAL)])
def test_all_armory_datasets_are_supported(catalog, category: str, names: list[str]) -> None:
    for name in names:
        assert catalog[name].category == category, name
        assert catalog[name].source is not None
        assert catalog[name].source.folder.parent == ROOT / CATEGORY_DIRS[category]


def test_tfds_core_entries(catalog) -> None:
    core = {name for name, entry in catalog.items() if entry.category == "tfds-core"}
    assert core == set(TFDS_CORE_DATASETS)
    assert catalog["speech_commands"].armory_version == "0.0.2"
    assert catalog["librispeech"].armory_version == "2.1.0"


@pytest.mark.parametrize("name", sorted(TFDS_CORE_DATASETS))
def test_installed_tfds_still_builds_the_catalog_version(name: str) -> None:
    import tensorflow_datasets as tfds

    cls = tfds.builder_cls(name)
    built_versions = {str(cls.VERSION)} if cls.VERSION else set()
    built_versions |= {str(c.version) for c in cls.BUILDER_CONFIGS or [] if c.version}
    default = str(cls.VERSION or cls.BUILDER_CONFIGS[0].version)
    assert TFDS_CORE_DATASETS[name] == default, f"TFDS builds {name} {default}; update the catalog"
    assert TFDS_CORE_DATASETS[name] in built_versions


def test_unknown_name_suggests_close_matches(catalog) -> None:
    with pytest.raises(UnknownDatasetError) as caught:
        lookup(catalog, "mnits")
    assert "unknown dataset 'mnits': did you mean mnist?" in str(caught.value)
    assert "python build.py --list" in str(caught.value)


@pytest.mark.parametrize(
    "name", ["foo; touch /tmp/pwned", "$(id)", "`id`", "a\nb", "../../etc", "--overwrite", "Mnist", ""]
)
def test_names_that_are_not_identifiers_are_refused(catalog, name: str) -> None:
    with pytest.raises(InvalidNameError, match="invalid dataset name"):
        lookup(catalog, name)


def _copy_fixture(src: str, dest: Path) -> None:
    shutil.copytree(FIXTURE_BUILDERS / src, dest / src)


def test_same_name_in_datasets_and_adversarial_is_refused(tmp_path: Path) -> None:
    _copy_fixture("fixture_good", tmp_path / "datasets")
    _copy_fixture("fixture_good", tmp_path / "adversarial")
    with pytest.raises(CatalogError, match="'fixture_good' is defined twice"):
        scan_builder_folders(tmp_path)


def test_a_broken_folder_is_reported_when_asked_for(tmp_path: Path) -> None:
    _copy_fixture("fixture_good", tmp_path / "datasets")
    _copy_fixture("mismatch_name", tmp_path / "adversarial")
    catalog = load_catalog(tmp_path)
    assert lookup(catalog, "fixture_good").category == "standard"
    with pytest.raises(BuilderCheckError, match="class OtherName"):
        lookup(catalog, "mismatch_name")


def test_case_mistake_gets_a_close_match() -> None:
    import pytest

    from dsbuild.build.catalog import load_catalog, lookup
    from dsbuild.errors import InvalidNameError

    with pytest.raises(InvalidNameError, match="did you mean digit"):
        lookup(load_catalog(), "Digit")


def test_default_is_the_builders_version_and_what_armory_testbeds_loader_requests(catalog) -> None:
    """One default per folder: the class's VERSION (what -lcs and `tfds build` build too), which for every
    builder folder is also the version armory-testbed's loader requests."""
    from dsbuild.armory.loaders import loader_requests

    requests = loader_requests()
    entry = catalog["carla_over_obj_det_dev"]
    assert requests["carla_over_obj_det_dev"].version == "2.0.1"  # read from armory-testbed's loader source
    assert (entry.version, entry.default, entry.armory_version) == ("2.0.1", "2.0.1", "2.0.1")
    assert entry.buildable == ("1.0.0", "2.0.1")
    for name, entry in catalog.items():
        if entry.source is not None:
            assert entry.default == entry.version == entry.source.version, name
            if name in requests:
                assert entry.default == requests[name].version, name


@pytest.mark.parametrize("spelling", ["carla_over_obj_det_dev:1.0.0", "carla_over_obj_det_dev-1.0.0"])
def test_name_with_a_supported_version(catalog, spelling: str) -> None:
    entry = lookup(catalog, spelling)
    assert (entry.name, entry.version, entry.default) == ("carla_over_obj_det_dev", "1.0.0", "2.0.1")
    assert entry.needs_version_argument  # 1.0.0 is older than the class's VERSION: built by name
    assert not lookup(catalog, "carla_over_obj_det_dev").needs_version_argument


def test_name_with_an_unsupported_version_lists_the_supported(catalog) -> None:
    with pytest.raises(UsageError) as caught:
        lookup(catalog, "carla_over_obj_det_dev:2.0.0")
    assert str(caught.value) == (
        "carla_over_obj_det_dev has no version 2.0.0: the supported versions are 1.0.0, 2.0.1 "
        "(default 2.0.1; see `python build.py --list`)"
    )
    assert caught.value.exit_code == 2
    with pytest.raises(InvalidNameError, match=r"invalid version in 'mnist:3\.x'"):
        lookup(catalog, "mnist:3.x")


def test_every_supported_version_has_sources_and_a_release_note(catalog) -> None:
    """Each buildable version's URLs are in checksums.tsv, and RELEASE_NOTES describes it."""
    import ast
    import re

    for entry in catalog.values():
        if entry.source is None or len(entry.buildable) < 2:
            continue
        text = entry.source.module.read_text(encoding="utf-8")
        tsv = (entry.source.folder / "checksums.tsv").read_text(encoding="utf-8")
        tree = ast.parse(text)
        notes: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "RELEASE_NOTES" for t in node.targets):
                notes = set(ast.literal_eval(node.value))
        for version in entry.buildable:
            assert version in notes, f"{entry.name} {version} has no release note"
            urls = re.findall(rf'"{re.escape(version)}": "(https://[^"]+)"', text)
            assert urls, f"{entry.name} {version}: no source URL in the builder"
            assert all(url in tsv for url in urls), f"{entry.name} {version}: {urls} not in checksums.tsv"


def test_a_version_needs_only_its_own_sources(catalog) -> None:
    """carla_over_obj_det_dev lists both versions' archives; each build fetches (and preflight checks) one."""
    from dsbuild.build.preflight import listed_files, rebuild_command

    for asked, archive, command in (
        ("carla_over_obj_det_dev", "carla_over_od_dev_2.0.1.tar.gz", "-ds carla_over_obj_det_dev"),
        ("carla_over_obj_det_dev:1.0.0", "carla_over_od_dev_1.0.0.tar.gz", "-ds carla_over_obj_det_dev:1.0.0"),
    ):
        entry = lookup(catalog, asked)
        assert [f.url.rsplit("/", 1)[-1] for f in listed_files(entry) or []] == [archive]
        assert rebuild_command(entry).endswith(command)


@pytest.mark.parametrize("name", ["coco", "imagenette"])
def test_config_sources_are_what_tfds_builders_download(name: str, tmp_path: Path) -> None:
    """preflight.CONFIG_SOURCES (the files each config of a TFDS-core dataset needs) against what the
    installed TFDS builder's _split_generators asks for, config by config, nothing downloaded."""
    import tensorflow_datasets as tfds

    from dsbuild.build.preflight import CONFIG_SOURCES

    class Recorder:
        def __init__(self) -> None:
            self.urls: set[str] = set()

        def download_and_extract(self, urls):
            if isinstance(urls, dict):
                self.urls.update(urls.values())
                return {key: tmp_path for key in urls}
            self.urls.add(urls)
            return tmp_path

        download = download_and_extract

        def extract(self, path):
            return tmp_path

    table = CONFIG_SOURCES[name]
    configs = [c.name for c in tfds.builder_cls(name).BUILDER_CONFIGS]
    assert sorted(table) == sorted(configs)
    for config in configs:
        recorder = Recorder()
        tfds.builder(f"{name}/{config}", data_dir=tmp_path)._split_generators(recorder)
        assert {u.rsplit("/", 1)[-1] for u in recorder.urls} == table[config], config
