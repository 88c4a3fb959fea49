#!/usr/bin/env python3
"""Soak: `aiswatch run` fed at a steady rate over TCP and UDP for a long
time, with detectors, storage (SQLite + raw archive) and delivery (a local
webhook receiver) on. Samples RSS and queue depths every 10 s, then checks
that nothing was lost: every position accepted is stored, every alert
change the engine emitted is stored and delivered.

Usage: scripts/soak.py [--rate 20000] [--duration 600] [--out bench-out/soak]
                       [--bin target/release/aiswatch]
The feed is `aiswatch simulate --vessels 2000 --hours 52 --seed 3` (made
once under OUT, ~12 M lines): lines of stations sim-st1/2 go over one TCP
connection, those of sim-st3/4 over UDP (15 lines per datagram), in file
order, paced to --rate lines/s in total.
"""
import argparse
import http.server
import json
import os
import re
import sqlite3
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--rate", type=int, default=20000)
ap.add_argument("--duration", type=int, default=600)
ap.add_argument("--out", default="bench-out/soak")
ap.add_argument("--bin", default="target/release/aiswatch")
ap.add_argument("--http-port", type=int, default=19700)
ap.add_argument("--tcp-port", type=int, default=19701)
ap.add_argument("--udp-port", type=int, default=19702)
ap.add_argument("--hook-port", type=int, default=19703)
args = ap.parse_args()
out = os.path.abspath(args.out)
os.makedirs(out, exist_ok=True)
sim = os.path.join(out, "sim")
if not os.path.exists(os.path.join(sim, "feed.nmea")):
    subprocess.run([args.bin, "simulate", "--vessels", "2000", "--hours", "52", "--seed", "3",
                    "--out", sim], check=True, stdout=subprocess.DEVNULL)

# A webhook receiver that counts deliveries (each alert change once, by webhook-id).
delivered = set()
posts = [0]


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        self.rfile.read(n)
        posts[0] += 1
        delivered.add(self.headers.get("webhook-id"))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *a):
        pass


hook = http.server.ThreadingHTTPServer(("127.0.0.1", args.hook_port), Hook)
threading.Thread(target=hook.serve_forever, daemon=True).start()

data = os.path.join(out, "data")
subprocess.run(["rm", "-rf", data])
cfg = os.path.join(out, "soak.toml")
with open(cfg, "w") as f:
    f.write(f"""zones = "{sim}/zones"
[[sources]]
kind = "tcp_server"
id = "tcp"
bind = "127.0.0.1:{args.tcp_port}"
[[sources]]
kind = "udp"
id = "udp"
bind = "127.0.0.1:{args.udp_port}"
[http]
listen = "127.0.0.1:{args.http_port}"
[storage]
data_dir = "{data}"
[[centres]]
id = "SIM-CENTRE"
name = "Simulated centre"
[centres.webhook]
url = "http://127.0.0.1:{args.hook_port}/alerts"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
""")
log = open(os.path.join(out, "daemon.log"), "w")
daemon = subprocess.Popen([args.bin, "run", "--config", cfg], stdout=subprocess.DEVNULL, stderr=log,
                          env=dict(os.environ, RUST_LOG="warn"))
base = f"http://127.0.0.1:{args.http_port}"


def get(path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return r.read().decode()


def metrics():
    out = {}
    for line in get("/metrics").splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


def total(m, name):
    return sum(v for k, v in m.items() if k == name or k.startswith(name + "{"))


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


for _ in range(600):
    try:
        get("/healthz")
        socket.create_connection(("127.0.0.1", args.tcp_port)).close()
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("daemon did not start")

samples = []
stop = threading.Event()


def sampler():
    t0 = time.time()
    while not stop.is_set():
        m = metrics()
        s = {
            "t": round(time.time() - t0, 1),
            "rss_mib": round(rss_kib(daemon.pid) / 1024, 1),
            "lines": total(m, "aiswatch_source_lines_total"),
            "dropped_lines": total(m, "aiswatch_source_dropped_lines_total"),
            "positions_pending": m.get('aiswatch_store{what="positions_pending"}', 0),
            "positions_written": m.get('aiswatch_store{what="positions_written"}', 0),
            "raw_pending": m.get('aiswatch_store{what="raw_lines_pending"}', 0),
            "outbox": total(m, "aiswatch_delivery_pending"),
            "alerts": total(m, "aiswatch_alerts_total"),
            "vessels": m.get("aiswatch_vessels_tracked", 0),
        }
        samples.append(s)
        print(json.dumps(s), flush=True)
        stop.wait(10)


threading.Thread(target=sampler, daemon=True).start()

tcp = socket.create_connection(("127.0.0.1", args.tcp_port))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp_to = ("127.0.0.1", args.udp_port)
station = re.compile(rb"s:sim-st(\d)")
sent = {"tcp": 0, "udp": 0}
t_start = time.time()
tcp_buf, udp_buf = [], []
step = 200  # lines per pacing step
with open(os.path.join(sim, "feed.nmea"), "rb") as f:
    n = 0
    for line in f:
        m = station.search(line)
        if m and m.group(1) in (b"3", b"4"):
            udp_buf.append(line)
            if len(udp_buf) == 15:
                udp.sendto(b"".join(udp_buf), udp_to)
                sent["udp"] += len(udp_buf)
                udp_buf = []
        else:
            tcp_buf.append(line)
        n += 1
        if n % step == 0:
            if tcp_buf:
                tcp.sendall(b"".join(tcp_buf))
                sent["tcp"] += len(tcp_buf)
                tcp_buf = []
            ahead = t_start + n / args.rate - time.time()
            if ahead > 0:
                time.sleep(ahead)
            if time.time() - t_start >= args.duration:
                break
if udp_buf:
    udp.sendto(b"".join(udp_buf), udp_to)
    sent["udp"] += len(udp_buf)
if tcp_buf:
    tcp.sendall(b"".join(tcp_buf))
    sent["tcp"] += len(tcp_buf)
tcp.close()
fed_s = time.time() - t_start
print(f"fed {n} lines in {fed_s:.1f} s ({n / fed_s:.0f} lines/s): {sent}", flush=True)

# Drain: positions stored, outbox empty.
deadline = time.time() + 300
while time.time() < deadline:
    m = metrics()
    if (m.get('aiswatch_store{what="positions_pending"}', 1) == 0
            and total(m, "aiswatch_delivery_pending") == 0
            and len(delivered) >= total(m, "aiswatch_alerts_total")):
        break
    time.sleep(1)
stop.set()
m = metrics()
daemon.terminate()
code = daemon.wait(timeout=60)
hook.shutdown()
db = sqlite3.connect(os.path.join(data, "aiswatch.db"))
stored_changes = db.execute("SELECT COUNT(*) FROM alert_changes").fetchone()[0]
stored_positions = db.execute("SELECT COUNT(*) FROM positions").fetchone()[0]
by_state = dict(db.execute("SELECT state, COUNT(*) FROM deliveries GROUP BY state").fetchall())

half = [s for s in samples if s["t"] >= args.duration / 2 and s["t"] <= args.duration]
summary = {
    "rate_target": args.rate,
    "duration_s": round(fed_s, 1),
    "lines_fed": n,
    "sent": sent,
    "lines_received": total(m, "aiswatch_source_lines_total"),
    "dropped_lines": total(m, "aiswatch_source_dropped_lines_total"),
    "positions_written": m.get('aiswatch_store{what="positions_written"}', 0),
    "positions_dropped": m.get('aiswatch_store{what="positions_dropped"}', 0),
    "alert_changes_emitted": total(m, "aiswatch_alerts_total"),
    "alert_changes_stored": stored_changes,
    "positions_in_store": stored_positions,
    "deliveries_by_state": by_state,
    "webhook_deliveries": len(delivered),
    "webhook_posts": posts[0],
    "rss_mib": [min(s["rss_mib"] for s in samples), max(s["rss_mib"] for s in samples)],
    "rss_mib_second_half": [min(s["rss_mib"] for s in half), max(s["rss_mib"] for s in half)] if half else None,
    "positions_pending_max": max(s["positions_pending"] for s in samples),
    "raw_pending_max": max(s["raw_pending"] for s in samples),
    "outbox_max": max(s["outbox"] for s in samples),
    "exit_code": code,
}
json.dump({"summary": summary, "samples": samples}, open(os.path.join(out, "soak.json"), "w"), indent=1)
print(json.dumps(summary, indent=1))
