#!/usr/bin/env python3
"""Measure field agreement between gpsdecode and `aiswatch decode` on one NMEA file.

Usage:
  scripts/compare_gpsd.py --input FILE [--aiswatch BIN | --b-cmd 'CMD'] [--min 99.5] [--json]

A side: `gpsdecode --split24` fed FILE on stdin (gunzipped if FILE ends in .gz).
B side: `BIN decode FILE` (default BIN = <repo>/target/release/aiswatch), or, with
--b-cmd, any shell command that reads the (gunzipped) file on stdin and prints gpsd-style
JSON lines (e.g. --b-cmd 'gpsdecode --split24' for a self-test).
Messages of types 1,2,3,4,5,18,19,21 are aligned on (type, mmsi) and compared on
mmsi,status,lat,lon,speed,course,heading,shipname,callsign,imo,destination,draught,
timestamp (type 4), name and aid_type (type 21); see aiscompare.py for tolerances and
"not available" handling. Exits 1 if agreement % < --min, 2 if a command fails.
"""
import argparse
import json
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aiscompare  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--input', required=True)
    ap.add_argument('--aiswatch', default=os.path.join(REPO, 'target/release/aiswatch'))
    ap.add_argument('--b-cmd', help='shell command reading the file on stdin (replaces aiswatch)')
    ap.add_argument('--a-cmd', default='gpsdecode --split24', help='reference command (stdin)')
    ap.add_argument('--min', type=float, default=99.5)
    ap.add_argument('--json', action='store_true', help='print the summary as JSON')
    ap.add_argument('--no-lines', action='store_true', help='skip input line-number lookup')
    args = ap.parse_args()

    gpsd, rc, err, _ = aiscompare.run_jsonl(args.a_cmd, args.input)
    if rc != 0:
        die(f'{args.a_cmd} failed ({rc}): {err[:500]}')
    if args.b_cmd:
        b_label = args.b_cmd
        ours, rc, err, bad = aiscompare.run_jsonl(args.b_cmd, args.input)
    else:
        if not os.access(args.aiswatch, os.X_OK):
            die(f'aiswatch binary not found: {args.aiswatch} (cargo build --release?)')
        b_label = f'{args.aiswatch} decode'
        ours, rc, err, bad = aiscompare.run_jsonl(
            f'{shlex.quote(args.aiswatch)} decode {shlex.quote(args.input)}')
    if rc != 0:
        print(f'WARNING: {b_label} exited {rc}: {err[:500]}', file=sys.stderr)

    hint = None if args.no_lines else aiscompare.scan_nmea(args.input)
    s = aiscompare.compare(gpsd, ours, hint)
    s.update({'input': args.input, 'b_cmd': b_label, 'b_exit_code': rc,
              'b_unparseable_json_lines': bad, 'min': args.min,
              'gpsd_total_ais': len(gpsd), 'ours_total_ais': len(ours)})
    if args.json:
        print(json.dumps(s, indent=1, default=str))
    else:
        aiscompare.print_report(s, f'{args.input}: gpsdecode vs {b_label}')
        print(f"all AIS messages: gpsd {len(gpsd)}, ours {len(ours)}; ours exit code {rc}; "
              f"unparseable JSON lines in ours: {bad}")
    if rc != 0:
        sys.exit(2)
    sys.exit(0 if s['agreement_pct'] >= args.min else 1)


if __name__ == '__main__':
    main()
