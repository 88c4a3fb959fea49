// Console performance on this machine. Not part of
// `npm test`: run it with
//   cd tests/browser && npm ci && npm run bench      (AISWATCH_BIN, CHROMIUM as for the test)
//   env: BENCH_VESSELS (20000), BENCH_RATE (1000 positions/s), BENCH_SECONDS (20), BENCH_RUNS (3)
//
// A daemon with a TCP source; this script is the receiver pushing lines to
// it: valid AIVDM type 1 position reports (6-bit armoured, checksummed,
// tag-block `c:` time = now) for BENCH_VESSELS vessels, seeded, spread over
// the Gulf of Guinea patrol zone. Then in Debian's chromium at 1366×768:
//  - first paint: first-contentful-paint of the sign-in page (PerformanceObserver);
//  - sign-in to all vessels drawn: from the click on "Sign in" to the
//    console's canvas having drawn every vessel (median of BENCH_RUNS fresh pages);
//  - frames: requestAnimationFrame deltas (median, p95, max) and long tasks
//    (PerformanceObserver longtask) over BENCH_SECONDS with the page idle (the
//    baseline: same page, same vessels, no new positions), then over
//    BENCH_SECONDS while BENCH_RATE positions/s arrive; the ratio of the two;
//    and over BENCH_SECONDS / 2 while the map is dragged about with the mouse
//    (every frame redraws all vessels) with the feed still on.

import net from "node:net";
import { startDaemon, launchChromium } from "./daemon.mjs";

const N = Number(process.env.BENCH_VESSELS || 20000);
const RATE = Number(process.env.BENCH_RATE || 1000);
const SECONDS = Number(process.env.BENCH_SECONDS || 20);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const TOKEN = "bench-token";

// ---- AIVDM ------------------------------------------------------------------------

const checksum = (s) => [...s].reduce((x, c) => x ^ c.charCodeAt(0), 0).toString(16).toUpperCase().padStart(2, "0");

/// `!AIVDM` type 1 with a `c:` tag block. lon/lat degrees, sog knots, cog degrees.
function aivdm1({ mmsi, lon, lat, sog, cog, t }) {
  const fields = [
    [1, 6], [0, 2], [mmsi, 30], [0, 4], [0x80, 8], [Math.round(sog * 10), 10], [0, 1],
    [Math.round(lon * 600000), 28], [Math.round(lat * 600000), 27], [Math.round(cog * 10) % 3600, 12],
    [Math.round(cog) % 360, 9], [t % 60, 6], [0, 2], [0, 3], [0, 1], [0, 19],
  ];
  let bits = "";
  for (const [v, n] of fields) bits += (BigInt.asUintN(n, BigInt(v))).toString(2).padStart(n, "0");
  let payload = "";
  for (let i = 0; i < bits.length; i += 6) {
    const v = parseInt(bits.slice(i, i + 6), 2);
    payload += String.fromCharCode(v < 40 ? v + 48 : v + 56);
  }
  const body = `AIVDM,1,1,,A,${payload},0`;
  const tag = `c:${t}`;
  return `\\${tag}*${checksum(tag)}\\!${body}*${checksum(body)}`;
}

// A small seeded generator (mulberry32): the same fleet every run.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = rng(10);
// Inside the Gulf of Guinea patrol zone (zones/gulf_of_guinea.geojson): on screen at sign-in.
const fleet = Array.from({ length: N }, (_, i) => ({
  mmsi: 538000000 + i, lon: 0.5 + rand() * 7, lat: 1 + rand() * 3, sog: 2 + rand() * 12, cog: rand() * 360,
}));
const report = (v) => aivdm1({ ...v, t: Math.floor(Date.now() / 1000) });

function move(v) {
  const d = (v.sog / 3600) * 10 / 60; // ten seconds of sailing, degrees
  v.lon += d * Math.sin((v.cog * Math.PI) / 180);
  v.lat += d * Math.cos((v.cog * Math.PI) / 180);
}

// ---- stats ----------------------------------------------------------------------------

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};
const median = (xs) => quantile(xs, 0.5);
const r1 = (x) => Math.round(x * 10) / 10;

// Frame deltas and long tasks in the page for `ms`.
async function frames(page, ms) {
  return page.evaluate((ms) => new Promise((resolve) => {
    const deltas = [], long = [];
    const obs = new PerformanceObserver((l) => l.getEntries().forEach((e) => long.push(e.duration)));
    obs.observe({ type: "longtask" });
    let last = performance.now();
    const end = last + ms;
    const draws0 = window.aiswatchConsole.draws || 0;
    const tick = (now) => {
      deltas.push(now - last);
      last = now;
      if (now < end) requestAnimationFrame(tick);
      else { obs.disconnect(); resolve({ deltas, long, draws: (window.aiswatchConsole.draws || 0) - draws0 }); }
    };
    requestAnimationFrame(tick);
  }), ms);
}

const summary = (f) => ({
  frames: f.deltas.length, median_ms: r1(median(f.deltas)), p95_ms: r1(quantile(f.deltas, 0.95)),
  max_ms: r1(Math.max(...f.deltas)), long_tasks: f.long.length, long_task_ms: Math.round(f.long.reduce((a, b) => a + b, 0)),
  canvas_redraws: f.draws,
});

// ---- run ----------------------------------------------------------------------------------

const daemon = await startDaemon({
  sources: ["[[sources]]", 'kind = "tcp_server"', 'id = "bench"', 'bind = "127.0.0.1:0"'],
  tokens: { "MDAT-GoG": TOKEN },
  admin: "bench-admin",
});
let browser;
try {
  await daemon.until("the API", async () => (await daemon.api("/api/v1/status", TOKEN)).status === 200);
  const [feedHost, feedPort] = (await daemon.address("Listening for TCP connections.")).split(/:(?=\d+$)/);
  const sock = net.connect(Number(feedPort), feedHost);
  await new Promise((r, j) => { sock.once("connect", r); sock.once("error", j); });
  const write = (lines) => new Promise((r) => (sock.write(lines.join("\r\n") + "\r\n") ? r() : sock.once("drain", r)));
  for (let i = 0; i < N; i += 1000) await write(fleet.slice(i, i + 1000).map(report));
  await daemon.until(`${N} vessels tracked and stored`, async () => {
    const s = (await daemon.api("/api/v1/status", TOKEN)).body;
    return s.vessels >= N && s.storage.positions_pending === 0;
  });

  browser = await launchChromium();
  const errors = [];
  const open = async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await ctx.newPage();
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(daemon.base + "/");
    const fcp = await page.evaluate(() => new Promise((resolve) => {
      new PerformanceObserver((l) => {
        const e = l.getEntries().find((x) => x.name === "first-contentful-paint");
        if (e) resolve(e.startTime);
      }).observe({ type: "paint", buffered: true });
    }));
    await page.getByLabel("API token").fill(TOKEN);
    const t0 = Date.now();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForFunction((n) => window.aiswatchConsole?.lastDraw?.vessels >= n, N, { timeout: 120_000 });
    return { ctx, page, fcp, drawnMs: Date.now() - t0 };
  };
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await open();
    runs.push(r);
    if (i < RUNS - 1) await r.ctx.close();
  }
  const { page } = runs[runs.length - 1];
  const lastDraw = await page.evaluate(() => window.aiswatchConsole.lastDraw);

  const idle = summary(await frames(page, SECONDS * 1000));
  // BENCH_RATE positions/s, in 20 writes a second, each vessel moved on.
  let sent = 0, k = 0;
  const t0 = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - t0) / 1000) * RATE) - sent;
    const lines = [];
    for (let i = 0; i < due; i++) { const v = fleet[k++ % N]; move(v); lines.push(report(v)); }
    sent += due;
    if (lines.length) sock.write(lines.join("\r\n") + "\r\n");
  }, 50);
  const fed = summary(await frames(page, SECONDS * 1000));
  // Drag the map (the feed still on): the canvas follows every frame.
  let dragging = true;
  const drag = (async () => {
    await page.mouse.move(800, 400);
    await page.mouse.down();
    for (let i = 0; dragging; i++) await page.mouse.move(800 + 150 * Math.sin(i / 10), 400 + 80 * Math.cos(i / 13), { steps: 2 });
    await page.mouse.up();
  })();
  const panned = summary(await frames(page, (SECONDS * 1000) / 2));
  dragging = false;
  await drag;
  clearInterval(timer);
  const rate = Math.round((sent * 1000) / (Date.now() - t0));
  sock.end();

  const out = {
    vessels: N,
    first_contentful_paint_ms: runs.map((r) => Math.round(r.fcp)),
    first_contentful_paint_median_ms: Math.round(median(runs.map((r) => r.fcp))),
    signin_to_all_drawn_ms: runs.map((r) => r.drawnMs),
    signin_to_all_drawn_median_ms: median(runs.map((r) => r.drawnMs)),
    one_canvas_draw_ms: r1(lastDraw.ms),
    idle,
    feed: { positions_per_s: rate, ...fed },
    feed_and_dragging: panned,
    ratio_p95_feed_over_idle: r1(fed.p95_ms / idle.p95_ms),
    ratio_median_feed_over_idle: r1(fed.median_ms / idle.median_ms),
    console_errors: errors,
  };
  console.log(JSON.stringify(out, null, 2));
  if (errors.length) process.exitCode = 1;
} finally {
  await browser?.close();
  await daemon.stop();
}
