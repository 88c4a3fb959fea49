#!/usr/bin/env python3
"""Opens N connections to an HTTP server, each sending an unfinished request
head (no blank line), then measures when the server closes each one.

usage: slow_http.py HOST:PORT [N] [WAIT_S] [PID]
Prints: how many closed within WAIT_S, the median / p95 / max time to close,
and (with PID) the daemon's RSS before, at the peak and after."""
import selectors
import socket
import sys
import time


def rss_kb(pid):
    if pid is None:
        return None
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    wait_s = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
    pid = int(sys.argv[4]) if len(sys.argv) > 4 else None
    partial = b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\nX-Pad: " + b"a" * 200
    sel = selectors.DefaultSelector()
    opened = {}
    closed = {}
    refused = 0
    rss_before = rss_kb(pid)
    rss_peak = rss_before or 0
    t0 = time.monotonic()
    for i in range(n):
        s = socket.socket()
        s.setblocking(True)
        try:
            s.connect((host, int(port)))
            s.sendall(partial)
        except OSError:
            refused += 1
            s.close()
            continue
        s.setblocking(False)
        opened[s] = time.monotonic()
        sel.register(s, selectors.EVENT_READ)
    t_open = time.monotonic() - t0
    deadline = t0 + wait_s
    while len(closed) < len(opened) and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed[s] = time.monotonic() - opened[s]
                sel.unregister(s)
        r = rss_kb(pid)
        if r:
            rss_peak = max(rss_peak, r)
    still_open = len(opened) - len(closed)
    for s in opened:
        s.close()
    # Give the daemon a moment to free what the connections held.
    time.sleep(2)
    rss_after = rss_kb(pid)
    times = sorted(closed.values())

    def pct(p):
        return times[min(len(times) - 1, int(p * len(times)))] if times else float("nan")

    print(f"connections: {n}, opened: {len(opened)} (in {t_open:.1f} s), refused at connect: {refused}")
    print(f"closed by the server within {wait_s:.0f} s: {len(closed)} ({100.0 * len(closed) / n:.1f} %), still open: {still_open}")
    print(f"time to close: median {pct(0.5):.2f} s, p95 {pct(0.95):.2f} s, max {times[-1] if times else float('nan'):.2f} s")
    if pid is not None:
        print(f"daemon RSS: before {rss_before/1024:.1f} MiB, peak {rss_peak/1024:.1f} MiB, 2 s after {rss_after/1024:.1f} MiB")


if __name__ == "__main__":
    main()
