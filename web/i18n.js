// The console's language. Its words come from the daemon's catalogs
// (GET /api/v1/i18n lists the languages, GET /api/v1/i18n/{tag} gives the
// console's messages in one), `{$name}` in a message filled in by t().
// Static markup names its message in `data-i18n="key"` (the element's
// text) and `data-i18n-attr="aria-label:key title:key"` (attributes);
// apply() fills them in. Dates, times and numbers are written the
// language's way with Intl; every time shown is UTC.
//
// Which language: the one chosen in this browser with the switch (kept in
// localStorage), else, once signed in, the one the daemon answered for the
// token (the centre's; English for an administrator), else the browser's
// (navigator.languages), else English.

const PREFERRED_KEY = "aiswatch.lang";

let lang = "en";
let messages = {};
let languages = [{ tag: "en", name: "English" }];
let dateTime, timeOfDay, dateTimeSeconds, number, plural;
const missing = new Set();

/// The language in force (a tag of the catalogs: "en", "fr", …).
export const currentLang = () => lang;

/// The languages there is a catalog for, English first ({tag, name}).
export const availableLanguages = () => languages;

/// Reads the list of languages (kept as it is if the daemon has none).
export async function loadLanguages() {
  try {
    const r = await fetch("/api/v1/i18n");
    if (r.ok) {
      const body = await r.json();
      if (Array.isArray(body?.languages) && body.languages.length) languages = body.languages;
    }
  } catch { /* an older daemon: English only */ }
  return languages;
}

/// The first of `wanted` (BCP 47 tags, most wanted first) there is a
/// catalog for: the same tag, else the same language ("fr-FR" → "fr");
/// null if none.
export function negotiate(wanted) {
  const tags = languages.map((l) => l.tag);
  for (const w of wanted || []) {
    if (!w) continue;
    const want = String(w).toLowerCase();
    const exact = tags.find((t) => t.toLowerCase() === want);
    if (exact) return exact;
    const base = want.split("-")[0];
    const same = tags.find((t) => t.toLowerCase().split("-")[0] === base);
    if (same) return same;
  }
  return null;
}

/// The language chosen in this browser with the switch, if any.
export function preferredLang() {
  let v = null;
  try { v = localStorage.getItem(PREFERRED_KEY); } catch { /* storage off */ }
  return v ? negotiate([v]) : null;
}

/// Keeps `tag` as this browser's choice.
export function setPreferredLang(tag) {
  try { localStorage.setItem(PREFERRED_KEY, tag); } catch { /* storage off: this page only */ }
}

/// The browser's language, negotiated (English if none matches).
export const browserLang = () => negotiate(navigator.languages?.length ? navigator.languages : [navigator.language]) || "en";

/// Loads the console's messages in `tag` and applies them to the page.
export async function useLanguage(tag) {
  const r = await fetch(`/api/v1/i18n/${encodeURIComponent(tag)}`);
  if (!r.ok) throw new Error(`no messages for ${tag}: ${r.status}`);
  const body = await r.json();
  messages = body.messages || {};
  lang = body.lang || tag;
  dateTime = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", hourCycle: "h23", timeZone: "UTC" });
  dateTimeSeconds = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium", hourCycle: "h23", timeZone: "UTC" });
  timeOfDay = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: "UTC" });
  number = new Intl.NumberFormat(lang, { maximumFractionDigits: 2 });
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
  document.title = t("page-title");
  apply(document);
  for (const s of document.querySelectorAll("select.lang-switch")) s.value = lang;
  return lang;
}

/// Whether there is a message `key`.
export const has = (key) => Object.hasOwn(messages, key);

/// Message `key` with `{$name}` filled in from `args` (numbers written the
/// language's way; anything else as text). A key no catalog has shows as
/// itself and is counted in `window.aiswatchConsole.missingMessages`.
export function t(key, args = {}) {
  const text = messages[key];
  if (text === undefined) {
    if (!missing.has(key)) {
      missing.add(key);
      (window.aiswatchConsole ||= {}).missingMessages = [...missing];
    }
    return key;
  }
  return text.replace(/\{\$([A-Za-z0-9_-]+)\}/g, (m, name) => {
    if (!Object.hasOwn(args, name)) return m;
    const v = args[name];
    return typeof v === "number" ? fmtNumber(v) : String(v ?? "");
  });
}

/// Message `key-one` or `key-other` (the language's plural of `n`), with
/// `n` and `args` filled in.
export function tn(key, n, args = {}) {
  const form = plural ? plural.select(n) : n === 1 ? "one" : "other";
  const k = has(`${key}-${form}`) ? `${key}-${form}` : `${key}-other`;
  return t(k, { ...args, n });
}

/// Message `key` if there is one, else `fallback`.
export const tOr = (key, fallback, args = {}) => (has(key) ? t(key, args) : fallback);

/// Fills in the page's (or `root`'s) static words.
export function apply(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.trim().split(/\s+/)) {
      const [attr, key] = pair.split(":");
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}

/// A number the language's way (at most two decimals).
export const fmtNumber = (n) => (number ? number.format(n) : String(n));

/// A latitude or longitude with `digits` decimals, the language's way.
export function fmtDegrees(n, digits) {
  return new Intl.NumberFormat(lang || "en", {
    minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false,
  }).format(n);
}

/// "lat, lon" as the language separates them (a decimal comma needs more than a comma).
export const fmtPosition = (lat, lon, digits = 5) =>
  t("position", { lat: fmtDegrees(lat, digits), lon: fmtDegrees(lon, digits) });

/// An RFC 3339 time as the language writes a date and time, in UTC ("–" for none).
export function fmtDateTime(s) {
  if (!s) return "–";
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return String(s);
  return t("time-utc", { time: dateTime.format(ms) });
}

/// The same to the second (audit records), without the zone.
export function fmtDateTimeSeconds(s) {
  if (!s) return "–";
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? String(s) : dateTimeSeconds.format(ms);
}

/// Hours and minutes of a time (ms), in UTC, without the zone.
export const fmtTimeOfDay = (ms) => timeOfDay.format(ms);

/// The language switch: a labelled <select> of every language, in its own
/// name; a choice is kept for this browser and `onChange(tag)` called.
export function languageSwitch(select, onChange) {
  select.classList.add("lang-switch");
  select.innerHTML = "";
  for (const l of languages) {
    const o = new Option(l.name, l.tag);
    o.lang = l.tag;
    select.add(o);
  }
  select.value = lang;
  select.addEventListener("change", () => {
    setPreferredLang(select.value);
    onChange(select.value);
  });
}
