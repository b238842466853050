"""Beam runs isolated in a fresh network namespace, for the Beam tests and benchmarks.

Beam's FnApiRunner and worker pool serve gRPC on every interface (`[::]:0`; worker_pool_main has no
bind flag), so every Beam run here happens in a namespace made with `unshare -rn` that has only a
loopback interface: nothing Beam opens is reachable from outside this machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NETNS = ["unshare", "--user", "--map-root-user", "--net", "--"]
# Brings up the namespace's loopback, then runs "$@".
LOOPBACK_UP = ["sh", "-c", 'ip link set lo up && exec "$@"', "sh"]


def netns_available() -> bool:
    """Whether this machine lets an unprivileged user make a network namespace with a loopback."""
    try:
        return subprocess.run([*NETNS, *LOOPBACK_UP, "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without PYTHONPATH (workers must not need one from the user), venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env.update(extra)
    return env
