"""No credential value in any message at any verbosity: upload.py, download.py and build.py --check s3://...

The credentials come from boto3's own variables (as in a CI job with temporary credentials); a session
token ending in a carriage return made botocore quote it in "Invalid header value b'...\\r'".
"""

from __future__ import annotations

import os

import pytest

from tests.helpers import run_script
from tests.s3_server import ADMIN_ID, ADMIN_SECRET

TOKEN = "MY-SESSION-TOKEN-abc123\r"


def secret_parts() -> list[str]:
    return [ADMIN_ID, ADMIN_SECRET, TOKEN.strip(), "MY-SESSION-TOKEN"]


@pytest.mark.integration
def test_a_session_token_with_a_control_character_is_never_shown(tmp_path, s3_server, s3_bucket, aws_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARMORY_PRIVATE_")}
    env.update(
        ARMORY_PRIVATE_S3_ID="",
        ARMORY_PRIVATE_S3_KEY="",
        AWS_ACCESS_KEY_ID=ADMIN_ID,
        AWS_SECRET_ACCESS_KEY=ADMIN_SECRET,
        AWS_SESSION_TOKEN=TOKEN,
        AWS_ENDPOINT_URL=s3_server.endpoint,
    )
    data_dir = tmp_path / "data"
    upload_argv = ["-o", str(data_dir), "-b", s3_bucket, "--no-progress", "toy-1.0.0.tar.gz"]
    download_argv = ["-o", str(data_dir), "-b", s3_bucket, "--no-progress", "toy"]
    check_argv = ["-o", str(data_dir), "--check", f"s3://{s3_bucket}/datasets/toy-1.0.0.json"]
    commands = [  # build.py (it loads TensorFlow) at the most talkative verbosity only
        *[
            (script, [*argv, "-v", v])
            for script, argv in [("upload.py", upload_argv), ("download.py", download_argv)]
            for v in ("info", "debug")
        ],
        ("build.py", [*check_argv, "-v", "debug"]),
    ]
    (tmp_path / "toy-1.0.0.tar.gz").write_bytes(b"")  # never read: the credentials are refused first
    for script, argv in commands:
        argv = [str(tmp_path / a) if a.endswith(".tar.gz") else a for a in argv]
        result = run_script(script, *argv, env=env, timeout=300)
        assert result.returncode != 0, (script, result.stderr)
        assert "AWS_SESSION_TOKEN holds a space, a control or a non-ASCII character" in result.stderr, (
            script,
            result.stderr,
        )
        logs = [p.read_text(errors="replace") for p in data_dir.rglob("*.log")] if data_dir.exists() else []
        for text in (result.stdout, result.stderr, *logs):
            for secret in secret_parts():
                assert secret not in text, (script, secret, text[-2000:])


def test_botocore_error_text_is_redacted_in_the_log(capfd, monkeypatch, aws_env):
    """Whatever a library puts in an exception, the log sink cuts every registered credential."""
    from dsbuild.log import configure, log
    from dsbuild.remote import s3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ADMIN_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ADMIN_SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "PRINTABLE-SESSION-TOKEN-xyz")
    s3.make_client("http://127.0.0.1:9")  # registers the chain's values
    configure("debug")
    try:
        raise ValueError(f"Invalid header value b'PRINTABLE-SESSION-TOKEN-xyz' with {ADMIN_SECRET}")
    except ValueError as exc:
        log.opt(exception=exc).error("error: {}", exc)
    err = capfd.readouterr().err
    assert "Invalid header value b'<redacted>'" in err
    for secret in ("PRINTABLE-SESSION-TOKEN-xyz", ADMIN_SECRET):
        assert secret not in err


def test_a_bugs_traceback_is_redacted_too(capsys):
    import sys

    from dsbuild.log import add_secret, configure

    add_secret("BUG-PATH-SECRET-0123")
    configure("info")
    try:
        raise RuntimeError("unexpected: BUG-PATH-SECRET-0123")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    err = capsys.readouterr().err
    assert "RuntimeError: unexpected: <redacted>" in err and "BUG-PATH-SECRET-0123" not in err
