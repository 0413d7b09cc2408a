"""Stream sockets that stop reading (spec §3.15 backpressure; P6b), as raw TCP clients that never
read after the handshake.

Loopback's 64 KiB MSS and autotuned buffers would let the kernels of both ends absorb megabytes a
real network never holds for a stalled browser, so the server's own buffer (the spec's
bufferedAmount) would take minutes to grow. These sockets ask for an Ethernet-sized MSS and a 4 KiB
receive buffer before connecting: the kernels then hold some 50 KiB, and what the server has not
handed to the kernel is what the browser has not read.

Usage: slow-stream-clients.py <http base> <token> <count> <threshold bytes> [<stall s>]
Prints {"ready": true} once all are connected and have stopped reading. Each stdin line asks for a
report; `resume` reads everything each socket was sent, up to the close frame, and reports per
socket: the close code, how long after it stopped reading the server sent its last message
(`afterPauseMs`), how long after the unread bytes crossed the threshold (`afterThresholdMs`), and
the unread bytes. With a stall the sockets read again on their own after it, and `resume` waits for
that: the server gives up on a close frame nobody reads after 30 s (ws's close timeout) and drops
the connection with the frame still queued, so reading much later would only see the drop.
"""

import base64
import json
import os
import socket
import sys
import threading
import time
from datetime import datetime
from urllib.parse import urlparse

ETHERNET_MSS = 1460
RECEIVE_BUFFER = 4096
DRAIN_LIMIT_S = 10


def epoch_ms(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp() * 1000


def connect(host: str, port: int, path: str) -> tuple[socket.socket, bytes]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, ETHERNET_MSS)
    sock.connect((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise ConnectionError(head.decode(errors="replace"))
    return sock, rest


def frames(data: bytes):
    """(opcode, payload, frame length) of each whole unmasked frame the server sent."""
    offset = 0
    while (frame := frame_at(data, offset)) is not None:
        opcode, payload, size = frame
        yield opcode, payload, size
        offset += size


def frame_at(data: bytes, offset: int):
    if offset + 2 > len(data):
        return None
    opcode, length, start = data[offset] & 0x0F, data[offset + 1] & 0x7F, offset + 2
    if length == 126:
        length, start = int.from_bytes(data[start:start + 2], "big"), start + 2
    elif length == 127:
        length, start = int.from_bytes(data[start:start + 8], "big"), start + 8
    if start + length > len(data):
        return None
    return opcode, data[start:start + length], start + length - offset


def read_until_close(sock: socket.socket, already: bytes) -> bytes:
    """Everything the server sent up to its close frame (or the end of the connection, or the drain limit)."""
    deadline = time.monotonic() + DRAIN_LIMIT_S
    received = bytearray(already)
    offset = 0
    try:
        while time.monotonic() < deadline:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            while (frame := frame_at(received, offset)) is not None:
                if frame[0] == 0x8:
                    return bytes(received)
                offset += frame[2]
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += chunk
    except (TimeoutError, ConnectionError):
        pass
    return bytes(received)


def outcome(data: bytes, paused_at_ms: float, threshold: int) -> dict:
    unread = 0
    crossed_ms = last_point_ms = None
    for opcode, payload, size in frames(data):
        if opcode == 0x8:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            return {
                "code": code,
                "paused": True,
                "afterPauseMs": round(last_point_ms - paused_at_ms) if last_point_ms else None,
                "afterThresholdMs": round(last_point_ms - crossed_ms) if last_point_ms and crossed_ms else None,
                "unreadBytesAtClose": unread,
            }
        unread += size
        if opcode != 0x1:
            continue
        message = json.loads(payload)
        if message.get("type") != "datapoints_batch":
            continue
        last_point_ms = epoch_ms(message["datapoints"][0]["timestamp"])
        if crossed_ms is None and unread > threshold:
            crossed_ms = last_point_ms
    return {"code": 1006, "paused": True, "afterPauseMs": None, "afterThresholdMs": None, "unreadBytesAtClose": unread}


def main() -> None:
    base, token, count, threshold = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    url = urlparse(base)
    stall_s = float(sys.argv[5]) if len(sys.argv) > 5 else None
    clients = []
    for _ in range(count):
        sock, rest = connect(url.hostname, url.port, f"/ws/datapoints/stream?token={token}")
        clients.append((sock, rest, time.time() * 1000))

    def drain() -> list[dict]:
        return [outcome(read_until_close(sock, rest), paused_at, threshold) for sock, rest, paused_at in clients]

    drained: list[dict] = []
    stalled = None
    if stall_s is not None:
        stalled = threading.Thread(target=lambda: (time.sleep(stall_s), drained.extend(drain())))
        stalled.start()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        closes = []
        if line.strip() == "resume":
            if stalled:
                stalled.join()
                closes = drained
            else:
                closes = drain()
        print(json.dumps({"closes": closes}), flush=True)


if __name__ == "__main__":
    main()
