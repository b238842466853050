"""Naming and layout checks of builder sources, read with ast (nothing is imported)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dsbuild.build.builders import check_builder_path
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


def write_builder(folder: Path, body: str, file_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    module = folder / (file_name or f"{folder.name}.py")
    module.write_text("import tensorflow_datasets as tfds\n\n" + body)
    return module


METHODS = "    def _info(self): ...\n    def _split_generators(self, dl): ...\n    def _generate_examples(self): ...\n"


def test_a_concrete_base_class_and_its_subclass_are_two_builders(tmp_path: Path) -> None:
    body = (
        f"class BaseShapes(tfds.core.GeneratorBasedBuilder):\n{METHODS}\n"
        'class Shapes(BaseShapes):\n    VERSION = tfds.core.Version("1.0.0")\n'
    )
    with pytest.raises(BuilderCheckError) as caught:
        check_builder_path(write_builder(tmp_path / "shapes", body).parent)
    assert "2 builder classes (BaseShapes, Shapes)" in str(caught.value)
    assert "move BaseShapes into another module as a plain mixin" in str(caught.value)


def test_an_abstract_base_class_and_a_mixin_from_another_module_are_fine(tmp_path: Path) -> None:
    # The twin builders' layout: an imported plain mixin plus GeneratorBasedBuilder; and an abstract local base.
    body = (
        "from dsbuild.families import base\n\n\n"
        "class _Abstract(tfds.core.GeneratorBasedBuilder):\n    def _info(self): ...\n\n\n"
        'class Shapes(base.ArchiveFamily, _Abstract):\n    VERSION = tfds.core.Version("1.0.0")\n'
    )
    assert check_builder_path(write_builder(tmp_path / "shapes", body).parent).class_name == "Shapes"


def test_a_file_tfds_would_not_import_from_its_folder(tmp_path: Path) -> None:
    write_builder(tmp_path / "shapes", 'class Shapes(tfds.core.GeneratorBasedBuilder):\n    VERSION = "1.0.0"\n')
    module = write_builder(
        tmp_path / "shapes", 'class Circles(tfds.core.GeneratorBasedBuilder):\n    VERSION = "1.0.0"\n', "circles.py"
    )
    with pytest.raises(BuilderCheckError) as caught:
        check_builder_path(module)
    message = str(caught.value)
    assert "TFDS imports shapes.py from it, not circles.py" in message
    assert f"move it to {tmp_path / 'circles' / 'circles.py'}" in message
    # Doing what it says works.
    target = tmp_path / "circles"
    target.mkdir()
    (target / "__init__.py").write_text("")
    module.rename(target / "circles.py")
    assert check_builder_path(target / "circles.py").name == "circles"


def test_a_rename_suggestion_never_names_a_taken_class_or_folder(tmp_path: Path) -> None:
    body = (
        "class Shapes:\n    pass\n\n\n"  # the name the fix would want is taken
        'class Other(tfds.core.GeneratorBasedBuilder):\n    VERSION = "1.0.0"\n'
    )
    module = write_builder(tmp_path / "shapes", body)
    (tmp_path / "other").mkdir()
    with pytest.raises(BuilderCheckError) as caught:
        check_builder_path(module)
    message = str(caught.value)
    assert 'add `name = "shapes"` to class Other' in message
    assert f"{tmp_path / 'other'} is taken" in message
    module.write_text(module.read_text().replace('VERSION = "1.0.0"', 'VERSION = "1.0.0"\n    name = "shapes"'))
    assert check_builder_path(module).class_name == "Other"


def test_literal_configs_are_read_and_a_missing_one_is_refused() -> None:
    from dsbuild.build.builders import check_config_defined

    source = check_builder_path(FIXTURE_BUILDERS / "fixture_configs")
    assert source.configs == ("small", "large")
    check_config_defined(source, "large")
    with pytest.raises(UsageError, match=r"--config huge: .* defines only small, large; give one of them"):
        check_config_defined(source, "huge")
    with pytest.raises(UsageError, match="defines no BUILDER_CONFIGS; build it without --config"):
        check_config_defined(check_builder_path(FIXTURE_BUILDERS / "fixture_good"), "small")


def test_our_snake_case_rule_is_tfds_own() -> None:
    from tensorflow_datasets.core.naming import camelcase_to_snakecase as tfds_snake

    from dsbuild.build.catalog import load_catalog
    from dsbuild.paths import camelcase_to_snakecase

    names = [e.source.class_name for e in load_catalog().values() if e.source is not None]
    names += ["MNIST", "Cifar10Corrupted", "MNISTv2", "So2SAT", "A1B2", "HTTPServer2Data", "x", "XYZ", "Builder"]
    assert [camelcase_to_snakecase(n) for n in names] == [tfds_snake(n) for n in names]


def test_an_invalid_folder_name_gets_a_valid_suggestion(tmp_path: Path) -> None:
    """Issue 22 item 15: folder MyData2 is told to become my_data2/my_data2.py, a name the checks accept,
    never MyData2.py; every suggestion that follows is for the valid name."""
    from dsbuild.build.builders import valid_name
    from dsbuild.paths import NAME_RE

    folder = tmp_path / "MyData2"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    with pytest.raises(UsageError) as empty:
        check_builder_path(folder)
    assert "rename the folder to my_data2 and put my_data2.py (class MyData2) in it" in str(empty.value)
    assert "MyData2.py" not in str(empty.value)

    write_builder(folder, f"class TinyShapes(tfds.core.GeneratorBasedBuilder):\n    VERSION = '1.0.0'\n{METHODS}")
    with pytest.raises(BuilderCheckError) as caught:
        check_builder_path(folder)
    text = "\n".join(caught.value.problems)
    assert "rename the folder to my_data2 and the file to my_data2.py" in text
    assert "not 'my_data2'; rename the class to MyData2" in text
    assert '"MyData2"' not in text  # never `name = "MyData2"`, which is invalid too
    for odd in ("MyData2", "2cool", "my-data", "__x", "A B"):
        assert NAME_RE.match(valid_name(odd)), odd
