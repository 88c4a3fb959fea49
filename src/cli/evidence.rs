//! `aiswatch evidence ALERT_ID --out FILE.zip`, `aiswatch evidence verify
//! FILE.zip [--key PUBKEY]`, `aiswatch key show` and `aiswatch archive
//! verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Subcommand;

use aiswatch::config::Config;
use aiswatch::evidence::{self, key, ExportContext};
use aiswatch::storage::Scope;

use super::StoreArgs;

/// `aiswatch evidence`.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(super) struct EvidenceArgs {
    #[command(subcommand)]
    cmd: Option<EvidenceCmd>,
    /// The alert's id, as the API lists it.
    #[arg(value_name = "ALERT_ID", required = true)]
    alert_id: Option<String>,
    /// Where to write the bundle (a zip file).
    #[arg(long, value_name = "FILE.zip", required = true)]
    out: Option<PathBuf>,
    /// Configuration file (TOML): the store, data directory and zones.
    #[arg(long, short, env = "AISWATCH_CONFIG")]
    config: Option<PathBuf>,
    /// Margin around the event, e.g. `2h`, `90m`.
    #[arg(long, default_value = "2h", value_parser = humantime::parse_duration)]
    margin: std::time::Duration,
    /// Withhold every receiver (an agreement's `redact = ["sources"]`):
    /// station ids, source ids, peers and chain links become salted
    /// commitments that `evidence reveal` opens.
    #[arg(long)]
    withhold_sources: bool,
    /// Language of `report.md` (BCP 47 with a catalog in `locales/`:
    /// `en`, `fr`, `pt`); the signed data files are the same in every
    /// language.
    #[arg(long, default_value = "en")]
    lang: String,
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Subcommand, Debug)]
enum EvidenceCmd {
    /// Check a bundle: every hash, the raw lines' chain links, the
    /// signature, and that the raw lines decode to the stated positions.
    /// Exit 0 when all hold, 1 naming each mismatch.
    Verify {
        /// The bundle.
        #[arg(value_name = "FILE.zip")]
        file: PathBuf,
        /// Pin the signer's public key (hex or base64, as `aiswatch key
        /// show` prints it, or a file holding it).
        #[arg(long, value_name = "PUBKEY")]
        key: Option<String>,
        /// For a redacted bundle: the full bundle of the same alert, to
        /// show it is the same evidence (with `--openings`).
        #[arg(long, value_name = "FULL.zip", requires = "openings")]
        full: Option<PathBuf>,
        /// The openings of the redacted bundle's commitments (`evidence
        /// reveal`).
        #[arg(long, value_name = "OPENINGS.json", requires = "full")]
        openings: Option<PathBuf>,
    },
    /// Open every commitment a redacted export of a full bundle's alert
    /// holds (value and salt), with this installation's key: for a court
    /// that holds the full bundle (`evidence verify REDACTED.zip --full
    /// FULL.zip --openings OUT.json`).
    Reveal {
        /// The full bundle (exported without `--withhold-sources`).
        #[arg(value_name = "FULL.zip")]
        file: PathBuf,
        /// Where to write the openings (JSON).
        #[arg(long, value_name = "OPENINGS.json")]
        out: PathBuf,
        /// Configuration file (TOML): where the data directory (its key) is.
        #[arg(long, short, env = "AISWATCH_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `aiswatch key`.
#[derive(Subcommand, Debug)]
pub(super) enum KeyCmd {
    /// Print the installation's public key (created if there is none yet):
    /// it signs evidence bundles and what is sent to partners, who pin it.
    Show {
        /// Configuration file (TOML): where the data directory is.
        #[arg(long, short, env = "AISWATCH_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// `aiswatch archive`.
#[derive(Subcommand, Debug)]
pub(super) enum ArchiveCmd {
    /// Walk the whole raw line archive and report the first broken link (a
    /// changed, inserted or removed line). Exit 0 when it holds, 1 if not.
    Verify {
        /// Configuration file (TOML): where the data directory is.
        #[arg(long, short, env = "AISWATCH_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Appends a line to the output buffer `o`.
macro_rules! outln {
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

/// Writes `o` to stdout; a closed pipe (`… | head`) is not an error.
pub(super) fn emit(o: &str) -> Result<()> {
    use std::io::Write as _;
    match std::io::stdout().lock().write_all(o.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

/// The config with the store flags applied.
pub(super) fn load(config: Option<&Path>, store: StoreArgs) -> Result<Config> {
    let mut cfg = Config::load(config)?;
    if let Some(db) = store.db {
        cfg.storage.url = Some(db);
    }
    if let Some(dir) = store.data_dir {
        cfg.storage.data_dir = dir;
    }
    Ok(cfg)
}

pub(super) fn evidence(a: EvidenceArgs) -> Result<ExitCode> {
    match a.cmd {
        Some(EvidenceCmd::Verify {
            file,
            key,
            full,
            openings,
        }) => {
            return verify(
                &file,
                key.as_deref(),
                full.as_deref().zip(openings.as_deref()),
            )
        }
        Some(EvidenceCmd::Reveal {
            file,
            out,
            config,
            store,
        }) => return reveal(&file, &out, config.as_deref(), store),
        None => {}
    }
    let (Some(id), Some(out)) = (a.alert_id, a.out) else {
        anyhow::bail!("usage: aiswatch evidence ALERT_ID --out FILE.zip [--config FILE]");
    };
    let cfg = load(a.config.as_deref(), a.store)?;
    let zones = match &cfg.zones {
        Some(dir) => aiswatch_zones::ZoneSet::load_dir(dir, aiswatch_engine::detect::SPECS)
            .map_err(|errs| {
                let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
                anyhow::anyhow!("zones {}: {}", dir.display(), list.join("\n"))
            })?,
        None => aiswatch_zones::ZoneSet::empty(),
    };
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let bundle = rt.block_on(async {
        let store = aiswatch::storage::Store::connect(&cfg.storage.database_url()).await?;
        let (mut ctx, created) = ExportContext::open(
            store.clone(),
            Arc::new(zones),
            &cfg.storage.data_dir,
            cfg.loaded_from.as_ref(),
            cfg.detect.defaults.clone(),
        )?;
        if created {
            eprintln!(
                "created the evidence signing key {}",
                key::key_path(&cfg.storage.data_dir).display()
            );
        }
        ctx.margin_ms = i64::try_from(a.margin.as_millis()).context("--margin too long")?;
        let catalogs = aiswatch_i18n::Catalogs::shipped();
        let Some(lang) = catalogs.negotiate(&a.lang) else {
            anyhow::bail!(
                "--lang {:?}: no catalog for it (locales/ has {})",
                a.lang,
                catalogs.languages().collect::<Vec<_>>().join(", ")
            );
        };
        let opts = evidence::ExportOptions {
            withhold_sources: a.withhold_sources,
            lang: Some(lang),
        };
        let b = evidence::export_with(
            &ctx,
            &aiswatch_core::ids::AlertId::from(id.clone()),
            &Scope::Admin,
            &opts,
        )
        .await;
        store.close().await;
        anyhow::Ok((b?, ctx.key.verifying_key()))
    })?;
    let (bundle, public) = bundle;
    let zip = bundle.to_zip()?;
    let mut o = String::new();
    std::fs::write(&out, &zip).with_context(|| format!("cannot write {}", out.display()))?;
    let raw = bundle
        .get(evidence::files::RAW_LINES)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
    outln!(
        o,
        "{}: alert {id}: {} bytes, {} files, {raw} raw lines; signed with {}",
        out.display(),
        zip.len(),
        bundle.entries.len(),
        key::fingerprint(&public)
    );
    emit(&o)?;
    Ok(ExitCode::SUCCESS)
}

/// Reads a bundle's zip file.
fn read_bundle(file: &Path) -> Result<evidence::Bundle> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    evidence::Bundle::from_zip(&bytes).with_context(|| format!("{}", file.display()))
}

fn reveal(file: &Path, out: &Path, config: Option<&Path>, store: StoreArgs) -> Result<ExitCode> {
    let cfg = load(config, store)?;
    let path = key::key_path(&cfg.storage.data_dir);
    anyhow::ensure!(
        path.is_file(),
        "no evidence signing key at {}: reveal runs on the installation that exported the bundle",
        path.display()
    );
    let (k, _) = key::load_or_create(&cfg.storage.data_dir)?;
    let full = read_bundle(file)?;
    let openings = evidence::reveal(&k, &full)?;
    let mut json = serde_json::to_vec_pretty(&openings).context("openings")?;
    json.push(b'\n');
    std::fs::write(out, json).with_context(|| format!("cannot write {}", out.display()))?;
    let mut o = String::new();
    outln!(
        o,
        "{}: {} commitments of alert {} opened",
        out.display(),
        openings.openings.len(),
        openings.alert_id
    );
    emit(&o)?;
    Ok(ExitCode::SUCCESS)
}

fn verify(file: &Path, pin: Option<&str>, full: Option<(&Path, &Path)>) -> Result<ExitCode> {
    let pinned = pin.map(key::parse_public).transpose()?;
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let r = evidence::verify_reader(
        std::io::BufReader::new(f),
        pinned.as_ref(),
        &evidence::Limits::default(),
    );
    let mut o = String::new();
    let mut r = r;
    if let Some((full_file, openings_file)) = full {
        let redacted = read_bundle(file)?;
        let full_bundle = read_bundle(full_file)?;
        let f = evidence::verify(&full_bundle, pinned.as_ref());
        for x in f.findings {
            r.findings.push(evidence::Finding {
                file: format!("{} (full): {}", full_file.display(), x.file),
                what: x.what,
            });
        }
        let text = std::fs::read(openings_file)
            .with_context(|| format!("cannot read {}", openings_file.display()))?;
        let openings: evidence::Openings = serde_json::from_slice(&text)
            .with_context(|| format!("{}: not openings", openings_file.display()))?;
        r.findings
            .extend(evidence::check_openings(&redacted, &full_bundle, &openings));
        if r.findings.is_empty() {
            outln!(
                o,
                "{}: the same evidence as {}: {} commitments open to its values",
                file.display(),
                full_file.display(),
                openings.openings.len()
            );
        }
    }
    if !r.is_ok() {
        outln!(
            o,
            "{}: FAILED, {} problem(s):",
            file.display(),
            r.findings.len()
        );
        for f in &r.findings {
            outln!(o, "  {f}");
        }
        emit(&o)?;
        return Ok(ExitCode::from(1));
    }
    let Some(m) = &r.manifest else {
        anyhow::bail!("verified without a manifest");
    };
    outln!(o, "{}: OK", file.display());
    outln!(
        o,
        "  alert {} ({}), vessels {:?}, window {} to {}",
        m.alert_id,
        m.alert_kind,
        m.vessels,
        aiswatch_core::time::rfc3339(m.window.from_ms),
        aiswatch_core::time::rfc3339(m.window.to_ms)
    );
    let seqs = match (m.raw_lines.first(), m.raw_lines.last()) {
        (Some(a), Some(b)) => format!(" (archive seq {} to {})", a.seq, b.seq),
        _ => String::new(),
    };
    outln!(
        o,
        "  {} files match their SHA-256; {} raw lines chain{seqs}; {} positions re-decoded from them",
        m.files.len(),
        r.raw_lines,
        r.positions
    );
    if !r.withheld.is_empty() {
        outln!(
            o,
            "  withheld: {} (receivers): each station, source and peer is a salted commitment; \
             the chain links of {} redacted raw lines cannot be checked from the bundle",
            r.withheld.join(", "),
            r.unchained
        );
    }
    let fp = r
        .bundle_key
        .as_deref()
        .and_then(|k| key::parse_public(k).ok())
        .map(|k| key::fingerprint(&k))
        .unwrap_or_default();
    if r.pinned {
        outln!(o, "  signature good, by the pinned key {fp}");
    } else {
        outln!(
            o,
            "  signature good, by the key in the bundle {fp}: NOT PINNED (pass --key PUBKEY, \
             from the exporter's `aiswatch key show`, to know who signed)"
        );
    }
    emit(&o)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn key_show(config: Option<&Path>, store: StoreArgs) -> Result<ExitCode> {
    let cfg = load(config, store)?;
    let (k, created) = key::load_or_create(&cfg.storage.data_dir)?;
    let path = key::key_path(&cfg.storage.data_dir);
    if created {
        eprintln!("created the evidence signing key {}", path.display());
    }
    use base64::Engine as _;
    let public = k.verifying_key();
    let mut o = String::new();
    outln!(
        o,
        "Ed25519 public key (hex):    {}",
        key::public_hex(&public)
    );
    outln!(
        o,
        "Ed25519 public key (base64): {}",
        base64::engine::general_purpose::STANDARD.encode(public.as_bytes())
    );
    outln!(
        o,
        "fingerprint:                 {}",
        key::fingerprint(&public)
    );
    outln!(o, "private key file:            {}", path.display());
    // What a partner installation pins: a block for its config.
    if let Some(name) = &cfg.federation.name {
        outln!(o, "");
        outln!(
            o,
            "# For a partner's configuration (its [[partners]] entry for this installation):"
        );
        outln!(o, "[[partners]]");
        outln!(o, "id = {name:?}");
        outln!(
            o,
            "url = \"https://…\"                 # this installation's API base"
        );
        outln!(o, "public_key = \"{}\"", key::public_hex(&public));
    }
    emit(&o)?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn archive_verify(config: Option<&Path>, store: StoreArgs) -> Result<ExitCode> {
    let cfg = load(config, store)?;
    let dir = cfg.storage.data_dir.join(aiswatch::storage::raw::RAW_DIR);
    anyhow::ensure!(dir.is_dir(), "no raw archive at {}", dir.display());
    let r = aiswatch::storage::raw::verify(&dir)?;
    let span = match (r.first_seq, r.last_seq) {
        (Some(a), Some(b)) => format!("seq {a} to {b}"),
        _ => "no records".to_owned(),
    };
    let hex = aiswatch::storage::raw::hash_hex;
    let mut o = String::new();
    match &r.broken {
        None => {
            outln!(
                o,
                "{}: OK: {} segment(s), {} record(s), {span}; chain starts from {}, tip {}",
                dir.display(),
                r.segments,
                r.records,
                hex(&r.start_prev),
                hex(&r.last_hash)
            );
            emit(&o)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            outln!(
                o,
                "{}: BROKEN at {b}\n  {} record(s) before it chain ({span})",
                dir.display(),
                r.records
            );
            emit(&o)?;
            Ok(ExitCode::from(1))
        }
    }
}
