"""`build.py --add-custom`: bring a dataset built elsewhere with `tfds build` into the data dir.

Two steps, so a bad path fails before anything is written (exit 2):

1. `plan` checks every path: it is a complete build (`check_structure`, then `verify_built`: TFRecord
   framing and CRCs, records against features.json, counts; exactly what `--pack-only` runs), it holds
   only regular files and directories (all a tarball may hold), its name is neither a TFDS-core nor a
   supported armory dataset (unless `--force`), and the data dir does not already hold that version
   with other contents (unless `--overwrite`).
2. `add` copies each one, under the dataset's lock, into a temporary directory in the data dir
   (`.dsbuild-tmp-<hex>-<name>`, which `leftovers.remove_leftovers` removes after a kill -9),
   hard-linking every file where the file system allows and copying it otherwise; then renames its
   subdirectories into place, all or none (an overwritten version is moved aside first and put back
   on failure), and packs it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dsbuild.artifact.built_dataset import (
    CONFIG_METADATA_DIR,
    BuiltDataset,
    check_structure,
    find_built,
    from_directory,
)
from dsbuild.artifact.checksums import ChecksumRecord, file_sha256
from dsbuild.artifact.records import verify_built
from dsbuild.artifact.tarball import PackResult, pack
from dsbuild.build.catalog import TFDS_CORE, TFDS_CORE_DATASETS, CatalogEntry
from dsbuild.build.tfds_names import registered_names
from dsbuild.defaults import DEFAULT_COMPRESSION_LEVEL
from dsbuild.errors import DsbuildError, UsageError, VerificationError
from dsbuild.leftovers import remove_leftovers, remove_stale_temp_files
from dsbuild.lock import dataset_lock
from dsbuild.log import log
from dsbuild.options import hint
from dsbuild.paths import TARBALL_NAME_RE, checksum_file_name, tarball_name, temp_sibling


class CopyError(DsbuildError):
    """A custom dataset could not be copied into the data dir (disk full, permissions; exit 1)."""


class Action(StrEnum):
    """What `add` does with one dataset (`describe` words it for the user)."""

    ADD = "add"
    REPLACE = "replace"  # --overwrite of a version installed with other contents
    PRESENT = "already present"  # the same files are installed: nothing is copied
    IN_PLACE = "in place"  # the path is the installed dataset itself: verified and packed


@dataclass(frozen=True)
class FileState:
    """What a file was when it was checked: a change before it is installed is noticed."""

    size: int
    mtime_ns: int
    inode: tuple[int, int]  # (device, inode)

    @classmethod
    def of(cls, st: os.stat_result) -> FileState:
        return cls(st.st_size, st.st_mtime_ns, (st.st_dev, st.st_ino))


@dataclass(frozen=True)
class Tree:
    """Every directory and regular file under a dataset's subdirs, relative to its data dir (posix)."""

    dirs: frozenset[str]
    files: Mapping[str, FileState]


@dataclass(frozen=True)
class CustomPlan:
    raw: str  # the path as given
    source: BuiltDataset
    action: Action
    tree: Tree
    remove: tuple[str, ...] = ()  # installed subdirs of this version that the source lacks (--overwrite)


@dataclass(frozen=True)
class CustomOutcome:
    plan: CustomPlan
    installed: BuiltDataset
    linked: int = 0  # files hard-linked
    copied: int = 0  # files copied (another file system, or linking refused)
    packed: PackResult | None = None
    up_to_date: ChecksumRecord | None = None  # the tarball already there matches (nothing repacked)
    tarball: Path | None = None
    checksum_file: Path | None = None
    notes: list[str] = field(default_factory=list)


def plan(
    paths: Sequence[str],
    data_dir: Path,
    catalog: Mapping[str, CatalogEntry],
    *,
    force: bool = False,
    overwrite: bool = False,
    verify_all: bool = False,
) -> list[CustomPlan]:
    """Check every path and decide what to do with each; raise UsageError (exit 2) for the first bad one.

    Reads only: nothing is written, not even the data dir.
    """
    plans: list[CustomPlan] = []
    seen: dict[tuple[str, str], CustomPlan] = {}
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.is_dir():
            raise UsageError(f"{raw!r} {'is not a directory' if path.exists() else 'does not exist'}")
        source = from_directory(path)
        check_name_free(source.name, catalog, force)
        key = (source.name, source.version)
        if key in seen:
            if seen[key].source.version_dirs == source.version_dirs:
                continue  # the same dataset named twice (e.g. two of its configs)
            raise UsageError(
                f"{raw} and {seen[key].raw} are both {source.name} {source.version}: add one of them at a time"
            )
        tree = read_tree(source)
        check_metadata(source)
        check_complete(raw, source, verify_all)
        in_place = source.data_dir.resolve() == data_dir.resolve()
        if in_place:
            item = CustomPlan(raw, source, Action.IN_PLACE, tree)
        else:
            item = _compare_installed(raw, source, tree, data_dir, overwrite)
        seen[key] = item
        plans.append(item)
    return plans


def check_name_free(name: str, catalog: Mapping[str, CatalogEntry], force: bool) -> None:
    """A custom dataset must not take a name TFDS or armory already gives a dataset (unless --force)."""
    clashes = []
    if name in registered_names() or name in TFDS_CORE_DATASETS:
        clashes.append("a TFDS-core dataset (the installed tensorflow-datasets registers it)")
    entry = catalog.get(name)
    if entry is not None and entry.category != TFDS_CORE:
        clashes.append(f"a supported armory dataset ({entry.category}, see `python build.py --list`)")
    if not clashes:
        return
    what = " and ".join(clashes)
    if force:
        log.warning("{} is {}; adding it anyway (--force): loading {} by name could give either", name, what, name)
        return
    raise UsageError(
        f"{name} is {what}: a custom dataset of the same name collides with it (loading {name} by name could "
        "give either); "
        "rename your builder and build it again (`tfds build` names the dataset after its class), "
        "pass --force to add it anyway, or pack a real build of it with --pack-only"
    )


def read_tree(source: BuiltDataset) -> Tree:
    """The dataset's directories and files (lstat, never following links); refuses anything else."""
    dirs: set[str] = set()
    files: dict[str, FileState] = {}
    for sub in source.subdirs:
        _walk(source.data_dir, sub, dirs, files)
    return Tree(frozenset(dirs), files)


def _walk(root: Path, relative: str, dirs: set[str], files: dict[str, FileState]) -> None:
    path = root / relative
    try:
        st = path.lstat()
    except OSError as exc:
        raise UsageError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        dirs.add(relative)
        try:
            children = sorted(os.listdir(path))
        except OSError as exc:
            raise UsageError(f"cannot list {str(path)!r}: {exc.strerror}; fix its permissions") from None
        for child in children:
            _walk(root, f"{relative}/{child}", dirs, files)
    elif stat.S_ISREG(st.st_mode):
        files[relative] = FileState.of(st)
    else:
        kind = "a symbolic link" if stat.S_ISLNK(st.st_mode) else "not a regular file or directory"
        raise UsageError(
            f"{str(path)!r} is {kind}: a dataset may hold only regular files and directories "
            "(its tarball can hold nothing else); replace it with the file itself, or remove it"
        )


def check_metadata(source: BuiltDataset) -> None:
    """Each version dir's dataset_info.json names this dataset, version and config, as TFDS reads it back."""
    for config, version_dir in zip(source.configs or (None,), source.version_dirs, strict=True):
        info_path = version_dir / "dataset_info.json"
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UsageError(f"{info_path} cannot be read: {exc}; it is not a complete build") from None
        found = (info.get("name"), info.get("version"), info.get("configName") or None)
        if config is None and found[2] == source.name and found[0] == source.data_dir.name:
            raise UsageError(
                f"{source.dataset_dir} is the config {source.name} of {found[0]}: give {source.data_dir} "
                f"(every config) or one of its <config>/<version> directories"
            )
        if found != (source.name, source.version, config):
            said = ", ".join(f"{k} {v!r}" for k, v in zip(("name", "version", "config"), found, strict=True))
            raise UsageError(
                f"{info_path} says {said}, but it lies in {version_dir}: a renamed or moved build does not load; "
                "build it again under the name you want"
            )


def check_complete(raw: str, source: BuiltDataset, verify_all: bool) -> None:
    """`--pack-only`'s checks, on the source before anything is copied; a failure is bad input (exit 2)."""
    try:
        check_structure(source)
        verify_built(source.data_dir, source.subdirs, all_examples=verify_all)
    except VerificationError as exc:
        message = str(exc).removesuffix("\nrebuild it with --clean")
        raise UsageError(f"{raw} is not a complete, intact build; nothing was added: {message}") from None


def _compare_installed(raw: str, source: BuiltDataset, tree: Tree, data_dir: Path, overwrite: bool) -> CustomPlan:
    """ADD, PRESENT or (with --overwrite) REPLACE; other contents without --overwrite are refused."""
    installed = find_built(data_dir, source.name, source.version)
    installed_subdirs = set(installed.subdirs) if installed else set()
    if not installed_subdirs and (data_dir / source.name / CONFIG_METADATA_DIR).is_dir():
        installed_subdirs.add(f"{source.name}/{CONFIG_METADATA_DIR}")
    # `<name>/.config` serves every version: one the source lacks is kept, not a difference.
    extra = sorted(s for s in installed_subdirs - set(source.subdirs) if not s.endswith(f"/{CONFIG_METADATA_DIR}"))
    differing = extra + [s for s in source.subdirs if s in installed_subdirs and not _same(source, data_dir, s, tree)]
    if not differing:
        present = all(s in installed_subdirs for s in source.subdirs)
        return CustomPlan(raw, source, Action.PRESENT if present else Action.ADD, tree)
    if not overwrite:
        where = ", ".join(str(data_dir / s) for s in differing)
        raise UsageError(
            f"{source.name} {source.version} is already installed with other contents ({where}); "
            f"pass --overwrite to replace it with {raw}"
        )
    return CustomPlan(raw, source, Action.REPLACE, tree, remove=tuple(extra))


def _same(source: BuiltDataset, data_dir: Path, sub: str, tree: Tree) -> bool:
    """True when `data_dir/sub` holds exactly the source's directories and files (sizes, then sha256)."""
    dirs: set[str] = set()
    files: dict[str, FileState] = {}
    try:
        _walk(data_dir, sub, dirs, files)
    except UsageError:  # a link or a FIFO in the installed copy: not the same
        return False
    ours_dirs = {d for d in tree.dirs if d == sub or d.startswith(f"{sub}/")}
    ours = {p: s for p, s in tree.files.items() if p.startswith(f"{sub}/")}
    if dirs != ours_dirs or files.keys() != ours.keys():
        return False
    if any(files[p].size != s.size for p, s in ours.items()):
        return False
    for path, state in ours.items():
        if files[path].inode == state.inode:
            continue  # one file, two names (a hard link made by an earlier --add-custom)
        if file_sha256(source.data_dir / path)[1] != file_sha256(data_dir / path)[1]:
            return False
    return True


# What os.link raises where a file system or its settings refuse hard links; the file is copied instead.
LINK_REFUSED = {errno.EXDEV, errno.EPERM, errno.EACCES, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def add(
    item: CustomPlan,
    data_dir: Path,
    *,
    overwrite: bool = False,
    pack_it: bool = True,
    compresslevel: int = DEFAULT_COMPRESSION_LEVEL,
) -> CustomOutcome:
    """Install one planned dataset into `data_dir` under its lock, then pack it (unless not `pack_it`)."""
    source = item.source
    name, version = source.name, source.version
    with dataset_lock(data_dir, name):
        remove_stale_temp_files(data_dir / tarball_name(name, version))
        remove_leftovers(data_dir, name)
        linked = copied = 0
        if item.action is Action.ADD and any((data_dir / sub).exists() for sub in source.subdirs):
            # Installed by another process since the plan was made: decide again, under the lock.
            item = _compare_installed(item.raw, source, item.tree, data_dir, overwrite)
        if item.action in (Action.ADD, Action.REPLACE):
            linked, copied = _copy_in(item, data_dir)
        installed = find_built(data_dir, name, version)
        if installed is None:  # only another process removing it right now gets here
            raise VerificationError(f"{name} {version} vanished from {data_dir} while it was being added")
        outcome = CustomOutcome(item, installed, linked, copied)
        copied_now = item.action in (Action.ADD, Action.REPLACE)
        if not pack_it:
            if copied_now:
                outcome.notes.extend(_remove_stale_tarball(data_dir, name, version))
            return outcome
        if item.action is Action.PRESENT:
            from dsbuild.build.pipeline import up_to_date_record

            record = up_to_date_record(data_dir, installed)
            if record is not None:
                return CustomOutcome(
                    item,
                    installed,
                    up_to_date=record,
                    tarball=data_dir / record.tarball,
                    checksum_file=data_dir / record.file_name,
                )
        # A tarball packed by someone else records no provenance: what it was built from is not known.
        packed = pack(data_dir, name, version, installed.subdirs, compresslevel=compresslevel)
        return CustomOutcome(
            item, installed, linked, copied, packed, tarball=packed.tarball, checksum_file=packed.checksum_file
        )


def _copy_in(item: CustomPlan, data_dir: Path) -> tuple[int, int]:
    """Copy the source into a temporary directory in the data dir, then rename it into place; (linked, copied)."""
    source = item.source
    staging = temp_sibling(data_dir / source.name)  # `.dsbuild-tmp-<hex>-<name>`: a leftover rule removes it
    linked = copied = 0
    try:
        try:
            staging.mkdir()  # inside the try: a signal right after it still finds the clean-up below
            for directory in sorted(item.tree.dirs):  # a parent sorts before its children
                (staging / directory).mkdir(parents=True, exist_ok=True)
            can_link = True
            for relative in sorted(item.tree.files):
                origin, copy = source.data_dir / relative, staging / relative
                if can_link:
                    try:
                        os.link(origin, copy, follow_symlinks=False)
                        linked += 1
                        continue
                    except OSError as exc:
                        if exc.errno not in LINK_REFUSED:
                            raise
                        # Another file system refuses every link; other refusals may be per file.
                        can_link = exc.errno != errno.EXDEV
                        log.debug("cannot hard-link {} ({}); copying it", origin, exc.strerror)
                shutil.copy2(origin, copy, follow_symlinks=False)
                copied += 1
        except OSError as exc:
            raise _copy_error(exc, f"cannot copy {item.raw} into {str(data_dir)!r}") from None
        _check_unchanged(item, staging)
        _install(staging, data_dir, source.name, source.subdirs, item.remove)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.debug("{} {}: {} file(s) hard-linked, {} copied", source.name, source.version, linked, copied)
    return linked, copied


def _copy_error(exc: OSError, doing: str) -> CopyError:
    if exc.errno == errno.ENOSPC:
        return CopyError(f"{doing}: no space left on the device; free some space")
    where = f" ({exc.filename})" if exc.filename else ""
    return CopyError(f"{doing}: {exc.strerror or exc}{where}")


def _check_unchanged(item: CustomPlan, staging: Path) -> None:
    """The source is still what was verified, and every copy has its size: else nothing is installed."""
    now = read_tree(item.source)
    changed = sorted(
        {p for p in now.files.keys() ^ item.tree.files.keys()}
        | {p for p in now.files.keys() & item.tree.files.keys() if now.files[p] != item.tree.files[p]}
        | {p for p, s in item.tree.files.items() if (staging / p).stat().st_size != s.size}
    )
    if changed or now.dirs != item.tree.dirs:
        first = changed[0] if changed else "its directories"
        raise VerificationError(
            f"{item.raw} changed while it was being added ({first}); nothing was added: add it again once "
            "nothing writes to it"
        )


def _install(staging: Path, data_dir: Path, name: str, put: Sequence[str], remove: Iterable[str]) -> None:
    """Rename the staged `put` subdirs into `data_dir` and move `remove` away: all of it, or none.

    Whatever is replaced is moved into `staging` first (same file system), so clean-up removes it and
    a failure puts it back. A dataset not installed at all goes in with one rename.
    """
    if not (data_dir / name).exists() and not (data_dir / name).is_symlink():
        try:
            os.rename(staging / name, data_dir / name)
        except OSError as exc:
            raise _copy_error(exc, f"cannot install into {str(data_dir)!r}") from None
        return
    steps = [(sub, True) for sub in put] + [(sub, False) for sub in remove]
    created: list[Path] = []  # config dirs made here, removed again on failure
    try:
        for index, (sub, new) in enumerate(steps):
            target = data_dir / sub
            if target.exists() or target.is_symlink():
                os.rename(target, staging / f"old-{index}")
            if new:
                if not target.parent.exists():
                    target.parent.mkdir()
                    created.append(target.parent)
                os.rename(staging / sub, target)
    except BaseException as exc:
        # Undone from what is on disk, not from what was recorded: a signal may land between two steps.
        for index, (sub, new) in reversed(list(enumerate(steps))):
            target, old = data_dir / sub, staging / f"old-{index}"
            if new and target.exists() and not (staging / sub).exists():
                os.rename(target, staging / sub)
            if old.exists():
                os.rename(old, target)
        for directory in reversed(created):
            with contextlib.suppress(OSError):
                directory.rmdir()
        if isinstance(exc, OSError):
            raise _copy_error(exc, f"cannot install into {str(data_dir)!r}") from None
        raise


def _remove_stale_tarball(data_dir: Path, name: str, version: str) -> list[str]:
    """After new contents went in unpacked (--no-pack), a tarball of the old ones must not be published."""
    paths = (data_dir / tarball_name(name, version), data_dir / checksum_file_name(name, version))
    stale = [p for p in paths if p.exists()]
    for path in stale:
        path.unlink()
    if not stale:
        return []
    return [f"removed {', '.join(str(p) for p in stale)}: packed from other contents than are installed now"]


def describe(outcome: CustomOutcome) -> list[str]:
    """What build.py prints about one dataset before its tarball lines."""
    item, installed = outcome.plan, outcome.installed
    head = f"{installed.name} {installed.version}"
    where = str(installed.version_dirs[0] if not installed.configs else installed.dataset_dir)
    if installed.configs:
        where += f" (configs {', '.join(installed.configs)} at {installed.version})"
    counts = [_count(outcome.linked, "hard-linked"), _count(outcome.copied, "copied")]
    how = " and ".join(c for c in counts if c)
    first = {
        Action.ADD: f"{head}: added as {where}: {how} from {item.raw}",
        Action.REPLACE: f"{head}: replaced {where} (--overwrite): {how} from {item.raw}",
        Action.PRESENT: f"{head}: already present as {where}, the same files as {item.raw}",
        Action.IN_PLACE: f"{head}: already in the data dir as {where}; verified",
    }[item.action]
    return [first, *(f"  {note}" for note in outcome.notes)]


def _count(n: int, what: str) -> str:
    return f"{n} file{'s' if n != 1 else ''} {what}" if n else ""


def publish_command(outcome: CustomOutcome, data_dir: Path, output_option: str | None) -> str:
    """The upload.py command that publishes it: by name (NAME:VERSION if other versions are packed too).

    `output_option` is kept for callers; the command repeats this run's -o itself."""
    installed = outcome.installed
    if outcome.tarball is None:  # --no-pack: upload.py packs a built directory itself (all its configs)
        target = str(installed.version_dirs[0])
    else:
        packed = [m for p in data_dir.iterdir() if (m := TARBALL_NAME_RE.match(p.name))]
        others = [m for m in packed if m["name"] == installed.name and m["version"] != installed.version]
        target = f"{installed.name}:{installed.version}" if others else installed.name
    return hint("upload.py", target)  # with this run's -o
