"""A minimal SOCKS5 CONNECT with remote name resolution (RFC 1928/1929), enough for the lab to
check that an onion answers through the client tor without any third-party library."""

from __future__ import annotations

import socket
import struct

from monitor.errors import TransportError

# RFC 1928 replies, plus tor's extended ones (prop 304) for onion services
REPLIES = {
    1: "general failure", 2: "not allowed by ruleset", 3: "network unreachable",
    4: "host unreachable", 5: "connection refused", 6: "TTL expired",
    7: "command not supported", 8: "address type not supported",
    0xF0: "onion service descriptor not found", 0xF1: "onion service descriptor invalid",
    0xF2: "onion service introduction failed", 0xF3: "onion service rendezvous failed",
    0xF4: "onion service missing client authorization",
    0xF5: "onion service wrong client authorization", 0xF6: "onion address invalid",
    0xF7: "onion service introduction timed out",
}


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise TransportError("SOCKS proxy closed the connection")
        data += chunk
    return data


def socks5_connect(proxy_port: int, host: str, port: int, *, timeout: float = 60.0,
                   proxy_host: str = "127.0.0.1", username: str | None = None,
                   password: str | None = None) -> socket.socket:
    """A socket connected to `host:port` through the SOCKS5 proxy; `host` is resolved by the
    proxy (tor), never here. Raises TransportError with the proxy's reason."""
    try:
        sock = socket.create_connection((proxy_host, proxy_port), timeout=timeout)
    except OSError as e:
        raise TransportError(f"SOCKS proxy {proxy_host}:{proxy_port} refused: {e}") from e
    try:
        auth = username is not None
        sock.sendall(b"\x05\x01" + (b"\x02" if auth else b"\x00"))
        _, method = _recv(sock, 2)
        if auth and method == 2:
            user, pw = username.encode(), (password or "").encode()
            sock.sendall(bytes([1, len(user)]) + user + bytes([len(pw)]) + pw)
            if _recv(sock, 2)[1] != 0:
                raise TransportError("SOCKS proxy rejected the username/password")
        elif method != 0:
            raise TransportError(f"SOCKS proxy offered no usable method ({method})")
        name = host.encode("idna")
        sock.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", port))
        _, rep, _, atyp = _recv(sock, 4)
        _recv(sock, {1: 4, 4: 16}.get(atyp) or _recv(sock, 1)[0])
        _recv(sock, 2)
        if rep != 0:
            raise TransportError(f"SOCKS CONNECT to {host}:{port} failed: "
                                 f"{REPLIES.get(rep, f'reply {rep}')}")
    except OSError as e:
        sock.close()
        raise TransportError(f"SOCKS CONNECT to {host}:{port} failed: {e}") from e
    except TransportError:
        sock.close()
        raise
    return sock


def http_get_via_socks(proxy_port: int, host: str, port: int = 80, path: str = "/", *,
                       timeout: float = 60.0, username: str | None = None,
                       password: str | None = None) -> bytes:
    """The raw HTTP/1.0 response (status line, headers, body) to GET `path` on `host:port`
    through the SOCKS5 proxy: the lab's smallest end-to-end check. Raises TransportError."""
    with socks5_connect(proxy_port, host, port, timeout=timeout, username=username,
                        password=password) as sock:
        try:
            sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError as e:
            raise TransportError(f"GET http://{host}:{port}{path} through SOCKS failed: {e}") from e
    return b"".join(chunks)
