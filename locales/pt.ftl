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

## Console
# As palavras da consola de operações (web/*.js, web/index.html), servidas ao
# navegador por GET /api/v1/i18n/{tag} sem o prefixo «console-». A consola
# preenche os { $nome }; uma chave terminada em -one / -other é a forma do
# plural que as regras da língua escolhem para { $n }.

console-page-title = aiswatch — consola de operações
console-language-label = Língua

# Entrada
console-signin-intro = Consola de operações. Entre com o token de API do seu centro.
console-signin-token = Token de API
console-signin-hint = Guardado apenas neste separador do navegador. Deixe em branco se este serviço não tiver tokens.
console-signin-submit = Entrar
console-signin-unknown-token = Token desconhecido.
console-signin-unreachable = Não é possível contactar a API: { $error }
console-signout = Sair

# Barra de estado
console-status-label = Estado das fontes e do motor
console-status-clock = relógio
console-status-lag = atraso
console-status-lag-title = Relógio de parede menos relógio do motor: segundos para uma fonte em direto, a idade de uma gravação reproduzida
console-status-vessels = navios
console-status-rate = mensagens/s
console-status-feeds = Fontes
console-status-open = alertas abertos
console-status-store = armazenamento
console-status-store-failing = EM FALHA
console-status-connecting = a ligar…
console-status-live = em direto
console-status-reconnecting = a religar…
console-status-source-title = { $lines } linhas, { $messages } mensagens desde o arranque
console-status-source-rate = { $id }: { $rate }/s
console-status-source-quiet = último sinal há { $s } s
console-status-source-down = EM BAIXO
console-scope-signed-in = sessão iniciada
console-scope-centre = sessão iniciada ({ $centre })
console-scope-admin = sessão iniciada como administrador
console-scope-open = API aberta
console-views-label = Vistas
console-views-map = Alertas e mapa
console-views-partners = Parceiros
console-views-audit = Auditoria
console-views-zones = Zonas

# Unidades e valores
console-unit-s = { $n } s
console-unit-min = { $n } min
console-unit-h = { $n } h
console-unit-d = { $n } d
console-unit-m = { $n } m
console-unit-km = { $n } km
console-unit-kn-other = { $n } nós
console-unit-deg = { $n }°
console-time-utc = { $time } UTC
console-value-none = nenhum
console-value-nothing = nada
console-value-yes = sim
console-value-no = não
console-withheld = { "[retido]" }

# Fila de alertas
console-queue-title = Alertas
console-filter-state = Estado
console-filter-kind = Tipo
console-filter-origin = Origem
console-filter-zone = Zona
console-filter-all = todos
console-filter-open = abertos
console-filter-closed = fechados
console-filter-own = esta instalação
console-origin-from = de { $origin }
console-origin-shared = Partilhado pela instalação parceira { $origin }
console-origin-shared-under = Partilhado pela instalação parceira { $origin } ao abrigo do acordo { $agreement }
console-origin-withheld = O que ela retém falta ou aparece como { $withheld }.
console-queue-acked-by = reconhecido por { $by }

# Tipos e estados dos alertas
console-kind-dark-period = { kind-dark-period }
console-kind-loitering = { kind-loitering }
console-kind-rendezvous = { kind-rendezvous }
console-kind-drifting = { kind-drifting }
console-kind-fishing = { kind-fishing }
console-kind-speeding = { kind-speeding }
console-kind-identity-change = { kind-identity-change }
console-kind-spoofing = { kind-spoofing }
console-state-open = aberto
console-state-update = atualizado
console-state-closed = fechado

# Mapa e cursor do tempo
console-mapwrap-label = Mapa e tempo
console-map-label = Mapa de navios, zonas e alertas
console-map-coastlines = Linhas de costa: Natural Earth (world-atlas)
console-map-zoom-in = Aproximar
console-map-zoom-out = Afastar
console-map-zone-tooltip = { $name } ({ $kind })
console-zone-kind-patrol = patrulha
console-zone-kind-port = porto
console-zone-kind-closed-area = zona interdita
console-time-label = Momento mostrado no mapa
console-time-look-back = Recuar no tempo
console-time-over = em
console-time-range-1 = 1 h
console-time-range-6 = 6 h
console-time-range-24 = 24 h
console-time-live-state = EM DIRETO
console-time-live-value = em direto
console-time-back-to-live = Voltar ao direto
console-time-looking-back = Situação às { $time } UTC…
console-time-looking-back-count-one = Situação às { $time } UTC ({ $n } navio)
console-time-looking-back-count-other = Situação às { $time } UTC ({ $n } navios)
console-time-value-one = { $time } UTC, { $n } minuto antes do relógio do motor
console-time-value-other = { $time } UTC, { $n } minutos antes do relógio do motor
console-time-error = Não é possível recuar no tempo: { $error }

# Detalhe de um alerta
console-detail-close = Fechar o detalhe
console-detail-state = Estado
console-detail-since = Desde
console-detail-ended = Terminou
console-detail-last-change = Última alteração
console-detail-where = Posição
console-detail-zone = Zona
console-detail-centres = Centros
console-detail-from = Origem
console-detail-agreement = Acordo
console-detail-alert-id = Identificador do alerta
console-detail-vessels = Navios
console-detail-why = Motivo
console-detail-raw-json = JSON em bruto
console-detail-changes = Alterações
console-detail-change = { $state } em { $at }
console-evidence-title = Provas
console-evidence-asked-of = O dossiê é pedido a { $origin }, que decide ao abrigo do acordo se o partilha.
console-evidence-get = Dossiê de provas
console-evidence-asking = A pedir a { $origin }…
console-evidence-preparing = A preparar…
console-evidence-downloaded = { $name } descarregado ({ $kb } kB).
console-evidence-awaiting = A aguardar a aprovação de { $origin }. Volte a pedir mais tarde.
console-evidence-awaiting-partner = A aguardar a aprovação do parceiro. Volte a pedir mais tarde.
console-evidence-not-shared = Não partilhado: { $error }
console-evidence-error = Não é possível obter o dossiê de provas: { $error }
console-ack-title = Reconhecimentos
console-ack-item = { $by } em { $at }
console-ack-item-note = { $by } em { $at }: { $note }
console-ack-none = nenhum por enquanto
console-ack-by = O seu nome
console-ack-note = Nota
console-ack-submit = Reconhecer

# Motivo do alerta: as chaves do detalhe
console-why-position = Posição
console-why-named-position = Posição: { $name }
console-why-dark-position = Posição ao apagar-se
console-why-reappeared-position = Posição ao reaparecer
console-why-after-s = Após
console-why-anomalies = Anomalias
console-why-anomaly = Anomalia
console-why-basis = Base
console-why-change = Alteração
console-why-changes = Alterações
console-why-copies = Receções
console-why-correction = Correção
console-why-count = Número
console-why-declared-fishing = Declarado como navio de pesca
console-why-distance-m = Distância
console-why-down = Estação em baixo
console-why-down-s = Tempo em baixo
console-why-drift-m = Deriva
console-why-duration-s = Duração
console-why-explained-s = Parte explicada
console-why-field = Campo
console-why-from = De
console-why-gap-s = Interrupção
console-why-grace-s = Tolerância
console-why-heard-by = Recebido por
console-why-implied-speed-kn = Velocidade implícita
console-why-judged = Avaliado
console-why-last-sog-kn = Última velocidade sobre o fundo
console-why-longest-s = A mais longa
console-why-max-angle-deg = Ângulo máximo
console-why-max-angle-deg-seen = Ângulo máximo observado
console-why-max-distance-m = Distância máxima
console-why-max-distance-seen-m = Distância máxima observada
console-why-max-speed-kn = Velocidade máxima
console-why-max-speed-kn-seen = Velocidade máxima observada
console-why-mean-speed-kn = Velocidade média
console-why-min-angle-deg = Ângulo mínimo
console-why-min-angle-deg-seen = Ângulo mínimo observado
console-why-min-distance-m = Distância mínima
console-why-min-duration-s = Duração mínima
console-why-min-gap-s = Interrupção mínima
console-why-min-speed-kn = Velocidade mínima
console-why-min-speed-kn-seen = Velocidade mínima observada
console-why-min-switches = Alternâncias mínimas
console-why-min-turns-per-h = Viragens mínimas por hora
console-why-moved-m = Deslocação
console-why-nav-status = Estado de navegação
console-why-of = De um total de
console-why-places = Locais
console-why-previous-mmsi = MMSI anterior
console-why-quiet-s = Sem novidades há
console-why-reason = Razão
console-why-reports = Mensagens de posição
console-why-reports-before = Mensagens de posição antes
console-why-resume-within-s = Retoma em menos de
console-why-seconds = Segundos
console-why-share = Proporção
console-why-silences = Silêncios
console-why-silent-s = Silêncio
console-why-since-s = Desde
console-why-sog-kn = Velocidade sobre o fundo
console-why-stale-after-s = Desatualizado após
console-why-start = Início
console-why-station = Estação
console-why-station-last-heard = Última receção pela estação
console-why-stations = Estações
console-why-switches = Alternâncias
console-why-to = Para
console-why-total-s = Total
console-why-turn-deg = Viragem
console-why-turns = Viragens
console-why-turns-per-h = Viragens por hora
console-why-usual-interval-s = Intervalo habitual
console-why-why = Motivo
console-why-zone-min-gap-s = Interrupção mínima da zona
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

# Detalhe de um navio
console-vessel-unknown = Nenhuma mensagem deste navio chegou a esta instalação.
console-vessel-unnamed = Sem nome
console-vessel-name = Nome
console-vessel-callsign = Indicativo de chamada
console-vessel-flag = Bandeira
console-vessel-ship-type = Tipo de navio
console-vessel-size-label = Dimensões
console-vessel-size = { $length } × { $beam } m
console-vessel-draught = Calado
console-vessel-destination = Destino
console-vessel-last-report = Última mensagem
console-vessel-position = Posição
console-position = { $lat }; { $lon }
console-vessel-speed = Velocidade
console-vessel-course = Rumo
console-vessel-heard-by = Recebido por
console-vessel-alerts = Alertas

# Retenção legal
console-hold-title = Retenção legal
console-hold-held = Retido desde { $since } por { $by } — { $reason }
console-hold-release = Levantar a retenção
console-hold-reason = Motivo
console-hold-by = Pedida por
console-hold-place = Reter
console-hold-cancel = Cancelar
console-hold-not-held = Não retido: o prazo de conservação pode apagar o que o seu dossiê de provas precisa.
console-hold-open = Retenção
console-hold-need-reason = Indique o motivo e o seu nome: a retenção fica registada com eles.
console-hold-already = Já retido: { $error }
console-hold-released = Retenção levantada.
console-hold-not-held-error = Não retido: { $error }
console-hold-error = Não é possível ler as retenções: { $error }

# Página Parceiros
console-partners-title = Parceiros
console-partners-refresh = Atualizar
console-partners-self = Esta instalação
console-partners-no-name = Nenhum { $key } está configurado: nada é partilhado.
console-partners-name = Nome
console-partners-public-key = Chave pública
console-partners-list = Instalações parceiras
console-partners-none = Nenhuma instalação parceira está configurada.
console-partners-updated = Atualizado às { $time } UTC
console-partners-error = Não é possível ler os parceiros: { $error }
console-agreements-title = Acordos
console-agreements-none = Nenhum acordo está configurado.
console-agreements-no-end = sem termo
console-agreement-in-force = em vigor
console-agreement-expired = expirado
console-col-partner = Parceiro
console-col-address = Endereço
console-col-agreement = Acordo
console-col-state = Estado
console-col-expires = Termo
console-col-sends = Envia
console-col-receives = Recebe
console-col-sent = Enviados
console-col-received = Recebidos
console-col-alert = Alerta
console-col-asked = Pedido em
console-col-decision = Decisão
console-terms-zones = Zonas
console-terms-kinds = Tipos
console-terms-states = Estados
console-terms-delay = Diferimento
console-terms-withheld = Retido
console-terms-evidence = Provas
console-terms-delivered-to = Entregues a
console-policy-never = nunca
console-policy-on-request = a pedido
console-policy-approve = após aprovação
console-sent-pending = Pendentes
console-sent-delivered = Entregues
console-sent-failed = Falhados
console-requests-title = Pedidos de provas
console-requests-hint = Um parceiro pede o dossiê de provas de um alerta partilhado com ele; se o acordo sujeitar as provas a aprovação, o pedido aguarda aqui a decisão de um administrador.
console-requests-decided-by = Decidido por
console-requests-none = Nenhum pedido de provas.
console-requests-pending = Pedidos de provas a aguardar decisão: { $n }
console-requests-need-name = Indique o seu nome: a decisão fica registada com ele.
console-request-pending = pendente
console-request-approved = aprovado
console-request-refused = recusado
console-request-served = entregue
console-request-approve = Aprovar
console-request-refuse = Recusar
console-request-approve-label = Aprovar: { $partner } pede { $alert }
console-request-refuse-label = Recusar: { $partner } pede { $alert }
console-request-approved-done = Aprovado: { $partner } pede { $alert }.
console-request-refused-done = Recusado: { $partner } pede { $alert }.

# Página Auditoria
console-audit-title = Registo de auditoria
console-audit-hint = Cada utilização da API, da mais recente para a mais antiga: quem pediu, o quê, que alertas, navios e zonas foram abrangidos, e a resposta. Horas em UTC.
console-audit-filter-label = Filtrar o registo de auditoria
console-audit-actor = Ator
console-audit-actor-placeholder = admin, centre:ID, partner:ID, system
console-audit-action = Ação
console-audit-alert = Identificador do alerta
console-audit-since = Desde (UTC)
console-audit-until = Até (UTC)
console-audit-search = Pesquisar
console-audit-clear = Limpar
console-audit-newest = Mais recentes
console-audit-next = Página seguinte
console-audit-col-time = Hora (UTC)
console-audit-col-route = Rota
console-audit-col-ids = Identificadores
console-audit-col-status = Estado
console-audit-col-count = Número
console-audit-record-title = { $at } (registo { $seq })
console-audit-open-alert = Abrir o alerta { $id }
console-audit-zone = zona { $zone }
console-audit-none = Nenhum registo corresponde.
console-audit-reading = A ler…
console-audit-absent = Este serviço não mantém registo de auditoria (sem /api/v1/audit).
console-audit-error = Não é possível ler o registo de auditoria: { $error }
console-audit-page-one = Página { $page }, { $n } registo
console-audit-page-other = Página { $page }, { $n } registos
console-audit-read-at = Lido às { $time } UTC
console-audit-bad-time = { $field }: data e hora inválidas: { $value }

# Página Zonas (administradores)
console-zones-title = Zonas
console-zones-new = Nova zona
console-zones-in-force = Em vigor
console-zones-none = Nenhuma zona está em vigor.
console-zones-count-one = { $n } zona em vigor.
console-zones-count-other = { $n } zonas em vigor.
console-zones-reading = A ler as zonas…
console-zones-reading-one = A ler { $id }…
console-zones-read-error = Não é possível ler as zonas: { $error }
console-zones-tooltip = { $name } ({ $id }, { $kind })
console-zones-boundary = Limite
console-zones-add-vertices = Acrescentar vértices
console-zones-delete-vertex = Apagar o vértice
console-zones-new-boundary = Novo limite
console-zones-map-label = Mapa das zonas: o limite da zona em edição e os seus vértices
console-zones-hint-drawing = Clique no mapa para acrescentar um vértice a seguir ao selecionado. Arraste um vértice para o mover; selecione-o e prima Delete para o apagar.
console-zones-hint-editing = Arraste um vértice para o mover; selecione-o e prima Delete para o apagar. Ative «Acrescentar vértices» para acrescentar mais.
console-zones-vertex = Vértice { $n }{ $part }{ $ring }: { $where }
console-zones-vertex-selected = Vértice { $n }{ $part }{ $ring }: { $where } (selecionado)
console-zones-vertex-part = { " " }da parte { $n }
console-zones-vertex-ring = , anel { $n }
console-zones-empty = Selecione uma zona para a editar, ou crie uma nova zona.
console-zones-zone = Zona { $id }
console-zones-id = Identificador da zona
console-zones-id-hint = Único entre todas as zonas; uma nova zona é guardada como ID.geojson.
console-zones-name = Nome
console-zones-kind = Tipo de zona
console-zones-kind-patrol = patrulha
console-zones-kind-port = porto (porto ou fundeadouro)
console-zones-kind-closed-area = zona interdita (interdita à pesca)
console-zones-centres = Centros
console-zones-centres-hint = Separados por vírgulas; quem recebe os alertas da zona.
console-zones-detectors = Detetores
console-zones-detect = Detetores e limiares (JSON)
console-zones-detect-hint = O objeto detect da zona, por exemplo {"{"}"dark_period": {"{"}"min_gap": "6h"{"}"}{"}"}; {"{"}{"}"} sob um detetor usa os limiares da configuração.
console-zones-geometry = Coordenadas (GeoJSON)
console-zones-not-json = JSON inválido: { $error }
console-zones-not-object = tem de ser um objeto JSON, por exemplo { $example }
console-zones-unsaved = Alterações por guardar.
console-zones-problems = Problemas
console-zones-checking = A verificar…
console-zones-check-error = Não é possível verificar: { $error }
console-zones-valid = Sem problemas: o conjunto de zonas é válido.
console-zones-problem-count-one = { $n } problema:
console-zones-problem-count-other = { $n } problemas:
console-zones-problem-count-daemon-one = { $n } problema, segundo a verificação do serviço:
console-zones-problem-count-daemon-other = { $n } problemas, segundo a verificação do serviço:
console-zones-this-zone = esta zona
console-zones-zone-lower = zona { $id }
console-zones-zones-lower = zonas
console-zones-preview-hours = Horas de pré-visualização
console-zones-preview = Pré-visualizar
console-zones-save = Guardar
console-zones-delete = Apagar
console-zones-delete-confirm = Apagar { $id } definitivamente
console-zones-reload = Recarregar esta zona
console-zones-fix-first = Corrija primeiro os problemas.
console-zones-replaying = A reproduzir as últimas { $hours } h com as zonas editadas…
console-zones-no-preview = Sem pré-visualização: { $error }
console-zones-preview-over = Alertas sobre as linhas recebidas de { $from } a { $to } ({ $hours } h): tal como levantados com as zonas em vigor, e tal como as zonas editadas os levantariam.
console-zones-replayed = { $lines } linhas reproduzidas.
console-zones-replayed-messages = { $lines } linhas, { $messages } mensagens reproduzidas.
console-zones-col-was = Antes
console-zones-col-would-be = Depois
console-zones-col-added = Acrescentados
console-zones-col-removed = Removidos
console-zones-col-unchanged = Inalterados
console-zones-all = Total
console-zones-no-alert = Nenhum alerta, nem antes nem depois.
console-zones-legend-added = acrescentado
console-zones-legend-unchanged = inalterado
console-zones-legend-removed = removido (deixaria de ser levantado)
console-zones-conflict = Esta zona foi alterada por outra pessoa desde que a abriu (edição concorrente) — recarregue para ver a versão dela
console-zones-saving = A guardar…
console-zones-saved = Guardada — em vigor.
console-zones-saved-file = Guardada — em vigor ({ $file }).
console-zones-invalid = a zona não é válida
console-zones-not-saved = Não guardada: { $error }
console-zones-not-saved-invalid = Não guardada: { $error }.
console-zones-not-saved-problems = Não guardada: corrija primeiro os problemas.
console-zones-not-saved-id = Não guardada: a zona precisa de um identificador.
console-zones-not-saved-admin = Não guardada: só um administrador pode editar zonas.
console-zones-not-deleted = Não apagada: { $error }
console-zones-deleted = { $id } apagada — em vigor.
console-zones-history = Histórico
console-zones-no-history = Sem histórico: { $error }
console-zones-col-from = De (UTC)
console-zones-col-until = Até (UTC)
console-zones-col-by = Por
console-zones-col-version = Versão
console-zones-col-map = Mapa
console-zones-version-in-force = em vigor
console-zones-show = Mostrar
console-zones-show-version = Mostrar no mapa a versão de { $from }
console-zones-no-version = Nenhuma versão guardada.
console-zones-history-shown = No mapa: a cinzento tracejado, o limite de { $from } (por { $by }); a traço contínuo, o limite tal como editado agora.
console-zones-history-legend = Mostre uma versão para desenhar o seu limite ao lado do atual.
