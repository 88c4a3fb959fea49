// Legal holds on an alert's detail panel (administrators): whether the alert
// is held (GET /api/v1/holds), "Hold" with a reason and a name (POST
// /api/v1/alerts/{id}/hold), "Release hold" (DELETE). A held alert's evidence
// is kept beyond retention. Against a daemon without holds (404), or a token
// that may not read them (403), or a store that cannot answer (503), the
// section stays hidden.

import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const QUIET = new Set([403, 404, 503]);

/// `ctx`: `api(path, opts)` (JSON, throws with `.status`), `esc` (HTML
/// escape), `fmtTime`.
export function initHolds({ api, esc, fmtTime }) {
  // The form being filled in, kept across a re-render of the panel (a live
  // change of the alert redraws it).
  let draft = null; // { id, reason, by }
  // The daemon answered 404 to GET /api/v1/holds: it has no holds (not asked again).
  let absent = false;

  // The hold of alert `id` (null: not held), or undefined when holds cannot be read here.
  async function lookup(id) {
    if (absent) return undefined;
    try {
      const body = await api("/api/v1/holds");
      return (body?.holds || []).find((h) => h.alert === id) || null;
    } catch (e) {
      if (e.status === 404) absent = true;
      if (QUIET.has(e.status)) return undefined;
      throw e;
    }
  }

  function render(el, id, hold, message = "") {
    el.hidden = false;
    const note = message ? `<p id="hold-note" role="status">${esc(message)}</p>` : "";
    if (hold) {
      el.innerHTML = `<h3 id="hold-title">${esc(t("hold-title"))}</h3>
        <p class="held">${esc(t("hold-held", { since: fmtTime(hold.placed_at), by: hold.by, reason: hold.reason }))}</p>
        <button type="button" id="hold-release">${esc(t("hold-release"))}</button>${note}
        <p id="hold-error" class="error" role="alert"></p>`;
      $("hold-release").addEventListener("click", () => release(el, id));
    } else if (draft?.id === id) {
      el.innerHTML = `<h3 id="hold-title">${esc(t("hold-title"))}</h3>
        <form id="hold-form" aria-labelledby="hold-title">
          <label for="hold-reason">${esc(t("hold-reason"))}</label><textarea id="hold-reason" aria-required="true" maxlength="500"></textarea>
          <label for="hold-by">${esc(t("hold-by"))}</label><input id="hold-by" aria-required="true" maxlength="500" autocomplete="name">
          <span><button type="submit">${esc(t("hold-place"))}</button> <button type="button" id="hold-cancel">${esc(t("hold-cancel"))}</button></span>
          <p id="hold-error" class="error" role="alert"></p>
        </form>`;
      $("hold-reason").value = draft.reason;
      $("hold-by").value = draft.by;
      $("hold-reason").addEventListener("input", () => { draft.reason = $("hold-reason").value; });
      $("hold-by").addEventListener("input", () => { draft.by = $("hold-by").value; });
      $("hold-cancel").addEventListener("click", () => { draft = null; render(el, id, null); $("hold-open").focus(); });
      $("hold-form").addEventListener("submit", (ev) => { ev.preventDefault(); place(el, id); });
    } else {
      el.innerHTML = `<h3 id="hold-title">${esc(t("hold-title"))}</h3>
        <p>${esc(t("hold-not-held"))}</p>
        <button type="button" id="hold-open">${esc(t("hold-open"))}</button>${note}`;
      $("hold-open").addEventListener("click", () => {
        draft = { id, reason: "", by: sessionStorage.getItem("aiswatch.by") || "" };
        render(el, id, null);
        $("hold-reason").focus();
      });
    }
    window.aiswatchConsole.hold = { id, held: Boolean(hold) };
  }

  async function place(el, id) {
    const reason = $("hold-reason").value.trim(), by = $("hold-by").value.trim();
    if (!reason || !by) {
      $("hold-error").textContent = t("hold-need-reason");
      $(reason ? "hold-by" : "hold-reason").focus();
      return;
    }
    sessionStorage.setItem("aiswatch.by", by);
    try {
      const hold = await api(`/api/v1/alerts/${encodeURIComponent(id)}/hold`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ reason, by }),
      });
      draft = null;
      render(el, id, hold);
      $("hold-release").focus();
    } catch (e) {
      if (e.status !== 409) { $("hold-error").textContent = e.message; return; }
      // Held meanwhile (from another screen): show that hold.
      draft = null;
      render(el, id, await lookup(id).catch(() => null), t("hold-already", { error: e.message }));
    }
  }

  async function release(el, id) {
    $("hold-release").disabled = true;
    try {
      await api(`/api/v1/alerts/${encodeURIComponent(id)}/hold`, { method: "DELETE" });
      render(el, id, null, t("hold-released"));
    } catch (e) {
      if (e.status !== 404) {
        $("hold-error").textContent = e.message;
        $("hold-release").disabled = false;
        return;
      }
      // Released meanwhile.
      render(el, id, await lookup(id).catch(() => null), t("hold-not-held-error", { error: e.message }));
    }
    $("hold-open")?.focus();
  }

  return {
    /// Fills the section `el` for alert `id` (hidden when holds cannot be read here).
    async show(el, id) {
      const hold = await lookup(id).catch((e) => {
        el.hidden = false;
        el.innerHTML = `<h3 id="hold-title">${esc(t("hold-title"))}</h3><p class="error">${esc(t("hold-error", { error: e.message }))}</p>`;
        return undefined;
      });
      if (hold === undefined || !el.isConnected) return;
      if (draft && draft.id !== id) draft = null;
      render(el, id, hold);
    },
  };
}
