"""What upload.py makes of provenance: a byte-identical rebuild is up to date; a conflict says what changed.

A rebuild that reproduces the published tarball has the same sha256, but its
checksum file may differ in provenance details that do not change the bytes
(e.g. the command line). Such a checksum file is not uploaded again: the
published one already describes these bytes. When the published tarball
differs, the conflict message lists both provenances side by side, so the user
can tell whether --force is right (another builder source, other sources, other
tool versions).
"""

from __future__ import annotations

from dsbuild.artifact.checksums import ChecksumRecord, parse_json
from dsbuild.artifact.provenance import side_by_side
from dsbuild.errors import ChecksumError, RemoteConflictError, RemoteError
from dsbuild.remote import s3, s3_transfer


def published_record(client: s3.Client, bucket: str, key: str) -> ChecksumRecord | None:
    """The published checksum file's record, or None if there is none or it cannot be read."""
    try:
        data = s3_transfer.read_small_object(client, bucket, key)
        source = f"checksum file {s3.s3_url(bucket, key)}"
        return ChecksumRecord.from_json(parse_json(data, source), source=source)  # bounded: nesting, digits
    except (RemoteError, ChecksumError):
        return None


def describes_same_tarball(local: ChecksumRecord, remote: ChecksumRecord | None) -> bool:
    """True if the published checksum file announces exactly the tarball `local` describes."""
    return remote is not None and (remote.sha256, remote.size, remote.subdirs, remote.url) == (
        local.sha256,
        local.size,
        local.subdirs,
        local.url,
    )


def conflict_with_provenance(
    exc: RemoteConflictError, local: ChecksumRecord, remote: ChecksumRecord | None
) -> RemoteConflictError:
    """`exc` with both provenances side by side."""
    table = side_by_side(local.provenance, remote.provenance if remote else None)
    return RemoteConflictError(f"{exc}\nwhat differs between the local and the published build:\n{table}")
