"""The command line of every builder folder's `dummy_data/make.py`.

    python dummy_data/make.py                          # (re)write the committed dummy tree beside make.py
    python dummy_data/make.py --source-archives OUTDIR # write the source files in their real download form

A make.py states its folder-specific data and calls `main` in a line or two.
"""

from __future__ import annotations

import argparse
import ast
import pathlib
from collections.abc import Callable, Mapping, Sequence

from dsbuild import media_tools
from dsbuild.testing import archive

Sources = Mapping[str, archive.Files | bytes]  # source file name -> archive members, or a plain file's content


def parse_outdir(doc: str | None) -> pathlib.Path | None:
    """The `--source-archives OUTDIR` argument, or None for "write the dummy tree"."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--source-archives",
        type=pathlib.Path,
        metavar="OUTDIR",
        help="write the source files, in their real download form and under their checksums.tsv names, into OUTDIR",
    )
    return parser.parse_args().source_archives


def write_sources(outdir: pathlib.Path, sources: Sources) -> None:
    """Write every source file into `outdir` and print its path (the caller's proof that something was written)."""
    for name, content in sources.items():
        path = outdir / name
        archive.write_source(path, content)
        print(path)


def default_tree(here: pathlib.Path, sources: Sources) -> None:
    """Each archive extracted as `here/<archive stem>/` (replacing that folder); a plain file as `here/<name>`."""
    for name, content in sources.items():
        if isinstance(content, bytes):
            archive.write_tree(here, {name: content})
        else:
            folder = here / archive.extracted_name(name)
            archive.write_tree(folder, content, clear=[folder])


def main(
    doc: str | None,
    here: pathlib.Path,
    sources: Callable[[], Sources],
    *,
    dummy: Callable[[], archive.Files] | None = None,
    clear: Sequence[str] = (),
) -> None:
    """Run a make.py: `--source-archives OUTDIR` writes `sources()` into OUTDIR; no arguments writes the dummy tree.

    The dummy tree is, by default, every source extracted beside make.py (`default_tree`). A folder whose
    committed tree differs (other layout or less content) passes `dummy()`: files relative to `here`,
    written after the folders `clear` (relative to `here`) are removed.
    """
    outdir = parse_outdir(doc)
    # FLAC and AVI sources are encoded by ffmpeg: the system's, else the pinned wheel's (a fresh machine has none).
    media_tools.ensure_on_path()
    if outdir is not None:
        write_sources(outdir, sources())
    elif dummy is None:
        default_tree(here, sources())
    else:
        archive.write_tree(here, dummy(), clear=[here / c for c in clear])


def builder_literal(here: pathlib.Path, name: str) -> object:
    """The literal value assigned to `name` at the top of the folder's builder module, read without importing it
    (so make.py states no fact twice and stays fast). `here` is the dummy_data folder."""
    module = here.parent / f"{here.parent.name}.py"
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
            return ast.literal_eval(node.value)
    raise LookupError(f"{module}: no top-level literal assignment to {name}")
