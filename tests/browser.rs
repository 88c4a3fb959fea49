//! The operations console in a real headless Chromium: runs
//! `tests/browser/console.test.mjs` (Node's test runner, playwright-core
//! driving Debian's `chromium`; no browser download) against this build's
//! daemon (two of them: an installation sharing its alerts with a partner
//! installation, for the partner's view and the Partners page; the Audit
//! page and legal holds, with an administrator's token), and
//! `tests/browser/zones.test.mjs` (the Zones page: an administrator draws,
//! checks, previews and saves a zone on a copy of the zones), and
//! `tests/browser/i18n.test.mjs` (the console in the centre's language:
//! French and Portuguese centres, the browser's language before sign-in,
//! the language switch; no English label left). Needs
//! `node`, `npm` and `/usr/bin/chromium` (or `CHROMIUM`);
//! `.ci/run` installs Chromium. Without them the test says SKIPPED loudly.

use std::path::Path;
use std::process::Command;

fn have(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn console_end_to_end_in_chromium() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<&str> = [
        ("node", have("node")),
        ("npm", have("npm")),
        ("chromium", Path::new(&chromium).exists()),
    ]
    .into_iter()
    .filter_map(|(n, ok)| (!ok).then_some(n))
    .collect();
    if !missing.is_empty() {
        eprintln!(
            "SKIPPED console_end_to_end_in_chromium: {} not installed \
             (apt-get install chromium nodejs npm)",
            missing.join(", ")
        );
        return;
    }
    if !["playwright-core", "axe-core"]
        .iter()
        .all(|m| dir.join("node_modules").join(m).exists())
    {
        let s = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .expect("npm ci");
        assert!(s.success(), "npm ci in tests/browser failed");
    }
    let out = Command::new("node")
        .args([
            "--test",
            "--test-reporter=spec",
            "console.test.mjs",
            "zones.test.mjs",
            "i18n.test.mjs",
        ])
        .current_dir(&dir)
        .env("AISWATCH_BIN", env!("CARGO_BIN_EXE_aiswatch"))
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "browser tests failed:\n{text}");
}
