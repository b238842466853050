"""A TCP proxy on 127.0.0.1 that counts the bytes a server sends and can cut every connection at a byte count,
like a network that fails mid-download and stays down until `restore()`; it can also stall either direction
(a server that stops sending, or one that stops reading what a client uploads)."""

from __future__ import annotations

import contextlib
import socket
import threading


class CutProxy:
    """Forwards 127.0.0.1:<port> to `upstream` (host, port); `sent` counts the bytes forwarded to clients."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.sent = 0
        self.cut_at: int | None = None  # drop every connection once `sent` reaches this; refuse new ones
        self.down = False
        self.stall_at: int | None = None  # hold every connection open, sending nothing, from this count on
        self.received = 0  # bytes forwarded from clients to the server
        self.read_stall_at: int | None = None  # stop reading from clients once `received` reaches this
        self._flowing = threading.Event()
        self._flowing.set()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def cut_after(self, count: int) -> None:
        """Cut the network once `count` more bytes were sent."""
        with self._lock:
            self.cut_at = self.sent + count

    def stall_after(self, count: int) -> None:
        """Stop sending (connections stay open, like a stalled server) once `count` more bytes were sent."""
        with self._lock:
            self.stall_at = self.sent + count
            self._flowing.clear()

    def stall_reading_after(self, count: int) -> None:
        """Stop reading what clients send (an upload then fills the socket buffers and blocks) once `count`
        more bytes were forwarded to the server."""
        with self._lock:
            self.read_stall_at = self.received + count
            self._flowing.clear()

    def restore(self) -> None:
        with self._lock:
            self.cut_at, self.down, self.stall_at, self.read_stall_at = None, False, None, None
            self._flowing.set()

    def close(self) -> None:
        self._listener.close()
        self._drop_all()

    def _drop_all(self) -> None:
        for sock in list(self._open):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            self._open |= {client, server}
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, dest: socket.socket, counted: bool) -> None:
        try:
            while data := source.recv(65536):
                if counted:
                    with self._lock:
                        if self.cut_at is not None:
                            data = data[: max(0, self.cut_at - self.sent)]
                        held = b""
                        if self.stall_at is not None:
                            data, held = (
                                data[: max(0, self.stall_at - self.sent)],
                                data[max(0, self.stall_at - self.sent) :],
                            )
                        self.sent += len(data)
                        cut = self.cut_at is not None and self.sent >= self.cut_at
                    if data:
                        dest.sendall(data)
                    if held:
                        self._flowing.wait()
                        with self._lock:
                            self.sent += len(held)
                        dest.sendall(held)
                    if cut:
                        self.down = True
                        self._drop_all()
                        return
                else:
                    with self._lock:
                        self.received += len(data)
                        stalled = self.read_stall_at is not None and self.received >= self.read_stall_at
                    dest.sendall(data)
                    if stalled:
                        self._flowing.wait()  # reads nothing more until restore()
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
