// The Zones page's markup (no behaviour: web/zones.js wires it): the zone
// list, the map and its boundary tools, the form of a zone's properties
// exactly as in zones/README.md, its problems, the preview and the history.

const KINDS = [["patrol", "patrol"], ["port", "port (port or anchorage)"], ["closed_area", "closed area (closed to fishing)"]];

/// The page, with a checkbox per detector of `names`; `esc` escapes text.
export function pageHtml(names, esc) {
  return `
    <div class="zones-head">
      <h2 id="zones-title" tabindex="-1">Zones</h2>
      <button id="zone-new" type="button">New zone</button>
      <output id="zones-state" aria-live="polite"></output>
    </div>
    <nav id="zone-nav" aria-labelledby="zone-list-title">
      <h3 id="zone-list-title">In force</h3>
      <ul id="zone-list"></ul>
    </nav>
    <div id="zones-mapwrap">
      <div id="zone-tools" role="toolbar" aria-label="Boundary" aria-controls="zones-map">
        <button id="zone-draw" type="button" aria-pressed="false" disabled>Add vertices</button>
        <button id="zone-delvertex" type="button" disabled>Delete vertex</button>
        <button id="zone-redraw" type="button" disabled>New boundary</button>
        <span id="zone-tool-hint" class="hint"></span>
      </div>
      <div id="zones-map" role="application" aria-label="Map of the zones: the edited zone's boundary and its vertices"
        aria-describedby="zone-tool-hint"></div>
    </div>
    <section id="zone-panel" aria-labelledby="zone-edit-title">
      <p id="zone-empty" class="hint">Select a zone to edit it, or start a new zone.</p>
      <form id="zone-form" hidden novalidate>
        <h3 id="zone-edit-title"></h3>
        <p id="zone-dirty" class="hint" aria-live="polite"></p>
        <label for="zf-id">Zone id</label>
        <input id="zf-id" autocomplete="off" spellcheck="false" aria-describedby="zf-id-hint">
        <span id="zf-id-hint" class="hint">Unique across all zones; saved as <code>ID.geojson</code> for a new zone.</span>
        <label for="zf-name">Name</label>
        <input id="zf-name" autocomplete="off">
        <label for="zf-kind">Zone kind</label>
        <select id="zf-kind">${KINDS.map(([v, t]) => `<option value="${v}">${esc(t)}</option>`).join("")}</select>
        <label for="zf-centre">Centres</label>
        <input id="zf-centre" autocomplete="off" aria-describedby="zf-centre-hint">
        <span id="zf-centre-hint" class="hint">Comma-separated; who receives the zone's alerts.</span>
        <fieldset id="zf-detectors">
          <legend>Detectors</legend>
          ${names.map((d) => `<label class="check"><input type="checkbox" value="${d}" data-detector="${d}"> ${esc(d.replace("_", " "))}</label>`).join("")}
        </fieldset>
        <label for="zf-detect">Detectors and thresholds (JSON)</label>
        <textarea id="zf-detect" rows="6" spellcheck="false" aria-describedby="zf-detect-hint"></textarea>
        <span id="zf-detect-hint" class="hint">The zone's <code>detect</code> object, e.g. <code>{"dark_period": {"min_gap": "6h"}}</code>; <code>{}</code> under a detector takes the config's thresholds.</span>
        <details id="zf-geometry-box">
          <summary>Coordinates (GeoJSON)</summary>
          <label for="zf-geometry">Coordinates (GeoJSON)</label>
          <textarea id="zf-geometry" rows="6" spellcheck="false"></textarea>
        </details>
        <div id="zone-check" aria-live="polite">
          <h4 id="zone-check-title">Problems</h4>
          <p id="zone-check-state"></p>
          <ul id="zone-problems"></ul>
        </div>
        <p class="zone-actions">
          <label for="zp-hours">Preview hours</label>
          <input id="zp-hours" type="number" min="1" max="8760" step="1" value="24">
          <button id="zone-preview-go" type="button">Preview</button>
          <button id="zone-save" type="submit">Save</button>
          <button id="zone-delete" type="button">Delete</button>
          <button id="zone-delete-confirm" type="button" class="danger" hidden>Delete for good</button>
        </p>
        <p id="zone-save-error" class="error" role="alert"></p>
        <p id="zone-save-state" role="status"></p>
        <button id="zone-reload" type="button" hidden>Reload this zone</button>
      </form>
      <section id="zone-preview" aria-labelledby="zone-preview-title" hidden>
        <h3 id="zone-preview-title">Preview</h3>
        <p id="zone-preview-state" aria-live="polite"></p>
        <div id="zone-preview-body"></div>
      </section>
      <section id="zone-history" aria-labelledby="zone-history-title" hidden>
        <h3 id="zone-history-title">History</h3>
        <p id="zone-history-legend" class="hint"></p>
        <div id="zone-history-body"></div>
      </section>
    </section>`;
}
