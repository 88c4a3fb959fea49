// aiswatch operations console: sign-in, map (coastlines, zones, live vessels:
// vessel_layer.js), the alert queue (live from /api/v1/alerts/stream), alert
// and vessel details (why an alert fired: why.js), acknowledgements,
// evidence bundles; partners'
// alerts marked with their origin; for an administrator, the Partners page
// (partners.js: agreements, what crossed, evidence requests to decide), the
// Audit page (audit.js), the Zones page (zones.js: draw, check, preview, save
// zones) and legal holds on an alert (holds.js). Everything shown comes from
// the API with the officer's token, so a centre sees only what is routed to
// it. No build step.

import { initAudit } from "./audit.js";
import { initHolds } from "./holds.js";
import { initZones } from "./zones.js";
import { dl, esc, withheld } from "./html.js";
import { initPartners } from "./partners.js";
import { whySection } from "./why.js";
import { VesselLayer } from "./vessel_layer.js";
import {
  t, tn, tOr, currentLang, loadLanguages, negotiate, browserLang, preferredLang, useLanguage, languageSwitch,
  fmtDateTime, fmtTimeOfDay, fmtNumber, fmtPosition,
} from "./i18n.js";

window.aiswatchConsole = { ready: false };

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "aiswatch.token";
const VESSEL_REFRESH_MS = 2000;
const STATUS_REFRESH_MS = 2000;
const PAGE = 10000;
const PARTNERS_REFRESH_MS = 5000;

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  vessels: [],          // current vessels (with a position)
  alerts: new Map(),    // id -> latest alert JSON
  acks: {},             // id -> latest acknowledgement of the caller's centre
  selected: null,       // alert id shown in the detail panel
  lastEvent: null,      // SSE Last-Event-ID
  timers: [],
  abort: null,
  lastMessages: null,
  clock: null,          // engine clock (ms), from /status
  at: null,             // looking back to this time (ms); null: live
  live: [],             // the live vessels, kept while looking back
  streamOpened: false,
  admin: false,         // the token is an administrator's
  actor: null,          // who the daemon takes the token for ("admin", "centre:ID"), from POST /session
  federation: null,     // GET /api/v1/federation, when the token may read it
  view: "map",          // "map", "partners", "audit" or "zones"
  lang: null,           // the language the daemon answered for the token (the centre's), from POST /session
};

// ---- API ------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const r = await fetch(path, { ...opts, headers, signal: state.abort?.signal });
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!r.ok) throw new ApiError(r.status, body?.error || `${r.status} ${r.statusText}`);
  return body;
}

// The response itself (for a download, or an answer other than 200 that
// is not an error, such as 202).
function apiResponse(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  return fetch(path, { ...opts, headers, signal: state.abort?.signal });
}

const enc = encodeURIComponent;
const fmtTime = fmtDateTime;
// An alert kind as people read it ("dark_period" → "dark period", or the
// language's words).
const kindName = (k) => tOr(`kind-${String(k).replaceAll("_", "-")}`, String(k).replaceAll("_", " "));
const stateName = (s) => tOr(`state-${s}`, String(s));
// The summary comes in the language the API wrote it in (the centre's):
// said so, for screen readers, when it differs from the page's.
const summaryLang = (a) => (a.lang && a.lang !== currentLang() ? ` lang="${esc(a.lang)}"` : "");
const zoneKindName = (k) => tOr(`zone-kind-${String(k).replaceAll("_", "-")}`, String(k).replaceAll("_", " "));

// ---- sign-in ----------------------------------------------------------------

async function signIn(token) {
  await booted;
  state.token = token || null;
  state.abort = new AbortController();
  try {
    ({ actor: state.actor, lang: state.lang } = await openSession());
  } catch (e) {
    state.token = null;
    throw e;
  }
  if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
  // Signed in: the centre's language, unless this browser chose one.
  const lang = preferredLang() || negotiate([state.lang]) || "en";
  if (lang !== currentLang()) await useLanguage(lang).catch(() => {});
  window.aiswatchConsole.lang = currentLang();
  $("signin").hidden = true;
  $("app").hidden = false;
  await start();
}

// POST /api/v1/session: the daemon checks the token, records the sign-in in
// its audit log and says who it takes the token for and in which language
// the token's centre reads (English for an administrator). A daemon older
// than the audit log has no such route (404): a page of alerts checks the token.
async function openSession() {
  try {
    const s = await api("/api/v1/session", { method: "POST" });
    return { actor: s?.actor ?? null, lang: s?.lang ?? null };
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  await api("/api/v1/alerts?limit=1");
  return { actor: null, lang: null };
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  state.abort?.abort();
  state.timers.forEach(clearInterval);
  location.reload();
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("signin-error").textContent = "";
  try {
    await signIn($("token").value.trim());
  } catch (e) {
    $("signin-error").textContent = e.status === 401 ? t("signin-unknown-token") : t("signin-unreachable", { error: e.message });
  }
});
$("signout").addEventListener("click", signOut);

// ---- map ----------------------------------------------------------------------

let map, zonesLayer, tracksLayer, vesselLayer;

const ZONE_STYLE = {
  patrol: { color: "#ffc857", weight: 2, fillOpacity: 0.06 },
  port: { color: "#5fd38d", weight: 1, fillOpacity: 0.08 },
  closed_area: { color: "#ff6b4a", weight: 2, dashArray: "6 4", fillOpacity: 0.08 },
};

async function startMap() {
  map = L.map("map", { worldCopyJump: true, attributionControl: true, zoomControl: false }).setView([5, 5], 4);
  L.control.zoom({ zoomInTitle: t("map-zoom-in"), zoomOutTitle: t("map-zoom-out") }).addTo(map);
  map.attributionControl.setPrefix(false).addAttribution(esc(t("map-coastlines")));
  const land = await (await fetch("vendor/world-atlas/land-50m.json")).json();
  L.geoJSON(topojson.feature(land, land.objects.land), {
    interactive: false,
    style: { color: "#56708a", weight: 0.8, fillColor: "#1e2b36", fillOpacity: 1 },
  }).addTo(map);
  zonesLayer = L.geoJSON(null, {
    style: (f) => ZONE_STYLE[f.properties.kind] || ZONE_STYLE.patrol,
    onEachFeature: (f, l) => l.bindTooltip(esc(t("map-zone-tooltip", { name: f.properties.name || f.properties.id, kind: zoneKindName(f.properties.kind) }))),
  }).addTo(map);
  tracksLayer = L.layerGroup().addTo(map);
  vesselLayer = new VesselLayer({ vessels: () => state.vessels, flagged: alertedMmsi, at: () => state.at }).addTo(map);
  map.on("click", (ev) => {
    const v = nearestVessel(ev.containerPoint, 10);
    if (v) showVessel(v.mmsi);
  });
}

function nearestVessel(pt, maxPx) {
  let best = null, bestD = maxPx * maxPx;
  for (const v of state.vessels) {
    const p = map.latLngToContainerPoint([v.lat, v.lon]);
    const d = (p.x - pt.x) ** 2 + (p.y - pt.y) ** 2;
    if (d <= bestD) { best = v; bestD = d; }
  }
  return best;
}

async function loadZones() {
  const fc = await api("/api/v1/zones");
  zonesLayer.clearLayers().addData(fc);
  const zones = fc.features.map((f) => f.properties.id).sort();
  $("f-zone").innerHTML = `<option value="">${esc(t("filter-all"))}</option>` + zones.map((z) => `<option>${esc(z)}</option>`).join("");
  if (fc.features.length && !state.selected) map.fitBounds(zonesLayer.getBounds(), { maxZoom: 7 });
}

async function loadVessels() {
  const out = [];
  let cursor = null;
  do {
    const page = await api(`/api/v1/vessels?bbox=-180,-90,180,90&limit=${PAGE}${cursor ? `&cursor=${enc(cursor)}` : ""}`);
    for (const v of page.vessels) if (v.lat != null && v.lon != null) out.push(v);
    cursor = page.next_cursor;
  } while (cursor);
  state.live = out;
  window.aiswatchConsole.vesselsLoaded = out.length;
  if (state.at !== null) return;
  state.vessels = out;
  vesselLayer.redraw();
}

// ---- looking back -------------------------------------------------------------------

// Vessels as they were at T: each one's last stored position at or before T
// within LOOKBACK_WINDOW_MS (GET /api/v1/positions?latest=true), identity
// from the live list (ship type for the colour).
const LOOKBACK_WINDOW_MS = 30 * 60e3;
const hhmm = fmtTimeOfDay;

async function loadVesselsAt(at) {
  const statics = new Map(state.live.map((v) => [v.mmsi, v.static]));
  const out = [];
  let cursor = null;
  do {
    const page = await api(`/api/v1/positions?bbox=-180,-90,180,90&latest=true&limit=${PAGE}` +
      `&from=${enc(iso(at - LOOKBACK_WINDOW_MS))}&to=${enc(iso(at))}${cursor ? `&cursor=${enc(cursor)}` : ""}`);
    for (const v of page.vessels) {
      const p = v.points[0];
      out.push({ mmsi: v.mmsi, lon: p.lon, lat: p.lat, cog: p.cog, sog_kn: p.sog_kn, position_at: p.time, static: statics.get(v.mmsi) });
    }
    cursor = page.next_cursor;
  } while (cursor);
  if (state.at !== at) return; // moved on meanwhile
  state.vessels = out;
  vesselLayer.redraw();
  window.aiswatchConsole.vesselsAt = { at: iso(at), from: iso(at - LOOKBACK_WINDOW_MS), count: out.length };
  $("time-state").textContent = tn("time-looking-back-count", out.length, { time: hhmm(at) });
}

function showTimeState() {
  const back = -Number($("time").value);
  const live = back === 0 || state.clock === null;
  const at = live ? null : state.clock - back * 60e3;
  $("time-state").textContent = live ? t("time-live-state") : t("time-looking-back", { time: hhmm(at) });
  $("time").setAttribute("aria-valuetext", live ? t("time-live-value") : tn("time-value", back, { time: hhmm(at) }));
  $("time-live").disabled = live;
  $("timebar").classList.toggle("past", !live);
  return at;
}

let timeDebounce = null;
function onTimeInput() {
  const at = showTimeState();
  clearTimeout(timeDebounce);
  timeDebounce = setTimeout(() => {
    state.at = at;
    if (at === null) { state.vessels = state.live; vesselLayer.redraw(); window.aiswatchConsole.vesselsAt = null; return; }
    loadVesselsAt(at).catch((e) => { $("time-state").textContent = t("time-error", { error: e.message }); });
  }, 250);
}
$("time").addEventListener("input", onTimeInput);
$("time-range").addEventListener("change", () => {
  $("time").min = String(-60 * Number($("time-range").value));
  onTimeInput();
});
$("time-live").addEventListener("click", () => { $("time").value = "0"; onTimeInput(); $("time").focus(); });

// ---- status strip ----------------------------------------------------------------

/** The engine's lag in the largest fitting unit ("4 s", "12 min", "3 h", "2 d"). */
function fmtLag(s) {
  if (s === null || s === undefined) return "–";
  const a = Math.abs(s);
  const [n, unit] = a < 120 ? [a, "s"] : a < 7200 ? [a / 60, "min"] : a < 172800 ? [a / 3600, "h"] : [a / 86400, "d"];
  return `${s < 0 ? "−" : ""}${t(`unit-${unit}`, { n: Math.round(n) })}`;
}

async function loadStatus() {
  const s = await api("/api/v1/status");
  $("st-clock").textContent = fmtTime(s.clock);
  $("st-lag").textContent = fmtLag(s.lag_s);
  state.clock = s.clock ? Date.parse(s.clock) : null;
  $("time").disabled = state.clock === null;
  $("st-vessels").textContent = fmtNumber(s.vessels);
  const now = performance.now();
  if (state.lastMessages) {
    const [n, t] = state.lastMessages;
    $("st-rate").textContent = fmtNumber(Math.max(0, Math.round(((s.engine.messages - n) * 1000) / (now - t))));
  }
  state.lastMessages = [s.engine.messages, now];
  $("st-store").textContent = s.storage.failing ? t("status-store-failing") : s.storage.kind;
  // Feed health per source: messages/s since the last call, and how long
  // since a line last came (as seen from here).
  const seen = (state.sources ||= {});
  $("st-sources").innerHTML = (s.sources || []).map((src) => {
    const prev = seen[src.id];
    const heard = !prev || src.lines > prev.lines ? now : prev.heard;
    const rate = prev ? Math.max(0, Math.round(((src.messages - prev.messages) * 1000) / (now - prev.t))) : null;
    seen[src.id] = { lines: src.lines, messages: src.messages, t: now, heard };
    const quiet = Math.round((now - heard) / 1000);
    const down = src.up === false || quiet > 60;
    const title = t("status-source-title", { lines: Number(src.lines), messages: Number(src.messages) });
    const text = [t("status-source-rate", { id: src.id, rate: rate ?? "–" }),
      quiet >= 5 && t("status-source-quiet", { s: quiet }), src.up === false && t("status-source-down")].filter(Boolean).join(", ");
    return `<span class="src${down ? " down" : ""}" title="${esc(title)}">${esc(text)}</span>`;
  }).join(" ");
}

// ---- alerts -----------------------------------------------------------------------

const isOpen = (a) => a.state !== "closed";
function alertedMmsi() {
  const s = new Set();
  for (const a of state.alerts.values()) if (isOpen(a)) a.mmsi.forEach((m) => s.add(m));
  return s;
}

async function loadAlerts() {
  const page = await api(`/api/v1/alerts?limit=${PAGE}`);
  state.alerts = new Map(page.alerts.map((a) => [a.id, a]));
  state.acks = page.acks || {};
  const kinds = [...new Set(page.alerts.map((a) => a.kind))].sort();
  const kind = $("f-kind").value;
  $("f-kind").innerHTML = `<option value="">${esc(t("filter-all"))}</option>` +
    kinds.map((k) => `<option value="${esc(k)}">${esc(kindName(k))}</option>`).join("");
  if (kinds.includes(kind)) $("f-kind").value = kind;
  page.alerts.forEach(addOriginOption);
  renderQueue();
}

// The origin filter: all, this installation's own alerts, or one partner's.
const ORIGIN_PREFIX = "from:";
function addOriginOption(a) {
  if (!a.origin) return;
  const value = ORIGIN_PREFIX + a.origin;
  if ([...$("f-origin").options].some((o) => o.value === value)) return;
  $("f-origin").add(new Option(t("origin-from", { origin: a.origin }), value));
}
function originMatches(a, f) {
  if (!f) return true;
  if (f === "own") return !a.origin;
  return a.origin === f.slice(ORIGIN_PREFIX.length);
}

// "Shared by the partner installation X (under agreement Y)".
const sharedBy = (a) => (a.agreement ? t("origin-shared-under", { origin: a.origin, agreement: a.agreement }) : t("origin-shared", { origin: a.origin }));

function renderQueue() {
  const f = { state: $("f-state").value, kind: $("f-kind").value, zone: $("f-zone").value, origin: $("f-origin").value };
  const shown = [...state.alerts.values()]
    .filter((a) => (f.state === "" || (f.state === "open") === isOpen(a)) && (!f.kind || a.kind === f.kind) &&
      (!f.zone || a.zone === f.zone) && originMatches(a, f.origin))
    .sort((a, b) => (b.started_at < a.started_at ? -1 : b.started_at > a.started_at ? 1 : 0));
  $("queue-count").textContent = fmtNumber(shown.length);
  $("st-open").textContent = fmtNumber([...state.alerts.values()].filter(isOpen).length);
  // A live change re-renders the list: keep the keyboard where it was.
  const focused = document.activeElement?.closest?.("#alerts li[data-id]")?.dataset.id;
  $("alerts").innerHTML = shown.map((a) => {
    const ack = state.acks[a.id];
    return `<li tabindex="0" data-id="${esc(a.id)}" class="${isOpen(a) ? "open" : "closed"}${ack ? " acked" : ""}${a.origin ? " partner" : ""}"
        aria-current="${a.id === state.selected}">
      <span class="kind">${esc(kindName(a.kind))}</span> <span class="when">${esc(fmtTime(a.started_at))}</span>
      ${a.origin ? `<span class="origin" title="${esc(sharedBy(a))}">${esc(t("origin-from", { origin: a.origin }))}</span>` : ""}
      <div class="summary" translate="no"${summaryLang(a)}>${withheld(esc(a.summary))}</div>
      ${ack ? `<div class="ack">✓ ${esc(t("queue-acked-by", { by: ack.by }))}</div>` : ""}
    </li>`;
  }).join("");
  if (focused) document.querySelector(`#alerts li[data-id="${CSS.escape(focused)}"]`)?.focus();
  vesselLayer?.redraw();
}

for (const id of ["f-state", "f-kind", "f-origin", "f-zone"]) $(id).addEventListener("change", renderQueue);
$("alerts").addEventListener("click", (ev) => {
  const li = ev.target.closest("li[data-id]");
  if (li) showAlert(li.dataset.id);
});
$("alerts").addEventListener("keydown", (ev) => {
  const li = ev.target.closest("li[data-id]");
  if (li && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); showAlert(li.dataset.id); }
});

// The live stream: Server-Sent Events read with fetch (EventSource cannot send a token).
async function streamAlerts() {
  for (;;) {
    try {
      const headers = { Accept: "text/event-stream" };
      if (state.token) headers.Authorization = `Bearer ${state.token}`;
      if (state.lastEvent) headers["Last-Event-ID"] = state.lastEvent;
      const r = await fetch("/api/v1/alerts/stream", { headers, signal: state.abort.signal });
      if (!r.ok) throw new Error(`stream: ${r.status}`);
      $("st-live").textContent = t("status-live"); $("st-live").classList.add("live");
      // Acknowledgements are not replayed on resume: read them again.
      if (state.streamOpened) await loadAlerts();
      state.streamOpened = true;
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          onEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (state.abort.signal.aborted) return;
    }
    $("st-live").textContent = t("status-reconnecting"); $("st-live").classList.remove("live");
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function onEvent(block) {
  let id = null, event = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("id:")) id = line.slice(3).trim();
    else if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "");
  }
  if (id) state.lastEvent = id;
  if (event === "ack" && data) return onAck(JSON.parse(data));
  if (event !== "alert" || !data) return;
  const a = JSON.parse(data);
  state.alerts.set(a.id, a);
  if (![...$("f-kind").options].some((o) => o.value === a.kind)) $("f-kind").add(new Option(kindName(a.kind), a.kind));
  addOriginOption(a);
  renderQueue();
  if (a.id === state.selected) showAlert(a.id, { keepView: true });
}

// An officer of this centre (maybe on another screen) acknowledged an alert.
function onAck(k) {
  const prev = state.acks[k.alert_id];
  if (!prev || prev.at <= k.at) state.acks[k.alert_id] = k;
  renderQueue();
  window.aiswatchConsole.acksReceived = (window.aiswatchConsole.acksReceived || 0) + 1;
  if (k.alert_id === state.selected) refreshAcks(k.alert_id).catch(() => {});
}

const ackItems = (acks) => acks.map((k) => `<li>✓ ${esc(t(k.note ? "ack-item-note" : "ack-item", { by: k.by, at: fmtTime(k.at), note: k.note }))}</li>`).join("") ||
  `<li>${esc(t("ack-none"))}</li>`;

// Re-reads the open alert's acknowledgements, leaving the form as it is.
async function refreshAcks(id) {
  const d = await api(`/api/v1/alerts/${enc(id)}`);
  const ul = document.querySelector("#detail-body .acks");
  if (ul && state.selected === id) ul.innerHTML = ackItems(d.acks);
}

// ---- details -------------------------------------------------------------------------

function openDetail(title, html) {
  $("detail-title").textContent = title;
  $("detail-body").innerHTML = html;
  state.detailOpen = true;
  $("detail").hidden = state.view !== "map";
  map.invalidateSize();
}
function closeDetail() {
  const from = state.selected;
  $("detail").hidden = true; state.detailOpen = false; state.selected = null; tracksLayer.clearLayers(); renderQueue(); map.invalidateSize();
  // Back to where the officer was in the queue.
  if (from) document.querySelector(`#alerts li[data-id="${CSS.escape(from)}"]`)?.focus();
}
$("detail-close").addEventListener("click", closeDetail);
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !$("detail").hidden) { ev.preventDefault(); closeDetail(); }
});

const HOUR = 3600e3;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

async function drawTrack(mmsi, from, to, colour, gapFrom, gapTo) {
  let f;
  try {
    f = await api(`/api/v1/vessels/${mmsi}/track?from=${enc(iso(from))}&to=${enc(iso(to))}`);
  } catch (e) {
    if (e.status === 404 || e.status === 503) return null;
    throw e;
  }
  const pts = f.geometry.coordinates.map(([lon, lat]) => [lat, lon]);
  const times = f.properties.times.map((t) => Date.parse(t));
  // Solid where reports came; dashed across the silence of a dark period.
  let seg = [];
  const flush = () => { if (seg.length > 1) L.polyline(seg, { color: colour, weight: 3 }).addTo(tracksLayer); };
  for (let i = 0; i < pts.length; i++) {
    if (i > 0 && gapFrom != null && times[i - 1] <= gapFrom + 60e3 && times[i] >= gapTo - 60e3 && times[i] - times[i - 1] > 10 * 60e3) {
      flush();
      L.polyline([pts[i - 1], pts[i]], { color: colour, weight: 3, dashArray: "8 8", className: "dark-gap" }).addTo(tracksLayer);
      seg = [];
    }
    seg.push(pts[i]);
  }
  flush();
  return pts;
}

async function showAlert(id, { keepView = false } = {}) {
  state.selected = id;
  renderQueue();
  const d = await api(`/api/v1/alerts/${enc(id)}`);
  const a = d.alert;
  const start = Date.parse(a.started_at), end = a.ended_at ? Date.parse(a.ended_at) : Date.parse(a.at);
  const vessels = a.vessels?.length ? a.vessels : a.mmsi.map((m) => ({ mmsi: m }));
  openDetail(`${kindName(a.kind)} — ${a.zone_name || a.zone}`, `
    ${a.origin ? `<p class="origin-note"><span class="origin">${esc(t("origin-from", { origin: a.origin }))}</span>
      ${esc(sharedBy(a))}.
      ${withheld(esc(t("origin-withheld", { withheld: "[withheld]" })))}</p>` : ""}
    <p translate="no"${summaryLang(a)}>${withheld(esc(a.summary))}</p>
    ${dl([[t("detail-state"), stateName(a.state)], [t("detail-since"), fmtTime(a.started_at)], [t("detail-ended"), a.ended_at && fmtTime(a.ended_at)],
          [t("detail-last-change"), fmtTime(a.at)], [t("detail-where"), Number.isFinite(a.lat) && Number.isFinite(a.lon) ? fmtPosition(a.lat, a.lon, 4) : null],
          [t("detail-zone"), a.zone], [t("detail-centres"), (a.centre || []).join(", ")], [t("detail-from"), a.origin], [t("detail-agreement"), a.agreement], [t("detail-alert-id"), a.id]])}
    <h3>${esc(t("detail-vessels"))}</h3>
    <ul>${vessels.map((v) => `<li><button type="button" class="vessel-link" data-mmsi="${v.mmsi}">${esc(v.mmsi)}</button>
      ${esc([v.name, v.callsign, v.flag].filter(Boolean).join(", "))}</li>`).join("")}</ul>
    ${whySection(a.details)}
    <h3>${esc(t("evidence-title"))}</h3>
    ${a.origin ? `<p class="hint">${esc(t("evidence-asked-of", { origin: a.origin }))}</p>` : ""}
    <button type="button" id="evidence-get">${esc(t("evidence-get"))}</button>
    <p id="evidence-state" role="status"></p>
    ${state.admin && !a.origin ? '<section id="hold" aria-labelledby="hold-title" hidden></section>' : ""}
    <h3>${esc(t("ack-title"))}</h3>
    <ul class="acks" aria-live="polite">${ackItems(d.acks)}</ul>
    <form id="ack-form">
      <label for="ack-by">${esc(t("ack-by"))}</label><input id="ack-by" required maxlength="100" value="${esc(sessionStorage.getItem("aiswatch.by") || "")}">
      <label for="ack-note">${esc(t("ack-note"))}</label><textarea id="ack-note" maxlength="2000"></textarea>
      <button type="submit">${esc(t("ack-submit"))}</button><p id="ack-error" class="error" role="alert"></p>
    </form>
    <h3>${esc(t("detail-changes"))}</h3><ol>${d.changes.map((c) => `<li>${esc(t("detail-change", { state: stateName(c.state), at: fmtTime(c.at) }))}</li>`).join("")}</ol>`);
  $("evidence-get").addEventListener("click", () => getEvidence(a));
  $("ack-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const by = $("ack-by").value.trim();
    sessionStorage.setItem("aiswatch.by", by);
    try {
      const k = await api(`/api/v1/alerts/${enc(id)}/ack`, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ by, note: $("ack-note").value }),
      });
      state.acks[id] = k;
      renderQueue();
      showAlert(id, { keepView: true });
    } catch (e) {
      $("ack-error").textContent = e.message;
    }
  });
  // A partner's alert is held, if at all, where it was raised.
  const held = $("hold") ? holds.show($("hold"), id) : null;
  tracksLayer.clearLayers();
  const colours = ["#ff3b30", "#ffd60a"];
  const bounds = L.latLngBounds([[a.lat, a.lon]]);
  const gap = a.kind === "dark_period" ? [start, end] : [null, null];
  const [drawn] = await Promise.all([
    Promise.all(a.mmsi.map((m, i) => drawTrack(m, start - HOUR, end + HOUR, colours[i % 2], ...gap))),
    held,
  ]);
  drawn.flat().filter(Boolean).forEach((p) => bounds.extend(p));
  L.circleMarker([a.lat, a.lon], { radius: 9, color: "#ffffff", weight: 2, fill: false, className: `alert-mark ${a.kind}` })
    .bindTooltip(esc(kindName(a.kind))).addTo(tracksLayer);
  if (!keepView) map.fitBounds(bounds.pad(0.3), { maxZoom: 11 });
  window.aiswatchConsole.alertShown = id;
}

// The alert's evidence bundle: a zip download; for a partner's alert, maybe
// 202 (its administrator has not decided yet) or 403 (not shared).
async function getEvidence(a) {
  const out = $("evidence-state"), button = $("evidence-get");
  const report = (status, text, bytes = null) => {
    if (state.selected !== a.id) return;
    out.textContent = text;
    out.className = status === 200 ? "" : status === 202 ? "pending" : "error";
    window.aiswatchConsole.evidence = { id: a.id, status, bytes };
  };
  button.disabled = true;
  out.className = "";
  out.textContent = a.origin ? t("evidence-asking", { origin: a.origin }) : t("evidence-preparing");
  try {
    const r = await apiResponse(`/api/v1/alerts/${enc(a.id)}/evidence`);
    if (r.status === 200) {
      const blob = await r.blob();
      const name = /filename="([^"]+)"/.exec(r.headers.get("Content-Disposition") || "")?.[1] || "evidence.zip";
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60e3);
      report(200, t("evidence-downloaded", { name, kb: Math.ceil(blob.size / 1024) }), blob.size);
      return;
    }
    const body = await r.json().catch(() => null);
    if (r.status === 202) {
      report(202, a.origin ? t("evidence-awaiting", { origin: a.origin }) : t("evidence-awaiting-partner"));
      out.title = body?.message || "";
    } else if (r.status === 403) {
      report(403, t("evidence-not-shared", { error: body?.error || r.statusText }));
    } else if (r.status === 401) {
      signOut();
    } else {
      report(r.status, t("evidence-error", { error: body?.error || `${r.status} ${r.statusText}` }));
    }
  } catch (e) {
    report(0, t("evidence-error", { error: e.message }));
  } finally {
    button.disabled = false;
  }
}

async function showVessel(mmsi) {
  let d, alerts;
  try {
    [d, alerts] = await Promise.all([
      api(`/api/v1/vessels/${mmsi}`),
      api(`/api/v1/alerts?mmsi=${mmsi}&limit=50`).catch(() => ({ alerts: [] })),
    ]);
  } catch (e) {
    // A vessel of a partner's alert may never have been heard here.
    if (e.status !== 404) throw e;
    openDetail(`MMSI ${mmsi}`, `<p>${esc(t("vessel-unknown"))}</p>`);
    tracksLayer.clearLayers();
    state.selected = null;
    renderQueue();
    return;
  }
  const v = d, s = v.static || {};
  const size = s.length_m ? t("vessel-size", { length: s.length_m, beam: s.beam_m ?? "?" }) : null;
  openDetail(`${s.name || t("vessel-unnamed")} — ${mmsi}`, `
    ${dl([["MMSI", String(v.mmsi)], [t("vessel-name"), s.name], [t("vessel-callsign"), s.callsign], ["IMO", s.imo != null ? String(s.imo) : null], [t("vessel-flag"), v.flag],
          [t("vessel-ship-type"), s.ship_type], [t("vessel-size-label"), size], [t("vessel-draught"), s.draught_m && t("unit-m", { n: s.draught_m })],
          [t("vessel-destination"), s.destination], [t("vessel-last-report"), fmtTime(v.position_at)],
          [t("vessel-position"), v.lat != null ? fmtPosition(v.lat, v.lon, 4) : null],
          [t("vessel-speed"), v.sog_kn != null ? tn("unit-kn", v.sog_kn) : null], [t("vessel-course"), v.cog != null ? t("unit-deg", { n: v.cog }) : null],
          [t("vessel-heard-by"), v.station || v.source]])}
    <h3>${esc(t("vessel-alerts"))}</h3><ul>${alerts.alerts.map((a) => `<li><button type="button" class="alert-link" data-id="${esc(a.id)}">${esc(kindName(a.kind))}</button> ${esc(fmtTime(a.started_at))} ${esc(stateName(a.state))}</li>`).join("") || `<li>${esc(t("value-none"))}</li>`}</ul>`);
  tracksLayer.clearLayers();
  state.selected = null;
  renderQueue();
  const end = v.position_at ? Date.parse(v.position_at) : Date.now();
  await drawTrack(mmsi, end - 24 * HOUR, end + 60e3, "#4fb3ff");
}

$("detail-body").addEventListener("click", (ev) => {
  const v = ev.target.closest(".vessel-link");
  if (v) showVessel(v.dataset.mmsi);
  const a = ev.target.closest(".alert-link");
  if (a) showAlert(a.dataset.id);
});

// ---- views ------------------------------------------------------------------------------
// The map (queue, map, details) or one of the administrators' pages.

const audit = initAudit({ api, esc, openAlert: (id) => { showView("map"); showAlert(id); } });
const holds = initHolds({ api, esc, fmtTime });
// Zones saved or deleted there are in force: the map's zones are read again.
const zones = initZones({ apiResponse, esc, fmtTime, onChanged: () => loadZones().catch(() => {}) });
const partners = initPartners({ api, state });

let partnersTimer = null;
function showView(view) {
  state.view = view;
  const onMap = view === "map";
  $("partners").hidden = view !== "partners";
  $("audit").hidden = view !== "audit";
  $("zones").hidden = view !== "zones";
  $("queue").hidden = !onMap;
  $("mapwrap").hidden = !onMap;
  $("detail").hidden = !onMap || !state.detailOpen;
  for (const [id, v] of [["view-map", "map"], ["view-partners", "partners"], ["view-audit", "audit"], ["view-zones", "zones"]]) {
    if (v === view) $(id).setAttribute("aria-current", "page"); else $(id).removeAttribute("aria-current");
  }
  clearInterval(partnersTimer);
  if (view === "partners") {
    $("decide-by").value ||= sessionStorage.getItem("aiswatch.by") || "";
    partners.load({ force: true }).catch((e) => { $("partners-state").textContent = t("partners-error", { error: e.message }); });
    partnersTimer = setInterval(() => partners.load().catch(() => {}), PARTNERS_REFRESH_MS);
    $("partners-title").focus();
  } else if (view === "audit") {
    audit.show();
  } else if (view === "zones") {
    zones.show();
  } else {
    map.invalidateSize();
  }
  window.aiswatchConsole.view = view;
}
$("view-map").addEventListener("click", () => showView("map"));
$("view-partners").addEventListener("click", () => showView("partners"));
$("view-audit").addEventListener("click", () => showView("audit"));
$("view-zones").addEventListener("click", () => showView("zones"));

// What the token may do: the actor the daemon named at sign-in, or (a
// daemon without /session) whether the token reads the partners and
// agreements (an administrator's, with or without any configured; a
// centre's gets 403).
async function probeScope() {
  const r = await apiResponse("/api/v1/federation").catch(() => null);
  state.federation = r?.ok ? await r.json().catch(() => null) : null;
  state.admin = state.actor ? state.actor === "admin" : Boolean(state.federation);
  const centre = state.actor?.startsWith("centre:") ? state.actor.slice("centre:".length) : null;
  if (state.token) $("st-scope").textContent = state.admin ? t("scope-admin") : centre ? t("scope-centre", { centre }) : t("scope-signed-in");
  $("views").hidden = !state.admin;
  window.aiswatchConsole.actor = state.actor;
}

// ---- start --------------------------------------------------------------------------

async function start() {
  $("st-scope").textContent = state.token ? t("scope-signed-in") : t("scope-open");
  await startMap();
  await Promise.all([loadZones(), loadAlerts(), loadVessels(), loadStatus(), probeScope()]);
  streamAlerts();
  const every = (f, ms) => state.timers.push(setInterval(() => f().catch((e) => {
    if (e.status === 401) signOut();
  }), ms));
  every(loadVessels, VESSEL_REFRESH_MS);
  every(loadStatus, STATUS_REFRESH_MS);
  window.aiswatchConsole.ready = true;
}

// ---- language --------------------------------------------------------------------------
// Before sign-in: this browser's choice, else the browser's language. After:
// this browser's choice, else the centre's (see signIn).

async function switchLanguage(tag) {
  // Signed in: the page anew in that language (the token is kept for the
  // tab), so that everything already drawn speaks it too.
  if (!$("app").hidden) { location.reload(); return; }
  await useLanguage(tag).catch(() => {});
  window.aiswatchConsole.lang = currentLang();
}

async function boot() {
  await loadLanguages();
  await useLanguage(preferredLang() || browserLang()).catch(() => useLanguage("en")).catch(() => {});
  for (const id of ["lang-signin", "lang-switch"]) languageSwitch($(id), switchLanguage);
  window.aiswatchConsole.lang = currentLang();
  window.aiswatchConsole.fmtTime = fmtTime;
}
const booted = boot();

if (state.token !== null) {
  signIn(state.token).catch(() => { sessionStorage.removeItem(TOKEN_KEY); });
}
