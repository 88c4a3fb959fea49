#!/usr/bin/env python3
"""Live ingest rate of `aiswatch run` with and without 50 concurrent API clients.

Starts the daemon (SQLite store in a temp dir, a TCP receiver port), pushes a
simulated feed over TCP as fast as the daemon takes it, and measures messages
per second from the daemon's own counters (/api/v1/status engine.messages).
Run twice in one go: quiet, then with CLIENTS clients looping over heavy
queries (vessels in a box, positions in a box over 1 h, alerts, a track).
Every request is bounded in count and time; everything is on 127.0.0.1.

  python3 scripts/bench_live_api.py [BINARY] [FEED] [CLIENTS]
"""
import json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/aiswatch"
FEED = sys.argv[2] if len(sys.argv) > 2 else "/tmp/simbig/feed.nmea"
CLIENTS = int(sys.argv[3]) if len(sys.argv) > 3 else 50
TOKEN = "bench-admin"


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def get(http, path, timeout=30):
    req = urllib.request.Request(f"http://{http}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def run(clients):
    d = tempfile.mkdtemp()
    http, tcp = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    zones = os.path.join(os.path.dirname(FEED), "zones")
    cfg = os.path.join(d, "a.toml")
    with open(cfg, "w") as f:
        f.write(f'zones = "{zones}"\n[[sources]]\nkind = "tcp_server"\nid = "tcp"\nbind = "{tcp}"\n'
                f'[http]\nlisten = "{http}"\n[storage]\ndata_dir = "{d}/data"\n'
                f'[api]\nadmin_tokens = ["{TOKEN}"]\n[[centres]]\nid = "SIM-CENTRE"\n')
    p = subprocess.Popen([BIN, "run", "--config", cfg], stderr=open(os.path.join(d, "log"), "w"))
    for _ in range(200):
        try:
            if get(http, "/healthz", 1)[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    stop = threading.Event()
    stats = {"ok": 0, "503": 0, "other": 0, "lat": []}
    lock = threading.Lock()
    paths = ["/api/v1/vessels?bbox=-5,-5,15,15&limit=1000",
             "/api/v1/positions?bbox=2,2,3,3&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z&limit=2000",
             "/api/v1/alerts?limit=100", "/api/v1/status"]

    def client(i):
        n = 0
        while not stop.is_set() and n < 100000:
            t0 = time.perf_counter()
            try:
                code, _ = get(http, paths[(i + n) % len(paths)])
            except OSError:
                code = 0
            dt = time.perf_counter() - t0
            with lock:
                stats["ok" if code == 200 else "503" if code == 503 else "other"] += 1
                stats["lat"].append(dt)
            n += 1
            if code == 503:
                time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    lines = open(FEED, "rb").read()
    t0 = time.perf_counter()
    s = socket.create_connection(tuple(tcp.split(":")[0:1]) + (int(tcp.split(":")[1]),))
    s.sendall(lines); s.close()
    total = lines.count(b"\n")
    target = None
    # Wait until the engine counter stops growing after the send completed.
    last, same = -1, 0
    while same < 10:
        st = json.loads(get(http, "/api/v1/status")[1])
        m = st["engine"]["messages"]
        same = same + 1 if m == last else 0
        if m != last:
            t_end = time.perf_counter()
        last = m
        time.sleep(0.1)
    elapsed = t_end - t0
    stop.set()
    health = []
    for _ in range(20):
        h0 = time.perf_counter(); get(http, "/healthz", 5); health.append(time.perf_counter() - h0)
    p.terminate(); p.wait(30)
    lat = sorted(stats["lat"]) or [0]
    return {"clients": clients, "lines": total, "messages": last, "seconds": round(elapsed, 3),
            "msg_per_s": round(last / elapsed), "api_ok": stats["ok"], "api_503": stats["503"],
            "api_other": stats["other"], "api_p50_ms": round(lat[len(lat) // 2] * 1000, 1),
            "api_p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 1),
            "healthz_max_ms": round(max(health) * 1000, 1)}


if __name__ == "__main__":
    quiet = run(0)
    busy = run(CLIENTS)
    print(json.dumps(quiet)); print(json.dumps(busy))
    print(f"ingest with {CLIENTS} API clients: {busy['msg_per_s'] / quiet['msg_per_s']:.2f} x the quiet rate")
