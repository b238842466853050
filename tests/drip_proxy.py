"""A loopback HTTP proxy in front of the test S3 server that drips chosen response bodies.

Every request is forwarded as it came (Host header included, so SigV4 signatures still verify);
the body of a GET whose path ends with `drip_suffix` is sent one byte every `interval` seconds,
as a slow-drip server would. Bound to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class DripProxy:
    def __init__(self, upstream: str, drip_suffix: str = ".tar.gz", interval: float = 0.1) -> None:
        target = urlsplit(upstream)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _forward(self) -> None:
                # The client giving up on the drip is what the tests want.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._relay()

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream_conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                response = upstream_conn.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(key, value)
                length_header = response.getheader("Content-Length")
                self.send_header("Content-Length", length_header if self.command == "HEAD" else str(len(data)))
                self.end_headers()
                upstream_conn.close()
                if self.command == "HEAD":
                    return
                drip = self.command == "GET" and urlsplit(self.path).path.endswith(proxy.drip_suffix)
                if not drip:
                    self.wfile.write(data)
                    return
                proxy.dripped.set()
                for i in range(len(data)):
                    if proxy.closing.is_set():
                        return
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(proxy.interval)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward  # noqa: N815 - http.server names

        self.drip_suffix = drip_suffix
        self.interval = interval
        self.dripped = threading.Event()
        self.closing = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> DripProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing.set()
        self.server.shutdown()
        self.server.server_close()
