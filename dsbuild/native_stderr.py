"""TensorFlow's native start-up lines (absl, oneDNN, CUDA), kept off the console.

TensorFlow's C++ code writes to file descriptor 2 directly, whatever
TF_CPP_MIN_LOG_LEVEL says for the lines it prints before absl is initialised.
Around code that imports or runs TensorFlow in our own process, fd 2 goes to a
temporary file while Python's `sys.stderr` keeps writing to the terminal, so
our own messages still show; the captured lines are logged at debug level.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dsbuild.log import log, verbose

# fd 2 is one per process: one capture at a time (build.py -j N runs checks in threads).
_LOCK = threading.RLock()
_depth = 0


@contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send what native code writes to fd 2 to the debug log for the duration (no-op at -v debug)."""
    global _depth
    if verbose():
        yield
        return
    with _LOCK:
        if _depth:
            _depth += 1
            try:
                yield
            finally:
                _depth -= 1
            return
        _depth = 1
        sys.stderr.flush()
        saved = os.dup(2)
        original = sys.stderr
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding="utf-8", errors="replace")
            try:
                yield
            finally:
                sys.stderr.close()
                sys.stderr = original
                os.dup2(saved, 2)
                os.close(saved)
                _depth = 0
                sink.seek(0)
                for line in sink.read().decode("utf-8", "replace").splitlines():
                    log.debug("tensorflow: {}", line)
