// The operations console end to end, in Debian's chromium (playwright-core,
// no browser download): `aiswatch run` on the shipped sample with two centres'
// tokens; sign in, see the vessels and the alert queue (counts equal the
// API's), open an alert and see its track, acknowledge it, and check that a
// second centre's token sees none of the first centre's alerts. No console
// errors in the page. Screenshots go to target/browser-shots/ (AISWATCH_SHOTS=docs
// refreshes the README's).
//
// Run by `cargo test` (tests/browser.rs), or alone:
//   cd tests/browser && npm ci && npm test
//   env: AISWATCH_BIN (default target/release/aiswatch), CHROMIUM (/usr/bin/chromium)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.AISWATCH_BIN || path.join(repo, "target/release/aiswatch");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const GOG = "gog-officer-token";       // MDAT-GoG: the sample's alerts are routed here
const ADEN = "mschoa-officer-token";   // MSCHOA: none of them
const ADMIN = "admin-token";
const SHOTS = process.env.AISWATCH_SHOTS || path.join(repo, "target/browser-shots");

let daemon, base, browser, dir;
const logs = [];

const freePort = () => new Promise((res, rej) => {
  const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); });
  s.on("error", rej);
});

async function api(p, token) {
  const r = await fetch(base + p, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: r.status, body: await r.json().catch(() => null) };
}

// Polls `f` until it returns a truthy value: the daemon's own answers are the signal.
async function until(what, f, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; daemon log:\n${logs.join("").slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const CENTRES = [
  ["MDAT-GoG", GOG], ["MSCHOA", ADEN], ["YARIS"], ["IFC Singapore"], ["UKMTO"],
  ["RMIFC Madagascar"], ["ReCAAP ISC"], ["RCOC Seychelles"],
];

before(async () => {
  assert.ok(fs.existsSync(BIN), `no daemon binary at ${BIN}: cargo build --release first`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiswatch-console-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const cfg = [
    `zones = "${path.join(repo, "zones")}"`,
    "[[sources]]", 'kind = "file"', 'id = "sample"', `path = "${path.join(repo, "deploy/sample/feed.nmea.gz")}"`,
    "[http]", `listen = "127.0.0.1:${port}"`,
    "[storage]", `data_dir = "${dir}"`,
    "[api]", `admin_tokens = ["${ADMIN}"]`,
    ...CENTRES.flatMap(([id, token]) => ["[[centres]]", `id = "${id}"`, ...(token ? [`api_tokens = ["${token}"]`] : [])]),
  ].join("\n");
  fs.writeFileSync(path.join(dir, "aiswatch.toml"), cfg);
  daemon = spawn(BIN, ["run", "--config", path.join(dir, "aiswatch.toml")], { stdio: ["ignore", "pipe", "pipe"] });
  daemon.stdout.on("data", (d) => logs.push(d.toString()));
  daemon.stderr.on("data", (d) => logs.push(d.toString()));
  // The sample is read once, as fast as it goes: wait until every line is in
  // (the message count stops moving) and the store has the alerts.
  let last = -1;
  await until("the sample to be ingested", async () => {
    const s = (await api("/api/v1/status", ADMIN)).body;
    const done = s && s.engine.messages > 0 && s.engine.messages === last && s.storage.positions_pending === 0;
    last = s ? s.engine.messages : -1;
    return done;
  });
  await until("alerts in the store", async () => (await api("/api/v1/alerts?limit=1", GOG)).body?.alerts.length > 0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  fs.mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  daemon?.kill("SIGTERM");
  if (daemon) await new Promise((r) => daemon.once("exit", r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function signedIn(token) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
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
  await page.screenshot({ path: path.join(SHOTS, "console-map.png") });

  // Open a dark period (its silence drawn dashed) or else the newest alert.
  const pick = all.find((a) => a.kind === "dark_period") || all[0];
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

  // Click a vessel of the alert: its identity.
  await page.locator(".vessel-link").first().click();
  await page.locator("#detail dt", { hasText: "MMSI" }).waitFor({ timeout: 10_000 })
    .catch((e) => { throw new Error(`vessel details not shown (page errors: ${errors.join("; ")}): ${e.message}`); });
  assert.deepEqual(errors, [], "no console errors");
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
