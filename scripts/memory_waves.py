#!/usr/bin/env python3
"""Does the daemon give memory back? `aiswatch run` (shipped zones, every
detector, SQLite) is fed waves of distinct MMSIs over a TCP source; after
each wave one later-timed report moves the data clock past `vessel_ttl`, so
the engine forgets the whole wave. Resident memory (VmRSS, VmHWM, RssAnon,
RssFile from /proc/PID/status) is sampled idle, at each wave's peak and
once each wave is forgotten and the daemon has settled.

Optional phases after the waves (`--phases`):
  stations  lines naming N distinct tag-block stations (`s:`), RSS before,
            after, settled (is per-station state bounded?)
  sse       N live streams (`GET /api/v1/alerts/stream`) that never read,
            while alerts are raised and the API is queried, then closed:
            RSS while they are open and after they end

Usage:
  scripts/memory_waves.py --bin target/release/aiswatch [--vessels 2000000]
      [--waves 3] [--phases waves,stations,sse] [--out bench-out/memory-waves]
      [--api-load] [--env MALLOC_ARENA_MAX=2]

Wave k sends one ITU-R M.1371 type 1 report (valid payload, checksums, tag
block `c:` unix time and `s:` station) for each of N distinct ship MMSIs
(UK/Gibraltar/Greek MIDs, so identity checks stay quiet) at random points
inside `gog-offshore` (zones/gulf_of_guinea.geojson), spread over 10 min of
data time. The data times lie days in the past (no `max_future` reject).
`[engine] vessel_ttl` is 10 min. Feeds are written once under OUT and
reused. Results: OUT/memory.json and a table on stdout.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

ap = argparse.ArgumentParser()
ap.add_argument("--bin", default="target/release/aiswatch")
ap.add_argument("--out", default="bench-out/memory-waves")
ap.add_argument("--zones", default="zones")
ap.add_argument("--vessels", type=int, default=2_000_000)
ap.add_argument("--waves", type=int, default=3)
ap.add_argument("--phases", default="waves,stations,sse")
ap.add_argument("--stations", type=int, default=600_000)
ap.add_argument("--streams", type=int, default=250)
ap.add_argument("--api-load", action="store_true",
                help="query /api/v1/vessels every 2 s while a wave is fed (snapshots)")
ap.add_argument("--settle", type=float, default=60.0,
                help="most seconds to wait for RSS to settle after a phase")
ap.add_argument("--env", action="append", default=[],
                help="KEY=VALUE for the daemon's environment (repeatable)")
ap.add_argument("--http-port", type=int, default=19800)
ap.add_argument("--tcp-port", type=int, default=19801)
ap.add_argument("--seed", type=int, default=7)
args = ap.parse_args()

OUT = os.path.abspath(args.out)
os.makedirs(OUT, exist_ok=True)
TTL_S = 600
WAVE_SPAN_S = 600
# Data time of wave 0: midnight UTC three days ago.
T0 = (int(time.time()) // 86400 - 3) * 86400
CLOCK_MMSI = 244_000_001  # keeps the data clock going; not in any wave
BASE_MMSI = 232_000_000    # MIDs 232–237: assigned (UK, Gibraltar, Greece)


# --- NMEA encoding -------------------------------------------------------

def armor(bits: int, nbits: int) -> tuple[str, int]:
    pad = (-nbits) % 6
    bits <<= pad
    n = (nbits + pad) // 6
    out = []
    for i in range(n - 1, -1, -1):
        v = (bits >> (6 * i)) & 0x3F
        out.append(chr(v + 48 if v < 40 else v + 56))
    return "".join(out), pad


def type1(mmsi: int, lon: float, lat: float, sog_dkn: int, cog_ddeg: int, second: int) -> str:
    b = 1                                   # message type
    b = (b << 2) | 0                        # repeat
    b = (b << 30) | mmsi
    b = (b << 4) | 0                        # under way using engine
    b = (b << 8) | 0x80                     # rate of turn: not available
    b = (b << 10) | sog_dkn
    b = (b << 1) | 1                        # position accuracy
    b = (b << 28) | (round(lon * 600_000) & ((1 << 28) - 1))
    b = (b << 27) | (round(lat * 600_000) & ((1 << 27) - 1))
    b = (b << 12) | cog_ddeg
    b = (b << 9) | (cog_ddeg // 10)         # true heading
    b = (b << 6) | second
    b = (b << 2) | 0
    b = (b << 3) | 0
    b = (b << 1) | 0
    b = (b << 19) | 0
    payload, pad = armor(b, 168)
    return payload


def xor(s: str) -> int:
    x = 0
    for c in s.encode():
        x ^= c
    return x


def line(mmsi: int, t: int, lon: float, lat: float, station: str, sog_dkn: int = 100,
         cog_ddeg: int = 900) -> str:
    body = f"AIVDM,1,1,,A,{type1(mmsi, lon, lat, sog_dkn, cog_ddeg, t % 60)},0"
    tag = f"s:{station},c:{t}"
    return f"\\{tag}*{xor(tag):02X}\\!{body}*{xor(body):02X}\n"


def inside_gog(rng: random.Random) -> tuple[float, float]:
    # Well inside gog-offshore (its southern part is the box 0.5–8.8 E, 2.0–4.1 N).
    return rng.uniform(1.0, 8.3), rng.uniform(2.2, 3.9)


def wave_start(k: int) -> int:
    return T0 + k * (WAVE_SPAN_S + TTL_S + 300)


def wave_file(k: int) -> str:
    path = os.path.join(OUT, f"wave{k}-{args.vessels}.nmea")
    if os.path.exists(path):
        return path
    rng = random.Random(args.seed * 1000 + k)
    t0 = wave_start(k)
    first = BASE_MMSI + k * args.vessels
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        buf = []
        for i in range(args.vessels):
            lon, lat = inside_gog(rng)
            t = t0 + i * WAVE_SPAN_S // args.vessels
            buf.append(line(first + i, t, lon, lat, f"st{i % 4}"))
            if len(buf) >= 10_000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    os.replace(tmp, path)
    return path


def clock_line(k: int) -> str:
    """A report after wave k's last by more than vessel_ttl: the engine
    forgets the wave at its next eviction look (once a minute of data time)."""
    t = wave_start(k) + WAVE_SPAN_S + TTL_S + 120
    return line(CLOCK_MMSI, t, 4.0, 3.0, "st0")


# --- the daemon ----------------------------------------------------------

def write_config() -> str:
    data = os.path.join(OUT, "data")
    shutil.rmtree(data, ignore_errors=True)
    cfg = os.path.join(OUT, "memory.toml")
    # Every centre the zones route to must be declared.
    centres = set()
    for name in sorted(os.listdir(args.zones)):
        if name.endswith(".geojson"):
            for feat in json.load(open(os.path.join(args.zones, name)))["features"]:
                c = feat["properties"].get("centre")
                centres.update(c if isinstance(c, list) else [c] if c else [])
    with open(cfg, "w") as f:
        f.write(f"""zones = "{os.path.abspath(args.zones)}"

[[sources]]
kind = "tcp_server"
id = "waves"
bind = "127.0.0.1:{args.tcp_port}"

[http]
listen = "127.0.0.1:{args.http_port}"

[engine]
vessel_ttl = "{TTL_S}s"

[storage]
data_dir = "{data}"

[api]
max_streams = {max(args.streams + 8, 256)}
""")
        for c in sorted(centres):
            f.write(f'\n[[centres]]\nid = "{c}"\nname = "{c}"\n')
    return cfg


def status(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for l in f:
            k, _, v = l.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                out[k] = int(v.split()[0])
    return out


def mb(kib: int) -> float:
    return kib / 1024


def get(path: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{args.http_port}{path}", timeout=timeout) as r:
        return r.read()


def metric(text: str, name: str, label: str | None = None) -> float | None:
    for l in text.splitlines():
        if l.startswith(name) and (label is None or label in l):
            return float(l.rsplit(" ", 1)[1])
    return None


def wait_ready(proc) -> None:
    for _ in range(600):
        if proc.poll() is not None:
            sys.exit(f"daemon exited with {proc.returncode}; see {OUT}/daemon.log")
        try:
            get("/readyz", timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    sys.exit("daemon not ready in 120 s")


def wait_engine(vessels: int | None, timeout: float = 900, at_least: bool = False) -> None:
    """Until the store has written everything and (if given) the engine tracks
    that many vessels (`at_least`: or more)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            m = get("/metrics").decode()
        except Exception:
            time.sleep(1)
            continue
        pending = metric(m, "aiswatch_store", 'what="positions_pending"') or 0
        tracked = metric(m, "aiswatch_vessels_tracked")
        ok = vessels is None or tracked == vessels or (
            at_least and tracked is not None and tracked >= vessels)
        if pending == 0 and ok:
            return
        time.sleep(1)
    print(f"warning: engine did not settle in {timeout} s", file=sys.stderr)


def settle(pid: int) -> dict:
    """RSS once it stops moving: max - min over the last 10 s under 2 MB, at
    least 20 s and at most --settle s."""
    start = time.time()
    samples = []
    while True:
        s = status(pid)
        samples.append((time.time(), s["VmRSS"]))
        recent = [r for t, r in samples if t >= time.time() - 10]
        waited = time.time() - start
        if waited >= 20 and max(recent) - min(recent) < 2048:
            break
        if waited >= args.settle:
            break
        time.sleep(1)
    s = status(pid)
    s["settled_s"] = round(time.time() - start, 1)
    return s


def send_file(path: str, extra: str = "") -> float:
    t = time.time()
    with socket.create_connection(("127.0.0.1", args.tcp_port)) as c:
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                c.sendall(chunk)
        if extra:
            c.sendall(extra.encode())
        c.shutdown(socket.SHUT_WR)
        # The source reads to the end, then closes its side.
        c.settimeout(600)
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass
    return time.time() - t


def send_lines(text: str) -> None:
    with socket.create_connection(("127.0.0.1", args.tcp_port)) as c:
        c.sendall(text.encode())
        c.shutdown(socket.SHUT_WR)
        c.settimeout(600)
        try:
            while c.recv(4096):
                pass
        except OSError:
            pass


def api_load(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            get("/api/v1/vessels?bbox=0,2,9,7&limit=100")
            get("/api/v1/status")
        except Exception:
            pass
        stop.wait(2)


results: dict = {"args": vars(args), "samples": []}


def record(phase: str, s: dict) -> None:
    s = dict(s, phase=phase)
    results["samples"].append(s)
    extra = f" (settled in {s['settled_s']} s)" if "settled_s" in s else ""
    print(f"{phase:<28} RSS {mb(s['VmRSS']):8.1f} MB  HWM {mb(s['VmHWM']):8.1f} MB  "
          f"anon {mb(s['RssAnon']):8.1f}  file {mb(s['RssFile']):7.1f}  threads {s['Threads']}{extra}",
          flush=True)


def main() -> None:
    phases = args.phases.split(",")
    files = []
    if "waves" in phases:
        for k in range(args.waves):
            t = time.time()
            files.append(wave_file(k))
            print(f"wave {k} feed: {files[-1]} ({time.time() - t:.0f} s)", flush=True)
    cfg = write_config()
    env = dict(os.environ)
    env.setdefault("RUST_LOG", "warn")
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = v
    log = open(os.path.join(OUT, "daemon.log"), "w")
    proc = subprocess.Popen([args.bin, "run", "--config", cfg], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        wait_ready(proc)
        # One report so the engine, store and detectors have run once.
        send_lines(line(CLOCK_MMSI, wave_start(0) - 60, 4.0, 3.0, "st0"))
        wait_engine(1)
        record("idle", settle(proc.pid))
        results["idle"] = results["samples"][-1]["VmRSS"]
        for k, path in enumerate(files):
            stop = threading.Event()
            peak = [0]

            def watch_peak():
                while not stop.is_set():
                    peak[0] = max(peak[0], status(proc.pid)["VmRSS"])
                    stop.wait(0.5)
            threads = [threading.Thread(target=watch_peak)]
            if args.api_load:
                threads.append(threading.Thread(target=api_load, args=(stop,)))
            for th in threads:
                th.start()
            took = send_file(path)
            wait_engine(args.vessels, at_least=True)
            stop.set()
            for th in threads:
                th.join()
            s = status(proc.pid)
            s["VmRSS_peak_sampled"] = peak[0]
            record(f"wave {k}: {args.vessels} tracked", s)
            print(f"  fed in {took:.0f} s ({args.vessels / took:,.0f} lines/s)", flush=True)
            send_lines(clock_line(k))
            wait_engine(1)
            record(f"wave {k}: forgotten", settle(proc.pid))
        if "stations" in phases:
            stations_phase(proc)
        if "sse" in phases:
            sse_phase(proc)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    idle = results["idle"]
    print("\nafter each wave is forgotten, against idle:")
    for s in results["samples"]:
        if s["phase"].endswith("forgotten"):
            print(f"  {s['phase']:<24} {mb(s['VmRSS'] - idle):+8.1f} MB")
    with open(os.path.join(OUT, "memory.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(f"samples: {OUT}/memory.json")


def stations_phase(proc) -> None:
    """N lines, each naming a new station (`s:`), from a handful of vessels."""
    record("stations: before", settle(proc.pid))
    k = args.waves
    t0 = wave_start(k)
    rng = random.Random(args.seed)
    path = os.path.join(OUT, f"stations-{args.stations}.nmea")
    if not os.path.exists(path):
        with open(path, "w") as f:
            for i in range(args.stations):
                lon, lat = inside_gog(rng)
                t = t0 + i * WAVE_SPAN_S // args.stations
                f.write(line(BASE_MMSI + 5_900_000 + i % 1000, t, lon, lat, f"rx{i:07d}"))
    send_file(path)
    wait_engine(None)
    record(f"stations: {args.stations} fed", status(proc.pid))
    record("stations: settled", settle(proc.pid))
    m = get("/metrics").decode()
    lim = metric(m, "aiswatch_rejected_total", 'reason="station_limit"')
    results["station_limit"] = lim
    print(f"  rejected{{reason=station_limit}} = {lim}", flush=True)


def sse_phase(proc) -> None:
    """Live streams that never read while alerts flow and the API is queried."""
    record("sse: before", settle(proc.pid))
    socks = []
    req = (f"GET /api/v1/alerts/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           f"Accept: text/event-stream\r\nLast-Event-ID: 0\r\n\r\n").encode()
    for _ in range(args.streams):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", args.http_port))
        s.sendall(req)
        socks.append(s)
    # Alerts: vessels that jump impossibly far inside the zone (spoofing),
    # each jump an alert change, while the API answers queries.
    stop = threading.Event()
    th = threading.Thread(target=api_load, args=(stop,))
    th.start()
    t0 = wave_start(args.waves + 1)
    rng = random.Random(args.seed + 1)
    lines = []
    for i in range(20_000):
        mmsi = BASE_MMSI + 5_950_000 + i % 2000
        t = t0 + i * 3
        lon = 1.5 if (i // 2000) % 2 == 0 else 8.0
        lines.append(line(mmsi, t, lon + rng.uniform(0, 0.1), 3.0 + rng.uniform(0, 0.5), "st0"))
    send_lines("".join(lines))
    wait_engine(None)
    time.sleep(5)
    stop.set()
    th.join()
    record(f"sse: {args.streams} stalled open", status(proc.pid))
    for s in socks:
        s.close()
    record("sse: closed, settled", settle(proc.pid))


if __name__ == "__main__":
    main()
