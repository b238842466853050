"""`dsbuild.load` and `dsbuild.load_from_config`: from a name, or a scenario's `dataset` block, to data.

ARMORY's own `load(name, version, data_dir, download_cached, verify, ...)` is the model: the local
directory first, else the published tarball fetched, verified and extracted, then loaded. Here the
fetch is download.py's (checksum file, streamed sha256, tar guard, limits, lock) and the open is
TFDS's read-only `builder_from_directory`, so no builder module is ever imported.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dsbuild.armory.loaders import LOADER_MODULE_NAMES, loader_requests
from dsbuild.errors import AmbiguousConfigError, DsbuildError, NotInstalledError, RemoteNotFoundError, UsageError
from dsbuild.loading import installed
from dsbuild.paths import VERSION_RE, check_config, check_name, resolve_data_dir

FRAMEWORKS = ("numpy", "tf")
SPLIT_KEYS = ("split", "eval_split", "train_split")  # which split a `dataset` block names, first found wins
DEFAULT_SPLIT = "test"  # ARMORY's own default eval split


def _download_command(
    name: str, version: str | None, data_dir: Path, bucket: str | None, endpoint_url: str | None, public: bool
) -> str:
    """The download.py command that fetches what `load` would, every option that changes the outcome kept."""
    argv = ["python", "download.py", f"{name}-{version}" if version else name, "-o", str(data_dir)]
    if bucket:
        argv += ["-b", bucket]
    if endpoint_url:
        argv += ["--endpoint-url", endpoint_url]
    if public:
        argv.append("--public")
    return shlex.join(argv)


def _fetch(
    data_dir: Path, name: str, version: str | None, bucket: str | None, endpoint_url: str | None, public: bool
) -> None:
    """Fetch `name` (at `version`, else its highest published) exactly as download.py does."""
    # Imported only here: an installed dataset loads without boto3.
    from dsbuild.log import log
    from dsbuild.remote.download import download
    from dsbuild.remote.location import RemoteOptions

    options = RemoteOptions(bucket=bucket, endpoint_url=endpoint_url, public=public, progress=sys.stderr.isatty())
    target = f"{name}-{version}" if version else name
    log.info("{} is not in {}: downloading it", target, data_dir)
    (result,) = download(data_dir, [target], options)
    if result.error is None:
        return
    if isinstance(result.error, RemoteNotFoundError):
        out = shlex.quote(str(data_dir))
        raise NotInstalledError(
            f"{target} is neither installed in {data_dir} nor published ({result.error}); build it with "
            f"`python build.py -ds {name} -o {out}` (a supported or TFDS-core dataset), "
            f"`python build.py -lcs PATH/TO/{name} -o {out}` (your own builder), or bring in a `tfds build` "
            f"output with `python build.py --add-custom PATH -o {out}`"
        ) from None
    raise result.error


def resolve(
    name: str,
    *,
    version: str | None = None,
    config: str | None = None,
    data_dir: str | Path | None = None,
    download: bool = True,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    public: bool = False,
) -> installed.Installed:
    """The installed `<name>[/<config>]/<version>` that `load` opens, fetched first when missing."""
    check_name(name)
    if version is not None and not VERSION_RE.match(version):
        raise UsageError(f"invalid version {version!r}: use MAJOR.MINOR.PATCH, e.g. 3.0.1")
    if config is not None:
        check_config(config)
    root = resolve_data_dir(data_dir)
    try:
        found = installed.find(root, name, config, version)
    except AmbiguousConfigError:  # several configs installed: the one ARMORY's loader asks for, if any
        requested = loader_requests().get(name)
        found = installed.find(root, name, config, version, requested.config if requested else None)
    if found is not None:
        return found  # an installed dataset: armory's sources are not even read
    # Not installed: the version (and config) armory-testbed's loader asks for, else the highest published.
    requested = loader_requests().get(name)
    preferred_config = config or (requested.config if requested else None)
    wanted = version or (requested.version if requested else None)
    if not download:
        raise NotInstalledError(
            f"{name}{':' + wanted if wanted else ''} is not installed in {root}; fetch it with "
            f"`{_download_command(name, wanted, root, bucket, endpoint_url, public)}`, or call load(..., download=True)"
        )
    _fetch(root, name, wanted, bucket, endpoint_url, public)
    found = installed.find(root, name, config, wanted, preferred_config)
    if found is None:
        what = f"config {config!r} of " if config else ""
        raise NotInstalledError(f"the downloaded {name} has no {what}version {version or wanted or ''} in {root}")
    return found


def load(
    name: str,
    split: str | None = None,
    *,
    version: str | None = None,
    config: str | None = None,
    data_dir: str | Path | None = None,
    download: bool = True,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    public: bool = False,
    **as_dataset_kwargs: Any,
) -> tuple[Any, Any]:
    """(info, datasets) of an installed dataset, fetching it first when missing, like ARMORY's `load`.

    Opens `<data_dir>/<name>[/<config>]/<version>` with `tfds.builder_from_directory`: no builder code
    and no sources are needed. `datasets` is what `as_dataset(split=split, **as_dataset_kwargs)` returns
    (a dict of every split when `split` is None). `version=None` means the highest installed version,
    else the version armory-testbed's loader asks for, else the highest published one. With
    `download=False` a missing dataset raises NotInstalledError naming the download.py command.
    `data_dir` defaults to build.py's (`$DSBUILD_DATA_DIR`, else `<armory dataset_dir>/TFDSv4`).
    """
    found = resolve(
        name,
        version=version,
        config=config,
        data_dir=data_dir,
        download=download,
        bucket=bucket,
        endpoint_url=endpoint_url,
        public=public,
    )
    import tensorflow_datasets as tfds

    builder = tfds.builder_from_directory(str(found.path))
    _check_split(builder.info, split, found)
    return builder.info, builder.as_dataset(split=split, **as_dataset_kwargs)


def _check_split(info: Any, split: str | None, found: installed.Installed) -> None:
    """A split name TFDS does not have gets the list of those it has (TFDS's own error is a KeyError deep down)."""
    if split is None:
        return
    known = set(info.splits.keys())
    for part in split.split("+"):
        base = part.split("[", 1)[0].strip()
        if base not in known:
            raise UsageError(f"{found.ref} has no split {base[:200]!r}; it has {', '.join(sorted(known))}")


def _dataset_from_block(block: Mapping[str, Any]) -> tuple[str, str | None, str | None]:
    """(dataset name, config, version) for a scenario `dataset` block, resolved as download.py --scenario
    resolves it: an ARMORY loader name to what it asks TFDS for, else the name taken as a dataset name."""
    from dsbuild.armory.scenarios import resolve as resolve_loader

    loader, module = block.get("name"), block.get("module")
    if not isinstance(loader, str) or not loader:
        raise UsageError(f"the dataset block's name must be a dataset or ARMORY loader name, not {str(loader)[:200]!r}")
    if module is not None and module not in LOADER_MODULE_NAMES:
        raise UsageError(
            f"the dataset block's module {str(module)[:200]!r} is not one of {', '.join(LOADER_MODULE_NAMES)}"
        )
    version, config = block.get("version"), block.get("config")
    for key, value in (("version", version), ("config", config)):
        if value is not None and not isinstance(value, str):
            raise UsageError(f"the dataset block's {key} must be a string, not {str(value)[:200]!r}")
    resolution = resolve_loader("the dataset block", "dataset", module, loader)
    if resolution.dataset is None:
        raise UsageError(resolution.reason)
    ref = resolution.dataset
    return ref.name, config or ref.config, version or ref.version


def _batch_size(block: Mapping[str, Any]) -> int:
    size = block.get("batch_size", 1)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise UsageError(f"the dataset block's batch_size must be a positive integer, not {str(size)[:200]!r}")
    return size


def load_from_config(
    dataset_block: Mapping[str, Any],
    split: str | None = None,
    *,
    data_dir: str | Path | None = None,
    download: bool = True,
    bucket: str | None = None,
    endpoint_url: str | None = None,
    public: bool = False,
) -> Any:
    """Batches of the dataset a scenario config's `dataset` block names.

    Reads `name` (an ARMORY loader such as `carla_multi_object_tracking_dev`, resolved to the
    `name[/config]:version` it loads, or a dataset name), optional `module`, `version`, `config`,
    the split (`split` argument, else the block's `split`, `eval_split` or `train_split`, else "test"),
    `batch_size` (default 1) and `framework`: "numpy" gives an iterator of dicts of numpy arrays,
    "tf" a batched `tf.data.Dataset`. ARMORY's preprocessing options are not applied.
    """
    if not isinstance(dataset_block, Mapping):
        raise UsageError(
            f"a dataset block is a mapping (a scenario config's `dataset`), not {type(dataset_block).__name__}"
        )
    name, config, version = _dataset_from_block(dataset_block)
    if split is None:
        split = next((dataset_block[k] for k in SPLIT_KEYS if dataset_block.get(k) is not None), DEFAULT_SPLIT)
    if not isinstance(split, str):
        raise UsageError(f"the dataset block's split must be a string, not {str(split)[:200]!r}")
    framework = dataset_block.get("framework", "numpy")
    if framework not in FRAMEWORKS:
        raise UsageError(
            f"framework {str(framework)[:200]!r} is not supported here: use one of {', '.join(FRAMEWORKS)}"
        )
    batch_size = _batch_size(dataset_block)
    _, dataset = load(
        name,
        split,
        version=version,
        config=config,
        data_dir=data_dir,
        download=download,
        bucket=bucket,
        endpoint_url=endpoint_url,
        public=public,
    )
    batched = dataset.batch(batch_size)
    if framework == "tf":
        return batched
    return _numpy_batches(batched)


def _numpy_batches(dataset: Any) -> Iterator[Any]:
    import tensorflow_datasets as tfds

    yield from tfds.as_numpy(dataset)


__all__ = ["DsbuildError", "load", "load_from_config", "resolve"]
