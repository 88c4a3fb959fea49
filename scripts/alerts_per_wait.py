#!/usr/bin/env python3
"""Alerts per vessel-wait: how many loitering alerts one wait gives.

A *wait* is found in the positions alone, independently of the detectors:
a run of a vessel's positions that all stay within RADIUS_M of the run's
first one, with no gap over MAX_GAP_H hours, lasting at least MIN_H hours.
Each loitering alert (by id) is assigned to the waits of its vessel that its
span overlaps; the figure is distinct alert ids per wait that has any.
Rendezvous alerts are counted per vessel pair.

Usage: alerts_per_wait.py ALERTS.jsonl POSITIONS.csv
  ALERTS.jsonl: `aiswatch replay` output; POSITIONS.csv: a history file with
  columns ID/MMSI, a time column and longitude/latitude (boat-positions.csv).
"""
import collections
import csv
import datetime
import json
import math
import sys

RADIUS_M = 2000.0
MAX_GAP_H = 12.0
MIN_H = 2.0


def ms(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v)
    return int(datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1000)


def dist_m(a, b):
    la1, la2 = math.radians(a[1]), math.radians(b[1])
    dla, dlo = la2 - la1, math.radians(b[0] - a[0])
    h = math.sin(dla / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlo / 2) ** 2
    return 2 * 6371008.8 * math.asin(min(1.0, math.sqrt(h)))


def read_positions(path):
    per = collections.defaultdict(list)
    with open(path, encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            mmsi = int(r.get("ID") or r.get("MMSI") or r["mmsi"])
            ts = r.get("ais_pos_timestamp") or r.get("BaseDateTime")
            try:
                t = datetime.datetime.strptime(ts, "%d/%m/%Y %H:%M")
            except ValueError:
                t = datetime.datetime.fromisoformat(ts)
            t = int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
            lon = float(r.get("longitude") or r.get("LON"))
            lat = float(r.get("latitude") or r.get("LAT"))
            per[mmsi].append((t, lon, lat))
    for v in per.values():
        v.sort()
    return per


def waits(points):
    out, i = [], 0
    while i < len(points):
        t0, lon0, lat0 = points[i]
        j = i
        while (
            j + 1 < len(points)
            and dist_m((lon0, lat0), points[j + 1][1:]) <= RADIUS_M
            and points[j + 1][0] - points[j][0] <= MAX_GAP_H * 3600e3
        ):
            j += 1
        if points[j][0] - t0 >= MIN_H * 3600e3:
            out.append((t0, points[j][0]))
        i = j + 1
    return out


def main():
    alerts_path, pos_path = sys.argv[1], sys.argv[2]
    events = {}
    for line in open(alerts_path):
        a = json.loads(line)
        e = events.setdefault(a["id"], {"kind": a["kind"], "mmsi": a["mmsi"], "start": ms(a["started_at"]),
                                        "end": None, "states": [], "reason": None})
        e["states"].append(a["state"])
        if a.get("ended_at"):
            e["end"] = ms(a["ended_at"])
            e["reason"] = (a.get("details") or {}).get("reason")
        e["last_at"] = ms(a["at"])
    per = read_positions(pos_path)
    vessel_waits = {m: waits(p) for m, p in per.items()}
    for kind in ("loitering", "rendezvous"):
        ev = [e for e in events.values() if e["kind"] == kind]
        reasons = collections.Counter(e["reason"] for e in ev)
        vessels = collections.Counter(tuple(e["mmsi"]) for e in ev)
        print(f"{kind}: {len(ev)} alerts, {len(vessels)} vessels/pairs, "
              f"{len(ev) / max(1, len(vessels)):.2f} per vessel/pair (max {max(vessels.values(), default=0)}); "
              f"end reasons {dict(reasons)}")
        if kind != "loitering":
            continue
        per_wait = collections.Counter()
        unassigned = 0
        for e in ev:
            m = e["mmsi"][0]
            end = e["end"] or e["last_at"]
            hit = [w for w in vessel_waits.get(m, []) if w[0] <= end and e["start"] <= w[1]]
            if not hit:
                unassigned += 1
            for w in hit:
                per_wait[(m, w)] += 1
        n = sum(len(w) for w in vessel_waits.values())
        hist = collections.Counter(per_wait.values())
        print(f"  waits in the positions: {n}; with a loitering alert: {len(per_wait)}; "
              f"alerts per alerted wait: mean {sum(per_wait.values()) / max(1, len(per_wait)):.2f}, "
              f"max {max(per_wait.values(), default=0)}, histogram {dict(sorted(hist.items()))}; "
              f"alerts outside any wait: {unassigned}")


if __name__ == "__main__":
    main()
