// The Partners page (administrators): GET /api/v1/federation, this installation,
// its partners, the agreements with what crossed under each, and partners' evidence
// requests; the pending ones are decided here.

import { t, tOr, fmtDateTime as fmtTime, fmtTimeOfDay } from "./i18n.js";
import { dl, esc } from "./html.js";

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

const evidencePolicy = (p) => tOr(`policy-${String(p).replaceAll("_", "-")}`, String(p));
const list = (v, all) => (v == null ? all : v.length ? v.join(", ") : t("value-none"));

function sendTerms(s) {
  if (!s) return esc(t("value-nothing"));
  const all = t("filter-all");
  return dl([[t("terms-zones"), list(s.zones, all)], [t("terms-kinds"), list(s.kinds, all)], [t("terms-states"), list(s.states, all)],
    [t("terms-delay"), s.delay], [t("terms-withheld"), list(s.redact, t("value-none"))], [t("terms-evidence"), evidencePolicy(s.evidence)]]);
}
const receiveTerms = (r) => (r ? dl([[t("terms-delivered-to"), list(r.deliver_to, t("value-none"))]]) : esc(t("value-nothing")));
const agreementState = (st) => tOr(`agreement-${String(st).replaceAll("_", "-")}`, String(st).replaceAll("_", " "));
const requestState = (st) => tOr(`request-${String(st).replaceAll("_", "-")}`, String(st));

// A table titled by the heading `titleId`.
function table(titleId, head, rows) {
  return `<table class="fed" aria-labelledby="${titleId}">
    <thead><tr>${head.map((h) => `<th scope="col">${esc(h)}</th>`).join("")}</tr></thead>
    <tbody>${rows.join("")}</tbody></table>`;
}

function renderFederation(f) {
  const agreements = f.agreements || [], partners = f.partners || [], requests = f.evidence_requests || [];
  $("partners-body").innerHTML = `
    <h3>${esc(t("partners-self"))}</h3>
    ${f.name ? "" : `<p class="hint">${esc(t("partners-no-name", { key: "[federation] name" }))}</p>`}
    <dl class="self"><dt>${esc(t("partners-name"))}</dt><dd id="fed-name">${esc(f.name || "–")}</dd>
      <dt>${esc(t("partners-public-key"))}</dt><dd><code id="fed-key">${esc(f.public_key || "–")}</code></dd></dl>
    <h3 id="partners-list-title">${esc(t("partners-list"))}</h3>
    ${partners.length ? table("partners-list-title", [t("col-partner"), t("col-address"), t("partners-public-key")], partners.map((p) =>
      `<tr data-partner="${esc(p.id)}"><th scope="row">${esc(p.id)}</th><td>${esc(p.url)}</td><td><code>${esc(p.public_key)}</code></td></tr>`))
      : `<p>${esc(t("partners-none"))}</p>`}
    <h3 id="agreements-title">${esc(t("agreements-title"))}</h3>
    ${agreements.length ? table("agreements-title", [t("col-agreement"), t("col-partner"), t("col-state"), t("col-expires"), t("col-sends"),
      t("col-receives"), t("col-sent"), t("col-received")], agreements.map((a) => {
      const sent = a.sent || {};
      return `<tr data-agreement="${esc(a.id)}" class="${esc(a.state)}"><th scope="row">${esc(a.id)}</th><td>${esc(a.partner)}</td>
        <td><span class="agreement-state ${esc(a.state)}">${esc(agreementState(a.state))}</span></td>
        <td>${esc(a.expires || t("agreements-no-end"))}</td><td>${sendTerms(a.send)}</td><td>${receiveTerms(a.receive)}</td>
        <td class="counts">${a.send ? dl([[t("sent-pending"), sent.pending ?? 0], [t("sent-delivered"), sent.delivered ?? 0], [t("sent-failed"), sent.failed ?? 0]]) : "–"}</td>
        <td class="counts received">${esc(a.received ?? 0)}</td></tr>`;
    })) : `<p>${esc(t("agreements-none"))}</p>`}`;
  // Pending first (oldest first: the longest waiting), then the decided ones, newest first.
  const pending = requests.filter((r) => r.state === "pending").sort((a, b) => (a.requested_at < b.requested_at ? -1 : 1));
  const decided = requests.filter((r) => r.state !== "pending").sort((a, b) => (a.requested_at < b.requested_at ? 1 : -1));
  $("requests-body").innerHTML = requests.length ? table("requests-title",
    [t("col-partner"), t("col-agreement"), t("col-alert"), t("col-asked"), t("col-state"), t("col-decision")], [...pending, ...decided].map((r) => {
      const key = `${r.partner}/${r.request}`;
      const decision = r.state === "pending"
        ? `<button type="button" class="decide" data-act="approve" data-key="${esc(key)}" data-partner="${esc(r.partner)}" data-request="${esc(r.request)}"
             aria-label="${esc(t("request-approve-label", { partner: r.partner, alert: r.alert }))}">${esc(t("request-approve"))}</button>
           <button type="button" class="decide" data-act="refuse" data-key="${esc(key)}" data-partner="${esc(r.partner)}" data-request="${esc(r.request)}"
             aria-label="${esc(t("request-refuse-label", { partner: r.partner, alert: r.alert }))}">${esc(t("request-refuse"))}</button>`
        : esc([r.decided_by, r.decided_at && fmtTime(r.decided_at)].filter(Boolean).join(", ") || "–");
      return `<tr data-request="${esc(key)}" class="${esc(r.state)}"><td>${esc(r.partner)}</td><td>${esc(r.agreement)}</td>
        <td>${esc(r.alert)}</td><td>${esc(fmtTime(r.requested_at))}</td><td class="request-state">${esc(requestState(r.state))}</td><td>${decision}</td></tr>`;
    })) : `<p>${esc(t("requests-none"))}</p>`;
  // What waits for a decision, at the top of the page.
  $("partners-pending").hidden = !pending.length;
  $("partners-pending").firstElementChild.textContent = t("requests-pending", { n: pending.length });
  window.aiswatchConsole.federation = { agreements: agreements.length, pending: pending.length, requests: requests.length };
}

// Wires the page; `state.federation` keeps what was read last. `load` reads and
// shows it again (only on a change unless `force`).
export function initPartners({ api, state }) {
  let federationShown = null; // the JSON last rendered: re-render only on a change
  async function loadFederation({ force = false } = {}) {
    const f = await api("/api/v1/federation");
    state.federation = f;
    const text = JSON.stringify(f);
    if (!force && text === federationShown) return;
    // Keep the keyboard where it was across a re-render.
    const focused = document.activeElement?.closest?.("#partners button.decide")?.dataset;
    federationShown = text;
    renderFederation(f);
    if (focused) document.querySelector(`#partners button.decide[data-key="${CSS.escape(focused.key)}"][data-act="${focused.act}"]`)?.focus();
    $("partners-state").textContent = t("partners-updated", { time: fmtTimeOfDay(Date.now()) });
  }

  async function decide(button) {
    const by = $("decide-by").value.trim();
    $("decide-error").textContent = "";
    if (!by) {
      $("decide-error").textContent = t("requests-need-name");
      $("decide-by").focus();
      return;
    }
    sessionStorage.setItem("aiswatch.by", by);
    const { act, partner, request } = button.dataset;
    button.disabled = true;
    try {
      const r = await api(`/api/v1/federation/evidence_requests/${enc(partner)}/${enc(request)}/${act}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ by }),
      });
      await loadFederation({ force: true }).catch((e) => { $("decide-error").textContent = e.message; });
      $("partners-state").textContent = t(act === "approve" ? "request-approved-done" : "request-refused-done", { partner, alert: r?.alert ?? request });
      window.aiswatchConsole.decided = { partner, request, state: r?.state };
    } catch (e) {
      // 409: decided meanwhile (on another screen); 404: no such request.
      $("decide-error").textContent = e.message;
      await loadFederation({ force: true }).catch(() => {});
    }
    // The row's buttons are gone: keep the keyboard in the table.
    if (!document.activeElement || document.activeElement === document.body) {
      (document.querySelector("#requests-body button.decide") || $("partners-title")).focus();
    }
  }

  $("requests-body").addEventListener("click", (ev) => {
    const b = ev.target.closest("button.decide");
    if (b) decide(b);
  });
  $("partners-refresh").addEventListener("click", () => loadFederation({ force: true }).catch((e) => {
    $("partners-state").textContent = t("partners-error", { error: e.message });
  }));

  return { load: loadFederation };
}
