# aiswatch — français. Les messages absents ici sont dits en anglais (et
# comptés) ; un test échoue si ce catalogue n'a pas un message de en.ftl.

## Écriture des nombres et des durées

number-decimal = ,
number-group = { "\u202F" }
duration-minutes = { $m } min
duration-hours = { $h } h { $m } min
duration-days = { $d } j { $h } h { $m } min
clause-separator = { " ; " }
list-separator = { ", " }

## Résumés d'alerte

ended-clause = { " ; " }fin : { $reason }
silences-clause = { $count ->
    [one] { " ; " }a poursuivi après { $longest } de silence AIS
   *[other] { " ; " }a poursuivi après { $count } silences AIS (le plus long : { $longest })
}

dark-period-open = { $vessel } silencieux depuis { $silent } dans { $zone } (seuil { $threshold }) ; dernier signal à lat. { $lat } / long. { $lon } reçu par la station { $station } ; { $why }.
dark-period-why-vessel = { $count ->
    [one] la station { $stations } qui le recevait a continué de recevoir
   *[other] les stations { $stations } qui le recevaient ont continué de recevoir
}
dark-period-why-cell = { $count ->
    [one] la station { $stations } qui couvre sa position estimée a continué de recevoir
   *[other] les stations { $stations } qui couvrent sa position estimée ont continué de recevoir
}
dark-period-why-explained = les stations qui le recevaient n'ont été en panne que { $explained } de ce temps
dark-period-returned = { $vessel } réapparu après { $gap } d'extinction AIS dans { $zone }, à { $distance_nm } milles de l'endroit où il s'était éteint (vitesse implicite { $speed_kn } nœuds).
dark-period-forgotten = { $vessel } plus entendu après { $silent } d'extinction AIS dans { $zone } ; fin : { $reason } (plus suivi).
dark-period-unwatched = { $vessel } : surveillance des extinctions AIS terminée ({ $reason }) dans { $zone }, navire toujours silencieux.

loitering = { $vessel } en stationnement prolongé depuis { $duration } dans { $zone } à { $max_speed_kn } nœuds au plus (seuil { $threshold_kn } nœuds pendant { $min_duration }){ $silences }{ $ended }.

rendezvous = { $vessel } et { $other } bord à bord depuis { $duration } dans { $zone }, à { $distance_m } m l'un de l'autre (au plus près { $closest_m } m), tous deux à { $max_speed_kn } nœuds au plus (seuil { $threshold_m } m pendant { $min_duration }){ $silences }{ $ended }.

drifting = { $vessel } en dérive depuis { $duration } dans { $zone } : cap écarté de { $min_angle } à { $max_angle }° de sa route, jusqu'à { $max_speed_kn } nœuds (seuil { $threshold_min_angle } à { $threshold_max_angle }° entre { $threshold_min_kn } et { $threshold_max_kn } nœuds pendant { $min_duration }){ $ended }.

fishing = { $vessel } en pêche dans la zone interdite { $zone } depuis { $duration } entre { $min_speed_kn } et { $max_speed_kn } nœuds, { $why } (vitesses de pêche { $threshold_min_kn } à { $threshold_max_kn } nœuds pendant { $min_duration }){ $ended }.
fishing-why-declared = déclaré comme navire de pêche (type de navire 30)
fishing-why-turns = route de chalutier : { $turns } virages de { $turn_deg }° ou plus ({ $rate } par heure, seuil { $threshold } par heure)

speeding = { $vessel } en excès de vitesse depuis { $duration } dans { $zone }, jusqu'à { $max_speed_kn } nœuds (limite { $limit_kn } nœuds pendant { $min_duration }){ $ended }.

identity-change-open = { $vessel } : { $change } dans { $zone } ({ $count ->
    [one] { $count } changement d'identité
   *[other] { $count } changements d'identité
} jusqu'ici).
identity-change-quiet = { $vessel } : aucun autre changement d'identité depuis { $quiet } ({ $count } en tout).
identity-change-ended = { $vessel } : fin : { $reason } après { $quiet } sans changement d'identité ({ $count } en tout).
identity-change-conflict = un même MMSI émet depuis deux positions distantes de { $distance_km } km, en alternance ({ $jumps } sauts)
identity-change-flag = l'OMI { $imo } est maintenant sous ce MMSI, pavillon { $flag } (auparavant MMSI { $previous_mmsi }, pavillon { $previous_flag })
identity-change-attribute = { $field } changé de { $from } en { $to }
value-none = aucun
field-name = nom
field-callsign = indicatif d'appel
field-imo = numéro OMI
field-ship-type = type de navire
field-flag = pavillon
field-conflict = conflit

spoofing-open = { $vessel } : { $anomaly } dans { $zone } ({ $count ->
    [one] { $count } anomalie
   *[other] { $count } anomalies
} jusqu'ici).
spoofing-quiet = { $vessel } : aucune autre anomalie de trajectoire depuis { $quiet } ({ $count } en tout).
spoofing-ended = { $vessel } : fin : { $reason } après { $quiet } sans anomalie ({ $count } en tout).
spoofing-unwatched = { $vessel } : surveillance du leurrage terminée ({ $reason }) dans { $zone } ({ $count } anomalies en tout).
anomaly-invalid-mmsi = MMSI invalide
anomaly-impossible-jump = saut de position impossible
anomaly-two-places-at-once = à deux endroits à la fois

closed-at-restart = { $vessel } : alerte { $kind } close au redémarrage : { $why } ({ $reason }).
closed-at-restart-alert = alerte { $id }
vessel-pair = { $vessel } et { $other }
restart-detector-off = le détecteur { $kind } est désactivé dans la zone { $zone }
restart-zone-gone = la zone { $zone } n'est plus chargée

## Pourquoi un épisode a pris fin

reason-left-the-zone = sorti de la zone
reason-contact-lost = contact perdu
reason-under-way-again = de nouveau en route
reason-parted = séparés
reason-entered-a-port = entré au port
reason-slowed-down = a ralenti
reason-under-way-above-fishing-speeds = en route au-dessus des vitesses de pêche
reason-stopped-below-fishing-speeds = arrêté sous les vitesses de pêche
reason-at-anchor-or-moored = au mouillage ou amarré
reason-speed-out-of-the-drifting-range = vitesse hors de la plage de dérive
reason-heading-back-in-line-with-the-course = cap de nouveau aligné sur la route
reason-moving-astern-of-its-heading = marche arrière par rapport à son cap
reason-vessel-forgotten = navire plus suivi
reason-zone-removed = zone supprimée
reason-detector-removed = détecteur retiré
reason-detector-disabled = détecteur désactivé

## Types d'alerte

kind-dark-period = extinction AIS
kind-loitering = stationnement prolongé
kind-rendezvous = rendez-vous en mer (transbordement)
kind-drifting = dérive
kind-fishing = pêche illicite
kind-speeding = excès de vitesse
kind-identity-change = changement d'identité
kind-spoofing = leurrage de position

## Cette langue, nommée en elle-même

language-name = Français
