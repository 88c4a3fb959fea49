//! Restart resumes, it does not start over: at start the engine replays
//! the stored positions and static changes of its memory window (reaching
//! back to the start of every alert still open), on the data's clock, and
//! emits nothing. Ids are built from the data, so an alert open before the
//! restart is rebuilt under the same id and goes on; one the store does
//! not know (an artefact of starting mid-event) stays silent for its life.
//!
//! The replay follows the engine's record sequence (positions, static
//! changes and clock ticks in the order it applied them), so the rebuilt
//! clock ticks when the original did. Messages that left no position or
//! static row (a second station's copy, a base station's report) are
//! stored as [`HeardRow`]s and replayed too, so receiver coverage and
//! station liveness come back as they were. Stores written before
//! migration 0007 have none: coverage is then rebuilt from first copies
//! only, and relearnt from live data.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::{Batch, HeardRow, OpenAlert, PositionRow, StaticRow, StorageError, Store};
use aiswatch_core::ids::{AlertId, CentreId, Mmsi};
use aiswatch_core::time::Millis;
use aiswatch_decode::ais::{ClassA, ClassB, Dimensions, LongRange, StaticVoyage};
use aiswatch_decode::{AisMessage, Body, Decoded, TimeSource};
use aiswatch_engine::alert::{Alert, Arg, Details, Kind, Message, State, VesselInfo};
use aiswatch_engine::engine::Engine;

/// Records replayed per query (bounds memory).
const SEQ_STEP: u64 = 100_000;
/// Replay steps between two yields to the runtime.
const YIELD_EVERY: usize = 4_096;

/// How far a rebuild is, for `/readyz` while it runs: the daemon listens
/// and buffers from the start, and answers "rebuilding" until it is done.
#[derive(Debug, Default)]
pub struct Progress {
    done: AtomicBool,
    replayed: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    /// A progress already done (nothing to rebuild).
    pub fn done() -> Self {
        let p = Progress::default();
        p.finish();
        p
    }

    /// Records replayed and records to replay, while the rebuild runs;
    /// `None` once it is done.
    pub fn rebuilding(&self) -> Option<(u64, u64)> {
        (!self.done.load(Ordering::Acquire)).then(|| {
            (
                self.replayed.load(Ordering::Relaxed),
                self.total.load(Ordering::Relaxed),
            )
        })
    }

    /// Marks the rebuild done.
    pub fn finish(&self) {
        self.done.store(true, Ordering::Release);
    }
}

/// What a rebuild did.
#[derive(Debug, Default, Clone)]
pub struct Resume {
    /// Alert ids the rebuild raised that the store does not know: their
    /// changes are never emitted.
    pub silenced: HashSet<AlertId>,
    /// Positions replayed.
    pub positions: u64,
    /// Static changes replayed.
    pub statics: u64,
    /// Event-time range replayed.
    pub span: Option<(Millis, Millis)>,
    /// Within [`Bounds::upto`]: every alert id the store knows, for the
    /// lines the engine applies again up to where it resumes (their alerts
    /// were stored then; an id not among these is silenced). Empty otherwise.
    pub known: HashSet<AlertId>,
    /// Alerts open in the store at start.
    pub open_alerts: usize,
    /// Of those, alerts closed because nothing would ever close them: their
    /// detector is switched off in their zone, or the zone is gone.
    pub closed_orphans: usize,
}

/// `reason` of an open alert closed at restart: its detector is switched
/// off in its zone.
pub const REASON_DETECTOR_DISABLED: &str = "detector_disabled";
/// `reason` of an open alert closed at restart: its zone is no longer loaded.
pub const REASON_ZONE_REMOVED: &str = "zone_removed";

/// Whether an alert of a zone (by id) is this engine's to raise.
pub type Owns = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What a rebuild replays and closes, for an engine leading one partition
/// of a cluster (the default: everything stored, every zone its own).
#[derive(Clone, Default)]
pub struct Bounds {
    /// Replay the records only up to this one: (its sequence, the last
    /// event time stored with it). The records as they stood when the
    /// stream position this engine resumes from was applied.
    pub upto: Option<(u64, Option<Millis>)>,
    /// The zones whose alerts this engine raises: an open alert of another
    /// zone is its owner's, never closed here.
    pub owns: Option<Owns>,
}

/// Rebuilds `engine`'s state from `store` (see the module doc), telling
/// `progress` how far it is (it does not mark it done). The engine must
/// not be recording.
///
/// # Errors
/// The store could not be read.
pub async fn rebuild(
    store: &Store,
    engine: &mut Engine,
    progress: &Progress,
) -> Result<Resume, StorageError> {
    rebuild_within(store, engine, progress, &Bounds::default()).await
}

/// [`rebuild`] within `bounds`.
///
/// # Errors
/// The store could not be read.
pub async fn rebuild_within(
    store: &Store,
    engine: &mut Engine,
    progress: &Progress,
    bounds: &Bounds,
) -> Result<Resume, StorageError> {
    let mut out = Resume::default();
    let (last, last_seq) = match bounds.upto {
        Some((seq, time)) => (time, seq),
        None => (store.last_time().await?, store.last_seq().await?),
    };
    let Some(last) = last else {
        if bounds.upto.is_some() {
            out.known = store.alert_ids().await?;
        }
        return Ok(out);
    };
    let window = engine.memory_window().as_millis().min(i64::MAX as u128 / 2) as Millis;
    let mut open = store.open_alerts().await?;
    if let Some(owns) = &bounds.owns {
        open.retain(|a| owns(&a.zone));
    }
    out.open_alerts = open.len();
    let from = open
        .iter()
        .map(|a| a.started_at - window)
        .fold(last - window, Millis::min);
    let known = store.alert_ids().await?;
    let wall = aiswatch_core::time::now_ms().max(last);
    let first_seq = store.first_seq_since(from).await?;
    progress
        .total
        .store(last_seq.saturating_sub(first_seq) + 1, Ordering::Relaxed);
    let mut seq = first_seq;
    while seq <= last_seq {
        let to = (seq + SEQ_STEP).min(last_seq + 1);
        let batch = store.records(seq, to).await?;
        out.positions += batch.positions.len() as u64;
        out.statics += batch.statics.len() as u64;
        for (n, step) in merge(batch).into_iter().enumerate() {
            // The daemon answers and buffers meanwhile: let its other
            // tasks run.
            if n % YIELD_EVERY == YIELD_EVERY - 1 {
                tokio::task::yield_now().await;
            }
            match step {
                Step::Tick(t) => engine.advance(t),
                Step::Messages(source, msgs) => engine.ingest(&source, &msgs, wall),
                Step::Heard(h) => engine.replay_heard(&h),
            }
            for a in engine.take_alerts() {
                if !known.contains(&a.id) {
                    out.silenced.insert(a.id);
                }
            }
        }
        seq = to;
        progress
            .replayed
            .store(to.min(last_seq + 1) - first_seq, Ordering::Relaxed);
    }
    engine.set_next_seq(last_seq + 1);
    out.span = Some((from, last));
    if bounds.upto.is_some() {
        out.known = known;
    }
    let at = engine.clock().unwrap_or(last).max(last);
    for a in &open {
        if let Some(close) = orphan_close(a, engine, at) {
            out.closed_orphans += 1;
            engine.raise(close);
        }
    }
    Ok(out)
}

/// The close of open alert `a` if nothing would ever close it: its detector
/// is switched off in its zone, or the zone is gone. It is raised in the
/// engine, so it is stored and delivered like any other change.
///
/// Vessels, zone name, centres and place come from the alert's last stored
/// change. If that cannot be read, the close says only what the open row
/// knows (id, kind, zone, start): no vessels, no centre, at 0, 0.
pub(super) fn orphan_close(a: &OpenAlert, engine: &Engine, at: Millis) -> Option<Alert> {
    let kind = Kind::parse(&a.kind)?;
    let runs = engine.detectors().and_then(|d| d.runs(kind, &a.zone));
    let (reason, why) = match runs {
        Some(true) => return None,
        Some(false) => (
            REASON_DETECTOR_DISABLED,
            Message::new("restart-detector-off")
                .arg("kind", aiswatch_engine::alert::kind_word(kind))
                .text("zone", a.zone.as_str()),
        ),
        None => (
            REASON_ZONE_REMOVED,
            Message::new("restart-zone-gone").text("zone", a.zone.as_str()),
        ),
    };
    let (mmsi, zone_name, zone_version, centre, lat, lon) =
        match serde_json::from_str::<LastChange>(&a.json) {
            Ok(l) => (l.mmsi, l.zone_name, l.zone_version, l.centre, l.lat, l.lon),
            Err(e) => {
                tracing::warn!(
                    alert = %a.id,
                    error = %e,
                    "Stored alert unreadable: closing it with only what its open row knows."
                );
                (Vec::new(), None, None, Vec::new(), 0.0, 0.0)
            }
        };
    let vessels: Vec<VesselInfo> = mmsi
        .iter()
        .map(|&m| VesselInfo::from_store(engine.tracks(), m))
        .collect();
    let who = match &vessels[..] {
        [] => Arg::Message(Message::new("closed-at-restart-alert").text("id", a.id.as_str())),
        [v] => Arg::Text(v.label()),
        [v, w, ..] => Arg::Message(
            Message::new("vessel-pair")
                .text("vessel", v.label())
                .text("other", w.label()),
        ),
    };
    let summary = Message::new("closed-at-restart")
        .arg("vessel", who)
        .arg("kind", aiswatch_engine::alert::kind_word(kind))
        .message("why", why)
        .arg("reason", aiswatch_engine::alert::reason(reason));
    let at = at.max(a.started_at);
    Some(Alert {
        id: a.id.clone(),
        kind,
        state: State::Closed,
        mmsi,
        zone: a.zone.as_str().into(),
        zone_name,
        zone_version,
        centre,
        at,
        started_at: a.started_at,
        ended_at: Some(at),
        lat,
        lon,
        summary: aiswatch_engine::alert::english(&summary),
        message: Some(summary),
        vessels,
        details: Details::ended(kind, reason),
    })
}

/// What a close at restart takes from an alert's last stored change: who,
/// where and for whom (its details, whatever their shape then, are not
/// needed).
#[derive(serde::Deserialize)]
struct LastChange {
    mmsi: Vec<Mmsi>,
    zone_name: Option<String>,
    #[serde(default)]
    zone_version: Option<Arc<str>>,
    centre: Vec<CentreId>,
    lat: f64,
    lon: f64,
}

/// One step of a replay: a clock tick, messages from one source, or a
/// message heard that left no other row.
enum Step {
    Tick(Millis),
    Messages(Arc<str>, Vec<Decoded>),
    Heard(HeardRow),
}

/// Positions, static changes, ticks and messages heard in the order the
/// engine applied them (their sequence numbers), as steps, runs of
/// messages per source together.
fn merge(b: Batch) -> Vec<Step> {
    let mut all: Vec<(u64, Step)> = b
        .statics
        .into_iter()
        .map(|s| {
            (
                s.seq,
                Step::Messages(s.source.clone(), vec![static_message(&s)]),
            )
        })
        .chain(b.positions.into_iter().map(|p| {
            (
                p.seq,
                Step::Messages(p.source.clone(), vec![position_message(&p)]),
            )
        }))
        .chain(b.ticks.into_iter().map(|k| (k.seq, Step::Tick(k.time))))
        .chain(b.heard.into_iter().map(|h| (h.seq, Step::Heard(h))))
        .collect();
    all.sort_unstable_by_key(|e| e.0);
    let mut steps: Vec<Step> = Vec::new();
    for (_, step) in all {
        match (step, steps.last_mut()) {
            (Step::Messages(source, mut d), Some(Step::Messages(s, v))) if *s == source => {
                v.append(&mut d)
            }
            (step, _) => steps.push(step),
        }
    }
    steps
}

fn raw_deg(deg: f64, per_deg: f64) -> i32 {
    (deg * per_deg).round() as i32
}

/// The position report a stored row came from (fields the store does not
/// keep are "not available").
pub fn position_message(p: &PositionRow) -> Decoded {
    let speed = p.sog_dkn.unwrap_or(1023);
    let course = p.cog_ddeg.unwrap_or(3600);
    let heading = p.heading.unwrap_or(511);
    let (msg_type, body) = match p.msg_type {
        18 | 19 => (
            18,
            Body::ClassB(ClassB::report(
                speed,
                raw_deg(p.lon, 600_000.0),
                raw_deg(p.lat, 600_000.0),
                course,
                heading,
            )),
        ),
        27 => (
            27,
            Body::LongRange(LongRange {
                accuracy: false,
                raim: false,
                status: p.nav_status.unwrap_or(15),
                lon: raw_deg(p.lon, 600.0),
                lat: raw_deg(p.lat, 600.0),
                speed: p.sog_dkn.map_or(63, |s| (s / 10).min(62) as u8),
                course: p.cog_ddeg.map_or(511, |c| c / 10),
                gnss: true,
            }),
        ),
        t => (
            t,
            Body::ClassA(ClassA::report(
                p.nav_status.unwrap_or(15),
                speed,
                raw_deg(p.lon, 600_000.0),
                raw_deg(p.lat, 600_000.0),
                course,
                heading,
            )),
        ),
    };
    Decoded {
        time: p.time,
        time_source: TimeSource::TagBlock,
        station: p.station.clone(),
        channel: 0,
        own_ship: false,
        payload_hash: p.hash,
        message: AisMessage {
            msg_type,
            repeat: 0,
            mmsi: p.mmsi.0,
            body,
        },
    }
}

/// A type 5 message carrying a stored static state.
fn static_message(s: &StaticRow) -> Decoded {
    let i = &s.info;
    let v = StaticVoyage {
        ais_version: 0,
        imo: i.imo.unwrap_or(0),
        callsign: i.callsign.clone().unwrap_or_default(),
        shipname: i.name.clone().unwrap_or_default(),
        shiptype: i.ship_type.unwrap_or(0),
        dims: Dimensions {
            to_bow: i.length_m.unwrap_or(0),
            to_stern: 0,
            to_port: i.beam_m.map_or(0, |b| b.min(63) as u8),
            to_starboard: 0,
        },
        epfd: 0,
        month: 0,
        day: 0,
        hour: 24,
        minute: 60,
        draught: i
            .draught_m
            .map_or(0, |d| (d * 10.0).round().min(255.0) as u8),
        destination: i.destination.clone().unwrap_or_default(),
        dte: false,
    };
    Decoded {
        time: s.time,
        time_source: TimeSource::TagBlock,
        station: s.station.clone(),
        channel: 0,
        own_ship: false,
        payload_hash: ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one((s.mmsi.0, s.time)),
        message: AisMessage {
            msg_type: 5,
            repeat: 0,
            mmsi: s.mmsi.0,
            body: Body::StaticVoyage(Box::new(v)),
        },
    }
}
