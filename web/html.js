// HTML text for the console's pages.

import { t } from "./i18n.js";

// Text escaped for HTML (element content and quoted attributes).
export const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

// What a partner withheld, marked (in escaped HTML).
export const withheld = (html) => html.replaceAll("[withheld]", `<span class="withheld">${esc(t("withheld"))}</span>`);

// A definition list of [term, value] rows, rows without a value left out.
export const dl = (rows) => `<dl>${rows.filter(([, v]) => v != null && v !== "").map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
