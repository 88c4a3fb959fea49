#!/usr/bin/env python3
"""Independent check of an aiswatch evidence bundle.

Uses only Python's hashlib, zipfile, json and struct, and the `cryptography`
package from PyPI for Ed25519, so that a partner need not trust aiswatch's
own code. Before any file of the zip is read it refuses more than 64
entries, a name present twice (readers differ on which copy they show), a
name that is not a bundle's file, and sizes past the bounds below; each file
then streams through SHA-256. Checks: the Ed25519 signature over manifest.json (against --key
when given, else the bundled key, and says so), every listed file's SHA-256
and size, that no file is unlisted, and every raw line's hash-chain link
(hash = SHA-256(prev || seq u64 BE || received_at_ms i64 BE || len(source)
u16 BE || source || len(peer) u16 BE || peer || line)) plus the links between
consecutive seqs. It does not re-decode AIS (`aiswatch evidence verify` does).

A redacted bundle (the manifest's `redacted` lists `sources`: receivers
withheld) has each receiver id and each raw line's `prev` and `hash`
replaced by a commitment `withheld:<64 hex>`: its signature and file hashes
are checked as usual, the chain links of those lines cannot be, and it says so.

Usage: verify_evidence.py BUNDLE.zip [--key PUBKEY]
PUBKEY: 64 hex digits, base64 of the 32 key bytes, or a file holding either.
Exit 0: good; 1: a mismatch (each is printed); 2: bad usage.
"""

import base64
import binascii
import hashlib
import json
import os
import struct
import sys
import zipfile

UNLISTED = {"manifest.json", "manifest.sig", "public_key"}
LISTED = {
    "raw/lines.nmea", "positions.csv", "tracks.geojson", "statics.csv", "alert.json",
    "alert_changes.jsonl", "zone.geojson", "thresholds.json", "map.svg", "report.md",
}
# Directory entries a zip tool may add.
DIRECTORIES = {"raw/"}
# The files kept in memory (as `aiswatch evidence verify` keeps them); every
# other file only streams through SHA-256.
HELD = {
    "manifest.json", "manifest.sig", "public_key", "raw/lines.nmea", "positions.csv",
    "alert_changes.jsonl", "zone.geojson",
}
FORMAT = "aiswatch-evidence/1"
# What a redacted bundle may withhold, and what a withheld value reads as.
KNOWN_WITHHELD = {"sources"}
WITHHELD_PREFIX = "withheld:"


def is_commitment(s):
    """`withheld:` and 64 lowercase hex digits."""
    if not isinstance(s, str) or not s.startswith(WITHHELD_PREFIX):
        return False
    return hex32(s[len(WITHHELD_PREFIX):]) is not None

# Bounds on a bundle, as `aiswatch evidence verify` has them (README, Evidence):
# entries in the zip, bytes of one file and of all files inflated, bytes of
# the files kept in memory.
MAX_MEMBERS = 64
MAX_MEMBER_BYTES = 1 << 30
MAX_TOTAL_BYTES = 2 << 30
MAX_HELD_BYTES = 256 << 20


class Refused(Exception):
    """The zip is not read further: (file, what)."""


def central_directory_count(f):
    """The entries the zip's end record (or zip64 end record) states, read
    before anything else of the zip."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    tail_len = min(size, 22 + 0xFFFF)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    while at >= 0 and at + 22 + struct.unpack_from("<H", tail, at + 20)[0] != len(tail):
        at = tail.rfind(b"PK\x05\x06", 0, at)
    if at < 0 or len(tail) < at + 22:
        raise Refused(("bundle", "not a readable zip file: no end of central directory record"))
    count = struct.unpack_from("<H", tail, at + 10)[0]
    cd_size, cd_start = struct.unpack_from("<II", tail, at + 12)
    if count == 0xFFFF or cd_size == 0xFFFFFFFF or cd_start == 0xFFFFFFFF:
        eocd_at = size - tail_len + at
        f.seek(max(eocd_at - 20, 0))
        loc = f.read(20)
        if eocd_at < 20 or loc[:4] != b"PK\x06\x07":
            raise Refused(("bundle", "not a readable zip file: no zip64 end record locator"))
        f.seek(struct.unpack_from("<Q", loc, 8)[0])
        rec = f.read(56)
        if len(rec) < 56 or rec[:4] != b"PK\x06\x06":
            raise Refused(("bundle", "not a readable zip file: no zip64 end record"))
        count = struct.unpack_from("<Q", rec, 32)[0]
    return count


def check_tiled(f, infos, dir_start):
    """The entries' local headers and data cover the zip from its first byte
    to its central directory, no byte left over or shared: a file hidden
    between them (which a reader walking the local headers shows) is refused."""
    spans = []
    for info in infos:
        f.seek(info.header_offset)
        h = f.read(30)
        if len(h) < 30 or h[:4] != b"PK\x03\x04":
            raise Refused(("bundle", f"not a readable zip file: {info.filename}: no local header at {info.header_offset}"))
        n, e = struct.unpack_from("<HH", h, 26)
        end = info.header_offset + 30 + n + e + info.compress_size
        spans.append((info.header_offset, end, bool(info.flag_bits & 0x08)))
    at, descriptor = 0, False
    for start, end, d in sorted(spans) + [(dir_start, None, False)]:
        gap = start - at
        if not (gap == 0 or (descriptor and gap in (12, 16, 20, 24))):
            raise Refused(("bundle", f"not a readable zip file: bytes {at} to {start} of the zip belong to no entry "
                                     "of its central directory, or to two (a hidden file?)"))
        if end is not None:
            at, descriptor = end, d


def read_members(path, names=None, held_names=None, what="an evidence bundle"):
    """Every member's (bytes, SHA-256 hex), and the bytes of those of
    `held_names` (default HELD). The entry count, names (none twice, each
    one of `names`, default a bundle's) and declared sizes are checked
    before any member is read; then each streams through SHA-256, cut off
    where it inflates past its declared size."""
    names = names if names is not None else LISTED | UNLISTED | DIRECTORIES
    held_names = held_names if held_names is not None else HELD
    with open(path, "rb") as f:
        count = central_directory_count(f)
        if count > MAX_MEMBERS:
            raise Refused(("bundle", f"{count} entries in the zip, more than the {MAX_MEMBERS} a bundle may hold"))
        z = zipfile.ZipFile(f)
        infos = z.infolist()
        if len(infos) != count:
            raise Refused(("bundle", f"not a readable zip file: {len(infos)} entries, {count} in its end record"))
        seen = set()
        for info in infos:
            name = info.filename
            if name not in names:
                raise Refused(("bundle", f"{name}: not a file of {what}"))
            if name in seen:
                raise Refused(("bundle", f"{name}: appears twice in the zip (readers differ on which copy they show)"))
            seen.add(name)
        check_tiled(f, infos, z.start_dir)
        files = [i for i in infos if not i.is_dir()]
        total = held = 0
        for info in files:
            if info.file_size > MAX_MEMBER_BYTES:
                raise Refused(("bundle", f"{info.filename}: {info.file_size} bytes, more than the {MAX_MEMBER_BYTES} a bundle's file may have"))
            total += info.file_size
            if info.filename in held_names:
                held += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise Refused(("bundle", f"{total} bytes in all when inflated, more than the {MAX_TOTAL_BYTES} a bundle may have"))
        if held > MAX_HELD_BYTES:
            raise Refused(("bundle", f"{', '.join(sorted(held_names))} together hold {held} bytes, more than the {MAX_HELD_BYTES} verification reads"))
        digests, kept = {}, {}
        for info in files:
            h = hashlib.sha256()
            n = 0
            chunks = [] if info.filename in held_names else None
            with z.open(info) as m:  # checks the CRC at the end
                while True:
                    chunk = m.read(1 << 20)
                    if not chunk:
                        break
                    n += len(chunk)
                    if n > info.file_size:
                        raise Refused(("bundle", f"{info.filename}: inflates to more than the {info.file_size} bytes the zip declares"))
                    h.update(chunk)
                    if chunks is not None:
                        chunks.append(chunk)
            digests[info.filename] = (n, h.hexdigest())
            if chunks is not None:
                kept[info.filename] = b"".join(chunks)
        return digests, kept


def parse_key(text):
    t = text.strip()
    if os.path.isfile(t):
        with open(t, encoding="ascii") as f:
            return parse_key(f.read())
    try:
        raw = bytes.fromhex(t)
    except ValueError:
        try:
            raw = base64.b64decode(t, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
    if len(raw) != 32:
        raise ValueError(f"{t!r}: not a public key (64 hex digits or base64 of 32 bytes)")
    return raw


def hex32(s):
    if not isinstance(s, str) or len(s) != 64 or s.lower() != s:
        return None
    try:
        return bytes.fromhex(s)
    except ValueError:
        return None


def check(path, pinned):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    problems = []

    def bad(file, what):
        problems.append(f"{file}: {what}")

    try:
        digests, entries = read_members(path)
    except Refused as e:
        bad(*e.args[0])
        return problems, None
    except (zipfile.BadZipFile, OSError, zipfile.LargeZipFile, ValueError, struct.error, EOFError) as e:
        bad("bundle", f"not a readable zip file: {e}")
        return problems, None

    key_bytes = None
    pk = entries.get("public_key")
    if pk is None:
        bad("public_key", "missing")
    else:
        key_bytes = hex32(pk.decode("ascii", "replace").removesuffix("\n")) if pk.endswith(b"\n") else None
        if key_bytes is None:
            bad("public_key", "not an Ed25519 public key in hex")
    if pinned is not None and key_bytes is not None and pinned != key_bytes:
        bad("public_key", f"is not the pinned key: bundle {key_bytes.hex()}, pinned {pinned.hex()}")

    manifest_bytes = entries.get("manifest.json")
    if manifest_bytes is None:
        bad("manifest.json", "missing")
        return problems, None
    sig = entries.get("manifest.sig", b"")
    sig_bytes = None
    if sig.endswith(b"\n"):
        t = sig[:-1].decode("ascii", "replace")
        if len(t) == 128 and t.lower() == t:
            try:
                sig_bytes = bytes.fromhex(t)
            except ValueError:
                sig_bytes = None
    check_key = pinned if pinned is not None else key_bytes
    if sig_bytes is None:
        bad("manifest.sig", "missing or not 64 bytes in hex")
    elif check_key is None:
        bad("manifest.sig", "no key to check it with")
    else:
        try:
            Ed25519PublicKey.from_public_bytes(check_key).verify(sig_bytes, manifest_bytes)
        except (InvalidSignature, ValueError):
            bad("manifest.sig", "does not verify over manifest.json")

    try:
        m = json.loads(manifest_bytes)
        files = m["files"]
        raw_lines = m["raw_lines"]
    except (ValueError, KeyError, TypeError) as e:
        bad("manifest.json", f"not a manifest: {e}")
        return problems, None
    if m.get("format") != FORMAT:
        bad("manifest.json", f"format {m.get('format')!r}, expected {FORMAT!r}")
    if key_bytes is not None and m.get("public_key") != key_bytes.hex():
        bad("manifest.json", "public_key differs from the public_key file")
    redacted = m.get("redacted")
    withheld = []
    if redacted is not None:
        withheld = redacted.get("withheld") if isinstance(redacted, dict) else None
        if not isinstance(withheld, list):
            bad("manifest.json", "redacted: no list of what is withheld")
            withheld = []
        for k in withheld:
            if k not in KNOWN_WITHHELD:
                bad("manifest.json", f"redacted: {k!r} is not a kind this verifier knows")
    m["_unchained"] = 0

    listed = set()
    for f in files:
        p = f.get("path")
        if p in listed:
            bad(p, "listed twice in the manifest")
            continue
        listed.add(p)
        got = digests.get(p)
        if got is None:
            bad(p, "listed in the manifest but missing")
            continue
        n, h = got
        if n != f.get("bytes"):
            bad(p, f"{n} bytes, the manifest says {f.get('bytes')}")
        if h != f.get("sha256"):
            bad(p, f"SHA-256 {h} differs from the manifest's {f.get('sha256')}")
    for p in digests:
        if p not in listed and p not in UNLISTED:
            bad(p, "not listed in the manifest (added)")

    text = entries.get("raw/lines.nmea")
    if text is None:
        bad("raw/lines.nmea", "missing")
        return problems, m
    if text and not text.endswith(b"\n"):
        bad("raw/lines.nmea", "does not end with a newline")
    lines = text[:-1].split(b"\n") if text.endswith(b"\n") else (text.split(b"\n") if text else [])
    if len(lines) != len(raw_lines):
        bad("raw/lines.nmea", f"{len(lines)} lines, the manifest lists {len(raw_lines)}")
    last = None
    for i, (e, line) in enumerate(zip(raw_lines, lines)):
        at = f"line {i + 1} (seq {e.get('seq')})"
        prev, want = hex32(e.get("prev")), hex32(e.get("hash"))
        try:
            seq, rx = int(e["seq"]), int(e["received_at_ms"])
            source = e["source"].encode("utf-8")
            peer = (e.get("peer") or "").encode("utf-8")
        except (KeyError, TypeError, ValueError, AttributeError):
            bad("manifest.json", f"{at}: malformed raw line entry")
            continue
        if redacted is not None and is_commitment(e.get("prev")) and is_commitment(e.get("hash")):
            # The links are withheld: only the order of seqs can be checked.
            m["_unchained"] += 1
            if last is not None and seq <= last[0]:
                bad("raw/lines.nmea", f"{at}: seq not after the previous line's {last[0]}")
            last = (seq, None)
            continue
        if prev is None or want is None or len(source) > 65535 or len(peer) > 65535:
            bad("manifest.json", f"{at}: malformed prev, hash, source or peer")
            continue
        h = hashlib.sha256(
            prev + struct.pack(">Qq", seq, rx) + struct.pack(">H", len(source)) + source
            + struct.pack(">H", len(peer)) + peer + line
        ).digest()
        if h != want:
            bad("raw/lines.nmea", f"{at}: hash mismatch (line, receive time, source or peer changed)")
        if last is not None:
            if seq <= last[0]:
                bad("raw/lines.nmea", f"{at}: seq not after the previous line's {last[0]}")
            elif seq == last[0] + 1 and last[1] is not None and prev != last[1]:
                bad("raw/lines.nmea", f"{at}: does not chain from the line before it")
        last = (seq, want)
    check_zone_versions(entries, m, bad)
    return problems, m


def raw_features(text):
    """The text of each member of a FeatureCollection's "features", as written."""
    dec = json.JSONDecoder()
    i = text.index("[", text.index('"features"')) + 1
    out = []
    while True:
        while text[i] in " \t\r\n,":
            i += 1
        if text[i] == "]":
            return out
        _, end = dec.raw_decode(text, i)
        out.append(text[i:end])
        i = end


def check_zone_versions(entries, m, bad):
    """zone.geojson holds each zone version the manifest names, in order,
    whose text hashes to it; every alert change made under a version names
    one of them, as many times as the manifest says."""
    versions = (m.get("zone") or {}).get("versions") or []
    if not versions:
        return
    z = entries.get("zone.geojson")
    if z is None:
        bad("zone.geojson", "missing")
    else:
        try:
            feats = raw_features(z.decode("utf-8"))
        except (ValueError, IndexError) as e:
            bad("zone.geojson", f"not a FeatureCollection: {e}")
            feats = []
        if len(feats) != len(versions):
            bad("zone.geojson", f"{len(feats)} features, the manifest names {len(versions)} zone versions")
        for i, (f, v) in enumerate(zip(feats, versions)):
            got = hashlib.sha256(f.encode("utf-8")).hexdigest()
            if got != v.get("version"):
                bad("zone.geojson", f"feature #{i} is not zone version {v.get('version')} (its SHA-256 is {got})")
    changes = entries.get("alert_changes.jsonl")
    if changes is None:
        bad("alert_changes.jsonl", "missing")
        return
    used = {}
    names = {v.get("version") for v in versions}
    for i, line in enumerate(l for l in changes.split(b"\n") if l):
        try:
            v = json.loads(line).get("zone_version")
        except (ValueError, AttributeError) as e:
            bad("alert_changes.jsonl", f"line {i + 1}: not JSON: {e}")
            continue
        if v is None:
            continue
        if v not in names:
            bad("alert_changes.jsonl", f"line {i + 1}: made under zone version {v}, which the bundle does not carry")
            continue
        used[v] = used.get(v, 0) + 1
    for v in versions:
        n = used.get(v.get("version"), 0)
        if n != v.get("changes"):
            bad("manifest.json", f"zone version {v.get('version')}: {n} alert changes made under it, the manifest says {v.get('changes')}")


def file_and_key(argv, usage):
    """(FILE, pinned key or None) from `FILE [--key PUBKEY]`, or None after
    printing why (exit 2)."""
    args = argv[1:]
    name = os.path.basename(argv[0])
    pinned = None
    if "--key" in args:
        i = args.index("--key")
        if i + 1 >= len(args):
            print(usage, file=sys.stderr)
            return None
        try:
            pinned = parse_key(args[i + 1])
        except ValueError as e:
            print(f"{name}: {e}", file=sys.stderr)
            return None
        del args[i : i + 2]
    if len(args) != 1:
        print(usage, file=sys.stderr)
        return None
    return args[0], pinned


def failed(path, problems):
    """Prints the problems found in `path`; whether there were any."""
    if problems:
        print(f"{path}: FAILED, {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
    return bool(problems)


def main(argv):
    got = file_and_key(argv, "usage: verify_evidence.py BUNDLE.zip [--key PUBKEY]")
    if got is None:
        return 2
    path, pinned = got
    problems, m = check(path, pinned)
    if failed(path, problems):
        return 1
    unchained = m["_unchained"]
    print(f"{path}: OK: alert {m['alert_id']}, {len(m['files'])} files, "
          f"{len(m['raw_lines']) - unchained} raw lines chained; signature good "
          + ("(pinned key)" if pinned is not None else "(key in the bundle: NOT PINNED, pass --key)"))
    if m.get("redacted") is not None:
        print(f"  withheld: {', '.join(m['redacted']['withheld'])} (receivers): each station, source "
              f"and peer is a salted commitment; the chain links of {unchained} redacted raw lines "
              "cannot be checked from the bundle")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
