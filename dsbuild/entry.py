"""What every entry script does around its work: logging, signals, exit codes."""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType

from dsbuild.errors import EXIT_SIGINT, EXIT_SIGTERM, DsbuildError, Terminated
from dsbuild.log import configure, log
from dsbuild.media_tools import ensure_on_path
from dsbuild.options import forget_run, remember_run


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def run_command(work: Callable[[], int], verbosity: str, args: object = None) -> int:
    """Run `work` and turn the known ways it can fail into an exit code.

    DsbuildError: its message, exit 1 or 2. Ctrl-C: 130. SIGTERM: 143 (clean-up
    runs, as for Ctrl-C, because the handler raises). Other exceptions are bugs
    and keep their traceback.
    """
    configure(verbosity)
    if args is not None:
        remember_run(args)  # the hints printed during this run repeat its -o, bucket, endpoint, config
    # TFDS decodes audio and video with ffmpeg/ffprobe found by name, here (--card, --verify-all, the load
    # check) as in the tfds child: the system's, else the pinned wheel's.
    ensure_on_path()
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return work()
    except DsbuildError as exc:
        if verbosity in ("trace", "debug"):
            log.opt(exception=exc).error("error: {}", exc)
        else:
            log.error("error: {}", exc)
        return exc.exit_code
    except KeyboardInterrupt:
        log.error("interrupted (Ctrl-C); nothing was left half-written")
        return EXIT_SIGINT
    except Terminated:
        log.error("terminated (SIGTERM); nothing was left half-written")
        return EXIT_SIGTERM
    finally:
        signal.signal(signal.SIGTERM, previous)
        forget_run()
