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

dark-period-open = { $vessel } em silêncio há { $silent } em { $zone } (limiar { $threshold }); último sinal em lat. { $lat } / long. { $lon } recebido pela estação { $station }; { $why }.
dark-period-why-vessel = { $count ->
    [one] a estação { $stations } que o recebia continuou a receber
   *[other] as estações { $stations } que o recebiam continuaram a receber
}
dark-period-why-cell = { $count ->
    [one] a estação { $stations } que cobre a sua posição estimada continuou a receber
   *[other] as estações { $stations } que cobrem a sua posição estimada continuaram a receber
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

## Esta língua, no seu próprio nome

language-name = Português
