#!/usr/bin/env python3
"""Feeds NMEA lines at a fixed rate into an aiswatch tcp_server source while
polling the SQLite database's and WAL's sizes every second and reading the
API (alerts, vessels) the whole time. Prints a per-second table and the maxima.

usage: wal_probe.py FEED DB_FILE TCP_PORT HTTP_PORT [RATE=4000] [SECONDS=90]
"""
import os, socket, sys, threading, time, urllib.request

feed, db, tcp, http = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rate = int(sys.argv[5]) if len(sys.argv) > 5 else 4000
secs = int(sys.argv[6]) if len(sys.argv) > 6 else 90
stop = threading.Event()
reads = {"ok": 0, "err": 0}

def size(p):
    try:
        return os.path.getsize(p)
    except OSError:
        return 0

def reader(paths):
    while not stop.is_set():
        for p in paths:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http}{p}", timeout=10) as r:
                    r.read()
                reads["ok"] += 1
            except Exception:
                reads["err"] += 1
        time.sleep(0.05)

threads = [threading.Thread(target=reader, args=(ps,), daemon=True) for ps in (
    ["/api/v1/alerts?limit=200", "/api/v1/vessels?bbox=-180,-90,180,90&limit=1000"],
    ["/api/v1/alerts?state=open", "/api/v1/status"],
)]
for t in threads:
    t.start()

s = socket.create_connection(("127.0.0.1", tcp))
f = open(feed, "rb")
sent = 0
t0 = time.monotonic()
next_poll = t0
max_wal = max_db = 0
print("t_s lines_sent db_bytes wal_bytes", flush=True)
batch = max(1, rate // 100)
while True:
    now = time.monotonic()
    el = now - t0
    if el >= secs:
        break
    due = int(el * rate)
    if sent < due:
        chunk = []
        for _ in range(min(batch, due - sent)):
            line = f.readline()
            if not line:
                f.seek(0)
                line = f.readline()
            chunk.append(line if line.endswith(b"\n") else line + b"\n")
        s.sendall(b"".join(chunk))
        sent += len(chunk)
    else:
        time.sleep(0.002)
    if now >= next_poll:
        d, w = size(db), size(db + "-wal")
        max_wal, max_db = max(max_wal, w), max(max_db, d)
        print(f"{el:5.0f} {sent:8d} {d:11d} {w:11d}", flush=True)
        next_poll += 1.0
stop.set()
d, w = size(db), size(db + "-wal")
max_wal, max_db = max(max_wal, w), max(max_db, d)
print(f"sent {sent} lines in {time.monotonic() - t0:.1f} s; API reads ok {reads['ok']} failed {reads['err']}")
print(f"MAX wal_bytes {max_wal} ({max_wal / 2**20:.1f} MiB); final db_bytes {d} ({d / 2**20:.1f} MiB); max db {max_db / 2**20:.1f} MiB")
