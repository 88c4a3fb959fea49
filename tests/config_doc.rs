//! `deploy/aiswatch.toml` documents every configuration key.
//!
//! The keys are not listed here: they are discovered from the config types
//! themselves. Every config struct has `deny_unknown_fields`, so parsing a
//! table with an unknown key fails with serde's list of the keys it accepts
//! (`unknown field `…`, expected one of `a`, `b` …`). Probing each table
//! that way, recursively, finds every key a config file may hold, including
//! keys added later, the fields of each `[[sources]]` kind and of optional
//! tables such as `[centres.webhook]`. Each one must then appear in
//! `deploy/aiswatch.toml`, set or commented out, under its table.

use std::collections::BTreeSet;

use aiswatch::config::Config;
use toml::{Table, Value};

const PROBE: &str = "zz_probe_key";

/// One step of a key path: a table key, an array of tables, or an
/// internally tagged enum's variant (`[[sources]] kind = "udp"`).
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Array(String),
    Variant(String, String),
}

/// What parsing a probe document told us.
enum Probe {
    /// A struct with these keys.
    Fields(Vec<String>),
    /// An internally tagged enum with this tag key.
    Tagged(String),
    /// Not a table (a value, a list of values, an option of a value).
    Leaf,
}

/// A TOML document with `leaf` put at `path`. A variant step (only ever
/// last) adds its tag to `leaf`, the array element it is in.
fn doc(path: &[Step], mut leaf: Table) -> String {
    fn build(path: &[Step], leaf: Table) -> Table {
        let Some((first, rest)) = path.split_first() else {
            return leaf;
        };
        let mut t = Table::new();
        match first {
            Step::Key(k) => {
                t.insert(k.clone(), Value::Table(build(rest, leaf)));
            }
            Step::Array(k) => {
                t.insert(
                    k.clone(),
                    Value::Array(vec![Value::Table(build(rest, leaf))]),
                );
            }
            Step::Variant(..) => unreachable!("a variant step is last"),
        }
        t
    }
    let mut path = path;
    if let Some((Step::Variant(tag, v), rest)) = path.split_last() {
        leaf.insert(tag.clone(), Value::String(v.clone()));
        path = rest;
    }
    toml::to_string(&build(path, leaf)).expect("probe document serializes")
}

/// The backquoted names after `prefix` in `err`'s line holding it.
fn names_after(err: &str, prefix: &str) -> Option<Vec<String>> {
    let line = err.lines().find(|l| l.contains(prefix))?;
    let rest = &line[line.find(prefix)? + prefix.len()..];
    if rest.contains("there are no fields") || rest.contains("there are no variants") {
        return Some(Vec::new());
    }
    Some(
        rest.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect(),
    )
}

fn probe(path: &[Step]) -> Probe {
    let mut leaf = Table::new();
    leaf.insert(PROBE.into(), Value::Integer(1));
    let text = doc(path, leaf);
    match Config::parse(&text) {
        Ok(_) => panic!(
            "table {path:?} accepted an unknown key: every config struct needs \
             #[serde(deny_unknown_fields)] (probe document:\n{text})"
        ),
        Err(e) => {
            let e = e.to_string();
            if let Some(f) = names_after(&e, &format!("unknown field `{PROBE}`, expected")) {
                return Probe::Fields(f);
            }
            if e.contains(&format!("unknown field `{PROBE}`")) {
                // `there are no fields`
                return Probe::Fields(Vec::new());
            }
            if let Some(tag) = names_after(&e, "missing field").and_then(|v| v.first().cloned()) {
                return Probe::Tagged(tag);
            }
            Probe::Leaf
        }
    }
}

/// The variants of the tagged enum at `path` (tag key `tag`).
fn variants(path: &[Step], tag: &str) -> Vec<String> {
    let mut leaf = Table::new();
    leaf.insert(tag.into(), Value::String(PROBE.into()));
    let text = doc(path, leaf);
    let e = Config::parse(&text)
        .expect_err("an unknown variant is refused")
        .to_string();
    names_after(&e, &format!("unknown variant `{PROBE}`, expected"))
        .unwrap_or_else(|| panic!("cannot read the variants of {path:?} from: {e}"))
}

/// Adds to `out` every key under `path`, as dotted paths (`sources[udp].bind`,
/// `centres.webhook.url`).
fn walk(path: Vec<Step>, name: &str, out: &mut BTreeSet<String>) {
    match probe(&path) {
        Probe::Fields(fields) => {
            for f in &fields {
                let child_name = if name.is_empty() {
                    f.clone()
                } else {
                    format!("{name}.{f}")
                };
                out.insert(child_name.clone());
                // A table, an array of tables, or a value?
                let mut as_table = path.clone();
                as_table.push(Step::Key(f.clone()));
                match probe(&as_table) {
                    Probe::Leaf => {}
                    // A field of this very table missing: the child took
                    // the probe key as one of its own, a table of free keys
                    // (zone id = partition): documented by its name.
                    Probe::Tagged(t) if fields.contains(&t) => continue,
                    _ => {
                        walk(as_table, &child_name, out);
                        continue;
                    }
                }
                let mut as_array = path.clone();
                as_array.push(Step::Array(f.clone()));
                if !matches!(probe(&as_array), Probe::Leaf) {
                    walk(as_array, &child_name, out);
                }
            }
        }
        Probe::Tagged(tag) => {
            out.insert(format!("{name}.{tag}"));
            for v in variants(&path, &tag) {
                let mut p = path.clone();
                p.push(Step::Variant(tag.clone(), v.clone()));
                let vname = format!("{name}[{v}]");
                out.insert(vname.clone());
                // A variant's fields are listed, not probed deeper: a
                // variant field that is itself a table would need its keys
                // added here by hand (none is, today).
                match probe(&p) {
                    Probe::Fields(fields) => {
                        for f in fields {
                            out.insert(format!("{vname}.{f}"));
                        }
                    }
                    _ => panic!("cannot read the fields of {vname}"),
                }
            }
        }
        Probe::Leaf => {}
    }
}

/// Every key path the config types accept.
fn accepted_keys() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    walk(Vec::new(), "", &mut out);
    out
}

/// Every key path `text` mentions, set or commented out: `# key = …` lines
/// count, under the last (possibly commented) `[table]` or `[[array]]`
/// header; in an array of tables with a `kind = "X"` line, keys are also
/// recorded as `array[X].key`.
fn documented_keys(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut table = String::new();
    let mut variant: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim_start().trim_start_matches('#').trim();
        if let Some(h) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            table = h.trim().to_owned();
            variant = None;
            out.insert(table.clone());
            continue;
        }
        if let Some(h) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            if !h.contains(['"', ',']) && !h.is_empty() {
                table = h.trim().to_owned();
                variant = None;
                out.insert(table.clone());
                continue;
            }
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let full = if table.is_empty() {
            key.to_owned()
        } else {
            format!("{table}.{key}")
        };
        out.insert(full);
        if key == "kind" {
            let v = value.trim().trim_matches('"').to_owned();
            out.insert(format!("{table}[{v}]"));
            variant = Some(v);
        }
        if let Some(v) = &variant {
            out.insert(format!("{table}[{v}].{key}"));
        }
    }
    out
}

#[test]
fn the_probe_finds_known_keys() {
    // Guards the introspection itself: if serde's wording changed, the
    // probe would find nothing and the real test below would pass vacuously.
    let keys = accepted_keys();
    for k in [
        "sources",
        "sources.kind",
        "sources[udp].bind",
        "sources[tcp_client].backoff_max",
        "storage.retention",
        "engine.vessel_ttl",
        "detect.dark_period.min_gap",
        "centres.id",
        "centres.webhook.secret_file",
        "centres.nats.stream",
        "delivery.give_up_after",
        "logging.format",
    ] {
        assert!(
            keys.contains(k),
            "{k} not found by the probe; found {keys:?}"
        );
    }
    assert!(keys.len() > 60, "only {} keys found: {keys:?}", keys.len());
}

#[test]
fn deploy_config_documents_every_key() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/aiswatch.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let documented = documented_keys(&text);
    let missing: Vec<_> = accepted_keys()
        .into_iter()
        .filter(|k| !documented.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} does not mention these config keys (add them, commented out with their default and a \
         word on what they do): {missing:?}",
        path.display()
    );
}

#[test]
fn the_scanner_reads_commented_keys_under_their_table() {
    let d = documented_keys(
        "a = 1\n[x]\n# b = 2  # why\n# [x.y]\n#c = \"d\"\n[[s]]\nkind = \"udp\"\nbind = \"\"\n",
    );
    for k in [
        "a",
        "x.b",
        "x.y.c",
        "s",
        "s.kind",
        "s[udp]",
        "s[udp].bind",
        "s.bind",
    ] {
        assert!(d.contains(k), "{k}: {d:?}");
    }
    assert!(!d.contains("x.c"), "{d:?}");
}
