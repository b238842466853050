"""Several datasets in one command: each one's failure is reported and the others still run.

The workflows catch a dataset's `DsbuildError`, log it once and record it in the
dataset's result; the entry script ends with `summary_lines` (when there were several) and
`exit_code`: 0 when all succeeded, else the worst failure's code.
"""

from __future__ import annotations

from collections.abc import Sequence

from dsbuild.errors import EXIT_OK, DsbuildError


def summary_lines(rows: Sequence[tuple[str, DsbuildError | None, float]]) -> list[str]:
    """The table build.py -j prints: one line per dataset, ok or failed, and its seconds."""
    failed = sum(1 for _, error, _ in rows if error is not None)
    lines = [f"\nsummary ({len(rows) - failed} of {len(rows)} succeeded):"]
    lines += [f"  {name:<40} {'failed' if error else 'ok':<7} {seconds:8.1f} s" for name, error, seconds in rows]
    return lines


def exit_code(errors: Sequence[DsbuildError | None]) -> int:
    codes = [e.exit_code for e in errors if e is not None]
    return max(codes) if codes else EXIT_OK
