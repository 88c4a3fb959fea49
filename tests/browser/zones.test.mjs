// Zones for administrators, end to end in Debian's chromium (playwright-core,
// no browser download): `aiswatch run` on the shipped sample with a COPY of
// the repo's zones (the test edits them) and an administrator's and a
// centre's tokens.
//
// An administrator opens the Zones page, starts a new zone and draws a
// self-intersecting boundary (a bow tie) by clicking on the map: the daemon's
// geometry error is shown on the zone (red, with the message at the place)
// and beside the form. The boundary is fixed on the map (a vertex deleted
// with the keyboard, a vertex added after another, a vertex dragged): no
// problem left. Preview: the counts per kind, was and would be, equal an
// independent `aiswatch replay` of the sample with the zones as they are and
// with the edited set. Saved: the file on disk is the zone as drawn,
// `aiswatch zones check` passes on the directory, and the zone is in force
// (GET /api/v1/zones) within 2 s of the click. Two administrators edit the
// zone at once: the first save wins, the second is told plainly of the
// concurrent edit; the zone's history draws the older boundary beside the
// current one; deleted with If-Match. A centre's officer has no Zones page and
// its PUT is refused (403). axe-core finds no serious or critical violation
// on the page; no console errors beyond the answers the page expects.
//
// Screenshots: target/browser-shots/ (AISWATCH_SHOTS=docs refreshes the README's).
// Run by `cargo test` (tests/browser.rs), or alone:
//   cd tests/browser && npm ci && node --test zones.test.mjs
//   env: AISWATCH_BIN (default target/release/aiswatch), CHROMIUM (/usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { repo, startDaemon, launchChromium, axeViolations } from "./daemon.mjs";

const ADMIN = "admin-token";
const GOG = "gog-officer-token";
const FEED = path.join(repo, "deploy/sample/feed.nmea.gz");
const SHOTS = process.env.AISWATCH_SHOTS || path.join(repo, "target/browser-shots");
// The sample spans 8 hours (2026-01-01 00:00–08:00): a day back covers it all.
const HOURS = 24;
// The new zone: a port over where the sample's vessels loiter and meet (lat
// 3.7–4.5, lon 2.1–4.0, inside gog-offshore), so the preview's counts change.
// Its file, ID.geojson, sorts after the shipped ones: its place in load order
// is last, where the console puts a new zone in the candidate set.
const ID = "transit-holding";
const TL = [4.35, 2.3], BR = [3.7, 3.05], TR = [4.35, 3.05], BL = [3.7, 2.3];

let daemon, browser, original;
const api = (p, token = ADMIN) => daemon.api(p, token);

before(async () => {
  daemon = await startDaemon({
    sources: ["[[sources]]", 'kind = "file"', 'id = "sample"', `path = "${FEED}"`],
    tokens: { "MDAT-GoG": GOG },
    admin: ADMIN,
    copyZones: true,
  });
  // A copy of the zones as shipped, for the replay of "was".
  original = fs.mkdtempSync(path.join(os.tmpdir(), "aiswatch-zones-was-"));
  for (const f of fs.readdirSync(daemon.zones)) fs.copyFileSync(path.join(daemon.zones, f), path.join(original, f));
  let last = -1;
  await daemon.until("the sample to be ingested", async () => {
    const s = (await api("/api/v1/status")).body;
    const done = s && s.engine.messages > 0 && s.engine.messages === last && s.storage.positions_pending === 0;
    last = s ? s.engine.messages : -1;
    return done;
  });
  await daemon.until("alerts in the store", async () => (await api("/api/v1/alerts?limit=1")).body?.alerts.length > 0);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  if (original) fs.rmSync(original, { recursive: true, force: true });
});

// Answers other than 2xx that the page asks for and handles (Chromium logs
// each as a console error): a centre's probe of the partners (403) and its
// PUT below (403), the second administrator's stale save (412).
const EXPECTED = [
  [/\/api\/v1\/federation$/, 403],
  [/\/api\/v1\/zones\/[^/]+$/, 403],
  [/\/api\/v1\/zones\/[^/]+$/, 412],
];
const expected = (m) => /^Failed to load resource/.test(m.text()) &&
  EXPECTED.some(([url, status]) => url.test(m.location().url) && m.text().includes(`status of ${status}`));

async function signedIn(token) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error" && !expected(m)) errors.push(`${m.text()} (${m.location().url})`); });
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(daemon.base + "/");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForFunction(() => window.aiswatchConsole?.ready === true);
  return { ctx, page, errors };
}

// An administrator's Zones page, with `id` open if given.
async function zonesPage(id = null) {
  const o = await signedIn(ADMIN);
  await o.page.getByRole("button", { name: "Zones" }).click();
  await o.page.waitForFunction(() => window.aiswatchConsole.view === "zones" && window.aiswatchConsole.zones?.ready);
  if (id) await openZone(o.page, id);
  return o;
}
async function openZone(page, id) {
  await page.evaluate(() => { window.aiswatchConsole.zones.history = null; });
  await page.locator(`#zone-list button[data-id="${id}"]`).click();
  await page.waitForFunction((z) => window.aiswatchConsole.zones.edit?.original === z && window.aiswatchConsole.zones.history?.id === z, id);
  await checked(page);
}

// The daemon's check of the edit as it is now (debounced after each edit).
const checked = (page) => page.waitForFunction(() => {
  const z = window.aiswatchConsole.zones;
  return z.check && z.edit && z.check.rev === z.edit.rev && z.check;
}).then((h) => h.jsonValue());
const edit = (page) => page.evaluate(() => window.aiswatchConsole.zones.edit);
// Where [lat, lon] is on the page now.
const at = (page, [lat, lon]) => page.evaluate(([a, o]) => window.aiswatchConsole.zonesPoint(a, o), [lat, lon]);
const clickAt = async (page, ll) => { const p = await at(page, ll); await page.mouse.click(p.x, p.y); };
async function drag(page, vertex, to) {
  const box = await page.locator(".zone-vertex").nth(vertex).boundingBox();
  const p = await at(page, to);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(p.x, p.y, { steps: 10 });
  await page.mouse.up();
}
const near = (pos, [lat, lon], what) => assert.ok(Math.abs(pos[0] - lon) < 0.05 && Math.abs(pos[1] - lat) < 0.05,
  `${what}: ${JSON.stringify(pos)} is where [lon ${lon}, lat ${lat}] was clicked`);

// `aiswatch replay` of the sample with the zones in `dir`: distinct alert ids per kind.
function replayCounts(dir) {
  const r = spawnSync(daemon.bin, ["replay", "--zones", dir, FEED], { encoding: "utf8", maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, `aiswatch replay --zones ${dir}: ${r.stderr.slice(-2000)}`);
  const latest = new Map();
  for (const line of r.stdout.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    const a = JSON.parse(line);
    if (a.id && a.kind) latest.set(a.id, a);
  }
  const counts = {};
  for (const a of latest.values()) counts[a.kind] = (counts[a.kind] || 0) + 1;
  return counts;
}

test("an administrator draws a zone, sees its geometry error on it, fixes it, previews and saves it: live", async () => {
  const { ctx, page, errors } = await zonesPage("gog-offshore");
  assert.equal(await page.evaluate(() => document.activeElement.closest("#zones") !== null), true, "focus on the page");
  assert.equal(await page.locator("#zone-list button").count(), (await api("/api/v1/zones")).body.features.length);
  const violations = await axeViolations(page, "zones, a zone open");

  // A new zone: a port, drawn as a bow tie (its edges cross).
  await page.getByRole("button", { name: "New zone" }).click();
  assert.equal(await page.getByRole("button", { name: "Add vertices" }).getAttribute("aria-pressed"), "true");
  await page.getByLabel("Zone id").fill(ID);
  await page.getByLabel("Name", { exact: true }).fill("Transit holding area");
  await page.getByLabel("Zone kind").selectOption("port");
  await page.getByLabel("Centres").fill("MDAT-GoG");
  await page.getByRole("checkbox", { name: "dark period" }).check();
  for (const ll of [TL, BR, TR, BL]) await clickAt(page, ll);
  const bowTie = await checked(page);
  const drawn = (await edit(page)).feature;
  assert.equal(drawn.geometry.type, "Polygon");
  const ring = drawn.geometry.coordinates[0];
  assert.equal(ring.length, 5, `4 vertices and the closing one: ${JSON.stringify(ring)}`);
  [TL, BR, TR, BL].forEach((ll, i) => near(ring[i], ll, `vertex ${i + 1}`));
  assert.deepEqual(ring[4], ring[0], "closed");
  assert.equal(bowTie.ok, false);
  const geo = bowTie.errors.filter((p) => p.kind === "geometry");
  assert.ok(geo.length >= 1, `a geometry error: ${JSON.stringify(bowTie.errors)}`);
  assert.ok(geo.every((p) => p.id === ID || p.zoneId === "\u0000edited"), "about the new zone");
  // On the map: the zone in red, the message at it; and in the list beside the form.
  await page.locator("path.zone-edit.invalid").waitFor();
  const tip = page.locator(".leaflet-tooltip.zone-problem", { hasText: geo[0].message });
  await tip.first().waitFor();
  await page.locator("#zone-problems li", { hasText: geo[0].message }).waitFor();
  assert.match(await page.locator("#zone-check-state").textContent(), /problem/);
  await page.screenshot({ path: path.join(SHOTS, "console-zones-error.png") });
  violations.push(...await axeViolations(page, "zones, a geometry error"));

  // Fixed on the map. The 4th vertex deleted by keyboard (Delete on it)…
  await page.locator(".zone-vertex").nth(3).focus();
  await page.keyboard.press("Delete");
  await page.waitForFunction(() => window.aiswatchConsole.zones.edit.vertices === 3);
  // …the first selected and a vertex added after it (top left, bottom left, bottom right, top right)…
  await page.locator(".zone-vertex").nth(0).click();
  await page.waitForFunction(() => window.aiswatchConsole.zones.edit.selected?.i === 0);
  await clickAt(page, BL);
  await page.waitForFunction(() => window.aiswatchConsole.zones.edit.vertices === 4);
  // …and the top right one dragged a little further out.
  const TR2 = [TR[0] + 0.1, TR[1] + 0.15];
  await drag(page, 3, TR2);
  const fixed = await checked(page);
  assert.deepEqual(fixed.errors, [], "no problem left");
  assert.equal(fixed.ok, true);
  const zone = (await edit(page)).feature;
  [TL, BL, BR, TR2].forEach((ll, i) => near(zone.geometry.coordinates[0][i], ll, `fixed vertex ${i + 1}`));
  assert.equal(await page.locator(".leaflet-tooltip.zone-problem").count(), 0);
  assert.equal(await page.locator("path.zone-edit.invalid").count(), 0);
  await page.locator("path.zone-edit").waitFor();
  assert.match(await page.locator("#zone-check-state").textContent(), /No problems/);
  // The same boundary as text, for the keyboard.
  await page.getByText("Coordinates (GeoJSON)", { exact: true }).first().click();
  assert.deepEqual(JSON.parse(await page.getByLabel("Coordinates (GeoJSON)").inputValue()), zone.geometry);
  assert.deepEqual(zone.properties, { id: ID, name: "Transit holding area", kind: "port", centre: ["MDAT-GoG"], detect: { dark_period: {} } });

  // Preview: the counts per kind equal a replay of the sample with the zones as
  // they are (was) and with the edited set (would be: the shipped files and the new one).
  await page.getByLabel("Preview hours").fill(String(HOURS));
  const t0 = Date.now();
  await page.getByRole("button", { name: "Preview" }).click();
  const preview = await page.waitForFunction(() => window.aiswatchConsole.zones.preview).then((h) => h.jsonValue());
  const previewMs = Date.now() - t0;
  assert.equal(preview.status, 200, JSON.stringify(preview));
  const edited = fs.mkdtempSync(path.join(os.tmpdir(), "aiswatch-zones-edited-"));
  try {
    for (const f of fs.readdirSync(original)) fs.copyFileSync(path.join(original, f), path.join(edited, f));
    fs.writeFileSync(path.join(edited, `${ID}.geojson`), JSON.stringify({ type: "FeatureCollection", features: [zone] }, null, 2));
    const t1 = Date.now();
    const [was, wouldBe] = [replayCounts(original), replayCounts(edited)];
    console.log(`preview ${previewMs} ms in the console; two replays ${Date.now() - t1} ms`);
    console.log(`replay, was: ${JSON.stringify(was)}; would be: ${JSON.stringify(wouldBe)}; preview: ${JSON.stringify(preview.summary)}`);
    const kinds = [...new Set([...Object.keys(was), ...Object.keys(wouldBe), ...Object.keys(preview.summary)])].sort();
    for (const k of kinds) {
      const s = preview.summary[k] || { was: 0, would_be: 0, added: 0, removed: 0, unchanged: 0 };
      assert.equal(s.was, was[k] || 0, `${k}: was`);
      assert.equal(s.would_be, wouldBe[k] || 0, `${k}: would be`);
      assert.equal(s.unchanged + s.added, s.would_be, `${k}: unchanged + added = would be`);
      assert.equal(s.unchanged + s.removed, s.was, `${k}: unchanged + removed = was`);
      // The table shows the same.
      const row = page.locator(`.zone-preview-table tr[data-kind="${k}"]`);
      if (preview.summary[k]) {
        assert.deepEqual(await row.locator("td").allTextContents(),
          [s.was, s.would_be, s.added, s.removed, s.unchanged].map(String), `${k}: the table`);
      }
    }
    assert.notDeepEqual(was, wouldBe, "the new port changes what is raised");
  } finally {
    fs.rmSync(edited, { recursive: true, force: true });
  }
  // The would-be alerts on the map (and the ones that would go).
  const removed = Object.values(preview.summary).reduce((n, s) => n + s.removed, 0);
  assert.equal(await page.locator("path.preview-alert").count(), preview.wouldBe + removed);
  await page.locator("#zone-preview").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SHOTS, "console-zones-preview.png") });
  violations.push(...await axeViolations(page, "zones, preview"));

  // Save: a new zone (no If-Match), live once answered.
  const saveClick = Date.now();
  await page.getByRole("button", { name: "Save" }).click();
  await page.locator("#zone-save-state", { hasText: "Saved — live" }).waitFor();
  await daemon.until(`${ID} in force`, async () =>
    (await api("/api/v1/zones")).body.features.some((f) => f.properties.id === ID), 5_000);
  const liveMs = Date.now() - saveClick;
  console.log(`save click to GET /api/v1/zones listing it: ${liveMs} ms (PUT answered in ${(await page.evaluate(() => window.aiswatchConsole.zones.saved)).ms} ms)`);
  assert.ok(liveMs <= 2000, `live within 2 s of the click (${liveMs} ms)`);
  assert.equal((await page.evaluate(() => window.aiswatchConsole.zones.saved)).status, 201);
  // The file is the zone as drawn; the directory passes `aiswatch zones check`.
  const file = JSON.parse(fs.readFileSync(path.join(daemon.zones, `${ID}.geojson`), "utf8"));
  const onDisk = file.type === "FeatureCollection" ? file.features : [file];
  assert.equal(onDisk.length, 1);
  assert.deepEqual(onDisk[0].properties, zone.properties);
  assert.deepEqual(onDisk[0].geometry, zone.geometry);
  const chk = spawnSync(daemon.bin, ["zones", "check", daemon.zones], { encoding: "utf8" });
  assert.equal(chk.status, 0, `aiswatch zones check: ${chk.stdout}${chk.stderr}`);
  // As the API has it, with the ETag the page now holds.
  const got = await fetch(`${daemon.base}/api/v1/zones/${ID}`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  assert.equal(got.status, 200);
  assert.equal(got.headers.get("etag"), (await edit(page)).etag);
  // In the list, and a first version in its history.
  await page.locator(`#zone-list button[data-id="${ID}"]`).waitFor();
  await page.waitForFunction((id) => window.aiswatchConsole.zones.history?.id === id && window.aiswatchConsole.zones.history.versions >= 1, ID);
  assert.deepEqual(violations, [], "no serious or critical accessibility violations");
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});

test("two administrators edit the zone at once: the second is told of the concurrent edit; history; delete", async () => {
  const a = await zonesPage(ID);
  const b = await zonesPage(ID);
  const before = (await edit(a.page)).feature;
  // Both change it: one moves a vertex, the other renames it.
  const [lon, lat] = before.geometry.coordinates[0][1];
  await drag(a.page, 1, [lat - 0.05, lon - 0.05]);
  assert.equal((await checked(a.page)).ok, true);
  await b.page.getByLabel("Name", { exact: true }).fill("Transit holding area (renamed)");
  assert.equal((await checked(b.page)).ok, true);
  // The first save wins…
  await a.page.getByRole("button", { name: "Save" }).click();
  await a.page.locator("#zone-save-state", { hasText: "Saved — live" }).waitFor();
  assert.equal((await a.page.evaluate(() => window.aiswatchConsole.zones.saved)).status, 200);
  // …the second is refused, plainly.
  await b.page.getByRole("button", { name: "Save" }).click();
  const alert = b.page.getByRole("alert").filter({ hasText: "concurrent edit" });
  await alert.waitFor();
  assert.equal(await alert.textContent(),
    "This zone was changed by someone else since you opened it (concurrent edit) — reload to see their version");
  assert.equal((await b.page.evaluate(() => window.aiswatchConsole.zones.saved)).status, 412);
  const stored = JSON.parse(fs.readFileSync(path.join(daemon.zones, `${ID}.geojson`), "utf8"));
  const feature = stored.type === "FeatureCollection" ? stored.features[0] : stored;
  assert.equal(feature.properties.name, "Transit holding area", "the second edit is not saved");
  assert.deepEqual(feature.geometry, (await edit(a.page)).feature.geometry, "the first one is");
  assert.deepEqual(await axeViolations(b.page, "zones, a concurrent edit refused"), []);
  // Reloaded: the other's version.
  const stale = (await edit(b.page)).etag;
  await b.page.getByRole("button", { name: "Reload this zone" }).click();
  await b.page.waitForFunction((e) => window.aiswatchConsole.zones.edit?.etag !== e, stale);
  assert.equal((await edit(b.page)).etag, (await edit(a.page)).etag, "the version saved by the other");
  assert.deepEqual((await edit(b.page)).feature.geometry, feature.geometry);
  assert.equal(await b.page.getByLabel("Name", { exact: true }).inputValue(), "Transit holding area");

  // History: two versions, newest first; the older drawn dashed beside the current one.
  await a.page.waitForFunction(() => window.aiswatchConsole.zones.history?.versions === 2);
  const versions = (await api(`/api/v1/zones/${ID}/versions`)).body.versions;
  assert.equal(versions.length, 2);
  assert.equal(versions[0].until, null);
  assert.ok(versions[1].until, "the first version ended");
  assert.deepEqual(versions[1].feature.geometry, before.geometry);
  const rows = a.page.locator("#zone-history-body tbody tr");
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).textContent(), /in force/);
  await rows.nth(1).getByRole("button", { name: /^Show the version/ }).click();
  await a.page.locator("path.zone-old").waitFor();
  assert.equal(await rows.nth(1).getByRole("button").getAttribute("aria-pressed"), "true");
  await a.page.locator("path.zone-edit").waitFor();
  await a.page.screenshot({ path: path.join(SHOTS, "console-zones-history.png") });
  assert.deepEqual(await axeViolations(a.page, "zones, history"), []);

  // Deleted, with If-Match: out of force and off the disk.
  await a.page.getByRole("button", { name: "Delete", exact: true }).click();
  await a.page.getByRole("button", { name: `Delete ${ID} for good` }).click();
  await a.page.locator("#zones-state", { hasText: `Deleted ${ID}` }).waitFor();
  assert.equal((await a.page.evaluate(() => window.aiswatchConsole.zones.deleted)).status, 204);
  assert.equal((await api("/api/v1/zones")).body.features.some((f) => f.properties.id === ID), false);
  assert.equal(fs.existsSync(path.join(daemon.zones, `${ID}.geojson`)), false);
  assert.equal(await a.page.locator(`#zone-list button[data-id="${ID}"]`).count(), 0);
  assert.deepEqual([...a.errors, ...b.errors], [], "no console errors");
  await a.ctx.close();
  await b.ctx.close();
});

test("a centre's officer has no Zones page, and its PUT is refused", async () => {
  const { ctx, page, errors } = await signedIn(GOG);
  assert.equal(await page.getByRole("button", { name: "Zones" }).count(), 0, "no Zones button");
  assert.equal(await page.locator("#zones").isHidden(), true);
  assert.equal(await page.locator("#zone-form, #zone-new, #zone-draw").count(), 0, "no editing controls");
  const status = await page.evaluate(async (token) => (await fetch("/api/v1/zones/x", {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ type: "Feature", properties: { id: "x", kind: "patrol" },
      geometry: { type: "Polygon", coordinates: [[[1, 1], [2, 1], [2, 2], [1, 1]]] } }),
  })).status, GOG);
  assert.equal(status, 403);
  assert.equal(fs.existsSync(path.join(daemon.zones, "x.geojson")), false);
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});
