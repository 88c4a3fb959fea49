#!/usr/bin/env python3
"""What taking a partner's alert changes costs a receiving installation.

Starts `aiswatch run` (SQLite, no sources) with one partner whose key this
script holds, then, in alternating rounds, POSTs to the daemon:

- inbox:    N signed alert changes to /api/v1/federation/inbox (each a new
            change: signature checked, alert upserted, change, event and
            idempotency key stored, live stream told);
- baseline: N acknowledgements to /api/v1/alerts/{id}/ack (one authenticated
            write of one row: the cheapest write the API has).

Both with the same client and concurrency; prints per-round rates, the medians
and their ratio. Needs python3 with `cryptography`.

    python3 scripts/federation_bench.py target/release/aiswatch [--n 2000] [--rounds 5] [--concurrency 8]
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

ADMIN = "bench-admin"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def public_hex(key):
    return key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    ).hex()


def post(conn, path, body, headers):
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status not in (200, 201):
        raise RuntimeError(f"POST {path}: {r.status} {data[:300]!r}")


def run_round(port, bodies, concurrency):
    """POSTs every (path, body, headers) with `concurrency` connections; returns requests/s."""
    chunks = [bodies[i::concurrency] for i in range(concurrency)]
    errors = []

    def worker(chunk):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for path, body, headers in chunk:
                post(conn, path, body, headers)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return len(bodies) / took


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=8)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="aiswatch-fed-bench-")
    partner = Ed25519PrivateKey.generate()
    port = free_port()
    cfg = os.path.join(tmp, "aiswatch.toml")
    with open(cfg, "w") as f:
        f.write(
            f"sources = []\n[http]\nlisten = \"127.0.0.1:{port}\"\n"
            f"[storage]\ndata_dir = \"{tmp}/data\"\n[api]\nadmin_tokens = [\"{ADMIN}\"]\n"
            "[[centres]]\nid = \"OPS\"\n[federation]\nname = \"HERE\"\n"
            f"[[partners]]\nid = \"THERE\"\nurl = \"http://127.0.0.1:9\"\npublic_key = \"{public_hex(partner)}\"\n"
            "[[agreements]]\nid = \"AG\"\npartner = \"THERE\"\n[agreements.receive]\ndeliver_to = [\"OPS\"]\n"
        )
    log = open(os.path.join(tmp, "daemon.log"), "w")
    d = subprocess.Popen([a.binary, "run", "--config", cfg], stderr=log, stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit(f"daemon not ready; log in {tmp}/daemon.log")

        serial = [0]

        def change(i):
            serial[0] += 1
            k = serial[0]
            alert_id = f"loitering:z:{200000000 + k}:1767225600"
            alert = {
                "id": alert_id, "kind": "loitering", "state": "open", "mmsi": [200000000 + k],
                "zone": "z", "zone_name": "Z", "centre": ["X"], "at": "2026-01-01T02:00:00.000Z",
                "started_at": "2026-01-01T00:00:00.000Z", "ended_at": None, "lat": 4.0, "lon": 3.0,
                "vessels": [], "summary": f"Vessel {k} loitering in Z for 2h.",
                "details": {"duration_s": 7200, "max_speed_kn": 2.0},
            }
            body = json.dumps({
                "v": 1, "from": "THERE", "to": "HERE", "agreement": "AG", "key": f"{alert_id}/1",
                "seq": 1, "sent_at": "2026-12-05T00:00:00Z", "redacted": [], "alert": alert,
            }).encode()
            sig = "ed25519=" + partner.sign(body).hex()
            return ("/api/v1/federation/inbox", body,
                    {"content-type": "application/json", "x-aiswatch-signature": sig})

        # One alert to acknowledge.
        first = change(0)
        run_round(port, [first], 1)
        ack_path = "/api/v1/alerts/" + urllib.parse.quote("THERE/loitering:z:200000001:1767225600", safe="") + "/ack"
        ack = (ack_path, json.dumps({"by": "bench", "note": "seen"}).encode(),
               {"content-type": "application/json", "authorization": f"Bearer {ADMIN}"})

        inbox_rates, ack_rates = [], []
        for r in range(a.rounds):
            bodies = [change(i) for i in range(a.n)]  # signed before the clock starts
            inbox_rates.append(run_round(port, bodies, a.concurrency))
            ack_rates.append(run_round(port, [ack] * a.n, a.concurrency))
            print(f"round {r + 1}: inbox {inbox_rates[-1]:.0f}/s, ack (baseline) {ack_rates[-1]:.0f}/s", flush=True)
        mi, ma = statistics.median(inbox_rates), statistics.median(ack_rates)
        print(f"median: inbox {mi:.0f} changes/s, ack {ma:.0f}/s, inbox/ack = {mi / ma:.2f}")
    finally:
        d.terminate()
        d.wait(timeout=30)


if __name__ == "__main__":
    main()
