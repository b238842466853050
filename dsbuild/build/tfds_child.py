"""The `tfds build` child process: TFDS's own command line, then the load check, in one process.

TensorFlow takes seconds to import. `tfds build` imports it anyway, so checking
that the result loads here, before the process exits, spares the parent from
importing it at all.

    python -m dsbuild.build.tfds_child --verify '{"data_dir": ..., "name": ..., "version": ...,
        "all_examples": false, "result": FILE}' -- build TARGET --data_dir DIR ...

Examples are serialized deterministically (dsbuild.build.determinism) unless the
request says `"deterministic": false` (only the benchmark does, to measure it).

Exit code: tfds's own; or VERIFY_FAILED after a successful build that does not
verify, or dsbuild.build.beam.BEAM_REFUSED for Beam options (`"beam_flags"` in the
request) given to a builder that cannot use them, with the reason written to
the result file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

VERIFY_FAILED = 86


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "--verify" or argv[2] != "--":
        print("usage: python -m dsbuild.build.tfds_child --verify JSON -- TFDS_ARGS...", file=sys.stderr)
        return 2
    request = json.loads(argv[1])
    sys.argv = ["tfds", *argv[3:]]
    from tensorflow_datasets.scripts.cli import main as tfds_cli

    if request.get("deterministic", True):
        from dsbuild.build import determinism

        try:
            determinism.apply()
        except determinism.PatchPointMovedError as exc:
            Path(request["result"]).write_text(str(exc), encoding="utf-8")
            return VERIFY_FAILED
    if request.get("generate_as_module"):
        # An older supported version: TFDS generates only VERSION, so it becomes VERSION in this process.
        from dsbuild.build.older_version import builder_class, generate_as

        as_version = generate_as(builder_class(request["generate_as_module"], request["name"]), request["version"])
        as_version.__enter__()  # held by this frame until the process ends (a dropped one restores VERSION)
    if request.get("beam_flags"):
        from dsbuild.build.beam import install_child_hook

        install_child_hook(request["beam_flags"], Path(request["result"]))

    try:
        tfds_cli.launch_cli()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        if code:
            return code
    return verify(request)


def verify(request: dict) -> int:
    from dsbuild.artifact.built_dataset import check_loads, check_structure, find_built
    from dsbuild.errors import DsbuildError, VerificationError

    data_dir = Path(request["data_dir"])
    try:
        built = find_built(data_dir, request["name"], request["version"])
        if built is None:
            raise VerificationError(
                f"`tfds build` succeeded but left no {request['name']} {request['version']} in {data_dir}: "
                "does the builder's VERSION match?"
            )
        check_structure(built)
        check_loads(data_dir, built.subdirs, all_examples=request["all_examples"])
    except DsbuildError as exc:
        Path(request["result"]).write_text(str(exc), encoding="utf-8")
        return VERIFY_FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
