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
