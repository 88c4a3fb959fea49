// The Zones page's markup (no behaviour: web/zones.js wires it): the zone
// list, the map and its boundary tools, the form of a zone's properties
// exactly as in zones/README.md, its problems, the preview and the history.

import { t, tOr } from "./i18n.js";

const KINDS = [["patrol", "zones-kind-patrol"], ["port", "zones-kind-port"], ["closed_area", "zones-kind-closed-area"]];

/// The page, with a checkbox per detector of `names`; `esc` escapes text.
export function pageHtml(names, esc) {
  const e = (key) => esc(t(key));
  return `
    <div class="zones-head">
      <h2 id="zones-title" tabindex="-1">${e("zones-title")}</h2>
      <button id="zone-new" type="button">${e("zones-new")}</button>
      <output id="zones-state" aria-live="polite"></output>
    </div>
    <nav id="zone-nav" aria-labelledby="zone-list-title">
      <h3 id="zone-list-title">${e("zones-in-force")}</h3>
      <ul id="zone-list"></ul>
    </nav>
    <div id="zones-mapwrap">
      <div id="zone-tools" role="toolbar" aria-label="${e("zones-boundary")}" aria-controls="zones-map">
        <button id="zone-draw" type="button" aria-pressed="false" disabled>${e("zones-add-vertices")}</button>
        <button id="zone-delvertex" type="button" disabled>${e("zones-delete-vertex")}</button>
        <button id="zone-redraw" type="button" disabled>${e("zones-new-boundary")}</button>
        <span id="zone-tool-hint" class="hint"></span>
      </div>
      <div id="zones-map" role="application" aria-label="${e("zones-map-label")}"
        aria-describedby="zone-tool-hint"></div>
    </div>
    <section id="zone-panel" aria-labelledby="zone-edit-title">
      <p id="zone-empty" class="hint">${e("zones-empty")}</p>
      <form id="zone-form" hidden novalidate>
        <h3 id="zone-edit-title"></h3>
        <p id="zone-dirty" class="hint" aria-live="polite"></p>
        <label for="zf-id">${e("zones-id")}</label>
        <input id="zf-id" autocomplete="off" spellcheck="false" aria-describedby="zf-id-hint">
        <span id="zf-id-hint" class="hint">${e("zones-id-hint")}</span>
        <label for="zf-name">${e("zones-name")}</label>
        <input id="zf-name" autocomplete="off">
        <label for="zf-kind">${e("zones-kind")}</label>
        <select id="zf-kind">${KINDS.map(([v, key]) => `<option value="${v}">${e(key)}</option>`).join("")}</select>
        <label for="zf-centre">${e("zones-centres")}</label>
        <input id="zf-centre" autocomplete="off" aria-describedby="zf-centre-hint">
        <span id="zf-centre-hint" class="hint">${e("zones-centres-hint")}</span>
        <fieldset id="zf-detectors">
          <legend>${e("zones-detectors")}</legend>
          ${names.map((d) => `<label class="check"><input type="checkbox" value="${d}" data-detector="${d}"> ${esc(tOr(`kind-${d.replaceAll("_", "-")}`, d.replaceAll("_", " ")))}</label>`).join("")}
        </fieldset>
        <label for="zf-detect">${e("zones-detect")}</label>
        <textarea id="zf-detect" rows="6" spellcheck="false" aria-describedby="zf-detect-hint"></textarea>
        <span id="zf-detect-hint" class="hint">${e("zones-detect-hint")}</span>
        <details id="zf-geometry-box">
          <summary>${e("zones-geometry")}</summary>
          <label for="zf-geometry">${e("zones-geometry")}</label>
          <textarea id="zf-geometry" rows="6" spellcheck="false"></textarea>
        </details>
        <div id="zone-check" aria-live="polite">
          <h4 id="zone-check-title">${e("zones-problems")}</h4>
          <p id="zone-check-state"></p>
          <ul id="zone-problems"></ul>
        </div>
        <p class="zone-actions">
          <label for="zp-hours">${e("zones-preview-hours")}</label>
          <input id="zp-hours" type="number" min="1" max="8760" step="1" value="24">
          <button id="zone-preview-go" type="button">${e("zones-preview")}</button>
          <button id="zone-save" type="submit">${e("zones-save")}</button>
          <button id="zone-delete" type="button">${e("zones-delete")}</button>
          <button id="zone-delete-confirm" type="button" class="danger" hidden></button>
        </p>
        <p id="zone-save-error" class="error" role="alert"></p>
        <p id="zone-save-state" role="status"></p>
        <button id="zone-reload" type="button" hidden>${e("zones-reload")}</button>
      </form>
      <section id="zone-preview" aria-labelledby="zone-preview-title" hidden>
        <h3 id="zone-preview-title">${e("zones-preview")}</h3>
        <p id="zone-preview-state" aria-live="polite"></p>
        <div id="zone-preview-body"></div>
      </section>
      <section id="zone-history" aria-labelledby="zone-history-title" hidden>
        <h3 id="zone-history-title">${e("zones-history")}</h3>
        <p id="zone-history-legend" class="hint"></p>
        <div id="zone-history-body"></div>
      </section>
    </section>`;
}
