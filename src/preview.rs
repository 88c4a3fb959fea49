//! What a zone set would have raised: the lines the raw archive received
//! in a window, decoded as the decode stage decodes them (one decoder per
//! source, each line at its receive time) and run through two engines off
//! the live one, one with the zones in force ("was"), one with an edited
//! set ("would be"). Alert ids are those `aiswatch replay` of the same
//! lines gives, since they come from the data alone.
//!
//! Three threads: one reads and decodes, each engine runs on its own.

use std::collections::{BTreeMap, HashMap};
use std::sync::{mpsc, Arc};

use serde::Serialize;

use crate::storage::raw::{scan_segment, segments, RawError};
use aiswatch_core::time::Millis;
use aiswatch_decode::{Decoded, Decoder};
use aiswatch_engine::alert::Alert;
use aiswatch_engine::detect::{DetectConfig, Detectors};
use aiswatch_engine::engine::{Engine, EngineConfig};
use aiswatch_zones::ZoneSet;

/// Messages per batch handed to the engines.
const BATCH: usize = 512;
/// Batches in flight per engine.
const IN_FLIGHT: usize = 16;

/// How previews run: the engine and detector settings of the daemon, and
/// its raw archive.
#[derive(Debug, Clone)]
pub struct Previewer {
    /// The raw archive's directory.
    pub raw_dir: std::path::PathBuf,
    /// The engine's settings.
    pub engine: EngineConfig,
    /// The detectors' settings.
    pub detect: DetectConfig,
}

/// The alerts two zone sets raise over the same lines.
#[derive(Debug)]
pub struct Outcome {
    /// Each alert's latest change with the zones in force, in order of first change.
    pub was: Vec<Alert>,
    /// The same with the edited zones.
    pub would_be: Vec<Alert>,
    /// Lines read from the archive.
    pub lines: u64,
    /// Messages decoded.
    pub messages: u64,
}

/// Per kind, how the two compare.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Compared {
    /// Alerts with the zones in force.
    pub was: u64,
    /// Alerts with the edited zones.
    pub would_be: u64,
    /// Ids only the edited zones raise.
    pub added: u64,
    /// Ids only the zones in force raise.
    pub removed: u64,
    /// Ids both raise.
    pub unchanged: u64,
}

impl Outcome {
    /// Per alert kind (`dark_period`, …), the counts compared by alert id.
    pub fn summary(&self) -> BTreeMap<String, Compared> {
        let mut out: BTreeMap<String, Compared> = BTreeMap::new();
        let ids = |alerts: &[Alert]| -> std::collections::HashSet<String> {
            alerts.iter().map(|a| a.id.to_string()).collect()
        };
        let (was, would) = (ids(&self.was), ids(&self.would_be));
        for a in &self.was {
            let c = out.entry(a.kind.as_str().to_owned()).or_default();
            c.was += 1;
            if would.contains(a.id.as_str()) {
                c.unchanged += 1;
            } else {
                c.removed += 1;
            }
        }
        for a in &self.would_be {
            let c = out.entry(a.kind.as_str().to_owned()).or_default();
            c.would_be += 1;
            if !was.contains(a.id.as_str()) {
                c.added += 1;
            }
        }
        out
    }
}

/// Why a preview failed.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The archive cannot be read.
    #[error(transparent)]
    Raw(#[from] RawError),
    /// An engine thread stopped.
    #[error("a preview engine stopped: {0}")]
    Engine(String),
}

/// One batch: the messages of one source decoded from consecutive lines,
/// and the receive time of the last of them.
type Batch = Arc<(Arc<str>, Vec<Decoded>, Millis)>;

impl Previewer {
    /// Runs the lines received in `from..=to` (unix ms, wall clock)
    /// through the detectors with `now` (the zones in force) and `edited`.
    ///
    /// # Errors
    /// The archive cannot be read, or an engine thread failed.
    pub fn run(
        &self,
        from: Millis,
        to: Millis,
        now: ZoneSet,
        edited: ZoneSet,
    ) -> Result<Outcome, PreviewError> {
        std::thread::scope(|s| {
            let mut senders = Vec::new();
            let mut handles = Vec::new();
            for zones in [now, edited] {
                let (tx, rx) = mpsc::sync_channel::<Batch>(IN_FLIGHT);
                senders.push(tx);
                let mut engine = Engine::new(self.engine.clone())
                    .with_detectors(Detectors::new(zones, self.detect.clone()));
                handles.push(s.spawn(move || {
                    let mut latest = Latest::default();
                    for b in rx {
                        let (source, msgs, at) = &*b;
                        engine.ingest(source, msgs, *at);
                        latest.add(engine.take_alerts());
                    }
                    latest.into_alerts()
                }));
            }
            let read = self.read(from, to, |b| {
                let b = Arc::new(b);
                senders.iter().all(|tx| tx.send(b.clone()).is_ok())
            });
            drop(senders);
            let mut results = Vec::new();
            for h in handles {
                results.push(
                    h.join()
                        .map_err(|_| PreviewError::Engine("it panicked".into()))?,
                );
            }
            let (lines, messages) = read?;
            let would_be = results.pop().unwrap_or_default();
            let was = results.pop().unwrap_or_default();
            Ok(Outcome {
                was,
                would_be,
                lines,
                messages,
            })
        })
    }

    /// Reads and decodes the archive's lines received in `from..=to`,
    /// handing each batch to `emit` (false: stop). Returns lines and
    /// messages read.
    fn read(
        &self,
        from: Millis,
        to: Millis,
        mut emit: impl FnMut((Arc<str>, Vec<Decoded>, Millis)) -> bool,
    ) -> Result<(u64, u64), PreviewError> {
        let segs = match segments(&self.raw_dir) {
            Ok(s) => s,
            Err(RawError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        // From the last segment begun at or before `from` on.
        let start = segs
            .iter()
            .rposition(|s| s.first_received.is_some_and(|t| t <= from))
            .unwrap_or(0);
        let mut decoders: HashMap<Vec<u8>, (Arc<str>, Decoder)> = HashMap::new();
        let mut pending: Option<(Vec<u8>, Vec<Decoded>, Millis)> = None;
        let (mut lines, mut messages) = (0u64, 0u64);
        let mut stopped = false;
        let mut flush = |p: &mut Option<(Vec<u8>, Vec<Decoded>, Millis)>,
                         decoders: &HashMap<Vec<u8>, (Arc<str>, Decoder)>,
                         stopped: &mut bool| {
            if let Some((key, msgs, at)) = p.take() {
                if !msgs.is_empty() && !*stopped {
                    let name = decoders[&key].0.clone();
                    *stopped = !emit((name, msgs, at));
                }
            }
        };
        'segments: for seg in &segs[start..] {
            let mut past = false;
            scan_segment::<RawError>(&seg.path, |l| {
                if past || stopped {
                    return Ok(());
                }
                let at = l.received_at()?;
                if at < from {
                    return Ok(());
                }
                if at > to {
                    past = true;
                    return Ok(());
                }
                let peer = l.peer()?;
                let source = l.source_peer().0.to_vec();
                let text = l.line()?;
                lines += 1;
                let same = pending
                    .as_ref()
                    .is_some_and(|(k, m, _)| *k == source && m.len() < BATCH);
                if !same {
                    flush(&mut pending, &decoders, &mut stopped);
                }
                let (_, dec) = decoders
                    .entry(source.clone())
                    .or_insert_with(|| (String::from_utf8_lossy(&source).into(), Decoder::new()));
                let p = pending.get_or_insert_with(|| (source, Vec::with_capacity(BATCH), at));
                let before = p.1.len();
                dec.feed_from(peer, &text, at, &mut p.1);
                messages += (p.1.len() - before) as u64;
                p.2 = at;
                Ok(())
            })?;
            if past || stopped {
                break 'segments;
            }
        }
        flush(&mut pending, &decoders, &mut stopped);
        Ok((lines, messages))
    }
}

/// Each alert's latest change, in order of first change.
#[derive(Default)]
struct Latest {
    order: Vec<Alert>,
    at: HashMap<aiswatch_core::ids::AlertId, usize>,
}

impl Latest {
    fn add(&mut self, alerts: Vec<Alert>) {
        for a in alerts {
            match self.at.get(&a.id) {
                Some(&i) => self.order[i] = a,
                None => {
                    self.at.insert(a.id.clone(), self.order.len());
                    self.order.push(a);
                }
            }
        }
    }

    fn into_alerts(self) -> Vec<Alert> {
        self.order
    }
}
