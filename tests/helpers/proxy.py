"""A loopback TCP proxy that can be frozen and thawed: a network stall between a worker and the
coordinator, made on demand (threads and plain sockets)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading

CHUNK = 1 << 16
# A message starts right after the previous one's body, which need not end in a line break.
REQUEST_LINE = re.compile(rb"(GET|POST|PUT|DELETE|PATCH) (/\S*) HTTP/1\.1\r\n")
STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")


class StallingProxy:
    """Forwards every connection made to `port` on 127.0.0.1 to `target_port`, both ways.

    `freeze()` stops every byte in both directions and returns once no chunk is being written:
    from then on the coordinator sees nothing more of the worker, and the worker nothing of the
    coordinator, until `thaw()`; bytes read meanwhile are held, in order, and delivered then
    (a stall, not a drop). Connections opened while frozen are accepted and held the same way.
    `exchanges()` reads back what went through: each request line with the status answered.
    Thread-safe; `close()` ends it all.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._gate = threading.Condition()
        self._frozen = False
        self._writing = 0  # chunks being written right now
        self._held = 0  # bytes read and waiting for a thaw
        self._closed = False
        self._sockets: list[socket.socket] = []
        # Per connection: the bytes delivered to the coordinator, and to the worker.
        self._streams: list[tuple[bytearray, bytearray]] = []
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def freeze(self) -> None:
        with self._gate:
            self._frozen = True
            self._gate.wait_for(lambda: self._writing == 0)

    def thaw(self) -> None:
        with self._gate:
            self._frozen = False
            self._gate.notify_all()

    def held(self) -> int:
        """Bytes read from either side and waiting for a thaw."""
        with self._gate:
            return self._held

    def exchanges(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request answered so far, connection by connection in
        the order they opened (HTTP/1.1: a connection's answers come in its requests' order)."""
        with self._gate:
            streams = [(bytes(up), bytes(down)) for up, down in self._streams]
        answered = []
        for up, down in streams:
            requests = REQUEST_LINE.findall(up)
            statuses = STATUS_LINE.findall(down)
            for (method, path), status in zip(requests, statuses, strict=False):
                answered.append((method.decode(), path.decode(), int(status)))
        return answered

    def close(self) -> None:
        with self._gate:
            self._closed = True
            self._frozen = False
            self._gate.notify_all()
            sockets, self._sockets = self._sockets, []
        with contextlib.suppress(OSError):
            self._listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the coordinator is down: the worker sees a closed connection
                client.close()
                continue
            with self._gate:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._sockets += [client, upstream]
                up, down = bytearray(), bytearray()
                self._streams.append((up, down))
            for source, sink, record in ((client, upstream, up), (upstream, client, down)):
                threading.Thread(
                    target=self._pump, args=(source, sink, record), name="proxy-pump", daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, record: bytearray) -> None:
        """Copy source to sink chunk by chunk, each chunk through the gate; an end or an error
        on either side closes the other side's writing half."""
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                delivered = b""
                with self._gate:
                    self._held += len(data)
                    self._gate.wait_for(lambda: not self._frozen)
                    self._held -= len(data)
                    if self._closed:
                        return
                    self._writing += 1
                try:
                    sink.sendall(data)
                    delivered = data
                finally:
                    with self._gate:
                        self._writing -= 1
                        record += delivered
                        self._gate.notify_all()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)
