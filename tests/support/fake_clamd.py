"""A clamd stand-in speaking the INSTREAM protocol on loopback, for tests.

The real clamd needs virus signatures downloaded from the internet, which this machine
cannot reach; the protocol is what our client must get right. It reports the EICAR
test string as found, as clamd does.
"""

from __future__ import annotations

import socket
import struct
import threading

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


class FakeClamd:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.scanned: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stop = False

    @property
    def address(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop = True
        self.sock.close()

    def _recv_exact(self, conn, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = conn.recv(n - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    command = b""
                    while not command.endswith(b"\0"):
                        command += self._recv_exact(conn, 1)
                    assert command == b"zINSTREAM\0"
                    content = b""
                    while True:
                        (length,) = struct.unpack("!L", self._recv_exact(conn, 4))
                        if length == 0:
                            break
                        content += self._recv_exact(conn, length)
                    self.scanned.append(content)
                    reply = b"stream: Eicar-Test-Signature FOUND\0" if EICAR in content else b"stream: OK\0"
                    conn.sendall(reply)
                except (ConnectionError, AssertionError, struct.error):
                    continue
