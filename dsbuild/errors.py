"""The errors dsbuild raises on purpose.

Every message says what went wrong and what to do next. The entry scripts turn
a `DsbuildError` into its message and `exit_code`; anything else is a bug and
gets a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


class DsbuildError(Exception):
    """Base of all expected failures: a failure while doing the work (exit 1)."""

    exit_code = EXIT_FAILURE


class UsageError(DsbuildError):
    """Bad usage or bad input found before any work was started (exit 2)."""

    exit_code = EXIT_USAGE


class UnknownDatasetError(UsageError):
    """A dataset name that is not in the catalog."""


class InvalidNameError(UsageError):
    """A dataset name or version that is not a plain identifier."""


class BuilderCheckError(UsageError):
    """A builder source that breaks the naming or layout rules.

    Carries every problem found, so the user can fix them all in one go.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"the builder source has {len(self.problems)} problem(s):\n{lines}")


class CatalogError(UsageError):
    """The builder folders in datasets/ and adversarial/ contradict each other."""


class OutputDirError(UsageError):
    """The data directory cannot be created or written."""


class NotBuiltError(UsageError):
    """Something to pack that has not been built."""


class AmbiguousConfigError(UsageError):
    """A dataset is installed with several builder configs and nothing says which one to open."""


class NotInstalledError(DsbuildError):
    """A dataset to load is not in the data dir and could not be fetched (or fetching was not allowed)."""


class BuildInProgressError(DsbuildError):
    """Another dsbuild process holds the lock for this dataset."""


class BuildFailedError(DsbuildError):
    """`tfds build` exited non-zero or could not be started."""

    def __init__(self, message: str, log_path: str | None = None, tail: str = "") -> None:
        self.log_path = log_path
        self.tail = tail
        super().__init__(message)


class BuildTimeoutError(DsbuildError):
    """--timeout passed: the `tfds build` child was stopped (exit 124, as timeout(1))."""

    exit_code = EXIT_TIMEOUT


class BuildCancelledError(DsbuildError):
    """A build stopped because the user interrupted a parallel run."""


class VerificationError(DsbuildError):
    """A built dataset is incomplete, inconsistent or does not load."""


class PackError(DsbuildError):
    """The tarball could not be written."""


class WriteError(DsbuildError):
    """A file of ours could not be written (disk full, no permission, a directory in its place); nothing half-written."""


class ChecksumError(DsbuildError):
    """A file does not match its checksum file, or a checksum file is malformed."""


class UnsafeArchiveError(DsbuildError):
    """A tarball holds a member that must not be extracted."""


class ExtractError(DsbuildError):
    """A tarball could not be extracted for a reason outside it (disk full, permissions)."""


class Terminated(BaseException):
    """Raised by the SIGTERM handler so clean-up runs as for Ctrl-C."""


class RemoteError(DsbuildError):
    """The S3 server refused or failed a request (exit 1)."""


class RemoteAccessError(RemoteError):
    """Missing, wrong or insufficient S3 credentials."""


class RemoteNotFoundError(RemoteError):
    """A bucket or object that does not exist on the S3 server."""


class NoSuchBucketError(RemoteNotFoundError):
    """The bucket itself does not exist (so no object in it can be looked up): bad input, exit 2."""

    exit_code = EXIT_USAGE


class RemoteConflictError(RemoteError):
    """A remote object differs from the local one and --force was not given."""
