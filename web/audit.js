// The Audit page (administrators): the daemon's record of every use of its
// API (GET /api/v1/audit), newest first, filtered by actor, action, alert and
// time, a page at a time (next_cursor). An alert id in a record opens that
// alert. Everything shown is escaped: actors, routes and ids come from
// whoever called the API.

import { t, tn, fmtDateTimeSeconds, fmtTimeOfDay } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const PAGE_SIZE = 50;

// The actions the daemon records (route → action), for the filter.
const ACTIONS = [
  "console.login", "alerts.list", "alerts.stream", "alert.read", "alert.ack", "evidence.export",
  "hold.place", "hold.release", "holds.list", "vessels.search", "vessel.read", "track.read",
  "positions.search", "zones.read", "zones.reload", "deliveries.list", "delivery.retry",
  "federation.status", "federation.evidence_decision", "federation.send", "federation.receive",
  "federation.evidence_request", "audit.read", "audit.checkpoint", "config.reload",
];

/// A `datetime-local` value, read as UTC (the console shows every time in
/// UTC), as RFC 3339: "2026-12-05T10:00" → "2026-12-05T10:00:00Z". Empty
/// stays empty; anything else is an error naming the field.
export function utcFromLocalInput(value, field) {
  const v = value.trim();
  if (!v) return "";
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(\.\d+)?)?$/.exec(v);
  const text = m ? `${m[1]}${m[2] || ":00"}Z` : null;
  if (!text || Number.isNaN(Date.parse(text))) throw new Error(t("audit-bad-time", { field, value: v }));
  return text;
}

// A record's time to the second (its full value in the cell's title).
const fmtAt = fmtDateTimeSeconds;

/// Sets up the page. `ctx`: `api(path)` (JSON, throws with `.status`),
/// `esc` (HTML escape), `openAlert(id)` (shows an alert on the map).
export function initAudit({ api, esc, openAlert }) {
  const view = { query: "", cursors: [null], page: 0, next: null, actors: new Set(["admin", "system"]) };

  // The words are filled in when the language is loaded (data-i18n).
  $("a-action").innerHTML = '<option value="" data-i18n="filter-all">all</option>' +
    ACTIONS.map((a) => `<option translate="no">${esc(a)}</option>`).join("");

  // The filters as a query string (without the cursor); throws on a bad time.
  function filters() {
    const q = new URLSearchParams();
    const put = (k, v) => { if (v) q.set(k, v); };
    put("actor", $("a-actor").value.trim());
    put("action", $("a-action").value);
    put("alert", $("a-alert").value.trim());
    put("since", utcFromLocalInput($("a-since").value, t("audit-since")));
    put("until", utcFromLocalInput($("a-until").value, t("audit-until")));
    q.set("limit", String(PAGE_SIZE));
    return q.toString();
  }

  function idsCell(ids = {}) {
    const parts = [
      ...(ids.alerts || []).map((id) =>
        `<button type="button" class="audit-alert" translate="no" data-id="${esc(id)}" aria-label="${esc(t("audit-open-alert", { id }))}">${esc(id)}</button>`),
      ...(ids.mmsis || []).map((m) => `<span class="audit-id">MMSI ${esc(m)}</span>`),
      ...(ids.zones || []).map((z) => `<span class="audit-id">${esc(t("audit-zone", { zone: z }))}</span>`),
    ];
    return parts.join(" ") || "–";
  }

  function render(records) {
    for (const r of records) if (r.actor) view.actors.add(r.actor);
    $("a-actors").innerHTML = [...view.actors].sort().map((a) => `<option value="${esc(a)}"></option>`).join("");
    $("audit-body").innerHTML = records.length ? `<table class="fed audit" aria-labelledby="audit-title">
      <thead><tr>${["audit-col-time", "audit-actor", "audit-action", "audit-col-route", "audit-col-ids", "audit-col-status", "audit-col-count"]
        .map((h) => `<th scope="col">${esc(t(h))}</th>`).join("")}</tr></thead>
      <tbody>${records.map((r) => `<tr data-seq="${esc(r.seq)}" class="${Number(r.status) >= 400 ? "failed" : ""}">
        <td title="${esc(t("audit-record-title", { at: r.at, seq: String(r.seq) }))}">${esc(fmtAt(r.at))}</td><td>${esc(r.actor)}</td>
        <td class="audit-action" translate="no">${esc(r.action)}</td><td translate="no"><code>${esc(r.route)}</code></td>
        <td class="audit-ids">${idsCell(r.ids)}</td><td class="audit-status">${esc(r.status ?? "–")}</td>
        <td class="audit-count">${esc(r.count ?? "–")}</td></tr>`).join("")}</tbody></table>`
      : `<p>${esc(t("audit-none"))}</p>`;
  }

  // Reads page `page` of the current query (0: the newest).
  async function load(page) {
    $("audit-error").textContent = "";
    const cursor = view.cursors[page];
    $("audit-state").textContent = t("audit-reading");
    let body;
    try {
      body = await api(`/api/v1/audit?${view.query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    } catch (e) {
      $("audit-state").textContent = "";
      $("audit-error").textContent = e.status === 404 ? t("audit-absent") : t("audit-error", { error: e.message });
      return;
    }
    const records = body?.records || [];
    view.page = page;
    view.next = body?.next_cursor ?? null;
    view.cursors.length = page + 1;
    if (view.next !== null) view.cursors.push(String(view.next));
    render(records);
    $("audit-next").disabled = view.next === null;
    $("audit-newest").disabled = page === 0;
    $("audit-page").textContent = tn("audit-page", records.length, { page: page + 1 });
    $("audit-state").textContent = t("audit-read-at", { time: fmtTimeOfDay(Date.now()) });
    window.aiswatchConsole.audit = { query: view.query, page, records: records.map((r) => r.seq), next: view.next };
  }

  // A new search from the filters, from the newest record.
  function search() {
    try {
      view.query = filters();
    } catch (e) {
      $("audit-error").textContent = e.message;
      return Promise.resolve();
    }
    view.cursors = [null];
    return load(0);
  }

  $("audit-form").addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
  $("a-clear").addEventListener("click", () => {
    $("audit-form").reset();
    search();
  });
  $("audit-next").addEventListener("click", () => { if (view.next !== null) load(view.page + 1); });
  $("audit-newest").addEventListener("click", () => load(0));
  $("audit-body").addEventListener("click", (ev) => {
    const b = ev.target.closest("button.audit-alert");
    if (b) openAlert(b.dataset.id);
  });

  return {
    /// Called when the page is shown: the newest records for the filters.
    show() {
      $("audit-title").focus();
      return search();
    },
  };
}
