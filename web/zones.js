// The Zones page (administrators): every zone in force on a map and in a
// list; one zone edited at a time (its boundary drawn and changed on the map,
// its properties in a form, exactly those of zones/README.md); the whole
// candidate zone set checked by the daemon after each edit (POST
// /api/v1/zones/check, debounced), its problems shown on the zones they are
// about and beside the form; a preview of the alerts the edited set would
// have raised over the last hours (POST /api/v1/zones/preview); saved with
// If-Match (PUT /api/v1/zones/{id}: live once answered), deleted likewise;
// a zone's versions, any of them drawn beside the current boundary.
//
// The boundary editor is a few Leaflet markers, no plugin: with "Add
// vertices" on, a click on the map adds a vertex after the selected one (a
// new zone starts so); a vertex is dragged to move it, clicked to select it,
// and removed with "Delete vertex" or the Delete key (arrow keys move a
// focused vertex). The same boundary is in the "Coordinates (GeoJSON)" text
// box, for the keyboard and for pasting.
//
// Everything a zone file or the daemon says is shown as text (escaped).
// The markup is in zones_page.js, the geometry apart from the map in
// zone_geometry.js.

import { partsOf, geometryOf, problemPosition } from "./zone_geometry.js";
import { pageHtml } from "./zones_page.js";
import { t, tn, tOr } from "./i18n.js";

const $ = (id) => document.getElementById(id);
// The detectors a zone can run: the alert kinds of the daemon's registry, as
// its OpenAPI document lists them (a zone's `detect` key is its kind).
async function detectors() {
  try {
    const doc = await (await fetch("/api/v1/openapi.json")).json();
    const kind = doc.paths["/api/v1/alerts"].get.parameters.find((p) => p.name === "kind");
    const kinds = kind?.schema?.enum;
    if (Array.isArray(kinds) && kinds.length) return kinds;
  } catch { /* no document: no checkboxes; the JSON box still edits `detect` */ }
  return null;
}
const CHECK_DEBOUNCE_MS = 300;
const DIGITS = 5; // decimals kept of a drawn position: about a metre

const ZONE_STYLE = {
  patrol: { color: "#ffc857", weight: 2, fillOpacity: 0.05 },
  port: { color: "#5fd38d", weight: 1.5, fillOpacity: 0.08 },
  closed_area: { color: "#ff6b4a", weight: 2, dashArray: "6 4", fillOpacity: 0.08 },
};
const EDIT_STYLE = { color: "#4fb3ff", weight: 3, fillOpacity: 0.15 };
const INVALID_STYLE = { color: "#ff3b30", weight: 3, fillColor: "#ff3b30", fillOpacity: 0.25 };
const OLD_STYLE = { color: "#b8c4ce", weight: 2, dashArray: "8 6", fill: false };

const round = (x) => Math.round(x * 10 ** DIGITS) / 10 ** DIGITS;
const kindName = (k) => tOr(`kind-${String(k).replaceAll("_", "-")}`, String(k).replaceAll("_", " "));
const zoneKind = (k) => tOr(`zone-kind-${String(k).replaceAll("_", "-")}`, String(k).replaceAll("_", " "));

/// Sets up the page. `ctx`: `apiResponse(path, opts)` (a fetch with the
/// token), `esc` (HTML escape), `fmtTime` (RFC 3339 for people),
/// `onChanged()` (the zones in force changed: the main map reloads them).
export function initZones({ apiResponse, esc, fmtTime, onChanged = () => {} }) {
  const z = {
    built: false,
    map: null, land: null, others: null, edited: null, vertices: null, problemsLayer: null, old: null, alerts: null,
    list: [],            // GET /api/v1/zones: the zones in force, load order
    full: new Map(),     // id -> { feature, etag }: GET /api/v1/zones/{id}, as in its file
    ed: null,            // the zone being edited
    checkSeq: 0,         // the last check asked
    checkTimer: null,
    problems: [],        // the last check's problems (and the console's own)
    versions: [],
    shownVersion: null,
  };
  const out = () => (window.aiswatchConsole.zones ||= {});

  // ---- API --------------------------------------------------------------------

  // JSON of an answer (null if none or not JSON).
  const json = async (r) => { const t = await r.text(); try { return t ? JSON.parse(t) : null; } catch { return null; } };
  const post = (path, body) => apiResponse(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const etagOf = (r) => r.headers.get("ETag");

  async function readZone(id) {
    const r = await apiResponse(`/api/v1/zones/${encodeURIComponent(id)}`);
    if (!r.ok) { const b = await json(r); throw Object.assign(new Error(b?.error || `${r.status} ${r.statusText}`), { status: r.status }); }
    return { feature: await r.json(), etag: etagOf(r) };
  }

  // The zones in force, and each as in its file (with `detect`): the candidate
  // set is built of these.
  async function loadAll() {
    const r = await apiResponse("/api/v1/zones");
    if (!r.ok) throw new Error(t("zones-read-error", { error: (await json(r))?.error || r.status }));
    const fc = await r.json();
    const full = new Map();
    await Promise.all(fc.features.map(async (f) => {
      try { full.set(f.properties.id, await readZone(f.properties.id)); } catch { /* removed meanwhile */ }
    }));
    z.list = fc.features.filter((f) => full.has(f.properties.id));
    z.full = full;
    renderList();
    renderOthers();
    out().count = z.list.length;
  }

  // ---- the page ------------------------------------------------------------------

  function build(names) {
    $("zones").innerHTML = pageHtml(names, esc);

    // No zoom animation: a view set is the view at once, for whoever clicks next.
    z.map = L.map("zones-map", { worldCopyJump: true, zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false, zoomControl: false })
      .setView([5, 5], 4);
    L.control.zoom({ zoomInTitle: t("map-zoom-in"), zoomOutTitle: t("map-zoom-out") }).addTo(z.map);
    z.map.attributionControl.setPrefix(false).addAttribution(esc(t("map-coastlines")));
    z.land = L.layerGroup().addTo(z.map);
    fetch("vendor/world-atlas/land-50m.json").then((r) => r.json()).then((land) => {
      L.geoJSON(topojson.feature(land, land.objects.land), {
        interactive: false, style: { color: "#56708a", weight: 0.8, fillColor: "#1e2b36", fillOpacity: 1 },
      }).addTo(z.land);
    }).catch(() => {});
    z.others = L.layerGroup().addTo(z.map);
    z.old = L.layerGroup().addTo(z.map);
    z.alerts = L.layerGroup().addTo(z.map);
    z.edited = L.layerGroup().addTo(z.map);
    z.problemsLayer = L.layerGroup().addTo(z.map);
    z.vertices = L.layerGroup().addTo(z.map);
    z.map.on("click", onMapClick);

    $("zone-new").addEventListener("click", newZone);
    $("zone-list").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-id]");
      if (b) openZone(b.dataset.id).catch((e) => { $("zones-state").textContent = e.message; });
    });
    $("zone-draw").addEventListener("click", () => setDrawing(!z.ed?.drawing));
    $("zone-delvertex").addEventListener("click", () => deleteVertex());
    $("zone-redraw").addEventListener("click", () => {
      if (!z.ed) return;
      z.ed.parts = [];
      z.ed.sel = null;
      setDrawing(true);
      edited();
    });
    for (const id of ["zf-id", "zf-name", "zf-centre"]) $(id).addEventListener("input", () => edited());
    $("zf-kind").addEventListener("change", () => edited());
    $("zf-detectors").addEventListener("change", (ev) => {
      const d = ev.target.dataset.detector;
      if (!d) return;
      let detect;
      try { detect = detectValue(); } catch { detect = {}; }
      if (ev.target.checked) detect[d] ||= {}; else delete detect[d];
      $("zf-detect").value = JSON.stringify(detect, null, 2);
      edited();
    });
    $("zf-detect").addEventListener("input", () => { syncDetectors(); edited(); });
    $("zf-geometry").addEventListener("input", () => {
      try {
        z.ed.parts = partsOf(JSON.parse($("zf-geometry").value));
        z.ed.geometryError = null;
        z.ed.sel = null;
      } catch (e) {
        z.ed.geometryError = e.message;
      }
      edited({ fromText: true });
    });
    $("zone-form").addEventListener("submit", (ev) => { ev.preventDefault(); save(); });
    $("zone-preview-go").addEventListener("click", preview);
    $("zone-delete").addEventListener("click", () => {
      $("zone-delete-confirm").hidden = false;
      $("zone-delete-confirm").textContent = t("zones-delete-confirm", { id: z.ed.original });
      $("zone-delete-confirm").focus();
    });
    $("zone-delete-confirm").addEventListener("click", remove);
    $("zone-reload").addEventListener("click", () => openZone(z.ed.original).catch((e) => { $("zone-save-error").textContent = e.message; }));
    $("zone-history-body").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-version]");
      if (b) showVersion(b.dataset.version === z.shownVersion ? null : b.dataset.version);
    });
    document.addEventListener("keydown", (ev) => {
      // Delete: the selected vertex, when the keyboard is on a vertex.
      if ((ev.key === "Delete" || ev.key === "Backspace") && ev.target.closest?.(".zone-vertex")) {
        ev.preventDefault();
        deleteVertex();
      }
    });
    // Test and script hook: where a position is on the screen (page pixels).
    window.aiswatchConsole.zonesPoint = (lat, lon) => {
      const p = z.map.latLngToContainerPoint([lat, lon]);
      const box = $("zones-map").getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    };
    z.built = true;
  }

  function renderList() {
    const current = z.ed?.original;
    // Made anew: the keyboard stays on the zone it was on.
    const focused = document.activeElement?.closest?.("#zone-list button[data-id]")?.dataset.id;
    $("zone-list").innerHTML = z.list.map((f) => {
      const p = f.properties;
      return `<li><button type="button" data-id="${esc(p.id)}" class="zone-item ${esc(p.kind)}"${p.id === current ? ' aria-current="true"' : ""}>
        <span class="zone-item-name">${esc(p.name || p.id)}</span>
        <span class="zone-item-meta">${esc(p.id)} · ${esc(zoneKind(p.kind))}</span></button></li>`;
    }).join("") || `<li>${esc(t("zones-none"))}</li>`;
    if (focused) document.querySelector(`#zone-list button[data-id="${CSS.escape(focused)}"]`)?.focus();
  }

  // The zones in force other than the edited one, and the problems the last check found in them.
  function renderOthers() {
    z.others.clearLayers();
    const bad = new Set(z.problems.filter((p) => p.zoneId && p.zoneId !== editedKey()).map((p) => p.zoneId));
    for (const f of z.list) {
      const id = f.properties.id;
      if (z.ed && id === z.ed.original) continue;
      const invalid = bad.has(id);
      const layer = L.geoJSON(f, {
        style: () => ({ ...(invalid ? INVALID_STYLE : ZONE_STYLE[f.properties.kind] || ZONE_STYLE.patrol), className: `zone-other${invalid ? " invalid" : ""}` }),
      });
      layer.bindTooltip(esc(t("zones-tooltip", { name: f.properties.name || id, id, kind: zoneKind(f.properties.kind) })), { sticky: true });
      layer.on("click", () => { if (!z.ed?.drawing) openZone(id).catch(() => {}); });
      layer.addTo(z.others);
    }
  }

  // ---- the zone being edited --------------------------------------------------------------

  // A key for the edited zone among the problems: the index of its feature in the posted set.
  const editedKey = () => "\u0000edited";

  function showForm(feature, { original, etag }) {
    const p = feature?.properties || {};
    let parts = [];
    let geometryError = null;
    try { parts = feature?.geometry ? partsOf(feature.geometry) : []; } catch (e) { geometryError = e.message; }
    z.ed = { original, etag, parts, sel: null, drawing: false, rev: 0, dirty: false, geometryError };
    $("zone-empty").hidden = true;
    $("zone-form").hidden = false;
    $("zone-edit-title").textContent = original ? t("zones-zone", { id: original }) : t("zones-new");
    $("zf-id").value = p.id ?? "";
    $("zf-id").readOnly = Boolean(original);
    $("zf-name").value = p.name ?? "";
    $("zf-kind").value = p.kind ?? "patrol";
    $("zf-centre").value = Array.isArray(p.centre) ? p.centre.join(", ") : (p.centre ?? "");
    $("zf-detect").value = JSON.stringify(p.detect ?? {}, null, 2);
    syncDetectors();
    $("zone-delete").hidden = !original;
    $("zone-delete-confirm").hidden = true;
    $("zone-save-error").textContent = "";
    $("zone-save-state").textContent = "";
    $("zone-reload").hidden = true;
    $("zone-dirty").textContent = "";
    for (const id of ["zone-draw", "zone-redraw"]) $(id).disabled = false;
    clearPreview();
    z.problems = [];
    renderList();
    renderOthers();
    showVersion(null);
    render();
  }

  function newZone() {
    showForm(null, { original: null, etag: null });
    $("zone-history").hidden = true;
    z.versions = [];
    setDrawing(true);
    $("zf-id").focus();
    publish();
    scheduleCheck();
  }

  async function openZone(id) {
    $("zones-state").textContent = t("zones-reading-one", { id });
    const { feature, etag } = await readZone(id);
    z.full.set(id, { feature, etag });
    showForm(feature, { original: id, etag });
    $("zones-state").textContent = "";
    const b = L.geoJSON(feature).getBounds();
    if (b.isValid()) z.map.fitBounds(b.pad(0.15), { maxZoom: 10 });
    publish();
    scheduleCheck();
    await loadVersions(id);
  }

  function setDrawing(on) {
    if (!z.ed) return;
    z.ed.drawing = on;
    $("zone-draw").setAttribute("aria-pressed", String(on));
    if (on) z.map.doubleClickZoom.disable(); else z.map.doubleClickZoom.enable();
    $("zones-map").classList.toggle("drawing", on);
    $("zone-tool-hint").textContent = on ? t("zones-hint-drawing") : t("zones-hint-editing");
    publish();
  }

  // The detect object in the text box; throws with a message if not an object.
  function detectValue() {
    const text = $("zf-detect").value.trim();
    if (!text) return {};
    let v;
    try { v = JSON.parse(text); } catch (e) { throw new Error(t("zones-not-json", { error: e.message })); }
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(t("zones-not-object", { example: '{"dark_period": {}}' }));
    return v;
  }
  function syncDetectors() {
    let d = null;
    try { d = detectValue(); } catch { /* left as they are */ }
    for (const box of $("zf-detectors").querySelectorAll("input[data-detector]")) {
      if (d) box.checked = Object.hasOwn(d, box.dataset.detector);
      box.disabled = !d;
    }
  }

  // The edited zone as a GeoJSON Feature, its properties as in a zone file;
  // `local`: what the console itself finds wrong (text that is not JSON).
  function candidate() {
    const local = [];
    const props = { id: $("zf-id").value };
    const name = $("zf-name").value;
    if (name.trim()) props.name = name;
    props.kind = $("zf-kind").value;
    const centres = $("zf-centre").value.split(",").map((s) => s.trim()).filter(Boolean);
    if (centres.length) props.centre = centres;
    try {
      props.detect = detectValue();
    } catch (e) {
      local.push({ kind: "syntax", property: "detect", message: e.message, local: true, zoneId: editedKey() });
    }
    if (z.ed.geometryError) {
      local.push({ kind: "syntax", property: "geometry", message: `${t("zones-geometry")}: ${z.ed.geometryError}`, local: true, zoneId: editedKey() });
    }
    return { feature: { type: "Feature", properties: props, geometry: geometryOf(z.ed.parts) }, local };
  }

  // The whole candidate set: the zones in force in load order, the edited one
  // in its place (a new one last); and the index of the edited one.
  function candidateSet() {
    const { feature, local } = candidate();
    const features = [];
    let index = -1;
    for (const f of z.list) {
      const id = f.properties.id;
      if (id === z.ed.original) { index = features.length; features.push(feature); continue; }
      const full = z.full.get(id);
      if (full) features.push(full.feature);
    }
    if (index < 0) { index = features.length; features.push(feature); }
    return { collection: { type: "FeatureCollection", features }, index, feature, local };
  }

  // After every edit: draw, mark unsaved, check soon.
  function edited({ fromText = false } = {}) {
    if (!z.ed) return;
    z.ed.rev++;
    z.ed.dirty = true;
    $("zone-dirty").textContent = t("zones-unsaved");
    $("zone-save-state").textContent = "";
    render({ fromText });
    publish();
    scheduleCheck();
  }

  function publish() {
    if (!z.ed) { out().edit = null; return; }
    const { feature } = candidate();
    out().edit = { rev: z.ed.rev, original: z.ed.original, etag: z.ed.etag, drawing: z.ed.drawing, feature,
      vertices: z.ed.parts.flat().reduce((n, r) => n + r.length, 0), selected: z.ed.sel };
  }

  // ---- the map: the edited boundary, its vertices, the problems ----------------------------

  const latlngs = (parts) => parts.map((p) => p.map((r) => r.map(([lon, lat]) => [lat, lon])));

  function render({ fromText = false } = {}) {
    // Markers are made anew: the keyboard stays on the selected vertex.
    const hadFocus = Boolean(document.activeElement?.classList?.contains("zone-vertex"));
    z.edited.clearLayers();
    z.vertices.clearLayers();
    if (!z.ed) return;
    const invalid = z.problems.some((p) => p.zoneId === editedKey());
    const parts = z.ed.parts.filter((p) => p.some((r) => r.length));
    if (parts.length) {
      const style = { ...(invalid ? INVALID_STYLE : EDIT_STYLE), interactive: false, className: `zone-edit${invalid ? " invalid" : ""}` };
      // A ring of two vertices is a line; of one, a point (its vertex shows it).
      for (const p of parts) {
        const ll = latlngs([p])[0];
        if (ll[0].length >= 3) L.polygon(ll, style).addTo(z.edited);
        else if (ll[0].length === 2) L.polyline(ll[0], style).addTo(z.edited);
      }
    }
    z.ed.parts.forEach((part, pi) => part.forEach((ring, ri) => ring.forEach(([lon, lat], i) => {
      const sel = z.ed.sel && z.ed.sel.p === pi && z.ed.sel.r === ri && z.ed.sel.i === i;
      const where = `${lat.toFixed(DIGITS)}, ${lon.toFixed(DIGITS)}`;
      const label = t(sel ? "zones-vertex-selected" : "zones-vertex", {
        n: i + 1, part: z.ed.parts.length > 1 ? t("zones-vertex-part", { n: pi + 1 }) : "",
        ring: part.length > 1 ? t("zones-vertex-ring", { n: ri + 1 }) : "", where,
      });
      const m = L.marker([lat, lon], {
        icon: L.divIcon({ className: `zone-vertex${sel ? " selected" : ""}`, iconSize: [14, 14] }),
        draggable: true, keyboard: true, title: label, autoPanOnFocus: false,
      });
      m.on("click", () => { select({ p: pi, r: ri, i }); });
      m.on("dragstart", () => { z.ed.sel = { p: pi, r: ri, i }; });
      m.on("drag", (ev) => {
        // Follow the pointer: only the boundary, not the markers (being dragged).
        const ll = ev.target.getLatLng();
        z.ed.parts[pi][ri][i] = [ll.lng, ll.lat];
        redrawShape();
      });
      m.on("dragend", (ev) => {
        const ll = ev.target.getLatLng().wrap();
        z.ed.parts[pi][ri][i] = [round(ll.lng), round(ll.lat)];
        edited();
        focusSelected();
      });
      m.on("keydown", (ev) => moveByKey(ev.originalEvent, { p: pi, r: ri, i }));
      m.addTo(z.vertices);
    })));
    $("zone-delvertex").disabled = !z.ed.sel;
    if (!fromText && document.activeElement !== $("zf-geometry")) {
      $("zf-geometry").value = z.ed.parts.length ? JSON.stringify(geometryOf(z.ed.parts)) : "";
    }
    renderProblemsOnMap();
    if (hadFocus) focusSelected();
  }

  // While a vertex is dragged: the boundary only.
  function redrawShape() {
    const layers = z.edited.getLayers();
    const parts = z.ed.parts.filter((p) => p.some((r) => r.length));
    if (layers.length !== parts.length) return;
    parts.forEach((p, i) => {
      const ll = latlngs([p])[0];
      layers[i].setLatLngs(ll[0].length >= 3 ? ll : ll[0]);
    });
  }

  function select(sel) {
    z.ed.sel = sel;
    render();
    publish();
    focusSelected();
  }
  function focusSelected() {
    const icons = z.vertices.getLayers();
    const { sel } = z.ed;
    if (!sel) return;
    let n = 0;
    z.ed.parts.forEach((part, pi) => part.forEach((ring, ri) => ring.forEach((_, i) => {
      if (pi === sel.p && ri === sel.r && i === sel.i) icons[n]?._icon?.focus({ preventScroll: true });
      n++;
    })));
  }

  function moveByKey(ev, sel) {
    const d = { ArrowLeft: [-5, 0], ArrowRight: [5, 0], ArrowUp: [0, -5], ArrowDown: [0, 5] }[ev.key];
    if (!d) return;
    ev.preventDefault();
    ev.stopPropagation();
    const [lon, lat] = z.ed.parts[sel.p][sel.r][sel.i];
    const pt = z.map.latLngToContainerPoint([lat, lon]).add(d);
    const ll = z.map.containerPointToLatLng(pt).wrap();
    z.ed.parts[sel.p][sel.r][sel.i] = [round(ll.lng), round(ll.lat)];
    z.ed.sel = sel;
    edited();
    focusSelected();
  }

  function onMapClick(ev) {
    if (!z.ed?.drawing) return;
    const ll = ev.latlng.wrap();
    const pos = [round(ll.lng), round(ll.lat)];
    if (!z.ed.parts.length) z.ed.parts = [[[]]];
    let { sel } = z.ed;
    if (!sel || !z.ed.parts[sel.p]?.[sel.r]) {
      const p = z.ed.parts.length - 1;
      sel = { p, r: 0, i: z.ed.parts[p][0].length - 1 };
    }
    const ring = z.ed.parts[sel.p][sel.r];
    ring.splice(sel.i + 1, 0, pos);
    z.ed.sel = { p: sel.p, r: sel.r, i: sel.i + 1 };
    edited();
  }

  function deleteVertex() {
    const sel = z.ed?.sel;
    if (!sel) return;
    const ring = z.ed.parts[sel.p]?.[sel.r];
    if (!ring) return;
    ring.splice(sel.i, 1);
    // An emptied ring goes, and an emptied part.
    if (!ring.length) {
      z.ed.parts[sel.p].splice(sel.r, 1);
      if (!z.ed.parts[sel.p].length) z.ed.parts.splice(sel.p, 1);
      z.ed.sel = null;
    } else {
      z.ed.sel = { ...sel, i: Math.max(0, sel.i - 1) };
    }
    edited();
    if (z.ed.sel) focusSelected(); else $("zone-draw").focus();
  }

  // ---- problems -------------------------------------------------------------------------------

  function scheduleCheck() {
    clearTimeout(z.checkTimer);
    $("zone-check-state").textContent = t("zones-checking");
    z.checkTimer = setTimeout(() => check().catch((e) => { $("zone-check-state").textContent = t("zones-check-error", { error: e.message }); }), CHECK_DEBOUNCE_MS);
  }

  // Problems as the daemon gives them, each with the zone it is about
  // (`zoneId`: editedKey() for the edited zone).
  function placeProblems(problems, set) {
    return (problems || []).map((p) => {
      let zoneId = null;
      if (Number.isInteger(p.feature) && set.collection.features[p.feature]) {
        zoneId = p.feature === set.index ? editedKey() : set.collection.features[p.feature].properties?.id;
      } else if (p.id != null) {
        zoneId = p.id === set.feature.properties.id ? editedKey() : p.id;
      }
      return { ...p, zoneId };
    });
  }

  async function check() {
    if (!z.ed) return;
    const seq = ++z.checkSeq, rev = z.ed.rev;
    const set = candidateSet();
    let problems = [...set.local];
    let ok = !problems.length;
    if (!set.local.length) {
      const r = await post("/api/v1/zones/check", set.collection);
      const body = await json(r);
      if (seq !== z.checkSeq || !z.ed || rev !== z.ed.rev) return; // edited meanwhile: a later check answers
      if (!r.ok) throw new Error(body?.error || `${r.status} ${r.statusText}`);
      problems = placeProblems(body?.errors, set);
      ok = Boolean(body?.ok) && !problems.length;
    }
    if (seq !== z.checkSeq) return;
    z.problems = problems;
    showProblems(ok);
    out().check = { rev, ok, errors: problems };
  }

  function zoneLabel(p) {
    if (p.zoneId === editedKey()) return t("zones-this-zone");
    return p.zoneId ? t("zones-zone-lower", { id: p.zoneId }) : p.file || t("zones-zones-lower");
  }

  function showProblems(ok) {
    const n = z.problems.length;
    $("zone-check-state").textContent = ok ? t("zones-valid") :
      tn(z.problems.some((p) => p.local) ? "zones-problem-count" : "zones-problem-count-daemon", n);
    $("zone-check-state").className = ok ? "ok" : "error";
    // The edited zone's first, then the others'.
    const sorted = [...z.problems].sort((a, b) => (b.zoneId === editedKey()) - (a.zoneId === editedKey()));
    $("zone-problems").innerHTML = sorted.map((p) => `<li class="zone-problem-item ${esc(p.kind)}">
      <strong>${esc(zoneLabel(p))}</strong>${p.property ? ` <code>${esc(p.property)}</code>` : ""}: ${esc(p.message)}</li>`).join("");
    render();
    renderOthers();
  }

  // Each problem at its place: the vertex or ring it names, else the zone's middle.
  function renderProblemsOnMap() {
    z.problemsLayer.clearLayers();
    if (!z.ed) return;
    const set = candidateSet();
    for (const p of z.problems) {
      let feature = null;
      if (p.zoneId === editedKey()) feature = set.feature;
      else if (p.zoneId) feature = z.full.get(p.zoneId)?.feature || z.list.find((f) => f.properties.id === p.zoneId);
      if (!feature) continue;
      let at = problemPosition(p.property, feature.geometry);
      if (!at) {
        try {
          const b = L.geoJSON(feature).getBounds();
          if (b.isValid()) at = [b.getCenter().lng, b.getCenter().lat];
        } catch { /* no geometry to show it on */ }
      }
      if (!at) continue;
      L.tooltip({ permanent: true, direction: "top", className: "zone-problem", offset: [0, -8] })
        .setLatLng([at[1], at[0]])
        .setContent(`${esc(p.zoneId === editedKey() ? "" : `${p.zoneId}: `)}${esc(p.message)}`)
        .addTo(z.problemsLayer);
    }
  }

  // ---- preview -------------------------------------------------------------------------------

  function clearPreview() {
    z.alerts?.clearLayers();
    $("zone-preview").hidden = true;
    $("zone-preview-body").innerHTML = "";
    out().preview = null;
  }

  async function preview() {
    if (!z.ed) return;
    const hours = Math.max(1, Math.round(Number($("zp-hours").value) || 24));
    const set = candidateSet();
    $("zone-preview").hidden = false;
    $("zone-preview-body").innerHTML = "";
    z.alerts.clearLayers();
    if (set.local.length) { z.problems = set.local; showProblems(false); $("zone-preview-state").textContent = t("zones-fix-first"); return; }
    $("zone-preview-state").textContent = t("zones-replaying", { hours });
    const t0 = performance.now();
    const r = await post(`/api/v1/zones/preview?hours=${hours}`, set.collection).catch((e) => ({ ok: false, status: 0, error: e }));
    const body = r.status ? await json(r) : null;
    if (!r.ok) {
      $("zone-preview-state").textContent = t("zones-no-preview", { error: body?.error || r.error?.message || r.status });
      if (r.status === 422) { z.problems = placeProblems(body?.errors, set); showProblems(false); }
      out().preview = { status: r.status, error: body?.error ?? null };
      return;
    }
    const summary = body.summary || {};
    const kinds = Object.keys(summary).sort();
    const cols = ["was", "would_be", "added", "removed", "unchanged"];
    const total = Object.fromEntries(cols.map((c) => [c, kinds.reduce((n, k) => n + (summary[k][c] ?? 0), 0)]));
    const read = !Number.isFinite(body.lines) ? "" : Number.isFinite(body.messages)
      ? ` ${t("zones-replayed-messages", { lines: body.lines, messages: body.messages })}` : ` ${t("zones-replayed", { lines: body.lines })}`;
    $("zone-preview-state").textContent = `${t("zones-preview-over", { from: fmtTime(body.from), to: fmtTime(body.to), hours: body.hours })}${read}`;
    $("zone-preview-body").innerHTML = `<table class="fed zone-preview-table" aria-labelledby="zone-preview-title">
      <thead><tr><th scope="col">${esc(t("filter-kind"))}</th>${cols.map((c) => `<th scope="col">${esc(t(`zones-col-${c.replace("_", "-")}`))}</th>`).join("")}</tr></thead>
      <tbody>${kinds.map((k) => `<tr data-kind="${esc(k)}"><th scope="row">${esc(kindName(k))}</th>${cols.map((c) => `<td data-col="${c}">${esc(summary[k][c] ?? 0)}</td>`).join("")}</tr>`).join("")}
      </tbody><tfoot><tr data-kind=""><th scope="row">${esc(t("zones-all"))}</th>${cols.map((c) => `<td data-col="${c}">${total[c]}</td>`).join("")}</tr></tfoot></table>
      ${kinds.length ? "" : `<p>${esc(t("zones-no-alert"))}</p>`}
      <p class="hint"><span class="swatch added"></span> ${esc(t("zones-legend-added"))} <span class="swatch unchanged"></span> ${esc(t("zones-legend-unchanged"))} <span class="swatch removed"></span> ${esc(t("zones-legend-removed"))}</p>`;
    // The would-be alerts on the map, and the ones that would go.
    const was = new Set((body.was || []).map((a) => a.id));
    const wouldBe = new Set((body.would_be || []).map((a) => a.id));
    const mark = (a, what) => {
      if (!Number.isFinite(a.lat) || !Number.isFinite(a.lon)) return;
      const style = {
        added: { radius: 7, color: "#ff9f1c", fillColor: "#ff9f1c", fillOpacity: 0.9, weight: 2 },
        unchanged: { radius: 6, color: "#ffffff", fillColor: "#4fb3ff", fillOpacity: 0.7, weight: 1.5 },
        removed: { radius: 6, color: "#b8c4ce", fill: false, weight: 2, dashArray: "3 3" },
      }[what];
      L.circleMarker([a.lat, a.lon], { ...style, className: `preview-alert ${what}` })
        .bindTooltip(`${esc(kindName(a.kind))} (${esc(t(`zones-legend-${what}`))}) — ${esc(a.zone_name || a.zone || "")}: ${esc(a.summary || "")}`)
        .addTo(z.alerts);
    };
    for (const a of body.was || []) if (!wouldBe.has(a.id)) mark(a, "removed");
    for (const a of body.would_be || []) mark(a, was.has(a.id) ? "unchanged" : "added");
    out().preview = { status: 200, hours: body.hours, from: body.from, to: body.to, summary, ms: Math.round(performance.now() - t0),
      was: was.size, wouldBe: wouldBe.size };
  }

  // ---- save, delete ------------------------------------------------------------------------

  function conflict() {
    $("zone-save-error").textContent = t("zones-conflict");
    $("zone-reload").hidden = false;
  }

  async function save() {
    if (!z.ed) return;
    $("zone-save-error").textContent = "";
    $("zone-save-state").textContent = "";
    $("zone-reload").hidden = true;
    const set = candidateSet();
    if (set.local.length) { z.problems = set.local; showProblems(false); $("zone-save-error").textContent = t("zones-not-saved-problems"); return; }
    const id = set.feature.properties.id;
    if (!id) { $("zone-save-error").textContent = t("zones-not-saved-id"); $("zf-id").focus(); return; }
    const headers = { "Content-Type": "application/json" };
    if (z.ed.original) headers["If-Match"] = z.ed.etag;
    $("zone-save").disabled = true;
    $("zone-save-state").textContent = t("zones-saving");
    const t0 = performance.now();
    let r, body;
    try {
      r = await apiResponse(`/api/v1/zones/${encodeURIComponent(id)}`, { method: "PUT", headers, body: JSON.stringify(set.feature) });
      body = await json(r);
    } catch (e) {
      $("zone-save-state").textContent = "";
      $("zone-save-error").textContent = t("zones-not-saved", { error: e.message });
      $("zone-save").disabled = false;
      return;
    }
    $("zone-save").disabled = false;
    $("zone-save-state").textContent = "";
    out().saved = { status: r.status, id, ms: Math.round(performance.now() - t0), file: body?.file ?? null };
    if (r.status === 412 || r.status === 428) { conflict(); return; }
    if (r.status === 422) {
      const single = { collection: { features: [set.feature] }, index: 0, feature: set.feature };
      z.problems = placeProblems(body?.errors, body?.errors?.some((p) => p.feature > 0) ? set : single);
      showProblems(false);
      $("zone-save-error").textContent = t("zones-not-saved-invalid", { error: body?.error || t("zones-invalid") });
      return;
    }
    if (r.status === 403) { $("zone-save-error").textContent = t("zones-not-saved-admin"); return; }
    if (!r.ok) { $("zone-save-error").textContent = t("zones-not-saved", { error: body?.error || `${r.status} ${r.statusText}` }); return; }
    const etag = etagOf(r) || (body?.etag ? `"${String(body.etag).replace(/^"|"$/g, "")}"` : null);
    const feature = body?.zone || set.feature;
    z.full.set(id, { feature, etag });
    z.ed.original = id;
    z.ed.etag = etag;
    z.ed.dirty = false;
    $("zf-id").readOnly = true;
    $("zone-edit-title").textContent = t("zones-zone", { id });
    $("zone-delete").hidden = false;
    $("zone-dirty").textContent = "";
    $("zone-save-state").textContent = body?.file ? t("zones-saved-file", { file: body.file }) : t("zones-saved");
    setDrawing(false);
    await loadAll().catch((e) => { $("zones-state").textContent = e.message; });
    onChanged();
    scheduleCheck();
    await loadVersions(id).catch(() => {});
  }

  async function remove() {
    const id = z.ed?.original;
    if (!id) return;
    $("zone-delete-confirm").hidden = true;
    $("zone-save-error").textContent = "";
    const r = await apiResponse(`/api/v1/zones/${encodeURIComponent(id)}`, { method: "DELETE", headers: { "If-Match": z.ed.etag } })
      .catch((e) => ({ ok: false, status: 0, error: e }));
    const body = r.status ? await json(r) : null;
    out().deleted = { status: r.status, id };
    if (r.status === 412 || r.status === 428) { conflict(); return; }
    if (!r.ok) { $("zone-save-error").textContent = t("zones-not-deleted", { error: body?.error || r.error?.message || r.status }); return; }
    z.ed = null;
    z.problems = [];
    $("zone-form").hidden = true;
    $("zone-empty").hidden = false;
    $("zone-history").hidden = true;
    for (const b of ["zone-draw", "zone-redraw", "zone-delvertex"]) $(b).disabled = true;
    clearPreview();
    render();
    await loadAll().catch(() => {});
    onChanged();
    $("zones-state").textContent = t("zones-deleted", { id });
    publish();
    $("zones-title").focus();
  }

  // ---- history -------------------------------------------------------------------------------

  async function loadVersions(id) {
    const r = await apiResponse(`/api/v1/zones/${encodeURIComponent(id)}/versions`);
    const body = await json(r);
    if (z.ed?.original !== id) return;
    $("zone-history").hidden = false;
    if (!r.ok) {
      $("zone-history-body").textContent = t("zones-no-history", { error: body?.error || r.status });
      return;
    }
    z.versions = body?.versions || [];
    $("zone-history-body").innerHTML = z.versions.length ? `<table class="fed zone-versions" aria-labelledby="zone-history-title">
      <thead><tr>${["zones-col-from", "zones-col-until", "zones-col-by", "zones-col-version", "zones-col-map"].map((k) => `<th scope="col">${esc(t(k))}</th>`).join("")}</tr></thead>
      <tbody>${z.versions.map((v) => `<tr data-version="${esc(v.version)}"><td>${esc(fmtTime(v.from))}</td><td>${v.until ? esc(fmtTime(v.until)) : esc(t("zones-version-in-force"))}</td>
        <td>${esc(v.by)}</td><td><code title="${esc(v.version)}">${esc(String(v.version).slice(0, 12))}</code></td>
        <td><button type="button" data-version="${esc(v.version)}" aria-pressed="false"
          aria-label="${esc(t("zones-show-version", { from: fmtTime(v.from) }))}">${esc(t("zones-show"))}</button></td></tr>`).join("")}</tbody></table>`
      : `<p>${esc(t("zones-no-version"))}</p>`;
    out().history = { id, versions: z.versions.length, shown: null };
    showVersion(null);
  }

  function showVersion(version) {
    z.shownVersion = version;
    z.old?.clearLayers();
    for (const b of document.querySelectorAll("#zone-history-body button[data-version]")) {
      b.setAttribute("aria-pressed", String(b.dataset.version === version));
    }
    const v = version && z.versions.find((x) => x.version === version);
    $("zone-history-legend").textContent = v
      ? t("zones-history-shown", { from: fmtTime(v.from), by: v.by })
      : t("zones-history-legend");
    if (v?.feature?.geometry) {
      const layer = L.geoJSON(v.feature, { style: () => ({ ...OLD_STYLE, className: "zone-old" }), interactive: false });
      layer.addTo(z.old);
      const b = layer.getBounds();
      z.edited.getLayers().forEach((l) => l.getBounds && b.extend(l.getBounds()));
      if (b.isValid()) z.map.fitBounds(b.pad(0.2), { maxZoom: 10 });
    }
    if (out().history) out().history.shown = version;
  }

  return {
    /// Called when the page is shown.
    async show() {
      if (!z.built) {
        const names = (await detectors()) || [];
        if (!z.built) build(names);
      }
      z.map.invalidateSize();
      $("zones-title").focus();
      $("zones-state").textContent = t("zones-reading");
      try {
        await loadAll();
        $("zones-state").textContent = tn("zones-count", z.list.length);
        if (!z.ed) {
          const b = z.others.getLayers().length ? L.featureGroup(z.others.getLayers()).getBounds() : null;
          if (b?.isValid()) z.map.fitBounds(b, { maxZoom: 7 });
        }
      } catch (e) {
        $("zones-state").textContent = e.message;
      }
      out().ready = true;
    },
  };
}
