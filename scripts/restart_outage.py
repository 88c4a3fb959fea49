#!/usr/bin/env python3
"""Restart outage: how soon a daemon killed with -9 answers again, and how
long its rebuild from the store takes, with LINES lines of a simulated feed
stored.

    scripts/restart_outage.py BIN WORKDIR [LINES ...]

WORKDIR gets `sim/` (`aiswatch simulate --hours 24 --vessels 3000`, made
once) and, per LINES (default: all of the feed), a store filled with the
first LINES lines by `aiswatch replay --db`. A daemon is started on it,
killed (-9) once ready, and started again on the same store (a UDP source
only): printed are the seconds to the first
`/healthz` 200, to `/readyz` 200 (the rebuild done), and the peak RSS.
"""
import json, os, signal, socket, sqlite3, subprocess, sys, time, urllib.request

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception:
        return None, b""

def config(d, zones, port, feed):
    src = f'[[sources]]\nkind = "file"\nid = "feed"\npath = "{feed}"\n\n' if feed else ""
    text = (f'zones = "{zones}"\n\n{src}[[sources]]\nkind = "udp"\nid = "udp"\nbind = "127.0.0.1:0"\n\n'
            f'[http]\nlisten = "127.0.0.1:{port}"\n\n[storage]\ndata_dir = "{d}/data"\n\n'
            '[[centres]]\nid = "SIM-CENTRE"\nname = "The simulator\'s centre"\n')
    path = f"{d}/{'fill' if feed else 'restart'}.toml"
    open(path, "w").write(text)
    return path

def hwm(pid):
    try:
        for l in open(f"/proc/{pid}/status"):
            if l.startswith("VmHWM"):
                return int(l.split()[1]) // 1024
    except OSError:
        pass
    return None

def main():
    binary, work = sys.argv[1], os.path.abspath(sys.argv[2])
    sim = f"{work}/sim"
    if not os.path.exists(f"{sim}/feed.nmea"):
        subprocess.run([binary, "simulate", "--hours", "24", "--vessels", "3000", "--out", sim], check=True)
    total = sum(1 for _ in open(f"{sim}/feed.nmea", "rb"))
    for n in [int(a) for a in sys.argv[3:]] or [total]:
        d = f"{work}/store-{n}"
        subprocess.run(["rm", "-rf", d]); os.makedirs(d)
        feed = f"{d}/feed.nmea"
        with open(f"{sim}/feed.nmea", "rb") as src, open(feed, "wb") as out:
            for i, line in enumerate(src):
                if i >= n: break
                out.write(line)
        # Filled by `aiswatch replay --db` (every record stored: a daemon
        # reading a file at full speed drops positions when the store falls
        # behind), then a daemon started on it and killed (-9) once it runs.
        t0 = time.time()
        os.makedirs(f"{d}/data")
        with open(f"{d}/fill.log", "w") as log:
            subprocess.run([binary, "replay", "--zones", f"{sim}/zones", "--db",
                            f"sqlite://{d}/data/aiswatch.db", feed], stdout=subprocess.DEVNULL, stderr=log, check=True)
        fill = time.time() - t0
        db = sqlite3.connect(f"{d}/data/aiswatch.db")
        stored = db.execute("SELECT coalesce(sum(n), 0) FROM position_blocks").fetchone()[0]
        db.close()
        port = free_port()
        p = subprocess.Popen([binary, "run", "--config", config(d, f"{sim}/zones", port, None)],
                             stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        while get(port, "/readyz")[0] != 200:
            time.sleep(0.2)
        p.send_signal(signal.SIGKILL); p.wait()
        port = free_port()
        log = open(f"{d}/restart.log", "w")
        t0 = time.time()
        p = subprocess.Popen([binary, "run", "--config", config(d, f"{sim}/zones", port, None)], stderr=log, stdout=log)
        healthz = readyz = None; peak = 0
        while readyz is None and time.time() - t0 < 900:
            if healthz is None and get(port, "/healthz")[0] == 200:
                healthz = time.time() - t0
            if healthz is not None and get(port, "/readyz")[0] == 200:
                readyz = time.time() - t0
            peak = max(peak, hwm(p.pid) or 0)
            time.sleep(0.05)
        peak = max(peak, hwm(p.pid) or 0)
        p.send_signal(signal.SIGTERM); p.wait()
        print(json.dumps({"lines": n, "positions_stored": stored, "fill_s": round(fill, 1),
                          "healthz_s": healthz and round(healthz, 2), "ready_s": readyz and round(readyz, 2),
                          "peak_rss_mb": peak}), flush=True)

main()
