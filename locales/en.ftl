# aiswatch — English. Every other catalog falls back to this one, message by
# message; a test fails when another catalog lacks a message this one has.
#
# Arguments: $vessel is "MMSI (NAME, FLAG)", $zone the zone's name (or id),
# $receiver(s) station ids (never "station": sharing withholds those keys);
# figures arrive formatted the language's way (see number-* and duration-*).

## How this language writes figures

# Decimal separator; "none" for no thousands grouping (numbers of five
# digits or more are grouped otherwise).
number-decimal = .
number-group = none
duration-minutes = { $m }m
duration-hours = { $h }h { $m }m
duration-days = { $d }d { $h }h { $m }m
# Between clauses of one sentence.
clause-separator = { "; " }
# Between names in a list.
list-separator = { ", " }

## Alert summaries

ended-clause = ; ended: { $reason }
silences-clause = { $count ->
    [one] ; went on after { $longest } of AIS silence
   *[other] ; went on after { $count } AIS silences (longest { $longest })
}

dark-period-open = { $vessel } silent for { $silent } in { $zone } (threshold { $threshold }); last heard at { $lat }, { $lon } by station { $receiver }; { $why }.
dark-period-why-vessel = { $count ->
    [one] station { $receivers } that heard it kept receiving
   *[other] stations { $receivers } that heard it kept receiving
}
dark-period-why-cell = { $count ->
    [one] station { $receivers } covering where it would be now kept receiving
   *[other] stations { $receivers } covering where it would be now kept receiving
}
dark-period-why-explained = the stations that heard it were down for only { $explained } of it
dark-period-returned = { $vessel } reappeared after { $gap } of AIS silence in { $zone }, { $distance_nm } nm from where it went dark (implied { $speed_kn } kn).
dark-period-forgotten = { $vessel } not heard again after { $silent } of AIS silence in { $zone }; ended: { $reason } (no longer tracked).
dark-period-unwatched = { $vessel }: dark-period watch ended ({ $reason }) in { $zone } while still silent.

loitering = { $vessel } loitering { $duration } in { $zone } at ≤ { $max_speed_kn } kn (threshold { $threshold_kn } kn for { $min_duration }){ $silences }{ $ended }.

rendezvous = { $vessel } and { $other } together for { $duration } in { $zone }, { $distance_m } m apart (closest { $closest_m } m), both ≤ { $max_speed_kn } kn (threshold { $threshold_m } m for { $min_duration }){ $silences }{ $ended }.

drifting = { $vessel } drifting { $duration } in { $zone }: heading { $min_angle }–{ $max_angle }° off its course at up to { $max_speed_kn } kn (threshold { $threshold_min_angle }–{ $threshold_max_angle }° at { $threshold_min_kn }–{ $threshold_max_kn } kn for { $min_duration }){ $ended }.

fishing = { $vessel } fishing in closed area { $zone } for { $duration } at { $min_speed_kn }–{ $max_speed_kn } kn, { $why } (fishing speeds { $threshold_min_kn }–{ $threshold_max_kn } kn for { $min_duration }){ $ended }.
fishing-why-declared = reported as a fishing vessel (ship type 30)
fishing-why-turns = trawling-like: { $turns } turns of { $turn_deg }° or more ({ $rate }/h, threshold { $threshold }/h)

speeding = { $vessel } speeding { $duration } in { $zone } at up to { $max_speed_kn } kn (limit { $limit_kn } kn for { $min_duration }){ $ended }.

identity-change-open = { $vessel }: { $change } in { $zone } ({ $count ->
    [one] { $count } identity change
   *[other] { $count } identity changes
} so far).
identity-change-quiet = { $vessel }: no further identity change for { $quiet } ({ $count } in all).
identity-change-ended = { $vessel }: ended: { $reason } after { $quiet } without an identity change ({ $count } in all).
identity-change-conflict = one MMSI reporting from two places { $distance_km } km apart, back and forth ({ $jumps } jumps)
identity-change-flag = IMO { $imo } now under this MMSI, flag { $flag } (was MMSI { $previous_mmsi }, flag { $previous_flag })
identity-change-attribute = { $field } changed from { $from } to { $to }
value-none = none
field-name = name
field-callsign = callsign
field-imo = imo
field-ship-type = ship type
field-flag = flag
field-conflict = conflict

spoofing-open = { $vessel }: { $anomaly } in { $zone } ({ $count ->
    [one] { $count } anomaly
   *[other] { $count } anomalies
} so far).
spoofing-quiet = { $vessel }: no further track anomaly for { $quiet } ({ $count } in all).
spoofing-ended = { $vessel }: ended: { $reason } after { $quiet } without an anomaly ({ $count } in all).
spoofing-unwatched = { $vessel }: spoofing watch ended ({ $reason }) in { $zone } ({ $count } anomalies in all).
anomaly-invalid-mmsi = invalid mmsi
anomaly-impossible-jump = impossible jump
anomaly-two-places-at-once = two places at once

closed-at-restart = { $vessel }: { $kind } alert closed at restart: { $why } ({ $reason }).
closed-at-restart-alert = alert { $id }
vessel-pair = { $vessel } and { $other }
restart-detector-off = the { $kind } detector is switched off in zone { $zone }
restart-zone-gone = zone { $zone } is no longer loaded

## Why an episode ended

reason-left-the-zone = left the zone
reason-contact-lost = contact lost
reason-under-way-again = under way again
reason-parted = parted
reason-entered-a-port = entered a port
reason-slowed-down = slowed down
reason-under-way-above-fishing-speeds = under way above fishing speeds
reason-stopped-below-fishing-speeds = stopped below fishing speeds
reason-at-anchor-or-moored = at anchor or moored
reason-speed-out-of-the-drifting-range = speed out of the drifting range
reason-heading-back-in-line-with-the-course = heading back in line with the course
reason-moving-astern-of-its-heading = moving astern of its heading
reason-vessel-forgotten = vessel forgotten
reason-zone-removed = zone removed
reason-detector-removed = detector removed
reason-detector-disabled = detector disabled

## Alert kinds, as people read them

kind-dark-period = dark period
kind-loitering = loitering
kind-rendezvous = rendezvous
kind-drifting = drifting
kind-fishing = fishing
kind-speeding = speeding
kind-identity-change = identity change
kind-spoofing = spoofing


## Evidence report (report.md). Markdown marks (#, -, 1.) are added by the
## code; keep backticks and | as they are.

report-title = Evidence: { $kind } alert { $id }
report-what-happened = What happened
report-summary = { $summary }
report-detector = Detector: `{ $kind }`; latest state: { $state }
report-zone = Zone: { $zone } — { $name }
report-no-name = (no name)
report-zone-version-unrecorded = Zone version: not recorded with the alert; `zone.geojson` is the zone as in force at export
report-zone-version = Zone version the detectors applied: { $version } — in force from { $from } until { $until }, brought by { $by }; { $changes } of the alert's changes made under it
report-not-in-zone-history = (not in the zone history)
report-still-in-force = export (still in force)
report-unknown = (unknown)
report-began = Began: { $at }
report-ended = Ended: { $at }
report-still-open = still open at export
report-where = Where: { $lat }° N, { $lon }° E (negative: S, W)
report-changes = State changes recorded: { $count }
report-vessels = Vessels
report-vessels-header = | MMSI | name | call sign | IMO | positions in window | raw lines |
report-table-rule = |---|---|---|---|---|---|
report-window = Window exported (event time): { $from } to { $to } (the event ± { $margin } min).
report-receivers = Receivers
report-withheld = Withheld: receivers (the sharing agreement's `redact = ["sources"]`). Every receiving station, source id and peer address in this bundle (each tag block's `s:` value in `{ $raw_lines }`, the `station` and `source` columns, the manifest's `source`, `peer`, `station`) and each raw line's chain links (`prev`, `hash`) are each replaced by a commitment `withheld:<hex>` = SHA-256(salt ‖ value), a different salt for every place, which only the exporting installation can derive; the alert's fields that name or place receivers are removed, and receiver names in its text read `[withheld]`. The AIS payloads are untouched.
report-no-raw-lines = No raw line of these vessels in the window is in the archive.
report-receivers-header = | source | peer | station | lines | first received | last received |
report-archive-records = The { $count } raw lines are records seq { $first } to { $last } of the installation's continuous raw archive.
report-files = Files
report-file = `{ $name }`: { $what }
report-file-raw-lines = the lines exactly as received, one per line
report-file-positions = the positions stored from them
report-file-tracks = the same as tracks, with the vessels' static data
report-file-statics = static-data changes (the first row per vessel: in force at the window's start)
report-file-alert = the alert's latest state as stored
report-file-alert-changes = every state change, in order
report-file-zone = the zone as the detectors applied it: one Feature per version in force during the event
report-file-thresholds = the detectors' thresholds in the zone
report-file-map = the picture
report-file-manifest = SHA-256 of every file, and each raw line's place in the archive's hash chain
report-file-signature = Ed25519 signature over manifest.json
report-file-public-key = the key that signed it
report-how-to-verify = How to verify
report-verify-key = Get the exporting installation's public key from its operator (`aiswatch key show`) by a channel you trust; its fingerprint should be `{ $fingerprint }`.
report-verify-run = Run `aiswatch evidence verify BUNDLE.zip --key PUBKEY`, or, without aiswatch, `python3 scripts/verify_evidence.py BUNDLE.zip --key PUBKEY` (needs only Python's `hashlib` and `zipfile` and the `cryptography` package).
report-verify-withheld = The raw lines' chain links are withheld, so the lines cannot be tied to the archive from this bundle. The exporting installation can open every commitment (`aiswatch evidence reveal FULL.zip`, for the full bundle of the same alert and window): for each, SHA-256(salt ‖ value) gives the commitment, and the full bundle with its values so replaced gives this bundle's files byte for byte (`aiswatch evidence verify THIS.zip --full FULL.zip --openings OPENINGS.json`); the full bundle's lines tie to the archive.
report-verify-archive = To tie the lines to the archive itself, the operator runs `aiswatch archive verify` and compares the hash the archive holds at each seq with the manifest's.
report-proves = What this proves, and what not
report-proves-files = Every file is as the key holder exported it: any changed, added or removed byte, line or file breaks a SHA-256 or the signature.
report-proves-lines-withheld = The raw lines' AIS sentences are as received; only the receivers' names in them are replaced. Their place in the archive's hash chain cannot be checked from this bundle (the links are withheld); the commitments bind this bundle to the full one, which can be.
report-proves-lines = Each raw line, with its receive time, source and peer, is chained into the archive at its seq: its hash covers the previous record's hash. Lines of other vessels between them are not in the bundle; the archive holds them.
report-proves-positions = The stored positions are what the raw lines decode to (`aiswatch evidence verify` decodes them again).
report-proves-not = It does not prove that what a vessel transmitted was true (AIS is self-reported), nor that no transmission was missed before it reached the archive: an absence of lines is absence of reception.

## This language, named in itself (the console's language switch)

language-name = English
