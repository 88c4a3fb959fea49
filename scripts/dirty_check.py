#!/usr/bin/env python3
"""Robustness check: does aiswatch still decode the real messages of a junk-laden file?

Usage:
  scripts/dirty_check.py [--clean FILE --dirty FILE] [--aiswatch BIN | --b-cmd 'CMD']
                         [--min 99] [--json]

Runs `gpsdecode --split24` on the CLEAN file and `BIN decode DIRTY` (or CMD with DIRTY on
stdin) and reports the share of gpsdecode's type 1-5/18/19/21 messages that appear in our
output with agreeing fields (alignment/comparison as in compare_gpsd.py, see aiscompare.py),
plus our exit code, which must be 0. Without --clean/--dirty it checks both pairs built
by make_corpus.py: AISHub sample -> bench-out/aishub-dirty.nmea and AMSA ais.txt.gz ->
bench-out/amsa-dirty.nmea. Exits 1 if a pair is below --min % or our exit code != 0.
"""
import argparse
import json
import os
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aiscompare  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = '/work/shared/data/ais'
PAIRS = [(f'{DATA}/gpsd/aishub-ais-nmea-sample.log', f'{REPO}/bench-out/aishub-dirty.nmea'),
         (f'{DATA}/amsa-risky/ais.txt.gz', f'{REPO}/bench-out/amsa-dirty.nmea')]


def check(clean, dirty, args):
    gpsd, rc, err, _ = aiscompare.run_jsonl('gpsdecode --split24', clean)
    if rc != 0:
        sys.exit(f'gpsdecode failed on {clean}: {err[:300]}')
    if args.b_cmd:
        ours, rc, err, bad = aiscompare.run_jsonl(args.b_cmd, dirty)
    else:
        ours, rc, err, bad = aiscompare.run_jsonl(
            f'{shlex.quote(args.aiswatch)} decode {shlex.quote(dirty)}')
    s = aiscompare.compare(gpsd, ours, aiscompare.scan_nmea(clean))
    found = s['matched']
    s.update({'clean': clean, 'dirty': dirty, 'exit_code': rc, 'stderr_head': err[:300],
              'unparseable_json_lines': bad,
              'found_pct': 100.0 * found / s['gpsd_messages'] if s['gpsd_messages'] else 0.0})
    s['ok'] = rc == 0 and s['agreement_pct'] >= args.min
    return s


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--clean')
    ap.add_argument('--dirty')
    ap.add_argument('--aiswatch', default=os.path.join(REPO, 'target/release/aiswatch'))
    ap.add_argument('--b-cmd', help='shell command reading the DIRTY file on stdin')
    ap.add_argument('--min', type=float, default=99.0)
    ap.add_argument('--json', action='store_true')
    args = ap.parse_args()
    if not args.b_cmd and not os.access(args.aiswatch, os.X_OK):
        print(f'aiswatch binary not found: {args.aiswatch} (cargo build --release?)', file=sys.stderr)
        sys.exit(2)
    pairs = [(args.clean, args.dirty)] if args.clean else PAIRS
    for c, d in pairs:
        if not os.path.exists(d):
            print(f'{d} missing: run scripts/make_corpus.py first', file=sys.stderr)
            sys.exit(2)
    results = [check(c, d, args) for c, d in pairs]
    if args.json:
        print(json.dumps(results, indent=1, default=str))
    else:
        for s in results:
            aiscompare.print_report(s, f"clean {s['clean']} (gpsdecode) vs dirty {s['dirty']}")
            print(f"found (matched by type+mmsi): {s['found_pct']:.3f} %; found and agreeing: "
                  f"{s['agreement_pct']:.3f} % (target >= {args.min}); exit code {s['exit_code']}"
                  f" -> {'OK' if s['ok'] else 'FAIL'}\n")
    sys.exit(0 if all(s['ok'] for s in results) else 1)


if __name__ == '__main__':
    main()
