# aiswatch — português. As mensagens que faltarem aqui são ditas em inglês
# (e contadas); um teste falha se faltar uma mensagem de en.ftl.

## Como se escrevem números e durações

number-decimal = ,
number-group = { "\u00A0" }
duration-minutes = { $m } min
duration-hours = { $h } h { $m } min
duration-days = { $d } d { $h } h { $m } min
clause-separator = { "; " }
list-separator = { ", " }

## Resumos de alerta

ended-clause = ; terminou: { $reason }
silences-clause = { $count ->
    [one] ; continuou após { $longest } de silêncio AIS
   *[other] ; continuou após { $count } silêncios AIS (o mais longo: { $longest })
}

dark-period-open = { $vessel } em silêncio há { $silent } em { $zone } (limiar { $threshold }); último sinal em lat. { $lat } / long. { $lon } recebido pela estação { $receiver }; { $why }.
dark-period-why-vessel = { $count ->
    [one] a estação { $receivers } que o recebia continuou a receber
   *[other] as estações { $receivers } que o recebiam continuaram a receber
}
dark-period-why-cell = { $count ->
    [one] a estação { $receivers } que cobre a sua posição estimada continuou a receber
   *[other] as estações { $receivers } que cobrem a sua posição estimada continuaram a receber
}
dark-period-why-explained = as estações que o recebiam estiveram fora de serviço apenas { $explained } desse tempo
dark-period-returned = { $vessel } reapareceu após { $gap } de apagão AIS em { $zone }, a { $distance_nm } milhas de onde se apagou (velocidade implícita { $speed_kn } nós).
dark-period-forgotten = { $vessel } não voltou a ser ouvido após { $silent } de apagão AIS em { $zone }; terminou: { $reason } (já não seguido).
dark-period-unwatched = { $vessel }: vigilância de apagões AIS terminada ({ $reason }) em { $zone }, navio ainda em silêncio.

loitering = { $vessel } em permanência prolongada há { $duration } em { $zone } a { $max_speed_kn } nós no máximo (limiar { $threshold_kn } nós durante { $min_duration }){ $silences }{ $ended }.

rendezvous = { $vessel } e { $other } juntos há { $duration } em { $zone }, a { $distance_m } m um do outro (no mínimo { $closest_m } m), ambos a { $max_speed_kn } nós no máximo (limiar { $threshold_m } m durante { $min_duration }){ $silences }{ $ended }.

drifting = { $vessel } à deriva há { $duration } em { $zone }: proa desviada { $min_angle } a { $max_angle }° do rumo, até { $max_speed_kn } nós (limiar { $threshold_min_angle } a { $threshold_max_angle }° entre { $threshold_min_kn } e { $threshold_max_kn } nós durante { $min_duration }){ $ended }.

fishing = { $vessel } a pescar na área interdita { $zone } há { $duration } entre { $min_speed_kn } e { $max_speed_kn } nós, { $why } (velocidades de pesca { $threshold_min_kn } a { $threshold_max_kn } nós durante { $min_duration }){ $ended }.
fishing-why-declared = declarado como navio de pesca (tipo de navio 30)
fishing-why-turns = padrão de arrasto: { $turns } viragens de { $turn_deg }° ou mais ({ $rate } por hora, limiar { $threshold } por hora)

speeding = { $vessel } em excesso de velocidade há { $duration } em { $zone }, até { $max_speed_kn } nós (limite { $limit_kn } nós durante { $min_duration }){ $ended }.

identity-change-open = { $vessel }: { $change } em { $zone } ({ $count ->
    [one] { $count } mudança de identidade
   *[other] { $count } mudanças de identidade
} até agora).
identity-change-quiet = { $vessel }: nenhuma outra mudança de identidade há { $quiet } ({ $count } no total).
identity-change-ended = { $vessel }: terminou: { $reason } após { $quiet } sem mudança de identidade ({ $count } no total).
identity-change-conflict = o mesmo MMSI transmite de duas posições a { $distance_km } km uma da outra, alternadamente ({ $jumps } saltos)
identity-change-flag = o IMO { $imo } está agora sob este MMSI, bandeira { $flag } (antes MMSI { $previous_mmsi }, bandeira { $previous_flag })
identity-change-attribute = { $field } mudou de { $from } para { $to }
value-none = nenhuma
field-name = nome
field-callsign = indicativo de chamada
field-imo = número IMO
field-ship-type = tipo de navio
field-flag = bandeira
field-conflict = conflito

spoofing-open = { $vessel }: { $anomaly } em { $zone } ({ $count ->
    [one] { $count } anomalia
   *[other] { $count } anomalias
} até agora).
spoofing-quiet = { $vessel }: nenhuma outra anomalia de trajetória há { $quiet } ({ $count } no total).
spoofing-ended = { $vessel }: terminou: { $reason } após { $quiet } sem anomalias ({ $count } no total).
spoofing-unwatched = { $vessel }: vigilância de falsificação terminada ({ $reason }) em { $zone } ({ $count } anomalias no total).
anomaly-invalid-mmsi = MMSI inválido
anomaly-impossible-jump = salto de posição impossível
anomaly-two-places-at-once = em dois sítios ao mesmo tempo

closed-at-restart = { $vessel }: alerta de { $kind } encerrado no reinício: { $why } ({ $reason }).
closed-at-restart-alert = alerta { $id }
vessel-pair = { $vessel } e { $other }
restart-detector-off = o detetor de { $kind } está desligado na zona { $zone }
restart-zone-gone = a zona { $zone } já não está carregada

## Porque terminou um episódio

reason-left-the-zone = saiu da zona
reason-contact-lost = contacto perdido
reason-under-way-again = de novo a navegar
reason-parted = separaram-se
reason-entered-a-port = entrou num porto
reason-slowed-down = abrandou
reason-under-way-above-fishing-speeds = a navegar acima das velocidades de pesca
reason-stopped-below-fishing-speeds = parado abaixo das velocidades de pesca
reason-at-anchor-or-moored = fundeado ou atracado
reason-speed-out-of-the-drifting-range = velocidade fora da gama de deriva
reason-heading-back-in-line-with-the-course = proa de novo alinhada com o rumo
reason-moving-astern-of-its-heading = a andar para ré em relação à proa
reason-vessel-forgotten = navio já não seguido
reason-zone-removed = zona removida
reason-detector-removed = detetor removido
reason-detector-disabled = detetor desligado

## Tipos de alerta

kind-dark-period = apagão AIS
kind-loitering = permanência prolongada
kind-rendezvous = encontro no mar (transbordo)
kind-drifting = deriva
kind-fishing = pesca ilegal
kind-speeding = excesso de velocidade
kind-identity-change = mudança de identidade
kind-spoofing = falsificação de posição


## Relatório de prova (report.md). As marcas Markdown (#, -, 1.) são
## acrescentadas pelo código; manter os acentos graves e as | como estão.

report-title = Elementos de prova: alerta «{ $kind_name }» { $id }
report-what-happened = O que aconteceu
report-summary = { $summary }
report-detector = Detetor: `{ $kind }`; último estado: { $state }
report-zone = Zona: { $zone } — { $name }
report-no-name = (sem nome)
report-zone-version-unrecorded = Versão da zona: não registada com o alerta; `zone.geojson` é a zona em vigor na exportação
report-zone-version = Versão da zona aplicada pelos detetores: { $version } — em vigor de { $from } até { $until }, trazida por { $by }; { $changes } das mudanças do alerta feitas sob ela
report-not-in-zone-history = (fora do histórico das zonas)
report-still-in-force = a exportação (ainda em vigor)
report-unknown = (desconhecido)
report-began = Início: { $at }
report-ended = Fim: { $at }
report-still-open = ainda aberto na exportação
report-where = Posição: { $lat }° N, { $lon }° E (negativo: S, O)
report-changes = Mudanças de estado registadas: { $count }
report-vessels = Navios
report-vessels-header = | MMSI | nome | indicativo de chamada | IMO | posições na janela | linhas brutas |
report-table-rule = |---|---|---|---|---|---|
report-window = Janela exportada (hora dos eventos): de { $from } a { $to } (o evento ± { $margin } min).
report-receivers = Recetores
report-withheld = Ocultados: os recetores (`redact = ["sources"]` do acordo de partilha). Cada estação recetora, identificador de fonte e endereço de par deste pacote (o valor `s:` de cada bloco de etiquetas em `{ $raw_lines }`, as colunas `station` e `source`, os campos `source`, `peer`, `station` do manifesto) e os elos de cadeia de cada linha bruta (`prev`, `hash`) são cada um substituídos por um compromisso `withheld:<hex>` = SHA-256(sal ‖ valor), com um sal diferente em cada lugar, que só a instalação exportadora pode derivar; os campos do alerta que nomeiam ou situam recetores são removidos, e os nomes de recetores no seu texto leem-se `[withheld]`. As cargas úteis AIS estão intactas.
report-no-raw-lines = Nenhuma linha bruta destes navios na janela está no arquivo.
report-receivers-header = | fonte | par | estação | linhas | primeira receção | última receção |
report-archive-records = As { $count } linhas brutas são os registos seq { $first } a { $last } do arquivo bruto contínuo da instalação.
report-files = Ficheiros
report-file = `{ $name }`: { $what }
report-file-raw-lines = as linhas exatamente como recebidas, uma por linha
report-file-positions = as posições guardadas a partir delas
report-file-tracks = as mesmas como trajetos, com os dados estáticos dos navios
report-file-statics = as mudanças de dados estáticos (a primeira linha por navio: em vigor no início da janela)
report-file-alert = o último estado do alerta tal como guardado
report-file-alert-changes = cada mudança de estado, por ordem
report-file-zone = a zona tal como os detetores a aplicaram: uma Feature por versão em vigor durante o evento
report-file-thresholds = os limiares dos detetores na zona
report-file-map = o mapa
report-file-manifest = o SHA-256 de cada ficheiro, e o lugar de cada linha bruta na cadeia de hash do arquivo
report-file-signature = a assinatura Ed25519 de manifest.json
report-file-public-key = a chave que a assinou
report-how-to-verify = Como verificar
report-verify-key = Obter a chave pública da instalação exportadora junto do seu operador (`aiswatch key show`) por um canal de confiança; a sua impressão digital deve ser `{ $fingerprint }`.
report-verify-run = Executar `aiswatch evidence verify BUNDLE.zip --key PUBKEY`, ou, sem aiswatch, `python3 scripts/verify_evidence.py BUNDLE.zip --key PUBKEY` (só precisa de `hashlib` e `zipfile` do Python e do pacote `cryptography`).
report-verify-withheld = Os elos de cadeia das linhas brutas estão ocultados: este pacote sozinho não permite ligar as linhas ao arquivo. A instalação exportadora pode abrir cada compromisso (`aiswatch evidence reveal FULL.zip`, para o pacote completo do mesmo alerta e janela): para cada um, SHA-256(sal ‖ valor) dá o compromisso, e o pacote completo, com os valores assim substituídos, dá byte a byte os ficheiros deste pacote (`aiswatch evidence verify THIS.zip --full FULL.zip --openings OPENINGS.json`); as linhas do pacote completo ligam-se ao arquivo.
report-verify-archive = Para ligar as linhas ao próprio arquivo, o operador executa `aiswatch archive verify` e compara o hash que o arquivo guarda em cada seq com o do manifesto.
report-proves = O que isto prova, e o que não prova
report-proves-files = Cada ficheiro está tal como o detentor da chave o exportou: qualquer byte, linha ou ficheiro alterado, acrescentado ou removido quebra um SHA-256 ou a assinatura.
report-proves-lines-withheld = As frases AIS das linhas brutas estão tal como recebidas; só os nomes dos recetores foram substituídos. O seu lugar na cadeia de hash do arquivo não pode ser verificado a partir deste pacote (os elos estão ocultados); os compromissos ligam este pacote ao completo, que o permite.
report-proves-lines = Cada linha bruta, com a sua hora de receção, fonte e par, está encadeada no arquivo no seu seq: o seu hash cobre o do registo anterior. As linhas de outros navios entre elas não estão no pacote; o arquivo guarda-as.
report-proves-positions = As posições guardadas são o que as linhas brutas dão ao descodificar (`aiswatch evidence verify` volta a descodificá-las).
report-proves-not = Não prova que o que um navio transmitiu era verdade (o AIS é declarativo), nem que nenhuma transmissão se perdeu antes de chegar ao arquivo: uma ausência de linhas é uma ausência de receção.

## Esta língua, no seu próprio nome

language-name = Português
