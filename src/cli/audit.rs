//! `aiswatch audit verify` and `aiswatch audit export`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;

use aiswatch::audit::{export, verify, Checkpoint};
use aiswatch::evidence::key;
use aiswatch::storage::Store;

use super::evidence::{emit, load};
use super::StoreArgs;

/// `aiswatch audit`.
#[derive(Subcommand, Debug)]
pub(super) enum AuditCmd {
    /// Walk the audit trail from its first record to its head and name the
    /// first record changed, inserted or removed; hold every checkpoint
    /// (this installation's, and those in --checkpoints) against it.
    /// Exit 0 when it holds, 1 if not.
    Verify {
        /// Configuration file (TOML): the store and the data directory (its key).
        #[arg(long, short, env = "AISWATCH_CONFIG")]
        config: Option<PathBuf>,
        /// Checkpoints a partner kept of this installation's trail, one
        /// JSON object a line (the partner's `GET
        /// /api/v1/federation/checkpoints/{this installation}`).
        #[arg(long, value_name = "FILE")]
        checkpoints: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Write the records made in a window, signed with the installation
    /// key, as a zip (`scripts/verify_audit.py` checks one).
    Export {
        /// Records made at or after (RFC 3339).
        #[arg(long, value_parser = time)]
        since: i64,
        /// Records made at or before (RFC 3339).
        #[arg(long, value_parser = time)]
        until: i64,
        /// Where to write the extract (a zip file).
        #[arg(long, value_name = "FILE.zip")]
        out: PathBuf,
        /// Configuration file (TOML): the store and the data directory (its key).
        #[arg(long, short, env = "AISWATCH_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

fn time(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2026-12-05T00:00:00Z"))
}

pub(super) fn audit(cmd: AuditCmd) -> Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    match cmd {
        AuditCmd::Verify {
            config,
            checkpoints,
            store,
        } => rt.block_on(verify_chain(
            config.as_deref(),
            checkpoints.as_deref(),
            store,
        )),
        AuditCmd::Export {
            since,
            until,
            out,
            config,
            store,
        } => rt.block_on(export_window(config.as_deref(), store, since, until, &out)),
    }
}

/// Checkpoints, one JSON object a line; errors name the file and line.
fn read_checkpoints(file: &Path) -> Result<Vec<Checkpoint>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not a checkpoint", file.display(), i + 1))
        })
        .collect()
}

async fn verify_chain(
    config: Option<&Path>,
    file: Option<&Path>,
    store: StoreArgs,
) -> Result<ExitCode> {
    let cfg = load(config, store)?;
    let from_file = file.map(read_checkpoints).transpose()?.unwrap_or_default();
    let (k, _) = key::load_or_create(&cfg.storage.data_dir)?;
    let store = Store::connect(&cfg.storage.database_url()).await?;
    let mut checkpoints = store.audit_checkpoints().await?;
    let ours = checkpoints.len();
    checkpoints.extend(from_file);
    let r = verify::verify(&store, &k.verifying_key(), &checkpoints).await?;
    store.close().await;
    let span = match (r.first, r.last) {
        (Some(a), Some(b)) => format!("records {a} to {b}"),
        _ => "no records".to_owned(),
    };
    let pruned = if r.pruned_through > 0 {
        format!("; records up to {} removed by retention", r.pruned_through)
    } else {
        String::new()
    };
    let held = format!(
        "{} checkpoint(s) held against it ({} kept here, {} from the file; {} older than the records kept)",
        r.checkpoints,
        ours,
        checkpoints.len() - ours,
        r.checkpoints_before
    );
    match &r.problem {
        None => {
            emit(&format!("audit trail: OK: {span}{pruned}; {held}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(p) => {
            emit(&format!(
                "audit trail: BROKEN: {p}\n  walked {span}{pruned}\n"
            ))?;
            Ok(ExitCode::from(1))
        }
    }
}

async fn export_window(
    config: Option<&Path>,
    store: StoreArgs,
    since: i64,
    until: i64,
    out: &Path,
) -> Result<ExitCode> {
    anyhow::ensure!(since <= until, "--since must not be after --until");
    let cfg = load(config, store)?;
    let (k, _) = key::load_or_create(&cfg.storage.data_dir)?;
    let store = Store::connect(&cfg.storage.database_url()).await?;
    let res = export::export(&store, &k, since, until).await;
    store.close().await;
    let (zip, m) = res?;
    std::fs::write(out, zip).with_context(|| format!("cannot write {}", out.display()))?;
    let span = match (m.first_seq, m.last_seq) {
        (Some(a), Some(b)) => format!("records {a} to {b}"),
        _ => "no records".to_owned(),
    };
    emit(&format!(
        "{}: {} record(s), {span}, from {} to {}; signed with key {}\n",
        out.display(),
        m.records,
        m.since,
        m.until,
        key::fingerprint(&k.verifying_key())
    ))?;
    Ok(ExitCode::SUCCESS)
}
