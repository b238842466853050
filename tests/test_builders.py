"""Naming and layout checks of builder sources, read with ast (nothing is imported)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dsbuild.builders import check_builder_path
from dsbuild.errors import BuilderCheckError, UsageError
from tests.helpers import EXAMPLE, FIXTURE_BUILDERS


@pytest.mark.parametrize(
    ("path", "name", "class_name", "version"),
    [
        (EXAMPLE, "tiny_shapes", "TinyShapes", "1.0.0"),
        (EXAMPLE / "tiny_shapes.py", "tiny_shapes", "TinyShapes", "1.0.0"),
        (FIXTURE_BUILDERS / "fixture_good", "fixture_good", "FixtureGood", "0.1.0"),
        (FIXTURE_BUILDERS / "fixture_configs", "fixture_configs", "FixtureConfigs", "2.0.0"),
        (FIXTURE_BUILDERS / "fixture_new_style", "fixture_new_style", "Builder", "1.2.3"),
    ],
)
def test_good_builders(path: Path, name: str, class_name: str, version: str) -> None:
    source = check_builder_path(path)
    assert (source.name, source.class_name, source.version) == (name, class_name, version)
    assert source.module.is_absolute() and source.module.is_file()


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        (
            "mismatch_name",
            ["class OtherName is registered by TFDS as 'other_name', not 'mismatch_name'", "MismatchName"],
        ),
        ("two_classes", ["2 builder classes (TwoClasses, TwoClassesExtra); keep exactly one builder per file"]),
        ("no_class", ["no tfds.core.GeneratorBasedBuilder subclass; define one named NoClass"]),
        ("no_init", ["no __init__.py beside it; create an empty"]),
        ("no_version", ['class NoVersion has no VERSION; add VERSION = tfds.core.Version("1.0.0")']),
        ("bad_version", ["VERSION '1.0' of class BadVersion is not MAJOR.MINOR.PATCH"]),
        ("syntax_error", ["syntax_error.py:4: syntax error"]),
    ],
)
def test_bad_builders_name_the_file_and_the_fix(folder: str, expected: list[str]) -> None:
    with pytest.raises(BuilderCheckError) as caught:
        check_builder_path(FIXTURE_BUILDERS / folder)
    message = str(caught.value)
    assert str(FIXTURE_BUILDERS / folder / f"{folder}.py") in message
    for fragment in expected:
        assert fragment in message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(BuilderCheckError) as caught:
        check_builder_path(FIXTURE_BUILDERS / "many_problems")
    problems = caught.value.problems
    assert len(problems) == 3
    assert any("__init__.py" in p for p in problems)
    assert any("class WrongName is registered by TFDS as 'wrong_name'" in p for p in problems)
    assert any("has no VERSION" in p for p in problems)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (FIXTURE_BUILDERS / "does_not_exist", "does not exist"),
        (FIXTURE_BUILDERS / "not_python" / "notes.txt", "is not a .py file"),
        (FIXTURE_BUILDERS / "empty_folder", "no builder in folder"),
        (FIXTURE_BUILDERS / "not_python", "expected not_python.py (or not_python_dataset_builder.py)"),
    ],
)
def test_unusable_paths(path: Path, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        check_builder_path(path)
    assert not isinstance(caught.value, BuilderCheckError)
    assert message in str(caught.value)
    assert str(path) in str(caught.value)


def test_checks_import_nothing(tmp_path: Path) -> None:
    # A builder with an import-time side effect: the check must not run it.
    folder = tmp_path / "side_effect"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    marker = tmp_path / "imported"
    (folder / "side_effect.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
        "import tensorflow_datasets as tfds\n\n\n"
        "class SideEffect(tfds.core.GeneratorBasedBuilder):\n"
        '    VERSION = tfds.core.Version("1.0.0")\n'
    )
    assert check_builder_path(folder).name == "side_effect"
    assert not marker.exists()
    assert "side_effect" not in sys.modules


def test_invalid_dataset_name_from_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "Bad-Name"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "Bad-Name.py").write_text("")
    with pytest.raises(BuilderCheckError, match="dataset name 'Bad-Name' is not valid"):
        check_builder_path(folder)
