// Shared by the console test and the console benchmark: a daemon
// (`aiswatch run`) on port 0 (its log says where it listens) with a config
// of our own, the API with a token, waiting on the daemon's answers, and
// Debian's chromium.

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.AISWATCH_BIN || path.join(repo, "target/release/aiswatch");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// The centres the shipped zones (zones/*.geojson) route to: all must be declared.
const CENTRES = ["MDAT-GoG", "MSCHOA", "YARIS", "IFC Singapore", "UKMTO", "RMIFC Madagascar", "ReCAAP ISC", "RCOC Seychelles"];

/// An Ed25519 key pair as aiswatch keeps it: `seed`, the secret key file's
/// 64 hex digits (`<data_dir>/keys/evidence_ed25519`), and `public`, the
/// 64 hex digits partners pin.
export function ed25519Key() {
  const seed = crypto.randomBytes(32);
  // PKCS#8 of an Ed25519 key is a fixed prefix and the 32-byte seed.
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const spki = crypto.createPublicKey(crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" }))
    .export({ format: "der", type: "spki" });
  return { seed: seed.toString("hex"), public: spki.subarray(-32).toString("hex") };
}

/// A TCP port free on 127.0.0.1 now: for a daemon whose address another
/// daemon's config must name before either starts.
export const freePort = () => new Promise((res, rej) => {
  const srv = net.createServer().once("error", rej);
  srv.listen(0, "127.0.0.1", () => { const { port } = srv.address(); srv.close(() => res(port)); });
});

/// `aiswatch run` with `sources` (TOML lines), the repo's zones, a temp
/// store, an admin token and the centres' `tokens` ({centre: token});
/// optionally on `listen` (default port 0), with the installation key
/// `key` (from `ed25519Key`) and `extra` TOML lines at the end (tables).
/// `languages`: {centre: BCP 47 tag}, the language each centre reads.
/// `copyZones`: the daemon reads a copy of the repo's zones in its temp
/// directory (`zones` of the answer), for a test that edits them.
export async function startDaemon({ sources, tokens, admin, listen = "127.0.0.1:0", key = null, extra = [], copyZones = false, languages = {} }) {
  if (!fs.existsSync(BIN)) throw new Error(`no daemon binary at ${BIN}: cargo build --release first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiswatch-console-"));
  let zones = path.join(repo, "zones");
  if (copyZones) {
    const copy = path.join(dir, "zone-files");
    fs.mkdirSync(copy);
    for (const f of fs.readdirSync(zones).filter((n) => n.endsWith(".geojson"))) fs.copyFileSync(path.join(zones, f), path.join(copy, f));
    zones = copy;
  }
  if (key) {
    fs.mkdirSync(path.join(dir, "keys"), { mode: 0o700 });
    fs.writeFileSync(path.join(dir, "keys", "evidence_ed25519"), `${key.seed}\n`, { mode: 0o600 });
  }
  const cfg = [
    `zones = "${zones}"`,
    ...sources,
    "[http]", `listen = "${listen}"`,
    "[storage]", `data_dir = "${dir}"`,
    "[api]", `admin_tokens = ["${admin}"]`,
    ...CENTRES.flatMap((id) => ["[[centres]]", `id = "${id}"`, ...(tokens[id] ? [`api_tokens = ["${tokens[id]}"]`] : []),
      ...(languages[id] ? [`language = "${languages[id]}"`] : [])]),
    ...extra,
  ].join("\n");
  fs.writeFileSync(path.join(dir, "aiswatch.toml"), cfg);
  const proc = spawn(BIN, ["run", "--config", path.join(dir, "aiswatch.toml")], { stdio: ["ignore", "pipe", "pipe"] });
  const logs = [];
  proc.stdout.on("data", (d) => logs.push(d.toString()));
  proc.stderr.on("data", (d) => logs.push(d.toString()));
  // The address a listener bound (port 0 in the config), from the log line
  // `message` it writes when listening (`addr=host:port`).
  const address = (message) => new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no "${message}" line within 60 s:\n${logs.join("").slice(-3000)}`)), 60_000);
    const look = () => {
      const line = logs.join("").split("\n").find((l) => l.includes(message) && /addr=\S/.test(l));
      if (line) { clearTimeout(timer); res(line.match(/addr=(\S+)/)[1]); }
    };
    proc.stderr.on("data", look);
    proc.stdout.on("data", look);
    proc.once("exit", (c) => { clearTimeout(timer); rej(new Error(`the daemon exited (${c}) before listening:\n${logs.join("").slice(-3000)}`)); });
    look();
  });
  const base = `http://${await address("HTTP server listening.")}`;
  const d = {
    base,
    zones,
    bin: BIN,
    address,
    async api(p, token, { method = "GET", body } = {}) {
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    // Polls `f` until it returns a truthy value: the daemon's own answers are the signal.
    async until(what, f, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const v = await f().catch(() => null);
        if (v) return v;
        if (proc.exitCode !== null) throw new Error(`the daemon exited (${proc.exitCode}) while waiting for ${what}:\n${logs.join("").slice(-3000)}`);
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; daemon log:\n${logs.join("").slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    async stop() {
      proc.kill("SIGTERM");
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return d;
}

export const launchChromium = () => chromium.launch({ executablePath: CHROMIUM, args: FLAGS });

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/// axe-core's serious and critical violations in the page as it is now
/// (`what` names the state in the log and in each violation).
export async function axeViolations(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  console.log(`axe, ${what}: ${r.passes.length} rules pass, violations: ${r.violations.map((v) => `${v.id} (${v.impact})`).join(", ") || "none"}`);
  return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${what}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}
