// Why an alert fired: an alert's details as a table, in the reader's language.
// Generic over the detectors: units come from key suffixes (`_s` seconds, `_m` metres,
// `_kn` knots, `_deg` degrees, `lat`/`lon` coordinates, `_seen` after the unit), so a
// new detector's details read well without a change here.

import { t, tn, tOr, fmtDateTime as fmtTime, fmtNumber, fmtDegrees, fmtPosition } from "./i18n.js";
import { esc, withheld } from "./html.js";

const UNITS = { s: "s", seconds: "s", m: "m", kn: "kn", deg: "deg" };
const WORDS = { sog: "speed over ground", imo: "IMO", mmsi: "MMSI", h: "hour", nav: "navigational", lat: "latitude", lon: "longitude" };
const HUMANTIME = /^\s*(\d+(\.\d+)?\s*(ms|s|sec|m|min|h|d)\s*)+$/;
const HUMANTIME_S = { ms: 0.001, s: 1, sec: 1, m: 60, min: 60, h: 3600, d: 86400 };

// A key's unit ("s", "m", "kn", "deg" or null) and its words without the unit.
function keyParts(key) {
  const t = key.split("_");
  let at = -1;
  if (UNITS[t[t.length - 1]] && t.length > 1) at = t.length - 1;
  else if (t[t.length - 1] === "seen" && t.length > 2 && UNITS[t[t.length - 2]]) at = t.length - 2;
  else if (key === "seconds") at = 0;
  const unit = at >= 0 ? UNITS[t[at]] : null;
  const words = t.filter((_, i) => i !== at).map((w) => WORDS[w] || w);
  const label = words.join(" ") || key;
  // The language's words for a key it knows, else words made of the key.
  return { unit, label: tOr(`why-${key.replaceAll("_", "-")}`, label[0].toUpperCase() + label.slice(1)) };
}

function fmtDuration(sec) {
  if (!Number.isFinite(sec)) return String(sec);
  if (Math.abs(sec) < 60) return t("unit-s", { n: Math.round(sec * 10) / 10 });
  const mins = Math.round(sec / 60), d = Math.floor(mins / 1440), h = Math.floor(mins / 60) % 24, m = mins % 60;
  return [d && t("unit-d", { n: d }), (d || h) && t("unit-h", { n: h }), t("unit-min", { n: m })].filter(Boolean).join(" ");
}
function humantimeSeconds(text) {
  let total = 0;
  for (const [, n, , u] of text.matchAll(/(\d+(\.\d+)?)\s*(ms|sec|min|s|m|h|d)/g)) total += Number(n) * HUMANTIME_S[u];
  return total;
}
const fmtCoord = (n) => fmtDegrees(n, 5);

// One value, formatted for its unit, as HTML (escaped).
function whyValue(v, unit, key) {
  if (v === null || v === undefined) return "–";
  if (Array.isArray(v)) {
    if (!v.length) return esc(t("value-none"));
    // A [lon, lat] pair (the order of coordinates in aiswatch's JSON).
    if (!unit && v.length === 2 && v.every((x) => typeof x === "number")) return esc(fmtPosition(v[1], v[0]));
    if (v.every((x) => x === null || typeof x !== "object")) return esc(v.map((x) => plainValue(x, unit, key)).join(", "));
    return `<ol class="why-list">${v.map((x) => `<li>${whyValue(x, unit, key)}</li>`).join("")}</ol>`;
  }
  if (typeof v === "object") return whyTable(v, true);
  return esc(plainValue(v, unit, key));
}

// A scalar as text.
function plainValue(v, unit, key) {
  if (v === null || v === undefined) return "–";
  if (typeof v === "boolean") return v ? t("value-yes") : t("value-no");
  if (typeof v === "number") {
    if (key === "lat" || key === "lon" || /_(lat|lon)$/.test(key)) return fmtCoord(v);
    if (/(^|_)(mmsi|imo)$/.test(key)) return String(v); // identifiers, not amounts
    switch (unit) {
      case "s": return fmtDuration(v);
      case "m": return Math.abs(v) >= 1000 ? t("unit-km", { n: Math.round(v / 100) / 10 }) : t("unit-m", { n: Math.round(v) });
      case "kn": return tn("unit-kn", v);
      case "deg": return t("unit-deg", { n: v });
      default: return fmtNumber(v);
    }
  }
  const text = String(v);
  if (HUMANTIME.test(text)) return fmtDuration(humantimeSeconds(text));
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text)) return fmtTime(text);
  // A reason code or phrase ("left_the_zone", "left the zone"): the language's words for it.
  if (/^[a-z]+([_ ][a-z]+)+$/.test(text)) return tOr(`reason-${text.replace(/[_ ]/g, "-")}`, text.replaceAll("_", " "));
  return text;
}

// The rows of a details object: one per key (nulls left out), `x_lat`/`x_lon` as one
// position, nested objects as a table in the row.
function whyTable(o, nested = false) {
  const rows = [];
  const keys = Object.keys(o);
  const done = new Set();
  for (const k of keys) {
    if (done.has(k) || o[k] === null || o[k] === undefined) continue;
    const pair = k === "lat" ? ["lat", "lon", t("why-position")]
      : k.endsWith("_lat") ? [k, `${k.slice(0, -4)}_lon`, tOr(`why-${k.slice(0, -4).replaceAll("_", "-")}-position`, t("why-named-position", { name: keyParts(k.slice(0, -4)).label }))]
        : null;
    if (pair && typeof o[pair[0]] === "number" && typeof o[pair[1]] === "number") {
      done.add(pair[0]); done.add(pair[1]);
      rows.push([pair[2], esc(fmtPosition(o[pair[0]], o[pair[1]]))]);
      continue;
    }
    const { unit, label } = keyParts(k);
    rows.push([label, whyValue(o[k], unit, k)]);
  }
  if (!rows.length) return "–";
  return `<table class="why${nested ? " nested" : ""}">${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join("")}</table>`;
}

export const whySection = (details) => `<h3>${esc(t("detail-why"))}</h3>${withheld(details && typeof details === "object" ? whyTable(details) : esc(plainValue(details)))}
    <details class="raw"><summary>${esc(t("detail-raw-json"))}</summary><pre>${esc(JSON.stringify(details, null, 2))}</pre></details>`;
