// Shared by the console test and the console benchmark: a daemon
// (`aiswatch run`) on port 0 (its log says where it listens) with a config
// of our own, the API with a token, waiting on the daemon's answers, and
// Debian's chromium.

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = process.env.AISWATCH_BIN || path.join(repo, "target/release/aiswatch");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// The centres the shipped zones (zones/*.geojson) route to: all must be declared.
const CENTRES = ["MDAT-GoG", "MSCHOA", "YARIS", "IFC Singapore", "UKMTO", "RMIFC Madagascar", "ReCAAP ISC", "RCOC Seychelles"];

/// `aiswatch run` with `sources` (TOML lines), the repo's zones, a temp
/// store, an admin token and the centres' `tokens` ({centre: token}).
export async function startDaemon({ sources, tokens, admin }) {
  if (!fs.existsSync(BIN)) throw new Error(`no daemon binary at ${BIN}: cargo build --release first`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aiswatch-console-"));
  const cfg = [
    `zones = "${path.join(repo, "zones")}"`,
    ...sources,
    "[http]", 'listen = "127.0.0.1:0"',
    "[storage]", `data_dir = "${dir}"`,
    "[api]", `admin_tokens = ["${admin}"]`,
    ...CENTRES.flatMap((id) => ["[[centres]]", `id = "${id}"`, ...(tokens[id] ? [`api_tokens = ["${tokens[id]}"]`] : [])]),
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
    address,
    async api(p, token) {
      const r = await fetch(base + p, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
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
