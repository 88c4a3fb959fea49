#!/usr/bin/env python3
"""Independent check of an aiswatch evidence bundle.

Uses only Python's hashlib, zipfile, json and struct, and the `cryptography`
package from PyPI for Ed25519, so that a partner need not trust aiswatch's
own code. Checks: the Ed25519 signature over manifest.json (against --key
when given, else the bundled key, and says so), every listed file's SHA-256
and size, that no file is unlisted, and every raw line's hash-chain link
(hash = SHA-256(prev || seq u64 BE || received_at_ms i64 BE || len(source)
u16 BE || source || len(peer) u16 BE || peer || line)) plus the links between
consecutive seqs. It does not re-decode AIS (`aiswatch evidence verify` does).

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
FORMAT = "aiswatch-evidence/1"


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
        z = zipfile.ZipFile(path)
        entries = {}
        for info in z.infolist():
            if info.is_dir():
                continue
            if info.filename in entries:
                bad(info.filename, "appears twice")
            entries[info.filename] = z.read(info)  # checks the CRC
    except (zipfile.BadZipFile, OSError, zipfile.LargeZipFile, ValueError) as e:
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

    listed = set()
    for f in files:
        p = f.get("path")
        if p in listed:
            bad(p, "listed twice in the manifest")
            continue
        listed.add(p)
        data = entries.get(p)
        if data is None:
            bad(p, "listed in the manifest but missing")
            continue
        if len(data) != f.get("bytes"):
            bad(p, f"{len(data)} bytes, the manifest says {f.get('bytes')}")
        h = hashlib.sha256(data).hexdigest()
        if h != f.get("sha256"):
            bad(p, f"SHA-256 {h} differs from the manifest's {f.get('sha256')}")
    for p in entries:
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
            elif seq == last[0] + 1 and prev != last[1]:
                bad("raw/lines.nmea", f"{at}: does not chain from the line before it")
        last = (seq, want)
    return problems, m


def main(argv):
    args = argv[1:]
    pinned = None
    if "--key" in args:
        i = args.index("--key")
        if i + 1 >= len(args):
            print("usage: verify_evidence.py BUNDLE.zip [--key PUBKEY]", file=sys.stderr)
            return 2
        try:
            pinned = parse_key(args[i + 1])
        except ValueError as e:
            print(f"verify_evidence.py: {e}", file=sys.stderr)
            return 2
        del args[i : i + 2]
    if len(args) != 1:
        print("usage: verify_evidence.py BUNDLE.zip [--key PUBKEY]", file=sys.stderr)
        return 2
    problems, m = check(args[0], pinned)
    if problems:
        print(f"{args[0]}: FAILED, {len(problems)} problem(s):")
        for p in problems:
            print(f"  {p}")
        return 1
    print(f"{args[0]}: OK: alert {m['alert_id']}, {len(m['files'])} files, "
          f"{len(m['raw_lines'])} raw lines chained; signature good "
          + ("(pinned key)" if pinned is not None else "(key in the bundle: NOT PINNED, pass --key)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
