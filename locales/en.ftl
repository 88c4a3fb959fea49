# aiswatch — English. Every other catalog falls back to this one, message by
# message; a test fails when another catalog lacks a message this one has.
#
# Arguments: $vessel is "MMSI (NAME, FLAG)", $zone the zone's name (or id);
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

dark-period-open = { $vessel } silent for { $silent } in { $zone } (threshold { $threshold }); last heard at { $lat }, { $lon } by station { $station }; { $why }.
dark-period-why-vessel = { $count ->
    [one] station { $stations } that heard it kept receiving
   *[other] stations { $stations } that heard it kept receiving
}
dark-period-why-cell = { $count ->
    [one] station { $stations } covering where it would be now kept receiving
   *[other] stations { $stations } covering where it would be now kept receiving
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

## This language, named in itself (the console's language switch)

language-name = English
