#!/usr/bin/env python3
"""Build the benchmark / robustness corpora reproducibly (fixed seed).

Usage:
  scripts/make_corpus.py [--out bench-out] [--data /work/shared/data/ais] [--seed 20240101]

Writes into --out (default <repo>/bench-out, gitignored):
  aishub-1m.nmea     AISHub sample repeated to exactly 1,000,000 lines; a multi-part
                     message is never split (a group that doesn't fit is skipped and
                     the next fitting line is used instead).
  aishub-dirty.nmea  AISHub sample with junk inserted between complete messages
  amsa-dirty.nmea    decompressed AMSA ais.txt.gz with junk inserted likewise
  corpus-manifest.json  sources, line counts and injected-junk counts per file
Junk kinds (one item about every 50 real lines, never between fragments of a message):
  binary (random bytes, no \\n), long20k (20 KB line, AIVDM-like or printable),
  truncated (real sentence cut before its checksum), orphan_first / orphan_second
  (copy of one fragment of a real multi-part message), flipped (real sentence with one
  payload character changed -> bad checksum), bad_tagblock (`\\s:foo,c:12*ZZ\\` prefix)
  and unterminated_tagblock (`\\s:foo,c:12` prefix without closing backslash).
"""
import argparse
import gzip
import json
import os
import random
from collections import Counter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAYLOAD_CHARS = b'0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw'


def frag_info(line):
    """(count, num, seqid, channel) for a !xxVDM/VDO line, else None."""
    k = line.find(b'!')
    if k < 0 or line[k + 3:k + 6] not in (b'VDM', b'VDO'):
        return None
    p = line[k:].split(b',')
    if len(p) < 7:
        return None
    try:
        return int(p[1]), int(p[2]), p[3], p[4]
    except ValueError:
        return None


def units(lines):
    """Group lines into units: a complete (consecutive) multi-part message, or one line."""
    out, cur = [], []
    for ln in lines:
        fi = frag_info(ln)
        if cur:
            c0, n0, s0, ch0 = frag_info(cur[-1])
            if fi and fi[0] == c0 and fi[1] == n0 + 1 and fi[2] == s0 and fi[3] == ch0:
                cur.append(ln)
                if fi[1] == fi[0]:
                    out.append(cur); cur = []
                continue
            out.extend([x] for x in cur); cur = []       # broken group: plain lines
        if fi and fi[0] > 1 and fi[1] == 1:
            cur = [ln]
        else:
            out.append([ln])
    out.extend([x] for x in cur)
    return out


def read_lines(path):
    data = (gzip.open if path.endswith('.gz') else open)(path, 'rb').read()
    lines = data.split(b'\n')
    if lines and lines[-1] == b'':
        lines.pop()
    return lines


def make_1m(lines, n=1_000_000):
    us = units(lines)
    out, i = [], 0
    while len(out) < n:
        u = us[i % len(us)]
        i += 1
        if len(out) + len(u) <= n:
            out.extend(u)
    return out


def checksum_ok_sentence(line):
    """Index of the '*' of a single-line sentence with a valid-looking layout, else -1."""
    k = line.find(b'!')
    star = line.find(b'*', k)
    return star if k >= 0 and star > k + 10 else -1


def nmea_checksum(body):
    x = 0
    for b in body:
        x ^= b
    return b'%02X' % x


def split_sentence(line, seq):
    """Synthesize a valid 2-fragment version of a single-line sentence (for files that
    have (almost) no real multi-part messages, e.g. AMSA)."""
    k = line.find(b'!')
    f = line[k + 1:line.find(b'*', k)].split(b',')
    pl = f[5]
    cut = len(pl) // 2
    parts = []
    for num, chunk, fill in ((b'1', pl[:cut], b'0'), (b'2', pl[cut:], f[6])):
        body = b','.join([f[0], b'2', num, seq, f[4] or b'A', chunk, fill])
        parts.append(b'!' + body + b'*' + nmea_checksum(body))
    return parts


def junk(kind, rng, singles, firsts, seconds):
    if kind == 'binary':
        return bytes(b for b in rng.randbytes(rng.randint(1, 300)) if b != 10)
    if kind == 'long20k':
        if rng.random() < 0.5:
            body = bytes(rng.choice(PAYLOAD_CHARS) for _ in range(20480))
            return b'!AIVDM,1,1,,A,' + body + b',0*00'
        return bytes(rng.randint(32, 126) for _ in range(20480))
    if kind == 'truncated':
        s = rng.choice(singles + firsts)
        star = s.find(b'*')
        return s[:rng.randint(1, star)] if star > 1 else s[:len(s) // 2]
    if kind == 'orphan_first':
        return rng.choice(firsts)
    if kind == 'orphan_second':
        return rng.choice(seconds)
    if kind == 'flipped':
        s = bytearray(rng.choice(singles))
        k = s.find(b'!')
        fields = bytes(s[k:]).split(b',')
        start = k + sum(len(x) + 1 for x in fields[:5])   # payload = 6th field
        end = start + len(fields[5])
        pos = rng.randrange(start, end)
        s[pos] = rng.choice([c for c in PAYLOAD_CHARS if c != s[pos]])
        return bytes(s)
    if kind == 'bad_tagblock':
        return b'\\s:foo,c:12*ZZ\\' + rng.choice(singles)
    if kind == 'unterminated_tagblock':
        return b'\\s:foo,c:12' + rng.choice(singles)
    raise ValueError(kind)


KINDS = ['binary', 'long20k', 'truncated', 'orphan_first', 'orphan_second', 'flipped',
         'bad_tagblock', 'unterminated_tagblock']


def make_dirty(lines, rng, every=50):
    us = units(lines)
    singles = [u[0] for u in us if len(u) == 1 and frag_info(u[0]) and frag_info(u[0])[0] == 1
               and checksum_ok_sentence(u[0]) > 0]
    multi = [u for u in us if len(u) == 2]
    if len(multi) < 20:   # synthesize 2-part messages from the longest single sentences
        longest = sorted(singles, key=len)[-200:]
        multi = [split_sentence(x, str(rng.randint(0, 9)).encode()) for x in longest]
    firsts = [u[0] for u in multi]
    seconds = [u[1] for u in multi]
    out, counts = [], Counter()
    gap = rng.randint(every // 2, every * 3 // 2)
    since = 0
    for u in us:
        out.extend(u)
        since += len(u)
        if since >= gap:
            kind = rng.choice(KINDS)
            out.append(junk(kind, rng, singles, firsts, seconds))
            counts[kind] += 1
            since, gap = 0, rng.randint(every // 2, every * 3 // 2)
    return out, counts


def write(path, lines):
    with open(path, 'wb') as f:
        for ln in lines:
            f.write(ln + b'\n')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=os.path.join(REPO, 'bench-out'))
    ap.add_argument('--data', default='/work/shared/data/ais')
    ap.add_argument('--seed', type=int, default=20240101)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    aishub = os.path.join(args.data, 'gpsd/aishub-ais-nmea-sample.log')
    amsa = os.path.join(args.data, 'amsa-risky/ais.txt.gz')
    manifest = {'seed': args.seed}

    hub = read_lines(aishub)
    m = make_1m(hub)
    write(os.path.join(args.out, 'aishub-1m.nmea'), m)
    manifest['aishub-1m.nmea'] = {'source': aishub, 'lines': len(m)}
    print(f'aishub-1m.nmea: {len(m)} lines')

    for name, src in (('aishub-dirty.nmea', aishub), ('amsa-dirty.nmea', amsa)):
        rng = random.Random(f'{args.seed}:{name}')
        lines = read_lines(src)
        out, counts = make_dirty(lines, rng)
        write(os.path.join(args.out, name), out)
        manifest[name] = {'source': src, 'clean_lines': len(lines), 'lines': len(out),
                          'injected': dict(sorted(counts.items())),
                          'injected_total': sum(counts.values())}
        print(f'{name}: {len(lines)} clean + {sum(counts.values())} injected = {len(out)} lines; '
              + ', '.join(f'{k}={counts[k]}' for k in KINDS))
    with open(os.path.join(args.out, 'corpus-manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


if __name__ == '__main__':
    main()
