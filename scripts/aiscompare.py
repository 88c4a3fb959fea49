"""Shared helpers for comparing AIS JSON-lines decodes (gpsdecode vs aiswatch).

Used by compare_gpsd.py and dirty_check.py; not meant to be run directly.

  run_jsonl(cmd, stdin_file=None)  -> (list of AIS dicts, exit code, stderr)
  scan_nmea(path)                  -> [(type, mmsi, line_no)] per completed message
  align(a_keys, b_keys)            -> [(i, j)] pairs, i/j None when unmatched
  compare(gpsd_msgs, our_msgs, line_hint) -> summary dict
"""
import datetime
import gzip
import json
import math
import subprocess
from collections import Counter, defaultdict

TYPES = (1, 2, 3, 4, 5, 18, 19, 21)
POS = ('lat', 'lon')
# field -> absolute tolerance (None = exact)
FIELDS = {
    'mmsi': None, 'status': None, 'lat': 1.2e-6, 'lon': 1.2e-6,
    'speed': 0.05, 'course': 0.05, 'heading': None, 'shipname': None,
    'callsign': None, 'imo': None, 'destination': None, 'draught': 0.05,
    'timestamp': None, 'name': None, 'aid_type': None,
}
# "not available" values as gpsdecode prints them; our null matches these.
# (Class A speed n/a is printed as the string "nan", Class B as 102.3.)
SENTINELS = {
    'lat': {91.0}, 'lon': {181.0}, 'speed': {102.3, 'nan'},
    'course': {360.0}, 'heading': {511}, 'draught': {0.0}, 'imo': {0},
    'shipname': {''}, 'callsign': {''}, 'destination': {''}, 'name': {''},
}
STRINGS = ('shipname', 'callsign', 'destination', 'name')


def open_text(path):
    if path.endswith('.gz'):
        return gzip.open(path, 'rt', encoding='latin-1', newline='')
    return open(path, 'r', encoding='latin-1', newline='')


def parse_jsonl(text):
    """AIS objects from JSON lines; other classes (TPV, ...) and junk lines are skipped."""
    out, bad = [], 0
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith('{'):
            continue
        try:
            o = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(o, dict) and o.get('class', 'AIS') == 'AIS' and 'type' in o:
            out.append(o)
    return out, bad


def run_jsonl(cmd, stdin_file=None):
    """Run cmd (shell string); if stdin_file is given, feed it (gunzipped) on stdin."""
    stdin = None
    if stdin_file is not None:
        stdin = subprocess.PIPE
    p = subprocess.Popen(cmd, shell=True, stdin=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    data = None
    if stdin_file is not None:
        data = (gzip.open if stdin_file.endswith('.gz') else open)(stdin_file, 'rb').read()
    out, err = p.communicate(data)
    msgs, bad = parse_jsonl(out.decode('utf-8', 'replace'))
    return msgs, p.returncode, err.decode('utf-8', 'replace'), bad


def _sixbit(payload, nbits):
    v = 0
    for c in payload[:(nbits + 5) // 6]:
        d = ord(c) - 48
        if d > 40:
            d -= 8
        v = (v << 6) | (d & 0x3f)
    return v, len(payload[:(nbits + 5) // 6]) * 6


def scan_nmea(path):
    """Cheap reassembly of !xxVDM/VDO sentences (no checksum check) to find, for each
    message, (type, mmsi, 1-based line number of its last fragment). Only used to
    attach input line numbers to gpsdecode's messages, so approximations are fine."""
    res, pending = [], {}
    with open_text(path) as f:
        for n, line in enumerate(f, 1):
            k = line.find('!')
            if k < 0 or line[k + 3:k + 6] not in ('VDM', 'VDO'):
                continue
            p = line[k:].split('*')[0].split(',')
            if len(p) < 7:
                continue
            try:
                cnt, num = int(p[1]), int(p[2])
            except ValueError:
                continue
            key = (p[3], p[4])
            if cnt == 1:
                payload = p[5]
            else:
                if num == 1:
                    pending[key] = [p[5]]
                    continue
                if key not in pending or len(pending[key]) != num - 1:
                    pending.pop(key, None)
                    continue
                pending[key].append(p[5])
                if num < cnt:
                    continue
                payload = ''.join(pending.pop(key))
            v, nb = _sixbit(payload, 38)
            if nb < 38:
                continue
            v >>= nb - 38
            res.append((v >> 32, v & 0x3fffffff, n))
    return res


def align(a, b, window=64):
    """Greedy alignment of two key sequences that are mostly in the same order.
    Returns pairs (i, j); (i, None) = only in a, (None, j) = only in b."""
    i = j = 0
    pairs = []
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            pairs.append((i, j)); i += 1; j += 1
            continue
        da = next((d for d in range(1, window) if j + d < len(b) and b[j + d] == a[i]), None)
        db = next((d for d in range(1, window) if i + d < len(a) and a[i + d] == b[j]), None)
        if da is not None and (db is None or da <= db):
            pairs.extend((None, j + d) for d in range(da)); j += da
        elif db is not None:
            pairs.extend((i + d, None) for d in range(db)); i += db
        else:
            pairs.append((i, None)); pairs.append((None, j)); i += 1; j += 1
    pairs.extend((k, None) for k in range(i, len(a)))
    pairs.extend((None, k) for k in range(j, len(b)))
    return pairs


def key(o):
    return (o.get('type'), o.get('mmsi'))


def _valid_ts(s):
    try:
        datetime.datetime.strptime(s, '%Y-%m-%dT%H:%M:%SZ')
        return True
    except (TypeError, ValueError):
        return False


def field_equal(f, g, o):
    """g = gpsdecode value, o = ours (may be missing/None)."""
    if o is None:
        if f == 'timestamp':
            return not _valid_ts(g)          # gpsd prints e.g. "0000-00-00T24:60:60Z"
        return g in SENTINELS.get(f, ())
    if f in STRINGS or isinstance(g, str) or isinstance(o, str):
        if f in STRINGS:
            return str(g).rstrip(' @') == str(o).rstrip(' @')
        if g == 'nan' and f in SENTINELS:   # class A speed n/a
            return o in SENTINELS[f] or (isinstance(o, float) and math.isnan(o))
        if g == 'fast' and f == 'speed':    # class A speed raw 1022 (>= 102.2 kn)
            return o == 'fast' or (isinstance(o, (int, float)) and abs(o - 102.2) <= 0.05)
        return str(g) == str(o)
    tol = FIELDS.get(f)
    try:
        if tol is None:
            return g == o
        return abs(float(g) - float(o)) <= tol
    except (TypeError, ValueError):
        return False


def compare(gpsd, ours, line_hint=None, types=TYPES, top=20):
    """Align gpsd/ours message lists by (type, mmsi) and compare the fields in FIELDS.
    line_hint: output of scan_nmea() for the gpsd input, to report line numbers."""
    gl = [None] * len(gpsd)
    if line_hint:
        for i, j in align([key(o) for o in gpsd], [(t, m) for t, m, _ in line_hint]):
            if i is not None and j is not None:
                gl[i] = line_hint[j][2]
        prev = 0
        for i, v in enumerate(gl):   # unknown (e.g. gpsd joined fragments with different seq ids)
            if v is None:
                gl[i] = f'after {prev}'
            else:
                prev = v
    per = defaultdict(Counter)
    bad_fields = Counter()
    examples = []
    extra = Counter()
    missing_examples = []
    for i, j in align([key(o) for o in gpsd], [key(o) for o in ours]):
        if i is None:
            t = ours[j].get('type')
            extra[t if t in types else 'other'] += 1
            continue
        g = gpsd[i]
        t = g['type']
        if t not in types:
            continue
        per[t]['gpsd'] += 1
        if j is None:
            per[t]['missing'] += 1
            if len(missing_examples) < top:
                missing_examples.append({'msg': i, 'line': gl[i], 'type': t, 'mmsi': g.get('mmsi')})
            continue
        per[t]['matched'] += 1
        o = ours[j]
        diffs = [f for f in FIELDS if f in g and not field_equal(f, g[f], o.get(f))]
        if not diffs:
            per[t]['agree'] += 1
        for f in diffs:
            bad_fields[(t, f)] += 1
            if len(examples) < top:
                examples.append({'field': f, 'type': t, 'mmsi': g.get('mmsi'), 'gpsd': g[f],
                                 'ours': o.get(f, '<missing>'), 'msg': i, 'line': gl[i]})
    tot = sum(c['gpsd'] for c in per.values())
    agree = sum(c['agree'] for c in per.values())
    return {
        'per_type': {str(t): dict(per[t]) for t in sorted(per)},
        'gpsd_messages': tot,
        'matched': sum(c['matched'] for c in per.values()),
        'agree': agree,
        'agreement_pct': 100.0 * agree / tot if tot else 0.0,
        'missing': sum(c['missing'] for c in per.values()),
        'extra': {str(k): v for k, v in sorted(extra.items(), key=str)},
        'disagreeing_fields': {f'{t}:{f}': n for (t, f), n in bad_fields.most_common()},
        'examples': examples,
        'missing_examples': missing_examples,
    }


def print_report(s, title=''):
    if title:
        print(f'== {title}')
    print(f"{'type':>5} {'gpsd':>8} {'matched':>8} {'agree':>8} {'missing':>8}")
    for t, c in s['per_type'].items():
        print(f"{t:>5} {c.get('gpsd', 0):>8} {c.get('matched', 0):>8} {c.get('agree', 0):>8} "
              f"{c.get('missing', 0):>8}")
    print(f"agreement: {s['agree']}/{s['gpsd_messages']} = {s['agreement_pct']:.3f} %  "
          f"(matched {s['matched']}, we lack {s['missing']})")
    print(f"extra messages only in ours (by type): {s['extra'] or 'none'}")
    if s['disagreeing_fields']:
        print('disagreeing fields (type:field count):', s['disagreeing_fields'])
    for e in s['examples']:
        print(f"  type {e['type']} mmsi {e['mmsi']} {e['field']}: gpsd={e['gpsd']!r} ours={e['ours']!r} "
              f"(gpsd msg #{e['msg']}, input line {e['line']})")
    if s['missing_examples']:
        print('first messages we lack:')
        for e in s['missing_examples']:
            print(f"  type {e['type']} mmsi {e['mmsi']} (gpsd msg #{e['msg']}, input line {e['line']})")
