"""Which `<data_dir>/<name>[/<config>]/<version>/` a load opens, read from the data dir alone.

A version directory counts as installed when it holds `dataset_info.json` and `features.json`
and TFDS is not still writing it (`incomplete.*` names are never versions). Nothing here imports
TensorFlow, TFDS or boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsbuild.errors import AmbiguousConfigError
from dsbuild.paths import CONFIG_METADATA_DIR, REQUIRED_FILES, VERSION_RE, check_config, check_name


@dataclass(frozen=True)
class Installed:
    """One installed version of a dataset (or of one of its configs)."""

    data_dir: Path
    name: str
    config: str | None
    version: str

    @property
    def ref(self) -> str:
        """TFDS's spelling: `name[/config]:version`."""
        return f"{self.name}{'/' + self.config if self.config else ''}:{self.version}"

    @property
    def path(self) -> Path:
        parts = [self.name, *([self.config] if self.config else []), self.version]
        return self.data_dir.joinpath(*parts)


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _versions(directory: Path) -> list[str]:
    """Complete version directories under `directory`, lowest first."""
    if not directory.is_dir():
        return []
    found = [
        child.name
        for child in directory.iterdir()
        if VERSION_RE.match(child.name)
        and child.is_dir()
        and all((child / required).is_file() for required in REQUIRED_FILES)
    ]
    return sorted(found, key=version_key)


def configs(data_dir: Path, name: str) -> list[str]:
    """The builder configs of `name` that have at least one installed version."""
    dataset_dir = data_dir / check_name(name)
    if not dataset_dir.is_dir():
        return []
    return sorted(
        child.name
        for child in dataset_dir.iterdir()
        if child.is_dir()
        and child.name != CONFIG_METADATA_DIR
        and not VERSION_RE.match(child.name)
        and _versions(child)
    )


def find(
    data_dir: Path,
    name: str,
    config: str | None = None,
    version: str | None = None,
    preferred_config: str | None = None,
) -> Installed | None:
    """The installed version to open, or None when there is none.

    `version=None` takes the highest installed one. Without `config`, a dataset built without configs
    is opened as is; one built with configs takes `preferred_config` (the one ARMORY's loader asks for)
    if installed, else its only config; several configs and no way to choose is an AmbiguousConfigError.
    """
    check_name(name)
    if config is not None:
        check_config(config)
        chosen_config: str | None = config
    elif _versions(data_dir / name):
        chosen_config = None
    else:
        installed_configs = configs(data_dir, name)
        if not installed_configs:
            return None
        if preferred_config in installed_configs:
            chosen_config = preferred_config
        elif len(installed_configs) == 1:
            chosen_config = installed_configs[0]
        else:
            raise AmbiguousConfigError(
                f"{name} is installed in {data_dir} with configs {', '.join(installed_configs)}: "
                "choose one with config=..."
            )
    directory = data_dir / name / chosen_config if chosen_config else data_dir / name
    versions = _versions(directory)
    if version is not None:
        return Installed(data_dir, name, chosen_config, version) if version in versions else None
    return Installed(data_dir, name, chosen_config, versions[-1]) if versions else None
