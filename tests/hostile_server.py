"""A fake CleverTap of the tests' own that misbehaves at the byte level: a raw-socket server on
127.0.0.1 (port 0), plain or TLS, answering each request with the next scripted `Reply`.

httpx's MockTransport cannot trickle, reset, lie about Content-Length or hold a body open: this
server writes the bytes itself, one thread per connection, and closes each connection after its
answer (so every request of cttui arrives on a new one, in order).
"""

from __future__ import annotations

import datetime
import gzip
import socket
import ssl
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# How a reply is written. "answer": headers and body at once; "slow-headers": the status line,
# then a header byte a second, never finishing; "trickle": the body a byte a second, for ever;
# "endless": 64 KiB blocks of `[` that do not end; "truncate": the headers promise more
# body than is sent, then the connection closes; "reset": the request is read, then the
# connection is reset; "silent": nothing is sent and the connection stays open.
Mode = Literal["answer", "slow-headers", "trickle", "endless", "truncate", "reset", "silent"]

_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    307: "Temporary Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    mode: Mode = "answer"
    # Sent as Content-Length instead of the body's real length (None: the real one).
    content_length: int | None = None


def json_reply(text: str, status: int = 200) -> Reply:
    return Reply(status, text.encode(), (("Content-Type", "application/json"),))


def gzip_bomb(decoded_bytes: int) -> Reply:
    """A 200 whose gzip body inflates to `decoded_bytes` of JSON-looking spaces: small on the
    wire, huge once decoded."""
    body = gzip.compress(b'{"status": "success", "count": 1' + b" " * decoded_bytes + b"}", 9)
    return Reply(200, body, (("Content-Type", "application/json"), ("Content-Encoding", "gzip")))


@dataclass(frozen=True)
class Received:
    method: str
    target: str
    raw: bytes


@dataclass
class HostileServer:
    """Serves `replies` in order, the last one for every request after them."""

    replies: Sequence[Reply]
    certificate: tuple[Path, Path] | None = None
    received: list[Received] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._tls: ssl.SSLContext | None = None
        if self.certificate is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*self.certificate)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:
            if self._tls is not None:
                connection.settimeout(10)
                connection = self._tls.wrap_socket(connection, server_side=True)
            connection.settimeout(30)
            request = _read_request(connection)
            if request is None:
                return
            with self._lock:
                self.received.append(request)
                reply = self.replies[min(len(self.received), len(self.replies)) - 1]
            self._write(connection, reply)
        except (OSError, ssl.SSLError):
            pass  # the client gave up or refused us: that is its right
        finally:
            connection.close()

    def _write(self, connection: socket.socket, reply: Reply) -> None:
        length = len(reply.body) if reply.content_length is None else reply.content_length
        head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Whatever')}"]
        head += [f"{name}: {value}" for name, value in reply.headers]
        if reply.mode not in ("endless", "trickle"):
            head.append(f"Content-Length: {length}")
        head.append("Connection: close")
        header_bytes = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        if reply.mode == "reset":
            # Linger on, for 0 s: close() then sends a RST instead of a FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if reply.mode == "silent":
            self._stop.wait(60)
            return
        if reply.mode == "slow-headers":
            connection.sendall(header_bytes[:17])
            for byte in b"X-Slow: " + b"a" * 600:
                if self._stop.wait(1):
                    return
                connection.sendall(bytes([byte]))
            return
        connection.sendall(header_bytes)
        if reply.mode == "trickle":
            for byte in b'{"status": "success", "count": 1' + b" " * 600:
                if self._stop.wait(1):
                    return
                connection.sendall(bytes([byte]))
        elif reply.mode == "endless":
            # 64 MiB, then silence: endless to the client, yet bounded for the machine if the
            # client under test keeps it all.
            for _ in range(1024):
                if self._stop.is_set():
                    return
                connection.sendall(b"[" * 65536)
            self._stop.wait(60)
        elif reply.mode == "truncate":
            connection.sendall(reply.body[: len(reply.body) // 2])
        else:
            connection.sendall(reply.body)


def _read_request(connection: socket.socket) -> Received | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(
        (
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        ),
        0,
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    method, target, *_ = lines[0].split(" ")
    return Received(method, target, data)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no one trusts, and its key, as PEM files in `folder`."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file
