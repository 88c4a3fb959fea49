//! The deploy files against the real daemon binary: JSON logs (`--log-format
//! json`, `[logging] format`), and every metric name and label the Grafana
//! dashboard and the Prometheus rules use, checked against what a daemon
//! running the shipped sample exports on `/metrics`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

/// `aiswatch run` with stderr read line by line on a thread; killed when dropped.
struct Daemon {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Daemon {
    fn start(config: &Path, extra: &[&str]) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aiswatch"))
            .args(["run", "--config"])
            .arg(config)
            .args(extra)
            .env("RUST_LOG", "info")
            .env_remove("AISWATCH_LOG_FORMAT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Daemon {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Reads stderr until a line satisfies `f` (or panics after `secs`).
    fn wait_line(&mut self, secs: u64, what: &str, f: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    self.seen.push(l.clone());
                    if f(&l) {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no log line {what} within {secs} s; stderr so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// SIGTERM, then every remaining stderr line; the exit must be clean.
    fn stop(mut self) -> Vec<String> {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        let code = self.child.wait().unwrap();
        // The reader thread ends at EOF, once the child is gone.
        while let Ok(l) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.seen.push(l);
        }
        assert!(
            code.success(),
            "graceful stop exited with {code}:\n{}",
            self.seen.join("\n")
        );
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("stderr line is not JSON ({e}): {line}"))
}

fn message(v: &Value) -> &str {
    v["fields"]["message"].as_str().unwrap_or("")
}

/// A webhook endpoint answering 200 to every POST.
async fn webhook_ok() -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(l, app).await });
    addr
}

/// The shipped zones and sample feed, the API on an ephemeral port, one
/// centre delivering to `ok` and one to `refused`, where connections are
/// refused (dead-lettered after 2 s), so every delivery metric family has
/// samples.
fn sample_config(dir: &Path, ok: SocketAddr, refused: SocketAddr) -> PathBuf {
    let mut centres = String::new();
    for c in common::CENTRES {
        centres.push_str(&format!("[[centres]]\nid = \"{c}\"\n"));
        let url = match c {
            "MDAT-GoG" => Some(format!("http://{ok}/hook")),
            "YARIS" => Some(format!("http://{refused}/hook")),
            _ => None,
        };
        if let Some(url) = url {
            centres.push_str(&format!(
                "[centres.webhook]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\n"
            ));
        }
    }
    let text = format!(
        "zones = {zones:?}\n\n[[sources]]\nkind = \"file\"\nid = \"sample\"\npath = {feed:?}\n\n\
         [[sources]]\nkind = \"udp\"\nid = \"udp\"\nbind = \"127.0.0.1:0\"\n\n\
         [http]\nlisten = \"127.0.0.1:0\"\n\n[storage]\ndata_dir = {data:?}\n\n\
         [delivery]\ngive_up_after = \"2s\"\nmin_backoff = \"100ms\"\nmax_backoff = \"500ms\"\ntimeout = \"10s\"\n\n{centres}",
        zones = repo("zones"),
        feed = repo("deploy/sample/feed.nmea.gz"),
        data = dir.join("data"),
    );
    let path = dir.join("aiswatch.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Metric families on `/metrics`: name → (type, label names seen).
fn families(text: &str) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let mut out: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let mut it = rest.split_whitespace();
            let (Some(name), Some(kind)) = (it.next(), it.next()) else {
                continue;
            };
            out.entry(name.into()).or_default().0 = kind.into();
        }
    }
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let name_end = l.find(['{', ' ']).unwrap_or(l.len());
        let sample = &l[..name_end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                sample
                    .strip_suffix(s)
                    .filter(|b| out.get(*b).is_some_and(|f| f.0 == "histogram"))
            })
            .unwrap_or(sample);
        let Some(f) = out.get_mut(family) else {
            continue;
        };
        if let Some(labels) = l[name_end..]
            .strip_prefix('{')
            .and_then(|r| r.split('}').next())
        {
            for kv in labels.split("\",") {
                if let Some((k, _)) = kv.split_once('=') {
                    f.1.insert(k.trim().to_owned());
                }
            }
        }
    }
    out
}

/// Problems with the `aiswatch_*` metrics and labels `expr` uses: unknown
/// names (histogram series count as their family), unknown label matchers,
/// and `by`/`on`/`without` labels no metric of the expression has.
fn check_expr(expr: &str, fams: &BTreeMap<String, (String, BTreeSet<String>)>) -> Vec<String> {
    // Labels Prometheus attaches to every scraped series, and `le`.
    let implicit = ["instance", "job", "le"];
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut bad = Vec::new();
    let mut labels_here: BTreeSet<String> = implicit.iter().map(|s| s.to_string()).collect();
    let mut i = 0;
    while let Some(at) = expr[i..].find("aiswatch_") {
        let start = i + at;
        let end = expr[start..]
            .find(|c: char| !ident(c))
            .map_or(expr.len(), |e| start + e);
        i = end;
        if start > 0 && expr[..start].ends_with(ident) {
            continue;
        }
        let name = &expr[start..end];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|b| fams.get(*b).is_some_and(|f| f.0 == "histogram"))
            })
            .unwrap_or(name);
        let Some((_, labels)) = fams.get(family) else {
            bad.push(format!("metric {name} is not exported"));
            continue;
        };
        labels_here.extend(labels.iter().cloned());
        if let Some(m) = expr[end..]
            .strip_prefix('{')
            .and_then(|r| r.split('}').next())
        {
            for part in m.split(',') {
                let key: String = part.trim().chars().take_while(|c| ident(*c)).collect();
                if !key.is_empty() && !labels.contains(&key) && !implicit.contains(&key.as_str()) {
                    bad.push(format!("metric {name} has no label {key}"));
                }
            }
        }
    }
    for kw in ["by", "on", "without", "ignoring"] {
        let mut j = 0;
        while let Some(at) = expr[j..].find(kw) {
            let s = j + at;
            j = s + kw.len();
            if s > 0 && expr[..s].ends_with(ident) {
                continue;
            }
            let rest = expr[j..].trim_start();
            let Some(list) = rest.strip_prefix('(').and_then(|r| r.split(')').next()) else {
                continue;
            };
            for l in list.split(',').map(str::trim).filter(|l| !l.is_empty()) {
                if !labels_here.contains(l) {
                    bad.push(format!(
                        "{kw} ({l}): no metric of the expression has label {l}"
                    ));
                }
            }
        }
    }
    bad
}

/// Every string inside a JSON value.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The PromQL expressions of the alert rules (`expr:` values, one line or a
/// `|` block).
fn rule_exprs(yaml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lines: Vec<&str> = yaml.lines().collect();
    let mut k = 0;
    while k < lines.len() {
        let l = lines[k];
        k += 1;
        let Some(at) = l.find("expr:") else { continue };
        let v = l[at + 5..].trim();
        if v == "|" || v == ">" {
            let indent = l.len() - l.trim_start().len();
            let mut block = Vec::new();
            while k < lines.len() {
                let n = lines[k];
                if !n.trim().is_empty() && n.len() - n.trim_start().len() <= indent {
                    break;
                }
                block.push(n.trim());
                k += 1;
            }
            out.push(block.join(" "));
        } else {
            out.push(v.to_owned());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_the_dashboards_metrics_on_the_shipped_sample() {
    let dir = tempfile::tempdir().unwrap();
    let hook = webhook_ok().await;
    // Held, not listening, for the whole test: refused, and nobody else's.
    let refused = common::HeldPort::loopback();
    let cfg = sample_config(dir.path(), hook, refused.addr);
    let mut d = Daemon::start(&cfg, &["--log-format", "json"]);
    let listening = d.wait_line(120, "HTTP server listening.", |l| {
        l.contains("HTTP server listening.")
    });
    let http: SocketAddr = json(&listening)["fields"]["addr"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    // Every family the dashboard needs has samples once a delivery has
    // succeeded (latency) and one has been given up (dead letter).
    let deadline = Instant::now() + Duration::from_secs(180);
    let metrics = loop {
        let (status, body) = common::request(http, "GET", "/metrics", None).await;
        assert_eq!(status, 200);
        if body.contains("aiswatch_delivery_latency_seconds_bucket")
            && body.contains("aiswatch_delivery_dead_letters_total{")
            && body.contains("aiswatch_alerts_total{")
            && body.contains("aiswatch_source_up{source=\"sample\"} 0")
        {
            break body;
        }
        assert!(Instant::now() < deadline, "metrics incomplete:\n{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let lines = d.stop();

    // Logs: one JSON object a line, with the fields log collectors index.
    let events: Vec<Value> = lines.iter().map(|l| json(l)).collect();
    for (e, l) in events.iter().zip(&lines) {
        for k in ["timestamp", "level", "target"] {
            assert!(e[k].is_string(), "no {k}: {l}");
        }
        assert!(!message(e).is_empty(), "no fields.message: {l}");
    }
    let alerts: Vec<&Value> = events.iter().filter(|e| message(e) == "Alert.").collect();
    assert!(alerts.len() > 10, "{} alert events", alerts.len());
    for a in &alerts {
        for k in ["id", "kind", "state", "zone", "summary"] {
            assert!(a["fields"][k].is_string(), "alert event without {k}: {a}");
        }
    }
    // No event's message is free text: no summary is ever a message, and
    // the set of messages stays small however many events there were.
    let summaries: BTreeSet<&str> = alerts
        .iter()
        .filter_map(|a| a["fields"]["summary"].as_str())
        .collect();
    let messages: BTreeSet<&str> = events.iter().map(message).collect();
    assert!(messages.is_disjoint(&summaries), "{messages:?}");
    assert!(messages.len() < 30, "{messages:?}");
    for m in [
        "Store open.",
        "Reading file.",
        "End of file.",
        "Delivery worker started.",
        "Delivery failed; retrying.",
        "Delivery given up (dead letter); retry with POST /api/v1/deliveries/DELIVERY/retry.",
        "Shutting down.",
    ] {
        assert!(messages.contains(m), "no {m:?} in {messages:?}");
    }
    let dead: Vec<&Value> = events
        .iter()
        .filter(|e| message(e).starts_with("Delivery given up"))
        .collect();
    assert!(
        dead.iter()
            .any(|d| d["fields"]["centre"] == "YARIS" && d["fields"]["delivery"].is_i64()),
        "{dead:?}"
    );

    // The dashboard and the rules use only what the daemon exports.
    let fams = families(&metrics);
    assert!(
        fams.get("aiswatch_alerts_total")
            .is_some_and(|f| f.1.contains("zone") && f.1.contains("detector")),
        "{fams:?}"
    );
    let dash_text =
        std::fs::read_to_string(repo("deploy/grafana/dashboards/aiswatch.json")).unwrap();
    let dash: Value = serde_json::from_str(&dash_text).expect("dashboard JSON parses");
    let mut texts = Vec::new();
    strings(&dash, &mut texts);
    let mut exprs: Vec<(String, String)> = texts
        .into_iter()
        .filter(|s| s.contains("aiswatch_"))
        .map(|s| ("dashboard".to_owned(), s))
        .collect();
    let rules = std::fs::read_to_string(repo("deploy/prometheus/alerts.yml")).unwrap();
    let rule_exprs = rule_exprs(&rules);
    assert!(rule_exprs.len() >= 5, "{rule_exprs:?}");
    exprs.extend(rule_exprs.into_iter().map(|e| ("alerts.yml".to_owned(), e)));
    let mut bad = Vec::new();
    let mut used = BTreeSet::new();
    for (file, e) in &exprs {
        for b in check_expr(e, &fams) {
            bad.push(format!("{file}: {b}\n    in {e}"));
        }
        used.extend(fams.keys().filter(|n| e.contains(n.as_str())).cloned());
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // What the dashboard and rules must show: decoding, tracking, alerts,
    // delivery, the outbox and the store.
    for m in [
        "aiswatch_messages_decoded_total",
        "aiswatch_rejected_total",
        "aiswatch_vessels_tracked",
        "aiswatch_alerts_total",
        "aiswatch_delivery_latency_seconds",
        "aiswatch_outbox_pending",
        "aiswatch_store",
    ] {
        assert!(used.contains(m), "{m} is not used");
    }
    // Every panel queries the provisioned datasource.
    for p in dash["panels"].as_array().unwrap() {
        if p["type"] != "row" {
            assert_eq!(p["datasource"]["uid"], "prometheus", "{}", p["title"]);
            assert!(
                !p["targets"].as_array().unwrap().is_empty(),
                "{}",
                p["title"]
            );
        }
    }
}

#[test]
fn the_metric_checker_catches_wrong_names_and_labels() {
    let fams = families(
        "# TYPE aiswatch_x_total counter\naiswatch_x_total{source=\"a\",reason=\"b\"} 1\n\
         # TYPE aiswatch_h histogram\naiswatch_h_bucket{centre=\"c\",le=\"1\"} 1\naiswatch_h_sum{centre=\"c\"} 1\n",
    );
    assert!(check_expr(
        "sum by (reason) (rate(aiswatch_x_total{source=~\"$s\"}[5m]))",
        &fams
    )
    .is_empty());
    assert!(check_expr(
        "histogram_quantile(0.9, sum by (le, centre) (rate(aiswatch_h_bucket[5m])))",
        &fams
    )
    .is_empty());
    assert_eq!(check_expr("aiswatch_y_total", &fams).len(), 1);
    assert_eq!(check_expr("aiswatch_x_total{zone=\"z\"}", &fams).len(), 1);
    assert_eq!(
        check_expr("sum by (zone) (aiswatch_x_total)", &fams).len(),
        1
    );
    assert_eq!(check_expr("aiswatch_x_bucket", &fams).len(), 1);
    assert_eq!(
        rule_exprs("      - expr: up == 0\n        expr: |\n          a\n          and b\n        for: 1m\n"),
        ["up == 0", "a and b"]
    );
}

/// A config whose `[logging] format` is `json`, reading a two-line file.
fn small_config(dir: &Path) -> PathBuf {
    let feed = dir.join("feed.nmea");
    std::fs::write(
        &feed,
        "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*23\nnot nmea\n",
    )
    .unwrap();
    let text = format!(
        "[[sources]]\nkind = \"file\"\nid = \"f\"\npath = {feed:?}\n\n[http]\nlisten = \"127.0.0.1:0\"\n\n\
         [storage]\ndata_dir = {data:?}\nraw = false\n\n[logging]\nformat = \"json\"\n",
        data = dir.join("data"),
    );
    let path = dir.join("small.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A stop signal that comes while the daemon is still starting (its first
/// log line, before any stage runs) still gets the graceful stop, not the
/// signal's default death.
#[test]
fn a_stop_signal_during_start_up_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    let mut d = Daemon::start(&cfg, &[]);
    d.wait_line(120, "Store open.", |l| message(&json(l)) == "Store open.");
    let lines = d.stop();
    assert!(
        lines.iter().any(|l| message(&json(l)) == "Shutting down."),
        "{lines:?}"
    );
}

#[test]
fn log_format_comes_from_the_config_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());

    // The config says json.
    let mut d = Daemon::start(&cfg, &[]);
    d.wait_line(120, "End of file.", |l| {
        json(l)["fields"]["message"] == "End of file."
    });
    for l in d.stop() {
        json(&l);
    }

    // The flag says text (plain: stderr is not a terminal).
    let mut d = Daemon::start(&cfg, &["--log-format", "text"]);
    d.wait_line(120, "End of file.", |l| l.contains("End of file."));
    let lines = d.stop();
    for l in &lines {
        assert!(
            serde_json::from_str::<Value>(l).is_err(),
            "JSON in text mode: {l}"
        );
        assert!(!l.contains('\u{1b}'), "colour codes off a terminal: {l:?}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("INFO") && l.contains("Shutting down.")),
        "{lines:?}"
    );
}

#[test]
fn a_start_error_is_logged_as_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[sources]]\nkind = \"udp\"\nid = \"\"\nbind = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_aiswatch"))
        .args(["run", "--log-format", "json", "--config"])
        .arg(&cfg)
        .env_remove("AISWATCH_LOG_FORMAT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<Value> = stderr.lines().map(json).collect();
    let last = lines.last().expect("an error line");
    assert_eq!(last["level"], "ERROR", "{stderr}");
    assert_eq!(message(last), "Daemon failed.", "{stderr}");
    let err = last["fields"]["error"].as_str().unwrap();
    assert!(
        err.contains("bad.toml") && err.contains("id: must not be empty"),
        "{err}"
    );
}
