// The console in the signed-in centre's language, in Debian's chromium
// (playwright-core): `aiswatch run` on the shipped sample, MDAT-GoG reading
// French (`[[centres]] language = "fr"`, the sample's alerts are routed
// there) and MSCHOA Portuguese. Before sign-in the page speaks the
// browser's language (a context with locale fr-FR gets the French sign-in
// page); after, the centre's (an administrator's: English); the language
// switch in the header overrides it for this browser, kept across a
// reload. On every main view (status strip, queue and filters, map, time
// slider, alert details, vessel details) no English word of the console's
// catalog is left: every visible text, aria-label, placeholder and title is
// compared with the English catalog's strings (those longer than three
// characters that the language says otherwise; data such as summaries,
// vessel and zone names left aside). axe-core finds no serious or critical
// violation in French. The French screenshot goes to
// target/browser-shots/console-fr.png (AISWATCH_SHOTS=docs refreshes the
// README's).
//
// Run by `cargo test` (tests/browser.rs), or alone:
//   cd tests/browser && npm ci && node --test i18n.test.mjs
//   env: AISWATCH_BIN (default target/release/aiswatch), CHROMIUM (/usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { repo, startDaemon, launchChromium, axeViolations } from "./daemon.mjs";

const GOG = "gog-officer-token";       // MDAT-GoG, French: the sample's alerts are routed here
const ADEN = "mschoa-officer-token";   // MSCHOA, Portuguese: none of them
const ADMIN = "admin-token";
const SHOTS = process.env.AISWATCH_SHOTS || path.join(repo, "target/browser-shots");

let daemon, base, browser;
const catalogs = {};   // tag -> the console's messages, as the daemon serves them
let data = [];         // names from the API (zones, vessels, sources) that may show as they are

before(async () => {
  daemon = await startDaemon({
    sources: ["[[sources]]", 'kind = "file"', 'id = "sample"', `path = "${path.join(repo, "deploy/sample/feed.nmea.gz")}"`],
    tokens: { "MDAT-GoG": GOG, MSCHOA: ADEN },
    languages: { "MDAT-GoG": "fr", MSCHOA: "pt" },
    admin: ADMIN,
  });
  base = daemon.base;
  let last = -1;
  await daemon.until("the sample to be ingested", async () => {
    const s = (await daemon.api("/api/v1/status", ADMIN)).body;
    const done = s && s.engine.messages > 0 && s.engine.messages === last && s.storage.positions_pending === 0;
    last = s ? s.engine.messages : -1;
    return done;
  });
  await daemon.until("alerts in the store", async () => (await daemon.api("/api/v1/alerts?limit=1", GOG)).body?.alerts.length > 0);
  for (const tag of ["en", "fr", "pt"]) catalogs[tag] = (await daemon.api(`/api/v1/i18n/${tag}`)).body.messages;
  const zones = (await daemon.api("/api/v1/zones", ADMIN)).body.features.flatMap((f) => [f.properties.name, f.properties.id]);
  const vessels = (await daemon.api("/api/v1/vessels?bbox=-180,-90,180,90&limit=10000", ADMIN)).body.vessels
    .flatMap((v) => [v.static?.name, v.static?.destination, v.static?.callsign]);
  data = [...zones, ...vessels, "sample", "aiswatch"].filter((s) => typeof s === "string" && s.trim().length > 0);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

async function page(locale = "en-US") {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale });
  const p = await ctx.newPage();
  const errors = [];
  // A centre's token may not read the partners (403): the console asks and handles it.
  p.on("console", (m) => {
    if (m.type() === "error" && !/status of 403/.test(m.text())) errors.push(`${m.text()} (${m.location().url})`);
  });
  p.on("pageerror", (e) => errors.push(String(e)));
  return { ctx, page: p, errors };
}

async function signIn(p, token) {
  await p.goto(base + "/");
  await p.waitForFunction(() => window.aiswatchConsole?.lang);
  await p.locator("#token").fill(token);
  await p.locator("#signin-form button[type=submit]").click();
  await p.waitForFunction(() => window.aiswatchConsole?.ready === true);
}

/// The English console strings still on the page: every visible text,
/// the aria-labels, placeholders and titles of what is shown, the options
/// of shown selects and the document's title, against the English
/// catalog's strings the language `lang` says otherwise (of more than
/// three letters without their placeholders, which match anything; a
/// lone word beside a placeholder only if the language does not use it). Text
/// marked translate="no" (alert summaries) and the names in `data` are
/// left aside. Also what the page found missing in the catalog.
async function englishLeft(p, lang) {
  const english = catalogs.en, own = catalogs[lang];
  // Words the language itself uses ("position", "station" in French) say
  // nothing about English when they stand alone beside a value.
  const ownWords = new Set(Object.values(own).join(" ").toLowerCase().split(/[^\p{L}]+/u));
  const strings = Object.entries(english)
    .filter(([k, v]) => {
      const literal = v.replace(/\{\$[A-Za-z0-9_-]+\}/g, "").trim();
      if (v === own[k] || (literal.match(/\p{L}/gu) || []).length <= 3) return false;
      return !(v !== literal && /^\p{L}+$/u.test(literal) && ownWords.has(literal.toLowerCase()));
    })
    .map(([k, v]) => [k, v]);
  return p.evaluate(({ strings, data }) => {
    const quote = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const patterns = strings.map(([k, v]) => [k, v, new RegExp(`(^|[^\\p{L}])${v.split(/\{\$[A-Za-z0-9_-]+\}/).map(quote).join(".*?")}($|[^\\p{L}])`, "u")]);
    const shown = (el) => el && !el.closest("[hidden]") && el.getClientRects().length > 0;
    const texts = [["title", document.title]];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (el.closest("script, style, [translate=no]")) continue;
      if (el.tagName === "OPTION" ? shown(el.closest("select")) : shown(el)) texts.push([el.tagName.toLowerCase(), n.textContent]);
    }
    for (const el of document.querySelectorAll("[aria-label], [placeholder], [title], [aria-valuetext]")) {
      if (!shown(el) || el.closest("[translate=no]")) continue;
      for (const a of ["aria-label", "placeholder", "title", "aria-valuetext"]) if (el.hasAttribute(a)) texts.push([`@${a}`, el.getAttribute(a)]);
    }
    const found = [];
    for (const [where, raw] of texts) {
      let text = raw;
      for (const d of data) text = text.split(d).join(" ");
      for (const [k, v, re] of patterns) if (re.test(text)) found.push(`${where} "${raw.trim().slice(0, 80)}" has English "${v}" (${k})`);
    }
    return { found: [...new Set(found)], missing: window.aiswatchConsole.missingMessages || [] };
  }, { strings, data });
}

async function assertNoEnglish(p, lang, what) {
  const { found, missing } = await englishLeft(p, lang);
  assert.deepEqual(missing, [], `${what}: messages missing from the catalogs`);
  assert.deepEqual(found, [], `${what}: English left in ${lang}`);
}

// Opens the first alert of the queue (all states) and then its first vessel:
// the main views an officer works in.
async function mainViews(p, lang, violations) {
  await p.selectOption("#f-state", "");
  await p.waitForFunction(() => window.aiswatchConsole.vesselsLoaded > 0);
  await p.locator("#st-live.live").waitFor();
  await assertNoEnglish(p, lang, "map and queue");
  if (violations) violations.push(...await axeViolations(p, `${lang}: map and queue`));
  // Looking back: the time slider's words.
  await p.locator("#time").fill("-60");
  await p.waitForFunction(() => window.aiswatchConsole.vesselsAt);
  await assertNoEnglish(p, lang, "looking back");
  await p.locator("#time-live").click();
  await p.waitForFunction(() => window.aiswatchConsole.vesselsAt === null);
  // An alert with details to explain, then one of its vessels.
  const alerts = (await daemon.api("/api/v1/alerts?limit=10000", GOG)).body.alerts;
  const pick = alerts.find((a) => a.kind === "dark_period") || alerts[0];
  await p.locator(`#alerts li[data-id="${pick.id}"]`).click();
  await p.waitForFunction((id) => window.aiswatchConsole.alertShown === id, pick.id);
  await assertNoEnglish(p, lang, "alert details");
  if (violations) violations.push(...await axeViolations(p, `${lang}: alert details`));
  return pick;
}

test("a French browser gets the French sign-in page; an unknown token is refused in French", async () => {
  const { ctx, page: p, errors } = await page("fr-FR");
  await p.goto(base + "/");
  await p.waitForFunction(() => window.aiswatchConsole?.lang === "fr");
  assert.equal(await p.getAttribute("html", "lang"), "fr");
  await p.getByLabel("Jeton d'API").waitFor();
  await assertNoEnglish(p, "fr", "sign-in");
  assert.deepEqual(await axeViolations(p, "fr: sign-in"), []);
  await p.getByLabel("Jeton d'API").fill("not-a-token");
  await p.getByRole("button", { name: "Se connecter" }).click();
  await p.getByText("Jeton inconnu.").waitFor();
  // A browser in a language without a catalog: English.
  const other = await browser.newContext({ locale: "de-DE" });
  const q = await other.newPage();
  await q.goto(base + "/");
  await q.waitForFunction(() => window.aiswatchConsole?.lang);
  assert.equal(await q.getAttribute("html", "lang"), "en");
  await q.getByRole("button", { name: "Sign in" }).waitFor();
  await other.close();
  assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), []);
  await ctx.close();
});

test("a French centre's officer reads the console in French, with no English label left", async () => {
  // An English browser: the centre's language wins once signed in.
  const { ctx, page: p, errors } = await page("en-GB");
  await signIn(p, GOG);
  assert.equal(await p.getAttribute("html", "lang"), "fr");
  assert.equal(await p.locator("#lang-switch").inputValue(), "fr");
  await p.getByRole("button", { name: "Se déconnecter" }).waitFor();
  const violations = [];
  const pick = await mainViews(p, "fr", violations);
  // The kind in French, as the catalog says it.
  const kind = catalogs.fr[`kind-${pick.kind.replaceAll("_", "-")}`];
  assert.ok(kind && kind !== catalogs.en[`kind-${pick.kind.replaceAll("_", "-")}`]);
  assert.match(await p.locator("#detail-title").textContent(), new RegExp(`^${kind}`));
  // Once the map has flown to the alert and the vessels are drawn again.
  await p.waitForFunction(() => !document.querySelector("#map.leaflet-zoom-anim") &&
    document.querySelector("#map canvas.vessels")?.style.visibility !== "hidden");
  await p.screenshot({ path: path.join(SHOTS, "console-fr.png") });
  // Acknowledge in French: the form's labels are the catalog's.
  await p.getByLabel("Votre nom").fill("Lt. Diallo");
  await p.getByRole("button", { name: "Accuser réception" }).click();
  await p.locator(".acks li").filter({ hasText: "Lt. Diallo" }).waitFor();
  await assertNoEnglish(p, "fr", "acknowledged");
  // A vessel of the alert.
  await p.locator(".vessel-link").first().click();
  await p.locator("#detail dt", { hasText: "MMSI" }).waitFor();
  await assertNoEnglish(p, "fr", "vessel details");
  violations.push(...await axeViolations(p, "fr: vessel details"));
  assert.deepEqual(violations, [], "no serious or critical accessibility violations in French");
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});

test("a Portuguese centre's officer reads the console in Portuguese", async () => {
  const { ctx, page: p, errors } = await page("en-US");
  await signIn(p, ADEN);
  assert.equal(await p.getAttribute("html", "lang"), "pt");
  await p.getByRole("button", { name: "Sair" }).waitFor();
  await p.selectOption("#f-state", "");
  await p.waitForFunction(() => window.aiswatchConsole.vesselsLoaded > 0);
  await p.locator("#st-live.live").waitFor();
  await assertNoEnglish(p, "pt", "map and empty queue");
  assert.deepEqual(await axeViolations(p, "pt: map and queue"), []);
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});

test("the language switch overrides the centre's language for this browser, kept across reloads", async () => {
  const { ctx, page: p, errors } = await page("en-US");
  await signIn(p, GOG);
  assert.equal(await p.getAttribute("html", "lang"), "fr");
  // Labelled, in the header, reached by keyboard.
  const select = p.getByRole("combobox", { name: "Langue" });
  await select.focus();
  assert.equal(await p.evaluate(() => document.activeElement.id), "lang-switch");
  assert.deepEqual(await select.locator("option").allTextContents(), ["English", "Français", "Português"]);
  // Chosen: the page comes back in Portuguese, signed in still.
  await Promise.all([p.waitForEvent("load"), select.selectOption("pt")]);
  await p.waitForFunction(() => window.aiswatchConsole?.ready === true);
  assert.equal(await p.getAttribute("html", "lang"), "pt");
  assert.equal(await p.evaluate(() => localStorage.getItem("aiswatch.lang")), "pt");
  await mainViews(p, "pt", null);
  // English, by an officer who prefers it: the original labels.
  await Promise.all([p.waitForEvent("load"), p.getByRole("combobox", { name: "Língua" }).selectOption("en")]);
  await p.waitForFunction(() => window.aiswatchConsole?.ready === true);
  assert.equal(await p.getAttribute("html", "lang"), "en");
  await p.getByRole("button", { name: "Sign out" }).waitFor();
  assert.equal(await p.locator("#time-state").textContent(), "LIVE");
  // Kept for this browser: signed out and in again, still English.
  await p.getByRole("button", { name: "Sign out" }).click();
  await p.waitForFunction(() => window.aiswatchConsole?.lang === "en");
  await signIn(p, GOG);
  assert.equal(await p.getAttribute("html", "lang"), "en");
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});

test("an administrator reads English whatever the browser's language", async () => {
  const { ctx, page: p, errors } = await page("fr-FR");
  await p.goto(base + "/");
  await p.waitForFunction(() => window.aiswatchConsole?.lang === "fr");
  await signIn(p, ADMIN);
  assert.equal(await p.getAttribute("html", "lang"), "en");
  await p.getByRole("button", { name: "Alerts and map" }).waitFor();
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});

test("an administrator who chose French on the sign-in page: the Partners, Audit and Zones pages in French", async () => {
  const { ctx, page: p, errors } = await page("en-US");
  await p.goto(base + "/");
  await p.waitForFunction(() => window.aiswatchConsole?.lang === "en");
  // The switch on the sign-in page: applied at once, kept for this browser.
  await p.getByRole("combobox", { name: "Language" }).selectOption("fr");
  await p.waitForFunction(() => window.aiswatchConsole.lang === "fr");
  assert.equal(await p.getAttribute("html", "lang"), "fr");
  await p.getByLabel("Jeton d'API").waitFor();
  await signIn(p, ADMIN);
  assert.equal(await p.getAttribute("html", "lang"), "fr", "this browser's choice wins over the administrator's English");
  const violations = [];
  await p.getByRole("button", { name: "Partenaires" }).click();
  await p.waitForFunction(() => window.aiswatchConsole.view === "partners" && window.aiswatchConsole.federation);
  await assertNoEnglish(p, "fr", "Partners page");
  await p.getByRole("button", { name: "Journal d'audit" }).click();
  await p.waitForFunction(() => window.aiswatchConsole.audit);
  await assertNoEnglish(p, "fr", "Audit page");
  violations.push(...await axeViolations(p, "fr: audit"));
  await p.getByRole("button", { name: "Zones", exact: true }).click();
  await p.waitForFunction(() => window.aiswatchConsole.zones?.ready);
  await p.locator("#zone-list button[data-id]").first().click();
  await p.waitForFunction(() => window.aiswatchConsole.zones.check && window.aiswatchConsole.zones.history);
  await assertNoEnglish(p, "fr", "Zones page, a zone open");
  violations.push(...await axeViolations(p, "fr: zones"));
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});
