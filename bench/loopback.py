"""What the benchmarks need to talk to their own servers on loopback: a free port, waiting for a
server to listen, and reading one HTTP/1.1 response off a keep-alive connection."""

from __future__ import annotations

import asyncio
import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    """Block until something accepts connections on 127.0.0.1:`port` (a server just started)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s") from None
            time.sleep(0.2)


async def read_response(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    """The status code and body of the next response (Content-Length framing, as daphne sends)."""
    status = (await reader.readline()).split()[1].decode()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        key, _, value = line.decode().partition(":")
        if key.lower() == "content-length":
            length = int(value)
    return status, (await reader.readexactly(length) if length else b"")


async def http_rate(port: int, path: str, *, headers: str = "", seconds: float = 4.0,
                    conns: int = 16) -> tuple[float, dict[str, int]]:
    """Keep-alive HTTP/1.1 GETs from `conns` connections for `seconds`: completed requests per second,
    and how many answers had each status. `headers` are extra header lines, each ending in CRLF."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n".encode()
    count, statuses = 0, {}
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < stop:
                writer.write(request)
                status, _ = await read_response(reader)
                statuses[status] = statuses.get(status, 0) + 1
                count += 1
        finally:
            writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return count / (time.perf_counter() - t0), statuses
