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

## Console
# The operations console's words (web/*.js, web/index.html), served to the
# browser by GET /api/v1/i18n/{tag} without the "console-" prefix. A
# { $name } is filled in by the console; a key ending -one / -other is the
# plural form the language's rules choose for { $n }.

console-page-title = aiswatch — operations console
console-language-label = Language

# Sign-in
console-signin-intro = Operations console. Sign in with your centre's API token.
console-signin-token = API token
console-signin-hint = Kept for this browser tab only. Leave empty if this daemon has no tokens.
console-signin-submit = Sign in
console-signin-unknown-token = Unknown token.
console-signin-unreachable = Cannot reach the API: { $error }
console-signout = Sign out

# Status strip
console-status-label = Feed and engine status
console-status-clock = clock
console-status-lag = lag
console-status-lag-title = Wall clock minus engine clock: seconds for a live feed, the age of a replayed recording
console-status-vessels = vessels
console-status-rate = messages/s
console-status-feeds = Feeds
console-status-open = open alerts
console-status-store = store
console-status-store-failing = FAILING
console-status-connecting = connecting
console-status-live = live
console-status-reconnecting = reconnecting
console-status-source-title = { $lines } lines, { $messages } messages since start
console-status-source-rate = { $id }: { $rate }/s
console-status-source-quiet = last heard { $s } s ago
console-status-source-down = DOWN
console-scope-signed-in = signed in
console-scope-centre = signed in ({ $centre })
console-scope-admin = signed in as administrator
console-scope-open = open API
console-views-label = Views
console-views-map = Alerts and map
console-views-partners = Partners
console-views-audit = Audit
console-views-zones = Zones

# Units and values
console-unit-s = { $n } s
console-unit-min = { $n } min
console-unit-h = { $n } h
console-unit-d = { $n } d
console-unit-m = { $n } m
console-unit-km = { $n } km
console-unit-kn-other = { $n } kn
console-unit-deg = { $n }°
console-time-utc = { $time } UTC
console-value-none = none
console-value-nothing = nothing
console-value-yes = yes
console-value-no = no
console-withheld = { "[withheld]" }

# Alert queue
console-queue-title = Alerts
console-filter-state = State
console-filter-kind = Kind
console-filter-origin = Origin
console-filter-zone = Zone
console-filter-all = all
console-filter-open = open
console-filter-closed = closed
console-filter-own = this installation
console-origin-from = from { $origin }
console-origin-shared = Shared by the partner installation { $origin }
console-origin-shared-under = Shared by the partner installation { $origin } under agreement { $agreement }
console-origin-withheld = What it withholds is missing or shows as { $withheld }.
console-queue-acked-by = acknowledged by { $by }

# Alert kinds and states
console-kind-dark-period = { kind-dark-period }
console-kind-loitering = { kind-loitering }
console-kind-rendezvous = { kind-rendezvous }
console-kind-drifting = { kind-drifting }
console-kind-fishing = { kind-fishing }
console-kind-speeding = { kind-speeding }
console-kind-identity-change = { kind-identity-change }
console-kind-spoofing = { kind-spoofing }
console-state-open = open
console-state-update = updated
console-state-closed = closed

# Map and time slider
console-mapwrap-label = Map and time
console-map-label = Map of vessels, zones and alerts
console-map-coastlines = Coastlines: Natural Earth (world-atlas)
console-map-zoom-in = Zoom in
console-map-zoom-out = Zoom out
console-map-zone-tooltip = { $name } ({ $kind })
console-zone-kind-patrol = patrol
console-zone-kind-port = port
console-zone-kind-closed-area = closed area
console-time-label = Time shown on the map
console-time-look-back = Look back
console-time-over = over
console-time-range-1 = 1 h
console-time-range-6 = 6 h
console-time-range-24 = 24 h
console-time-live-state = LIVE
console-time-live-value = live
console-time-back-to-live = Back to live
console-time-looking-back = Looking back to { $time } UTC…
console-time-looking-back-count-one = Looking back to { $time } UTC ({ $n } vessel)
console-time-looking-back-count-other = Looking back to { $time } UTC ({ $n } vessels)
console-time-value-one = { $time } UTC, { $n } minute before the engine clock
console-time-value-other = { $time } UTC, { $n } minutes before the engine clock
console-time-error = Cannot look back: { $error }

# Alert details
console-detail-close = Close details
console-detail-state = State
console-detail-since = Since
console-detail-ended = Ended
console-detail-last-change = Last change
console-detail-where = Where
console-detail-zone = Zone
console-detail-centres = Centres
console-detail-from = From
console-detail-agreement = Agreement
console-detail-alert-id = Alert id
console-detail-vessels = Vessels
console-detail-why = Why
console-detail-raw-json = Raw JSON
console-detail-changes = Changes
console-detail-change = { $state } at { $at }
console-evidence-title = Evidence
console-evidence-asked-of = The bundle is asked of { $origin }, which decides under the agreement whether to share it.
console-evidence-get = Evidence bundle
console-evidence-asking = Asking { $origin }…
console-evidence-preparing = Preparing…
console-evidence-downloaded = Downloaded { $name } ({ $kb } kB).
console-evidence-awaiting = Awaiting { $origin }'s approval. Ask again later.
console-evidence-awaiting-partner = Awaiting the partner's approval. Ask again later.
console-evidence-not-shared = Not shared: { $error }
console-evidence-error = Cannot get the evidence bundle: { $error }
console-ack-title = Acknowledgements
console-ack-item = { $by } at { $at }
console-ack-item-note = { $by } at { $at }: { $note }
console-ack-none = none yet
console-ack-by = Your name
console-ack-note = Note
console-ack-submit = Acknowledge

# Why an alert fired: the details' keys
console-why-position = Position
console-why-named-position = { $name } position
console-why-dark-position = Dark position
console-why-reappeared-position = Reappeared position
console-why-after-s = After
console-why-anomalies = Anomalies
console-why-anomaly = Anomaly
console-why-basis = Basis
console-why-change = Change
console-why-changes = Changes
console-why-copies = Copies
console-why-correction = Correction
console-why-count = Count
console-why-declared-fishing = Declared fishing
console-why-distance-m = Distance
console-why-down = Down
console-why-down-s = Down
console-why-drift-m = Drift
console-why-duration-s = Duration
console-why-explained-s = Explained
console-why-field = Field
console-why-from = From
console-why-gap-s = Gap
console-why-grace-s = Grace
console-why-heard-by = Heard by
console-why-implied-speed-kn = Implied speed
console-why-judged = Judged
console-why-last-sog-kn = Last speed over ground
console-why-longest-s = Longest
console-why-max-angle-deg = Max angle
console-why-max-angle-deg-seen = Max angle seen
console-why-max-distance-m = Max distance
console-why-max-distance-seen-m = Max distance seen
console-why-max-speed-kn = Max speed
console-why-max-speed-kn-seen = Max speed seen
console-why-mean-speed-kn = Mean speed
console-why-min-angle-deg = Min angle
console-why-min-angle-deg-seen = Min angle seen
console-why-min-distance-m = Min distance
console-why-min-duration-s = Min duration
console-why-min-gap-s = Min gap
console-why-min-speed-kn = Min speed
console-why-min-speed-kn-seen = Min speed seen
console-why-min-switches = Min switches
console-why-min-turns-per-h = Min turns per hour
console-why-moved-m = Moved
console-why-nav-status = Navigational status
console-why-of = Of
console-why-places = Places
console-why-previous-mmsi = Previous MMSI
console-why-quiet-s = Quiet
console-why-reason = Reason
console-why-reports = Reports
console-why-reports-before = Reports before
console-why-resume-within-s = Resume within
console-why-seconds = Seconds
console-why-share = Share
console-why-silences = Silences
console-why-silent-s = Silent
console-why-since-s = Since
console-why-sog-kn = Speed over ground
console-why-stale-after-s = Stale after
console-why-start = Start
console-why-station = Station
console-why-station-last-heard = Station last heard
console-why-stations = Stations
console-why-switches = Switches
console-why-to = To
console-why-total-s = Total
console-why-turn-deg = Turn
console-why-turns = Turns
console-why-turns-per-h = Turns per hour
console-why-usual-interval-s = Usual interval
console-why-why = Why
console-why-zone-min-gap-s = Zone min gap
console-reason-left-the-zone = { reason-left-the-zone }
console-reason-contact-lost = { reason-contact-lost }
console-reason-under-way-again = { reason-under-way-again }
console-reason-parted = { reason-parted }
console-reason-entered-a-port = { reason-entered-a-port }
console-reason-slowed-down = { reason-slowed-down }
console-reason-under-way-above-fishing-speeds = { reason-under-way-above-fishing-speeds }
console-reason-stopped-below-fishing-speeds = { reason-stopped-below-fishing-speeds }
console-reason-at-anchor-or-moored = { reason-at-anchor-or-moored }
console-reason-speed-out-of-the-drifting-range = { reason-speed-out-of-the-drifting-range }
console-reason-heading-back-in-line-with-the-course = { reason-heading-back-in-line-with-the-course }
console-reason-moving-astern-of-its-heading = { reason-moving-astern-of-its-heading }
console-reason-vessel-forgotten = { reason-vessel-forgotten }
console-reason-zone-removed = { reason-zone-removed }
console-reason-detector-removed = { reason-detector-removed }
console-reason-detector-disabled = { reason-detector-disabled }

# Vessel details
console-vessel-unknown = No report of this vessel has reached this installation.
console-vessel-unnamed = Unnamed
console-vessel-name = Name
console-vessel-callsign = Call sign
console-vessel-flag = Flag
console-vessel-ship-type = Ship type
console-vessel-size-label = Size
console-vessel-size = { $length } × { $beam } m
console-vessel-draught = Draught
console-vessel-destination = Destination
console-vessel-last-report = Last report
console-vessel-position = Position
console-position = { $lat }, { $lon }
console-vessel-speed = Speed
console-vessel-course = Course
console-vessel-heard-by = Heard by
console-vessel-alerts = Alerts

# Legal holds
console-hold-title = Legal hold
console-hold-held = Held since { $since } by { $by } — { $reason }
console-hold-release = Release hold
console-hold-reason = Reason
console-hold-by = Placed by
console-hold-place = Place hold
console-hold-cancel = Cancel
console-hold-not-held = Not held: retention may prune what its evidence bundle needs.
console-hold-open = Hold
console-hold-need-reason = Enter the reason and your name: the hold is recorded with them.
console-hold-already = Already held: { $error }
console-hold-released = Hold released.
console-hold-not-held-error = Not held: { $error }
console-hold-error = Cannot read the holds: { $error }

# Partners page
console-partners-title = Partners
console-partners-refresh = Refresh
console-partners-self = This installation
console-partners-no-name = No { $key } is configured: nothing is shared.
console-partners-name = Name
console-partners-public-key = Public key
console-partners-list = Partner installations
console-partners-none = No partner installation is configured.
console-partners-updated = Updated { $time } UTC
console-partners-error = Cannot read the partners: { $error }
console-agreements-title = Agreements
console-agreements-none = No agreement is configured.
console-agreements-no-end = no end
console-agreement-in-force = in force
console-agreement-expired = expired
console-col-partner = Partner
console-col-address = Address
console-col-agreement = Agreement
console-col-state = State
console-col-expires = Expires
console-col-sends = Sends
console-col-receives = Receives
console-col-sent = Sent
console-col-received = Received
console-col-alert = Alert
console-col-asked = Asked
console-col-decision = Decision
console-terms-zones = Zones
console-terms-kinds = Kinds
console-terms-states = States
console-terms-delay = Delay
console-terms-withheld = Withheld
console-terms-evidence = Evidence
console-terms-delivered-to = Delivered to
console-policy-never = never
console-policy-on-request = on request
console-policy-approve = after approval
console-sent-pending = Pending
console-sent-delivered = Delivered
console-sent-failed = Failed
console-requests-title = Evidence requests
console-requests-hint = A partner asks for the evidence bundle of an alert shared with it; under an agreement whose evidence needs approval, it waits here for an administrator's decision.
console-requests-decided-by = Decided by
console-requests-none = No evidence request.
console-requests-pending = Evidence requests awaiting a decision: { $n }
console-requests-need-name = Enter your name: the decision is recorded with it.
console-request-pending = pending
console-request-approved = approved
console-request-refused = refused
console-request-served = served
console-request-approve = Approve
console-request-refuse = Refuse
console-request-approve-label = Approve: { $partner } asks for { $alert }
console-request-refuse-label = Refuse: { $partner } asks for { $alert }
console-request-approved-done = Approved: { $partner } asks for { $alert }.
console-request-refused-done = Refused: { $partner } asks for { $alert }.

# Audit page
console-audit-title = Audit log
console-audit-hint = Every use of the API, newest first: who asked, for what, which alerts, vessels and zones it touched, and the answer. Times are UTC.
console-audit-filter-label = Filter the audit log
console-audit-actor = Actor
console-audit-actor-placeholder = admin, centre:ID, partner:ID, system
console-audit-action = Action
console-audit-alert = Alert id
console-audit-since = Since (UTC)
console-audit-until = Until (UTC)
console-audit-search = Search
console-audit-clear = Clear
console-audit-newest = Newest
console-audit-next = Next page
console-audit-col-time = Time (UTC)
console-audit-col-route = Route
console-audit-col-ids = Ids
console-audit-col-status = Status
console-audit-col-count = Count
console-audit-record-title = { $at } (record { $seq })
console-audit-open-alert = Open alert { $id }
console-audit-zone = zone { $zone }
console-audit-none = No record matches.
console-audit-reading = Reading…
console-audit-absent = This daemon keeps no audit log (no /api/v1/audit).
console-audit-error = Cannot read the audit log: { $error }
console-audit-page-one = Page { $page }, { $n } record
console-audit-page-other = Page { $page }, { $n } records
console-audit-read-at = Read { $time } UTC
console-audit-bad-time = { $field }: not a date and time: { $value }

# Zones page (administrators)
console-zones-title = Zones
console-zones-new = New zone
console-zones-in-force = In force
console-zones-none = No zone is in force.
console-zones-count-one = { $n } zone in force.
console-zones-count-other = { $n } zones in force.
console-zones-reading = Reading the zones…
console-zones-reading-one = Reading { $id }…
console-zones-read-error = Cannot read the zones: { $error }
console-zones-tooltip = { $name } ({ $id }, { $kind })
console-zones-boundary = Boundary
console-zones-add-vertices = Add vertices
console-zones-delete-vertex = Delete vertex
console-zones-new-boundary = New boundary
console-zones-map-label = Map of the zones: the edited zone's boundary and its vertices
console-zones-hint-drawing = Click the map to add a vertex after the selected one. Drag a vertex to move it; select it and press Delete to remove it.
console-zones-hint-editing = Drag a vertex to move it; select it and press Delete to remove it. Turn on Add vertices to add some.
console-zones-vertex = Vertex { $n }{ $part }{ $ring }: { $where }
console-zones-vertex-selected = Vertex { $n }{ $part }{ $ring }: { $where } (selected)
console-zones-vertex-part = { " " }of part { $n }
console-zones-vertex-ring = , ring { $n }
console-zones-empty = Select a zone to edit it, or start a new zone.
console-zones-zone = Zone { $id }
console-zones-id = Zone id
console-zones-id-hint = Unique across all zones; saved as ID.geojson for a new zone.
console-zones-name = Name
console-zones-kind = Zone kind
console-zones-kind-patrol = patrol
console-zones-kind-port = port (port or anchorage)
console-zones-kind-closed-area = closed area (closed to fishing)
console-zones-centres = Centres
console-zones-centres-hint = Comma-separated; who receives the zone's alerts.
console-zones-detectors = Detectors
console-zones-detect = Detectors and thresholds (JSON)
console-zones-detect-hint = The zone's detect object, e.g. {"{"}"dark_period": {"{"}"min_gap": "6h"{"}"}{"}"}; {"{"}{"}"} under a detector takes the config's thresholds.
console-zones-geometry = Coordinates (GeoJSON)
console-zones-not-json = not JSON: { $error }
console-zones-not-object = must be a JSON object, e.g. { $example }
console-zones-unsaved = Unsaved changes.
console-zones-problems = Problems
console-zones-checking = Checking…
console-zones-check-error = Cannot check: { $error }
console-zones-valid = No problems: the zone set is valid.
console-zones-problem-count-one = { $n } problem:
console-zones-problem-count-other = { $n } problems:
console-zones-problem-count-daemon-one = { $n } problem, as the daemon checks it:
console-zones-problem-count-daemon-other = { $n } problems, as the daemon checks it:
console-zones-this-zone = this zone
console-zones-zone-lower = zone { $id }
console-zones-zones-lower = zones
console-zones-preview-hours = Preview hours
console-zones-preview = Preview
console-zones-save = Save
console-zones-delete = Delete
console-zones-delete-confirm = Delete { $id } for good
console-zones-reload = Reload this zone
console-zones-fix-first = Fix the problems first.
console-zones-replaying = Replaying the last { $hours } h with the edited zones…
console-zones-no-preview = No preview: { $error }
console-zones-preview-over = Alerts over the lines received from { $from } to { $to } ({ $hours } h): as raised with the zones in force, and as the edited zones would raise them.
console-zones-replayed = { $lines } lines replayed.
console-zones-replayed-messages = { $lines } lines, { $messages } messages replayed.
console-zones-col-was = Was
console-zones-col-would-be = Would be
console-zones-col-added = Added
console-zones-col-removed = Removed
console-zones-col-unchanged = Unchanged
console-zones-all = All
console-zones-no-alert = No alert either way.
console-zones-legend-added = added
console-zones-legend-unchanged = unchanged
console-zones-legend-removed = removed (would no longer be raised)
console-zones-conflict = This zone was changed by someone else since you opened it (concurrent edit) — reload to see their version
console-zones-saving = Saving…
console-zones-saved = Saved — live.
console-zones-saved-file = Saved — live ({ $file }).
console-zones-invalid = the zone is not valid
console-zones-not-saved = Not saved: { $error }
console-zones-not-saved-invalid = Not saved: { $error }.
console-zones-not-saved-problems = Not saved: fix the problems first.
console-zones-not-saved-id = Not saved: the zone needs an id.
console-zones-not-saved-admin = Not saved: only an administrator may edit zones.
console-zones-not-deleted = Not deleted: { $error }
console-zones-deleted = Deleted { $id } — live.
console-zones-history = History
console-zones-no-history = No history: { $error }
console-zones-col-from = From (UTC)
console-zones-col-until = Until (UTC)
console-zones-col-by = By
console-zones-col-version = Version
console-zones-col-map = Map
console-zones-version-in-force = in force
console-zones-show = Show
console-zones-show-version = Show the version from { $from } on the map
console-zones-no-version = No stored version.
console-zones-history-shown = On the map: dashed grey, the boundary from { $from } (by { $by }); solid, the boundary as edited now.
console-zones-history-legend = Show a version to draw its boundary beside the current one.
