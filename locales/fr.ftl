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

dark-period-open = { $vessel } silencieux depuis { $silent } dans { $zone } (seuil { $threshold }) ; dernier signal à lat. { $lat } / long. { $lon } reçu par la station { $receiver } ; { $why }.
dark-period-why-vessel = { $count ->
    [one] la station { $receivers } qui le recevait a continué de recevoir
   *[other] les stations { $receivers } qui le recevaient ont continué de recevoir
}
dark-period-why-cell = { $count ->
    [one] la station { $receivers } qui couvre sa position estimée a continué de recevoir
   *[other] les stations { $receivers } qui couvrent sa position estimée ont continué de recevoir
}
dark-period-why-explained = les stations qui le recevaient n'ont été en panne que { $explained } de ce temps
dark-period-returned = { $vessel } réapparu après { $gap } d'extinction AIS dans { $zone }, à { $distance_nm } { $distance_nm_n ->
        [one] mille
       *[other] milles
    } de l'endroit où il s'était éteint (vitesse implicite { $speed_kn } { $speed_kn_n ->
        [one] nœud
       *[other] nœuds
    }).
dark-period-forgotten = { $vessel } plus entendu après { $silent } d'extinction AIS dans { $zone } ; fin : { $reason } (plus suivi).
dark-period-unwatched = { $vessel } : surveillance des extinctions AIS terminée ({ $reason }) dans { $zone }, navire toujours silencieux.

loitering = { $vessel } en stationnement prolongé depuis { $duration } dans { $zone } à { $max_speed_kn } { $max_speed_kn_n ->
        [one] nœud
       *[other] nœuds
    } au plus (seuil { $threshold_kn } { $threshold_kn_n ->
        [one] nœud
       *[other] nœuds
    } pendant { $min_duration }){ $silences }{ $ended }.

rendezvous = { $vessel } et { $other } bord à bord depuis { $duration } dans { $zone }, à { $distance_m } m l'un de l'autre (au plus près { $closest_m } m), tous deux à { $max_speed_kn } { $max_speed_kn_n ->
        [one] nœud
       *[other] nœuds
    } au plus (seuil { $threshold_m } m pendant { $min_duration }){ $silences }{ $ended }.

drifting = { $vessel } en dérive depuis { $duration } dans { $zone } : cap écarté de { $min_angle } à { $max_angle }° de sa route, jusqu'à { $max_speed_kn } { $max_speed_kn_n ->
        [one] nœud
       *[other] nœuds
    } (seuil { $threshold_min_angle } à { $threshold_max_angle }° entre { $threshold_min_kn } et { $threshold_max_kn } { $threshold_max_kn_n ->
        [one] nœud
       *[other] nœuds
    } pendant { $min_duration }){ $ended }.

fishing = { $vessel } en pêche dans la zone interdite { $zone } depuis { $duration } entre { $min_speed_kn } et { $max_speed_kn } { $max_speed_kn_n ->
        [one] nœud
       *[other] nœuds
    }, { $why } (vitesses de pêche { $threshold_min_kn } à { $threshold_max_kn } { $threshold_max_kn_n ->
        [one] nœud
       *[other] nœuds
    } pendant { $min_duration }){ $ended }.
fishing-why-declared = déclaré comme navire de pêche (type de navire 30)
fishing-why-turns = route de chalutier : { $turns } virages de { $turn_deg }° ou plus ({ $rate } par heure, seuil { $threshold } par heure)

speeding = { $vessel } en excès de vitesse depuis { $duration } dans { $zone }, jusqu'à { $max_speed_kn } { $max_speed_kn_n ->
        [one] nœud
       *[other] nœuds
    } (limite { $limit_kn } { $limit_kn_n ->
        [one] nœud
       *[other] nœuds
    } pendant { $min_duration }){ $ended }.

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


## Rapport de preuve (report.md). Les marques Markdown (#, -, 1.) sont
## ajoutées par le code ; garder les accents graves et les | tels quels.

report-title = Éléments de preuve : alerte « { $kind_name } » { $id }
report-what-happened = Ce qui s'est passé
report-summary = { $summary }
report-detector = Détecteur : `{ $kind }` ; dernier état : { $state }
report-zone = Zone : { $zone } — { $name }
report-no-name = (sans nom)
report-zone-version-unrecorded = Version de la zone : non enregistrée avec l'alerte ; `zone.geojson` est la zone en vigueur à l'export
report-zone-version = Version de la zone appliquée par les détecteurs : { $version } — en vigueur du { $from } au { $until }, apportée par { $by } ; { $changes } des changements de l'alerte faits sous cette version
report-not-in-zone-history = (absente de l'historique des zones)
report-still-in-force = l'export (toujours en vigueur)
report-unknown = (inconnu)
report-began = Début : { $at }
report-ended = Fin : { $at }
report-still-open = toujours ouverte à l'export
report-where = Position : { $lat }° N, { $lon }° E (négatif : S, O)
report-changes = Changements d'état enregistrés : { $count }
report-vessels = Navires
report-vessels-header = | MMSI | nom | indicatif d'appel | OMI | positions dans la fenêtre | lignes brutes |
report-table-rule = |---|---|---|---|---|---|
report-window = Fenêtre exportée (heure des événements) : du { $from } au { $to } (l'événement ± { $margin } min).
report-receivers = Récepteurs
report-withheld = Masqués : les récepteurs (`redact = ["sources"]` de l'accord de partage). Chaque station réceptrice, identifiant de source et adresse de pair de ce dossier (la valeur `s:` de chaque bloc d'étiquettes dans `{ $raw_lines }`, les colonnes `station` et `source`, les champs `source`, `peer`, `station` du manifeste) et les maillons de chaîne de chaque ligne brute (`prev`, `hash`) sont chacun remplacés par un engagement `withheld:<hex>` = SHA-256(sel ‖ valeur), avec un sel différent à chaque endroit, que seule l'installation exportatrice peut dériver ; les champs de l'alerte qui nomment ou situent des récepteurs sont retirés, et les noms de récepteurs dans son texte se lisent `[withheld]`. Les charges utiles AIS sont intactes.
report-no-raw-lines = Aucune ligne brute de ces navires dans la fenêtre ne figure dans l'archive.
report-receivers-header = | source | pair | station | lignes | première réception | dernière réception |
report-archive-records = Les { $count } lignes brutes sont les enregistrements seq { $first } à { $last } de l'archive brute continue de l'installation.
report-files = Fichiers
report-file = `{ $name }` : { $what }
report-file-raw-lines = les lignes exactement telles que reçues, une par ligne
report-file-positions = les positions enregistrées à partir de celles-ci
report-file-tracks = les mêmes sous forme de traces, avec les données statiques des navires
report-file-statics = les changements de données statiques (la première ligne par navire : en vigueur au début de la fenêtre)
report-file-alert = le dernier état de l'alerte tel qu'enregistré
report-file-alert-changes = chaque changement d'état, dans l'ordre
report-file-zone = la zone telle que les détecteurs l'ont appliquée : une Feature par version en vigueur pendant l'événement
report-file-thresholds = les seuils des détecteurs dans la zone
report-file-map = la carte
report-file-manifest = le SHA-256 de chaque fichier, et la place de chaque ligne brute dans la chaîne de hachage de l'archive
report-file-signature = la signature Ed25519 de manifest.json
report-file-public-key = la clé qui l'a signée
report-how-to-verify = Comment vérifier
report-verify-key = Obtenir la clé publique de l'installation exportatrice auprès de son opérateur (`aiswatch key show`) par un canal de confiance ; son empreinte doit être `{ $fingerprint }`.
report-verify-run = Lancer `aiswatch evidence verify BUNDLE.zip --key PUBKEY`, ou, sans aiswatch, `python3 scripts/verify_evidence.py BUNDLE.zip --key PUBKEY` (il ne faut que `hashlib` et `zipfile` de Python et le paquet `cryptography`).
report-verify-withheld = Les maillons de chaîne des lignes brutes sont masqués : ce dossier seul ne permet pas de rattacher les lignes à l'archive. L'installation exportatrice peut ouvrir chaque engagement (`aiswatch evidence reveal FULL.zip`, pour le dossier complet de la même alerte et de la même fenêtre) : pour chacun, SHA-256(sel ‖ valeur) donne l'engagement, et le dossier complet, ses valeurs ainsi remplacées, redonne octet pour octet les fichiers de ce dossier (`aiswatch evidence verify THIS.zip --full FULL.zip --openings OPENINGS.json`) ; les lignes du dossier complet se rattachent à l'archive.
report-verify-archive = Pour rattacher les lignes à l'archive elle-même, l'opérateur lance `aiswatch archive verify` et compare le hachage que l'archive détient à chaque seq avec celui du manifeste.
report-proves = Ce que cela prouve, et ce que cela ne prouve pas
report-proves-files = Chaque fichier est tel que le détenteur de la clé l'a exporté : tout octet, ligne ou fichier modifié, ajouté ou retiré invalide un SHA-256 ou la signature.
report-proves-lines-withheld = Les phrases AIS des lignes brutes sont telles que reçues ; seuls les noms des récepteurs y sont remplacés. Leur place dans la chaîne de hachage de l'archive ne peut pas être vérifiée à partir de ce dossier (les maillons sont masqués) ; les engagements lient ce dossier au dossier complet, qui le permet.
report-proves-lines = Chaque ligne brute, avec son heure de réception, sa source et son pair, est chaînée dans l'archive à son seq : son hachage couvre celui de l'enregistrement précédent. Les lignes d'autres navires entre elles ne sont pas dans le dossier ; l'archive les détient.
report-proves-positions = Les positions enregistrées sont ce que donne le décodage des lignes brutes (`aiswatch evidence verify` les décode de nouveau).
report-proves-not = Cela ne prouve pas que ce qu'un navire a émis était vrai (l'AIS est déclaratif), ni qu'aucune émission n'a été perdue avant d'atteindre l'archive : une absence de lignes est une absence de réception.

## Cette langue, nommée en elle-même

language-name = Français

## Console
# Les mots de la console d'exploitation (web/*.js, web/index.html), servis au
# navigateur par GET /api/v1/i18n/{tag} sans le préfixe « console- ». La
# console remplit les { $nom } ; une clé en -one / -other est la forme du
# pluriel que les règles de la langue choisissent pour { $n }.

console-page-title = aiswatch — console d'exploitation
console-language-label = Langue

# Connexion
console-signin-intro = Console d'exploitation. Connectez-vous avec le jeton d'API de votre centre.
console-signin-token = Jeton d'API
console-signin-hint = Conservé pour cet onglet du navigateur uniquement. Laissez vide si ce démon n'a pas de jetons.
console-signin-submit = Se connecter
console-signin-unknown-token = Jeton inconnu.
console-signin-unreachable = Impossible de joindre l'API : { $error }
console-signout = Se déconnecter

# Bandeau d'état
console-status-label = État des flux et du moteur
console-status-clock = horloge
console-status-lag = retard
console-status-lag-title = Horloge murale moins horloge du moteur : quelques secondes pour un flux en direct, l'âge d'un enregistrement rejoué
console-status-vessels = navires
console-status-rate = messages/s
console-status-feeds = Flux
console-status-open = alertes ouvertes
console-status-store = stockage
console-status-store-failing = EN PANNE
console-status-connecting = connexion…
console-status-live = en direct
console-status-reconnecting = reconnexion…
console-status-source-title = { $lines } lignes, { $messages } messages depuis le démarrage
console-status-source-rate = { $id } : { $rate }/s
console-status-source-quiet = dernier signal il y a { $s } s
console-status-source-down = HORS SERVICE
console-scope-signed-in = connecté
console-scope-centre = connecté ({ $centre })
console-scope-admin = connecté en tant qu'administrateur
console-scope-open = API ouverte
console-views-label = Vues
console-views-map = Alertes et carte
console-views-partners = Partenaires
console-views-audit = Journal d'audit
console-views-zones = Zones

# Unités et valeurs
console-unit-s = { $n } s
console-unit-min = { $n } min
console-unit-h = { $n } h
console-unit-d = { $n } j
console-unit-m = { $n } m
console-unit-km = { $n } km
console-unit-kn-one = { $n } nœud
console-unit-kn-other = { $n } nœuds
console-unit-deg = { $n }°
console-time-utc = { $time } UTC
console-value-none = aucun
console-value-nothing = rien
console-value-yes = oui
console-value-no = non
console-withheld = { "[non communiqué]" }

# File des alertes
console-queue-title = Alertes
console-filter-state = État
console-filter-kind = Type
console-filter-origin = Origine
console-filter-zone = Zone
console-filter-all = toutes
console-filter-open = ouvertes
console-filter-closed = closes
console-filter-own = cette installation
console-origin-from = de { $origin }
console-origin-shared = Partagée par l'installation partenaire { $origin }
console-origin-shared-under = Partagée par l'installation partenaire { $origin } au titre de l'accord { $agreement }
console-origin-withheld = Ce qu'elle ne communique pas est absent ou apparaît comme { $withheld }.
console-queue-acked-by = réception accusée par { $by }

# Types et états des alertes
console-kind-dark-period = { kind-dark-period }
console-kind-loitering = { kind-loitering }
console-kind-rendezvous = { kind-rendezvous }
console-kind-drifting = { kind-drifting }
console-kind-fishing = { kind-fishing }
console-kind-speeding = { kind-speeding }
console-kind-identity-change = { kind-identity-change }
console-kind-spoofing = { kind-spoofing }
console-state-open = ouverte
console-state-update = mise à jour
console-state-closed = close

# Carte et curseur temporel
console-mapwrap-label = Carte et temps
console-map-label = Carte des navires, des zones et des alertes
console-map-coastlines = Traits de côte : Natural Earth (world-atlas)
console-map-zoom-in = Zoom avant
console-map-zoom-out = Zoom arrière
console-map-zone-tooltip = { $name } ({ $kind })
console-zone-kind-patrol = patrouille
console-zone-kind-port = port
console-zone-kind-closed-area = zone fermée
console-time-label = Moment affiché sur la carte
console-time-look-back = Remonter le temps
console-time-over = sur
console-time-range-1 = 1 h
console-time-range-6 = 6 h
console-time-range-24 = 24 h
console-time-live-state = EN DIRECT
console-time-live-value = en direct
console-time-back-to-live = Retour au direct
console-time-looking-back = Situation à { $time } UTC…
console-time-looking-back-count-one = Situation à { $time } UTC ({ $n } navire)
console-time-looking-back-count-other = Situation à { $time } UTC ({ $n } navires)
console-time-value-one = { $time } UTC, { $n } minute avant l'horloge du moteur
console-time-value-other = { $time } UTC, { $n } minutes avant l'horloge du moteur
console-time-error = Impossible de remonter le temps : { $error }

# Détail d'une alerte
console-detail-close = Fermer le détail
console-detail-state = État
console-detail-since = Depuis
console-detail-ended = Fin
console-detail-last-change = Dernière modification
console-detail-where = Position
console-detail-zone = Zone
console-detail-centres = Centres
console-detail-from = Origine
console-detail-agreement = Accord
console-detail-alert-id = Identifiant de l'alerte
console-detail-vessels = Navires
console-detail-why = Motif
console-detail-raw-json = JSON brut
console-detail-changes = Historique
console-detail-change = { $state } le { $at }
console-evidence-title = Éléments de preuve
console-evidence-asked-of = Le dossier est demandé à { $origin }, qui décide selon l'accord de le communiquer ou non.
console-evidence-get = Dossier de preuves
console-evidence-asking = Demande à { $origin }…
console-evidence-preparing = Préparation…
console-evidence-downloaded = { $name } téléchargé ({ $kb } ko).
console-evidence-awaiting = En attente de l'approbation de { $origin }. Redemandez plus tard.
console-evidence-awaiting-partner = En attente de l'approbation du partenaire. Redemandez plus tard.
console-evidence-not-shared = Non communiqué : { $error }
console-evidence-error = Impossible d'obtenir le dossier de preuves : { $error }
console-ack-title = Accusés de réception
console-ack-item = { $by } le { $at }
console-ack-item-note = { $by } le { $at } : { $note }
console-ack-none = aucun pour l'instant
console-ack-by = Votre nom
console-ack-note = Remarque
console-ack-submit = Accuser réception

# Motif de l'alerte : les clés du détail
console-why-position = Position
console-why-named-position = Position : { $name }
console-why-dark-position = Position à l'extinction
console-why-reappeared-position = Position à la réapparition
console-why-after-s = Après
console-why-anomalies = Anomalies
console-why-anomaly = Anomalie
console-why-basis = Fondement
console-why-change = Changement
console-why-changes = Changements
console-why-copies = Réceptions
console-why-correction = Correction
console-why-count = Nombre
console-why-declared-fishing = Déclaré comme navire de pêche
console-why-distance-m = Distance
console-why-down = Station en panne
console-why-down-s = Durée de panne
console-why-drift-m = Dérive
console-why-duration-s = Durée
console-why-explained-s = Part expliquée
console-why-field = Champ
console-why-from = De
console-why-gap-s = Interruption
console-why-grace-s = Délai de grâce
console-why-heard-by = Reçu par
console-why-implied-speed-kn = Vitesse implicite
console-why-judged = Évalué
console-why-last-sog-kn = Dernière vitesse fond
console-why-longest-s = La plus longue
console-why-max-angle-deg = Angle maximal
console-why-max-angle-deg-seen = Angle maximal observé
console-why-max-distance-m = Distance maximale
console-why-max-distance-seen-m = Distance maximale observée
console-why-max-speed-kn = Vitesse maximale
console-why-max-speed-kn-seen = Vitesse maximale observée
console-why-mean-speed-kn = Vitesse moyenne
console-why-min-angle-deg = Angle minimal
console-why-min-angle-deg-seen = Angle minimal observé
console-why-min-distance-m = Distance minimale
console-why-min-duration-s = Durée minimale
console-why-min-gap-s = Interruption minimale
console-why-min-speed-kn = Vitesse minimale
console-why-min-speed-kn-seen = Vitesse minimale observée
console-why-min-switches = Alternances minimales
console-why-min-turns-per-h = Virages minimaux par heure
console-why-moved-m = Déplacement
console-why-nav-status = Statut de navigation
console-why-of = Sur
console-why-places = Lieux
console-why-previous-mmsi = MMSI précédent
console-why-quiet-s = Sans nouvel événement depuis
console-why-reason = Raison
console-why-reports = Messages de position
console-why-reports-before = Messages de position avant
console-why-resume-within-s = Reprise sous
console-why-seconds = Secondes
console-why-share = Part
console-why-silences = Silences
console-why-silent-s = Silence
console-why-since-s = Depuis
console-why-sog-kn = Vitesse fond
console-why-stale-after-s = Périmé après
console-why-start = Début
console-why-station = Station
console-why-station-last-heard = Dernière réception par la station
console-why-stations = Stations
console-why-switches = Alternances
console-why-to = Vers
console-why-total-s = Total
console-why-turn-deg = Virage
console-why-turns = Virages
console-why-turns-per-h = Virages par heure
console-why-usual-interval-s = Intervalle habituel
console-why-why = Motif
console-why-zone-min-gap-s = Interruption minimale de la zone
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

# Détail d'un navire
console-vessel-unknown = Aucun message de ce navire n'est parvenu à cette installation.
console-vessel-unnamed = Sans nom
console-vessel-name = Nom
console-vessel-callsign = Indicatif d'appel
console-vessel-flag = Pavillon
console-vessel-ship-type = Type de navire
console-vessel-size-label = Dimensions
console-vessel-size = { $length } × { $beam } m
console-vessel-draught = Tirant d'eau
console-vessel-destination = Destination
console-vessel-last-report = Dernier message
console-vessel-position = Position
console-position = { $lat } ; { $lon }
console-vessel-speed = Vitesse
console-vessel-course = Route
console-vessel-heard-by = Reçu par
console-vessel-alerts = Alertes

# Conservation à titre de preuve
console-hold-title = Conservation judiciaire
console-hold-held = Conservée depuis le { $since } par { $by } — { $reason }
console-hold-release = Lever la conservation
console-hold-reason = Motif
console-hold-by = Demandée par
console-hold-place = Placer sous conservation
console-hold-cancel = Annuler
console-hold-not-held = Non conservée : la durée de conservation peut supprimer ce dont son dossier de preuves a besoin.
console-hold-open = Conserver
console-hold-need-reason = Indiquez le motif et votre nom : la conservation est enregistrée avec eux.
console-hold-already = Déjà conservée : { $error }
console-hold-released = Conservation levée.
console-hold-not-held-error = Non conservée : { $error }
console-hold-error = Impossible de lire les conservations : { $error }

# Page Partenaires
console-partners-title = Partenaires
console-partners-refresh = Actualiser
console-partners-self = Cette installation
console-partners-no-name = Aucun { $key } n'est configuré : rien n'est partagé.
console-partners-name = Nom
console-partners-public-key = Clé publique
console-partners-list = Installations partenaires
console-partners-none = Aucune installation partenaire n'est configurée.
console-partners-updated = Mis à jour à { $time } UTC
console-partners-error = Impossible de lire les partenaires : { $error }
console-agreements-title = Accords
console-agreements-none = Aucun accord n'est configuré.
console-agreements-no-end = sans échéance
console-agreement-in-force = en vigueur
console-agreement-expired = expiré
console-col-partner = Partenaire
console-col-address = Adresse
console-col-agreement = Accord
console-col-state = État
console-col-expires = Échéance
console-col-sends = Envoie
console-col-receives = Reçoit
console-col-sent = Envoyées
console-col-received = Reçues
console-col-alert = Alerte
console-col-asked = Demandée le
console-col-decision = Décision
console-terms-zones = Zones
console-terms-kinds = Types
console-terms-states = États
console-terms-delay = Différé
console-terms-withheld = Non communiqué
console-terms-evidence = Preuves
console-terms-delivered-to = Remises à
console-policy-never = jamais
console-policy-on-request = sur demande
console-policy-approve = après approbation
console-sent-pending = En attente
console-sent-delivered = Remises
console-sent-failed = En échec
console-requests-title = Demandes de preuves
console-requests-hint = Un partenaire demande le dossier de preuves d'une alerte partagée avec lui ; si l'accord soumet les preuves à approbation, la demande attend ici la décision d'un administrateur.
console-requests-decided-by = Décidé par
console-requests-none = Aucune demande de preuves.
console-requests-pending = Demandes de preuves en attente de décision : { $n }
console-requests-need-name = Indiquez votre nom : la décision est enregistrée avec lui.
console-request-pending = en attente
console-request-approved = approuvée
console-request-refused = refusée
console-request-served = communiquée
console-request-approve = Approuver
console-request-refuse = Refuser
console-request-approve-label = Approuver : { $partner } demande { $alert }
console-request-refuse-label = Refuser : { $partner } demande { $alert }
console-request-approved-done = Approuvée : { $partner } demande { $alert }.
console-request-refused-done = Refusée : { $partner } demande { $alert }.

# Page Journal d'audit
console-audit-title = Journal d'audit
console-audit-hint = Chaque utilisation de l'API, la plus récente en premier : qui a demandé, quoi, quelles alertes, quels navires et quelles zones étaient concernés, et la réponse. Heures en UTC.
console-audit-filter-label = Filtrer le journal d'audit
console-audit-actor = Acteur
console-audit-actor-placeholder = admin, centre:ID, partner:ID, system
console-audit-action = Action
console-audit-alert = Identifiant d'alerte
console-audit-since = Depuis (UTC)
console-audit-until = Jusqu'à (UTC)
console-audit-search = Rechercher
console-audit-clear = Effacer
console-audit-newest = Plus récents
console-audit-next = Page suivante
console-audit-col-time = Heure (UTC)
console-audit-col-route = Route
console-audit-col-ids = Identifiants
console-audit-col-status = Statut
console-audit-col-count = Nombre
console-audit-record-title = { $at } (enregistrement { $seq })
console-audit-open-alert = Ouvrir l'alerte { $id }
console-audit-zone = zone { $zone }
console-audit-none = Aucun enregistrement ne correspond.
console-audit-reading = Lecture…
console-audit-absent = Ce démon ne tient pas de journal d'audit (pas de /api/v1/audit).
console-audit-error = Impossible de lire le journal d'audit : { $error }
console-audit-page-one = Page { $page }, { $n } enregistrement
console-audit-page-other = Page { $page }, { $n } enregistrements
console-audit-read-at = Lu à { $time } UTC
console-audit-bad-time = { $field } : date et heure invalides : { $value }

# Page Zones (administrateurs)
console-zones-title = Zones
console-zones-new = Nouvelle zone
console-zones-in-force = En vigueur
console-zones-none = Aucune zone n'est en vigueur.
console-zones-count-one = { $n } zone en vigueur.
console-zones-count-other = { $n } zones en vigueur.
console-zones-reading = Lecture des zones…
console-zones-reading-one = Lecture de { $id }…
console-zones-read-error = Impossible de lire les zones : { $error }
console-zones-tooltip = { $name } ({ $id }, { $kind })
console-zones-boundary = Limite
console-zones-add-vertices = Ajouter des sommets
console-zones-delete-vertex = Supprimer le sommet
console-zones-new-boundary = Nouvelle limite
console-zones-map-label = Carte des zones : la limite de la zone modifiée et ses sommets
console-zones-hint-drawing = Cliquez sur la carte pour ajouter un sommet après celui sélectionné. Faites glisser un sommet pour le déplacer ; sélectionnez-le et appuyez sur Suppr pour l'enlever.
console-zones-hint-editing = Faites glisser un sommet pour le déplacer ; sélectionnez-le et appuyez sur Suppr pour l'enlever. Activez « Ajouter des sommets » pour en ajouter.
console-zones-vertex = Sommet { $n }{ $part }{ $ring } : { $where }
console-zones-vertex-selected = Sommet { $n }{ $part }{ $ring } : { $where } (sélectionné)
console-zones-vertex-part = { " " }de la partie { $n }
console-zones-vertex-ring = , anneau { $n }
console-zones-empty = Sélectionnez une zone pour la modifier, ou créez une nouvelle zone.
console-zones-zone = Zone { $id }
console-zones-id = Identifiant de la zone
console-zones-id-hint = Unique parmi toutes les zones ; une nouvelle zone est enregistrée sous ID.geojson.
console-zones-name = Nom
console-zones-kind = Type de zone
console-zones-kind-patrol = patrouille
console-zones-kind-port = port (port ou mouillage)
console-zones-kind-closed-area = zone fermée (fermée à la pêche)
console-zones-centres = Centres
console-zones-centres-hint = Séparés par des virgules ; les destinataires des alertes de la zone.
console-zones-detectors = Détecteurs
console-zones-detect = Détecteurs et seuils (JSON)
console-zones-detect-hint = L'objet detect de la zone, par exemple {"{"}"dark_period": {"{"}"min_gap": "6h"{"}"}{"}"} ; {"{"}{"}"} sous un détecteur reprend les seuils de la configuration.
console-zones-geometry = Coordonnées (GeoJSON)
console-zones-not-json = JSON invalide : { $error }
console-zones-not-object = doit être un objet JSON, par exemple { $example }
console-zones-unsaved = Modifications non enregistrées.
console-zones-problems = Problèmes
console-zones-checking = Vérification…
console-zones-check-error = Vérification impossible : { $error }
console-zones-valid = Aucun problème : l'ensemble de zones est valide.
console-zones-problem-count-one = { $n } problème :
console-zones-problem-count-other = { $n } problèmes :
console-zones-problem-count-daemon-one = { $n } problème, d'après la vérification du démon :
console-zones-problem-count-daemon-other = { $n } problèmes, d'après la vérification du démon :
console-zones-this-zone = cette zone
console-zones-zone-lower = zone { $id }
console-zones-zones-lower = zones
console-zones-preview-hours = Heures d'aperçu
console-zones-preview = Aperçu
console-zones-save = Enregistrer
console-zones-delete = Supprimer
console-zones-delete-confirm = Supprimer { $id } définitivement
console-zones-reload = Recharger cette zone
console-zones-fix-first = Corrigez d'abord les problèmes.
console-zones-replaying = Rejeu des { $hours } dernières heures avec les zones modifiées…
console-zones-no-preview = Pas d'aperçu : { $error }
console-zones-preview-over = Alertes sur les lignes reçues du { $from } au { $to } ({ $hours } h) : telles que levées avec les zones en vigueur, et telles que les zones modifiées les lèveraient.
console-zones-replayed = { $lines } lignes rejouées.
console-zones-replayed-messages = { $lines } lignes, { $messages } messages rejoués.
console-zones-col-was = Avant
console-zones-col-would-be = Après
console-zones-col-added = Ajoutées
console-zones-col-removed = Supprimées
console-zones-col-unchanged = Inchangées
console-zones-all = Total
console-zones-no-alert = Aucune alerte, ni avant ni après.
console-zones-legend-added = ajoutée
console-zones-legend-unchanged = inchangée
console-zones-legend-removed = supprimée (ne serait plus levée)
console-zones-conflict = Cette zone a été modifiée par quelqu'un d'autre depuis que vous l'avez ouverte (modification concurrente) — rechargez-la pour voir sa version
console-zones-saving = Enregistrement…
console-zones-saved = Enregistrée — en vigueur.
console-zones-saved-file = Enregistrée — en vigueur ({ $file }).
console-zones-invalid = la zone n'est pas valide
console-zones-not-saved = Non enregistrée : { $error }
console-zones-not-saved-invalid = Non enregistrée : { $error }.
console-zones-not-saved-problems = Non enregistrée : corrigez d'abord les problèmes.
console-zones-not-saved-id = Non enregistrée : la zone doit avoir un identifiant.
console-zones-not-saved-admin = Non enregistrée : seul un administrateur peut modifier les zones.
console-zones-not-deleted = Non supprimée : { $error }
console-zones-deleted = { $id } supprimée — en vigueur.
console-zones-history = Historique
console-zones-no-history = Pas d'historique : { $error }
console-zones-col-from = Du (UTC)
console-zones-col-until = Au (UTC)
console-zones-col-by = Par
console-zones-col-version = Version
console-zones-col-map = Carte
console-zones-version-in-force = en vigueur
console-zones-show = Afficher
console-zones-show-version = Afficher sur la carte la version du { $from }
console-zones-no-version = Aucune version enregistrée.
console-zones-history-shown = Sur la carte : en gris pointillé, la limite du { $from } (par { $by }) ; en trait plein, la limite telle que modifiée maintenant.
console-zones-history-legend = Affichez une version pour tracer sa limite à côté de la limite actuelle.
