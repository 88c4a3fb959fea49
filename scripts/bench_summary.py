#!/usr/bin/env python3
"""Markdown table from a hyperfine --export-json file.

Usage: scripts/bench_summary.py BENCH.json [--lines N | --corpus FILE] [--baseline gpsdecode]

Columns: command, median s (min-max), lines/s (N / median), speed vs the baseline command
(baseline median / median, so >1 means faster than gpsdecode).
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('json_file')
    ap.add_argument('--lines', type=int, help='input line count (for lines/s)')
    ap.add_argument('--corpus', help='count lines of this file instead of --lines')
    ap.add_argument('--baseline', default='gpsdecode', help='command name of the reference')
    args = ap.parse_args()
    lines = args.lines
    if args.corpus:
        with open(args.corpus, 'rb') as f:
            lines = sum(1 for _ in f)
    results = json.load(open(args.json_file))['results']
    base = next((r for r in results if r.get('command') == args.baseline), results[0])
    print(f"| command | median s (min-max) | lines/s | speed vs {base['command']} |")
    print('|---|---|---|---|')
    for r in results:
        med = r['median']
        lps = f'{lines / med:,.0f}' if lines else 'n/a'
        print(f"| {r['command']} | {med:.3f} ({r['min']:.3f}-{r['max']:.3f}) | {lps} | "
              f"{base['median'] / med:.2f}x |")
    if len(results) == 1:
        print('\n(only one command was benchmarked)', file=sys.stderr)


if __name__ == '__main__':
    main()
