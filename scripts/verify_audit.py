#!/usr/bin/env python3
"""Independent check of an aiswatch audit extract (`aiswatch audit export`).

Uses only Python's hashlib, zipfile and json, the zip reading of
verify_evidence.py (the same refusals: entry count, names, sizes, hidden
bytes), and the `cryptography` package for Ed25519. Checks: the signature
over manifest.json (against --key when given, else the key in the extract,
and says so), every file's SHA-256 and size, that the records run on from
`first_seq` without a gap, that each record's hash chains from the one before
(hash = SHA-256(previous hash as 32 bytes || the record's line as UTF-8),
starting from the manifest's `first_prev`) up to its `last_hash`, and that
every checkpoint in checkpoints.jsonl is signed by the same key over
"aiswatch audit checkpoint\\nseq N\\nhash H\\nat T\\n" and names the hash the
chain has at its record.

Usage: verify_audit.py EXTRACT.zip [--key PUBKEY]
PUBKEY: 64 hex digits, base64 of the 32 key bytes, or a file holding either.
Exit 0: good; 1: a problem (each is printed); 2: bad usage.
"""

import hashlib
import json
import os
import struct
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verify_evidence import Refused, failed, file_and_key, hex32, read_members  # noqa: E402

FORMAT = "aiswatch-audit-extract/1"
FILES = {"records.jsonl", "checkpoints.jsonl"}
NAMES = FILES | {"manifest.json", "manifest.sig", "public_key"}


def check(path, pinned):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    problems = []

    def bad(file, what):
        problems.append(f"{file}: {what}")

    try:
        digests, entries = read_members(path, NAMES, NAMES, "an audit extract")
    except Refused as e:
        bad(*e.args[0])
        return problems, None
    except (zipfile.BadZipFile, OSError, zipfile.LargeZipFile, ValueError, struct.error, EOFError) as e:
        bad("extract", f"not a readable zip file: {e}")
        return problems, None

    pk = entries.get("public_key", b"")
    key_bytes = hex32(pk[:-1].decode("ascii", "replace")) if pk.endswith(b"\n") else None
    if key_bytes is None:
        bad("public_key", "missing or not an Ed25519 public key in hex")
    if pinned is not None and key_bytes is not None and pinned != key_bytes:
        bad("public_key", f"is not the pinned key: extract {key_bytes.hex()}, pinned {pinned.hex()}")
    check_key = pinned if pinned is not None else key_bytes
    manifest_bytes = entries.get("manifest.json")
    if manifest_bytes is None:
        bad("manifest.json", "missing")
        return problems, None
    sig = entries.get("manifest.sig", b"")
    try:
        sig_bytes = bytes.fromhex(sig[:-1].decode("ascii")) if sig.endswith(b"\n") else None
    except ValueError:
        sig_bytes = None
    public = None
    if sig_bytes is None or len(sig_bytes) != 64:
        bad("manifest.sig", "missing or not 64 bytes in hex")
    elif check_key is None:
        bad("manifest.sig", "no key to check it with")
    else:
        public = Ed25519PublicKey.from_public_bytes(check_key)
        try:
            public.verify(sig_bytes, manifest_bytes)
        except InvalidSignature:
            bad("manifest.sig", "does not verify over manifest.json")
    try:
        m = json.loads(manifest_bytes)
    except ValueError as e:
        bad("manifest.json", f"not JSON: {e}")
        return problems, None
    if m.get("format") != FORMAT:
        bad("manifest.json", f"format {m.get('format')!r}, expected {FORMAT!r}")
        return problems, m
    listed = {f["path"]: f for f in m.get("files", [])}
    for name in FILES:
        f = listed.get(name)
        if f is None:
            bad(name, "not listed in the manifest")
        elif name not in digests:
            bad(name, "missing")
        elif digests[name] != (f["bytes"], f["sha256"]):
            bad(name, f"SHA-256 or size differs from the manifest's ({digests[name][1]}, {digests[name][0]} bytes)")
    for name in digests:
        if name in FILES and name not in listed:
            bad(name, "in the zip but not in the manifest")

    # The chain.
    hashes = {}
    records = entries.get("records.jsonl", b"")
    lines = records.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    prev = hex32(m.get("first_prev") or "")
    seq = m.get("first_seq")
    if lines and (prev is None or not isinstance(seq, int)):
        bad("manifest.json", "records without first_prev and first_seq")
        return problems, m
    for i, line in enumerate(lines, 1):
        try:
            rec = json.loads(line)
        except ValueError as e:
            bad("records.jsonl", f"line {i}: not JSON: {e}")
            return problems, m
        if rec.get("seq") != seq:
            bad("records.jsonl", f"line {i}: record {rec.get('seq')} where record {seq} was due (removed or inserted)")
            return problems, m
        prev = hashlib.sha256(prev + line).digest()
        hashes[seq] = prev.hex()
        seq += 1
    if len(lines) != m.get("records"):
        bad("manifest.json", f"says {m.get('records')} records, records.jsonl holds {len(lines)}")
    if lines and m.get("last_seq") != seq - 1:
        bad("manifest.json", f"last_seq {m.get('last_seq')}, the records end at {seq - 1}")
    if lines and m.get("last_hash") != prev.hex():
        bad("records.jsonl", "the chain does not end at the manifest's last_hash (a record changed)")

    # The checkpoints.
    for i, line in enumerate(entries.get("checkpoints.jsonl", b"").splitlines(), 1):
        try:
            cp = json.loads(line)
            text = f"aiswatch audit checkpoint\nseq {cp['seq']}\nhash {cp['hash']}\nat {cp['at']}\n"
            cp_sig = bytes.fromhex(cp["signature"])
        except (ValueError, KeyError, TypeError) as e:
            bad("checkpoints.jsonl", f"line {i}: not a checkpoint: {e}")
            continue
        if public is not None:
            try:
                public.verify(cp_sig, text.encode())
            except InvalidSignature:
                bad("checkpoints.jsonl", f"line {i}: checkpoint of record {cp['seq']} not signed by the key")
        if hashes.get(cp["seq"]) != cp["hash"]:
            bad("checkpoints.jsonl", f"line {i}: checkpoint of record {cp['seq']} names another hash than the chain's")
    return problems, m


def main(argv):
    got = file_and_key(argv, "usage: verify_audit.py EXTRACT.zip [--key PUBKEY]")
    if got is None:
        return 2
    path, pinned = got
    problems, m = check(path, pinned)
    if failed(path, problems):
        return 1
    span = f"records {m['first_seq']} to {m['last_seq']}" if m.get("records") else "no records"
    print(f"{path}: OK: {m['records']} audit records ({span}) from {m['since']} to {m['until']}, chained; "
          "signature good " + ("(pinned key)" if pinned is not None else "(key in the extract: NOT PINNED, pass --key)"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
