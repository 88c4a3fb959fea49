// The operations console end to end, in Debian's chromium (playwright-core,
// no browser download): `aiswatch run` on the shipped sample with two centres'
// tokens; sign in, see the vessels and the alert queue (counts equal the
// API's), open an alert and see its track, acknowledge it, and check that a
// second centre's token sees none of the first centre's alerts. No console
// errors in the page. Also: the time slider shows the vessels of a past
// time (count equal to the API's), an acknowledgement reaches a second page of
// the same centre live (and not the other centre's), keyboard operation (Tab
// to the queue, Enter opens, Escape closes), and axe-core finds no serious or
// critical accessibility violation in the main views. Screenshots go to
// target/browser-shots/ (AISWATCH_SHOTS=docs refreshes the README's), at
// 1366×768 and on a 2560×1440 wall display.
//
// Run by `cargo test` (tests/browser.rs), or alone:
//   cd tests/browser && npm ci && npm test
//   env: AISWATCH_BIN (default target/release/aiswatch), CHROMIUM (/usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { repo, startDaemon, launchChromium } from "./daemon.mjs";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const GOG = "gog-officer-token";       // MDAT-GoG: the sample's alerts are routed here
const ADEN = "mschoa-officer-token";   // MSCHOA: none of them
const ADMIN = "admin-token";
const SHOTS = process.env.AISWATCH_SHOTS || path.join(repo, "target/browser-shots");

let daemon, base, browser;
const api = (p, token) => daemon.api(p, token);

before(async () => {
  daemon = await startDaemon({
    sources: ["[[sources]]", 'kind = "file"', 'id = "sample"', `path = "${path.join(repo, "deploy/sample/feed.nmea.gz")}"`],
    tokens: { "MDAT-GoG": GOG, MSCHOA: ADEN },
    admin: ADMIN,
  });
  base = daemon.base;
  // The sample is read once, as fast as it goes: wait until every line is in
  // (the message count stops moving) and the store has the alerts.
  let last = -1;
  await daemon.until("the sample to be ingested", async () => {
    const s = (await api("/api/v1/status", ADMIN)).body;
    const done = s && s.engine.messages > 0 && s.engine.messages === last && s.storage.positions_pending === 0;
    last = s ? s.engine.messages : -1;
    return done;
  });
  await daemon.until("alerts in the store", async () => (await api("/api/v1/alerts?limit=1", GOG)).body?.alerts.length > 0);
  browser = await launchChromium();
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

// axe-core's serious and critical violations in the page as it is now.
async function axeViolations(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  console.log(`axe, ${what}: ${r.passes.length} rules pass, violations: ${r.violations.map((v) => `${v.id} (${v.impact})`).join(", ") || "none"}`);
  return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${what}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}

// Every vessel's last stored position at or before `to` within [from, to], as the API pages them.
async function vesselsAt(from, to, token) {
  let n = 0, cursor = null;
  do {
    const q = `/api/v1/positions?bbox=-180,-90,180,90&latest=true&limit=10000&from=${encodeURIComponent(from)}` +
      `&to=${encodeURIComponent(to)}${cursor ? `&cursor=${cursor}` : ""}`;
    const page = (await api(q, token)).body;
    n += page.vessels.length;
    cursor = page.next_cursor;
  } while (cursor);
  return n;
}

async function signedIn(token, viewport = { width: 1366, height: 768 }) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  const t0 = Date.now();
  await page.goto(base + "/");
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForFunction(() => window.aiswatchConsole?.ready === true);
  return { ctx, page, errors, readyMs: Date.now() - t0 };
}

test("a wrong token is refused at sign-in", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(base + "/");
  assert.deepEqual(await axeViolations(page, "sign-in"), []);
  await page.getByLabel("API token").fill("not-a-token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Unknown token.").waitFor();
  assert.equal(await page.locator("#app").isHidden(), true);
  await ctx.close();
});

test("an officer sees vessels and alerts, opens one, acknowledges it; another centre sees none of it", async () => {
  const { ctx, page, errors, readyMs } = await signedIn(GOG);
  console.log(`sign-in to ready (zones, alerts, vessels, status loaded): ${readyMs} ms`);

  // Vessels on the map: as many as the API has with a position.
  const listed = (await api("/api/v1/vessels?bbox=-180,-90,180,90&limit=10000", GOG)).body;
  const withPos = listed.vessels.filter((v) => v.lat != null).length;
  assert.ok(withPos > 0);
  await page.waitForFunction((n) => window.aiswatchConsole.vesselsLoaded === n, withPos);

  // The queue: open alerts by default, the API's count.
  const open = (await api("/api/v1/alerts?state=open&limit=10000", GOG)).body.alerts;
  const all = (await api("/api/v1/alerts?limit=10000", GOG)).body.alerts;
  assert.ok(all.length > 0);
  assert.equal(await page.locator("#queue-count").textContent(), String(open.length));
  await page.selectOption("#f-state", "");
  assert.equal(await page.locator("#queue-count").textContent(), String(all.length));
  assert.equal(await page.locator("#alerts li").count(), all.length);
  // Feed health in the status strip.
  await page.locator("#st-sources .src", { hasText: "sample" }).waitFor();
  // The engine's lag, in a unit that fits (the sample is older than the wall clock).
  assert.match(await page.locator("#st-lag").textContent(), /^\d+ (s|min|h|d)$/);
  await page.screenshot({ path: path.join(SHOTS, "console-map.png") });
  const violations = await axeViolations(page, "map and queue");

  // Look back 3 h: the vessels as they were, as many as the API has then.
  assert.equal(await page.locator("#time-state").textContent(), "LIVE");
  await page.locator("#time").fill("-180");
  const at = await page.waitForFunction(() => window.aiswatchConsole.vesselsAt).then((h) => h.jsonValue());
  const clock = Date.parse((await api("/api/v1/status", GOG)).body.clock);
  assert.equal(Date.parse(at.at), clock - 180 * 60e3, "3 h before the engine clock");
  assert.equal(at.count, await vesselsAt(at.from, at.at, GOG), "vessels shown = the API's at that time");
  assert.ok(at.count > 0);
  await page.locator("#time-state", { hasText: `Looking back to ${at.at.slice(11, 16)} UTC` }).waitFor();
  await page.waitForFunction((t) => window.aiswatchConsole.lastDraw?.at === Date.parse(t), at.at);
  // Keyboard: one step back is a minute earlier.
  await page.locator("#time").focus();
  await page.keyboard.press("ArrowLeft");
  await page.waitForFunction((t) => window.aiswatchConsole.vesselsAt?.at === t,
    new Date(Date.parse(at.at) - 60e3).toISOString().replace(/\.\d+Z$/, "Z"));
  await page.screenshot({ path: path.join(SHOTS, "console-lookback.png") });
  await page.getByRole("button", { name: "Back to live" }).click();
  await page.waitForFunction(() => window.aiswatchConsole.vesselsAt === null && window.aiswatchConsole.lastDraw?.at === null);
  assert.equal(await page.locator("#time-state").textContent(), "LIVE");

  // Keyboard: Tab from the last filter reaches the queue; Enter opens; Escape closes.
  const first = await page.locator("#alerts li").first().getAttribute("data-id");
  await page.locator("#f-zone").focus();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), first);
  await page.keyboard.press("Enter");
  await page.waitForFunction((id) => window.aiswatchConsole.alertShown === id, first);
  assert.equal(await page.locator("#detail").isVisible(), true);
  violations.push(...await axeViolations(page, "alert details"));
  await page.keyboard.press("Escape");
  await page.locator("#detail").waitFor({ state: "hidden" });
  assert.equal(await page.evaluate(() => document.activeElement.dataset.id), first, "focus back in the queue");

  // Why an alert fired: a table of its details with units, durations in hours and minutes
  // rather than raw JSON (kept, collapsed, below it).
  const timed = all.find((a) => Object.entries(a.details).some(([k, v]) => k.endsWith("_s") && v >= 60));
  assert.ok(timed, "an alert with a duration in its details");
  await page.locator(`#alerts li[data-id="${timed.id}"]`).click();
  await page.waitForFunction((id) => window.aiswatchConsole.alertShown === id, timed.id);
  const why = await page.locator("#detail-body table.why").first().textContent();
  assert.match(why, /\d+ h \d+ min|\d+ min/, `durations formatted: ${why}`);
  assert.doesNotMatch(why, /[{}"]/, "no raw JSON in the table");
  assert.equal(await page.locator("#detail-body details.raw").getAttribute("open"), null, "raw JSON collapsed");
  assert.equal(JSON.parse(await page.locator("#detail-body details.raw pre").textContent()).constructor, Object);
  await page.keyboard.press("Escape");
  await page.locator("#detail").waitFor({ state: "hidden" });

  // Two more officers: one of the same centre with the alert open, one of another centre.
  const mate = await signedIn(GOG);
  const aden = await signedIn(ADEN);
  for (const o of [mate, aden]) await o.page.locator("#st-live.live").waitFor();

  // Open a dark period (its silence drawn dashed) or else the newest alert.
  const pick = all.find((a) => a.kind === "dark_period") || all[0];
  await mate.page.selectOption("#f-state", "");
  await mate.page.locator(`#alerts li[data-id="${pick.id}"]`).click();
  await mate.page.waitForFunction((id) => window.aiswatchConsole.alertShown === id, pick.id);
  await page.locator(`#alerts li[data-id="${pick.id}"]`).click();
  await page.waitForFunction((id) => window.aiswatchConsole.alertShown === id, pick.id);
  await page.locator("#detail-title").filter({ hasText: pick.zone_name || pick.zone }).waitFor();
  const tracks = await page.locator(".leaflet-overlay-pane path.leaflet-interactive").count();
  assert.ok(tracks >= 2, `zones and the alert's track drawn (${tracks} paths)`);
  assert.equal(await page.locator(".alert-mark").count(), 1);
  if (pick.kind === "dark_period") assert.ok(await page.locator(".dark-gap").count() >= 1, "dark gap dashed");
  await page.screenshot({ path: path.join(SHOTS, "console-alert.png") });

  // Acknowledge: stored, shown, and seen by the API for this centre.
  await page.getByLabel("Your name").fill("Lt. Diallo");
  await page.getByLabel("Note").fill("Patrol boat tasked.");
  await page.getByRole("button", { name: "Acknowledge" }).click();
  await page.locator(".acks li").filter({ hasText: "Lt. Diallo" }).waitFor();
  const detail = (await api(`/api/v1/alerts/${encodeURIComponent(pick.id)}`, GOG)).body;
  assert.deepEqual(detail.acks.map((k) => [k.by, k.note, k.centre]), [["Lt. Diallo", "Patrol boat tasked.", "MDAT-GoG"]]);
  await page.locator(`#alerts li.acked[data-id="${pick.id}"]`).waitFor();
  await page.screenshot({ path: path.join(SHOTS, "console-ack.png") });
  // Pushed live: the other officer of the centre sees it without reloading, in the queue and the open details.
  await mate.page.locator(`#alerts li.acked[data-id="${pick.id}"]`).waitFor({ timeout: 10_000 });
  await mate.page.locator(".acks li").filter({ hasText: "Lt. Diallo" }).waitFor({ timeout: 10_000 });
  assert.equal(await mate.page.evaluate(() => window.aiswatchConsole.acksReceived), 1);
  // The other centre's page got nothing (its stream had the same chance).
  assert.equal(await aden.page.evaluate(() => window.aiswatchConsole.acksReceived ?? 0), 0);
  assert.deepEqual([...mate.errors, ...aden.errors], [], "no console errors");
  await mate.ctx.close();
  await aden.ctx.close();

  // Click a vessel of the alert: its identity.
  await page.locator(".vessel-link").first().click();
  await page.locator("#detail dt", { hasText: "MMSI" }).waitFor({ timeout: 10_000 })
    .catch((e) => { throw new Error(`vessel details not shown (page errors: ${errors.join("; ")}): ${e.message}`); });
  assert.deepEqual(errors, [], "no console errors");
  assert.deepEqual(violations, [], "no serious or critical accessibility violations");
  await ctx.close();

  // Another centre: none of those alerts, in the page or the API.
  const other = await signedIn(ADEN);
  assert.equal((await api("/api/v1/alerts?limit=10000", ADEN)).body.alerts.length, 0);
  assert.equal((await api(`/api/v1/alerts/${encodeURIComponent(pick.id)}`, ADEN)).status, 404);
  await other.page.selectOption("#f-state", "");
  assert.equal(await other.page.locator("#queue-count").textContent(), "0");
  assert.equal(await other.page.locator("#alerts li").count(), 0);
  assert.deepEqual(other.errors, [], "no console errors");
  await other.ctx.close();
});

test("a wall display: the same console, larger type", async () => {
  const { ctx, page, errors } = await signedIn(GOG, { width: 2560, height: 1440 });
  await page.waitForFunction(() => window.aiswatchConsole.vesselsLoaded > 0 && window.aiswatchConsole.lastDraw?.vessels > 0);
  await page.selectOption("#f-state", "");
  const px = await page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert.ok(px >= 20, `type on the wall is ${px}px`);
  await page.screenshot({ path: path.join(SHOTS, "console-wall.png") });
  const violations = await axeViolations(page, "wall");
  await page.locator("#alerts li").first().click();
  await page.waitForFunction(() => window.aiswatchConsole.alertShown);
  violations.push(...await axeViolations(page, "wall, alert details"));
  assert.deepEqual(violations, []);
  assert.deepEqual(errors, [], "no console errors");
  await ctx.close();
});
