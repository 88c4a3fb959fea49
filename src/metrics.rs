//! Prometheus metrics. Names follow `aiswatch_<name>_<unit>_total`; labels
//! are bounded (source ids come from config, reasons and types are fixed
//! sets). Never an MMSI label.

use prometheus::{
    Encoder, Gauge, GaugeVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// Every metric the daemon exports, registered in one [`Registry`].
pub struct Metrics {
    /// The registry `/metrics` renders.
    pub registry: Registry,
    /// Raw lines read, by source.
    pub source_lines: IntCounterVec,
    /// Raw bytes read, by source.
    pub source_bytes: IntCounterVec,
    /// Lines a source had to drop because the pipeline was full (UDP only), by source.
    pub source_dropped: IntCounterVec,
    /// Connections accepted or established, by source.
    pub source_connections: IntCounterVec,
    /// Connection or read errors, by source.
    pub source_errors: IntCounterVec,
    /// TCP connections a server source closed or refused itself, by source
    /// and reason (`idle_timeout`, `evicted`, `limit`, `peer_limit`,
    /// `prefix_limit`).
    pub source_connections_closed: IntCounterVec,
    /// UDP datagrams the kernel dropped because the socket's receive buffer
    /// was full (read from `/proc/net/udp`), by source.
    pub source_dropped_datagrams: IntCounterVec,
    /// A UDP socket's receive buffer as the kernel granted it, by source.
    pub source_receive_buffer_bytes: IntGaugeVec,
    /// Whether a source is currently connected / listening (1) or not (0).
    pub source_up: IntGaugeVec,
    /// Passes a file source completed over its file (a looped one counts on), by source.
    pub source_passes: IntCounterVec,
    /// How far behind schedule a paced file source sent its latest batch,
    /// in seconds, by source.
    pub source_playback_lag_seconds: GaugeVec,
    /// AIS sentences (VDM/VDO) framed, by source.
    pub sentences: IntCounterVec,
    /// Complete AIS messages decoded, by source.
    pub decoded: IntCounterVec,
    /// Lines, sentences or messages rejected, by source and reason.
    pub rejected: IntCounterVec,
    /// Decoded messages by AIS message type.
    pub messages_by_type: IntCounterVec,
    /// Messages heard more than once (several stations) and collapsed for tracking.
    pub duplicates: IntCounter,
    /// Vessels currently tracked.
    pub vessels: IntGauge,
    /// Wall-clock time minus the engine's event-time clock, in seconds.
    pub engine_lag_seconds: Gauge,
    /// Alerts emitted, by detector, state and zone (zone ids: bounded by the zone files).
    pub alerts: IntCounterVec,
    /// Store writer and raw archive state, by what (`positions_written`,
    /// `positions_dropped`, `positions_pending`, `statics_written`,
    /// `alerts_written`, `errors`, `raw_lines_written`, `raw_lines_dropped`,
    /// `raw_lines_pending`, `raw_errors`, `migrations_rerun`). Gauges copied
    /// from the writers every second (the `_written`/`_dropped`/`errors`/
    /// `_rerun` ones only grow).
    pub store: IntGaugeVec,
    /// SQLite: the size of the database's WAL file after the writer's last
    /// commit, in bytes (0 on PostgreSQL).
    pub store_wal_bytes: IntGauge,
    /// HTTP connections the server closed or refused itself, by reason
    /// (`header_timeout`, `evicted`, `limit`).
    pub http_connections_closed: IntCounterVec,
    /// HTTP connections open now.
    pub http_connections: IntGauge,
    /// Messages said in English for want of a translation, by language
    /// (from the catalogs' own counts at each scrape).
    pub i18n_fallbacks: IntCounterVec,
}

impl Metrics {
    /// Creates and registers every metric.
    ///
    /// # Panics
    /// Only if two metrics share a name, which is a programming error caught
    /// by the unit test below.
    pub fn new() -> Self {
        let registry = Registry::new();
        let cv = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        };
        let i18n_fallbacks = cv(
            "aiswatch_i18n_fallbacks_total",
            "Messages said in English because the language's catalog lacks them (locales/).",
            &["lang"],
        );
        let source_lines = cv(
            "aiswatch_source_lines_total",
            "Raw lines read.",
            &["source"],
        );
        let source_bytes = cv(
            "aiswatch_source_bytes_total",
            "Raw bytes read.",
            &["source"],
        );
        let source_dropped = cv(
            "aiswatch_source_dropped_lines_total",
            "Lines dropped because the pipeline was full.",
            &["source"],
        );
        let source_connections = cv(
            "aiswatch_source_connections_total",
            "Connections accepted or established.",
            &["source"],
        );
        let source_errors = cv(
            "aiswatch_source_errors_total",
            "Connection or read errors.",
            &["source"],
        );
        let source_connections_closed = cv(
            "aiswatch_source_connections_closed_total",
            "TCP connections a server source closed or refused: idle_timeout (no complete line \
             in time), evicted (silent longest, closed for a new one), limit / peer_limit / \
             prefix_limit (refused: every connection, or every one from that address or \
             network, talking).",
            &["source", "reason"],
        );
        let source_dropped_datagrams = cv(
            "aiswatch_source_dropped_datagrams_total",
            "UDP datagrams the kernel dropped because the socket's receive buffer was full.",
            &["source"],
        );
        let sentences = cv(
            "aiswatch_sentences_total",
            "AIS sentences (VDM/VDO) framed.",
            &["source"],
        );
        let decoded = cv(
            "aiswatch_messages_decoded_total",
            "Complete AIS messages decoded.",
            &["source"],
        );
        let rejected = cv(
            "aiswatch_rejected_total",
            "Lines, sentences or messages rejected, by reason; station_limit, fragment_limit and \
             peer_limit count station ids, fragments and receivers' state a decoder's caps \
             turned away.",
            &["source", "reason"],
        );
        let messages_by_type = cv(
            "aiswatch_messages_by_type_total",
            "Decoded AIS messages by message type.",
            &["type"],
        );
        let alerts = cv(
            "aiswatch_alerts_total",
            "Alert state changes emitted, by detector, state and zone.",
            &["detector", "state", "zone"],
        );
        let store = IntGaugeVec::new(
            Opts::new(
                "aiswatch_store",
                "Store writer and raw archive counters (positions written, dropped, pending, errors …).",
            ),
            &["what"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(store.clone()))
            .expect("unique metric");
        let source_up = IntGaugeVec::new(
            Opts::new("aiswatch_source_up", "Source connected or listening."),
            &["source"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(source_up.clone()))
            .expect("unique metric");
        let source_receive_buffer_bytes = IntGaugeVec::new(
            Opts::new(
                "aiswatch_source_receive_buffer_bytes",
                "UDP socket receive buffer granted by the kernel (SO_RCVBUF).",
            ),
            &["source"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(source_receive_buffer_bytes.clone()))
            .expect("unique metric");
        let source_passes = cv(
            "aiswatch_source_passes_total",
            "Passes a file source completed over its file (looped: one more each time).",
            &["source"],
        );
        let source_playback_lag_seconds = GaugeVec::new(
            Opts::new(
                "aiswatch_source_playback_lag_seconds",
                "How far behind schedule a paced file source sent its latest batch.",
            ),
            &["source"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(source_playback_lag_seconds.clone()))
            .expect("unique metric");
        let duplicates = IntCounter::new(
            "aiswatch_duplicates_total",
            "Messages heard by more than one station, collapsed for tracking.",
        )
        .expect("valid metric");
        registry
            .register(Box::new(duplicates.clone()))
            .expect("unique metric");
        let vessels = IntGauge::new("aiswatch_vessels_tracked", "Vessels currently tracked.")
            .expect("valid metric");
        registry
            .register(Box::new(vessels.clone()))
            .expect("unique metric");
        let engine_lag_seconds = Gauge::new(
            "aiswatch_engine_lag_seconds",
            "Wall-clock time minus the engine's event-time clock.",
        )
        .expect("valid metric");
        registry
            .register(Box::new(engine_lag_seconds.clone()))
            .expect("unique metric");
        let store_wal_bytes = IntGauge::new(
            "aiswatch_store_wal_bytes",
            "SQLite: size of the database's write-ahead log file after the last commit (0 on PostgreSQL).",
        )
        .expect("valid metric");
        registry
            .register(Box::new(store_wal_bytes.clone()))
            .expect("unique metric");
        let http_connections_closed = cv(
            "aiswatch_http_connections_closed_total",
            "HTTP connections the server closed or refused: header_timeout (request head not \
             complete in time, or idle keep-alive), evicted (no complete request head yet, \
             closed for a new connection), limit (refused with 503: every connection busy).",
            &["reason"],
        );
        let http_connections =
            IntGauge::new("aiswatch_http_connections", "HTTP connections open now.")
                .expect("valid metric");
        registry
            .register(Box::new(http_connections.clone()))
            .expect("unique metric");
        Metrics {
            registry,
            http_connections_closed,
            http_connections,
            i18n_fallbacks,
            source_lines,
            source_bytes,
            source_dropped,
            source_connections,
            source_errors,
            source_connections_closed,
            source_dropped_datagrams,
            source_receive_buffer_bytes,
            source_up,
            source_passes,
            source_playback_lag_seconds,
            sentences,
            decoded,
            rejected,
            messages_by_type,
            duplicates,
            vessels,
            engine_lag_seconds,
            alerts,
            store,
            store_wal_bytes,
        }
    }

    /// Renders the Prometheus text exposition format.
    pub fn render(&self) -> String {
        for (lang, n) in aiswatch_i18n::Catalogs::shipped().fallbacks() {
            let c = self.i18n_fallbacks.with_label_values(&[lang]);
            c.inc_by(n.saturating_sub(c.get()));
        }
        let mut buf = Vec::new();
        let enc = TextEncoder::new();
        // Encoding into a Vec cannot fail for well-formed metric families.
        let _ = enc.encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// Lines read, messages decoded and whether it is up, per source, in
    /// source order (what the status API and the console's strip show).
    pub fn sources(&self) -> Vec<SourceCounts> {
        use prometheus::core::Collector;
        use std::collections::BTreeMap;
        let mut out: BTreeMap<String, SourceCounts> = BTreeMap::new();
        let mut each =
            |families: Vec<prometheus::proto::MetricFamily>,
             set: &dyn Fn(&mut SourceCounts, &prometheus::proto::Metric)| {
                for m in families.iter().flat_map(|f| f.get_metric()) {
                    if let Some(l) = m.get_label().iter().find(|l| l.get_name() == "source") {
                        let e =
                            out.entry(l.get_value().to_owned())
                                .or_insert_with(|| SourceCounts {
                                    id: l.get_value().to_owned(),
                                    ..SourceCounts::default()
                                });
                        set(e, m);
                    }
                }
            };
        each(self.source_lines.collect(), &|e, m| {
            e.lines = m.get_counter().get_value() as u64
        });
        each(self.decoded.collect(), &|e, m| {
            e.messages = m.get_counter().get_value() as u64
        });
        each(self.source_up.collect(), &|e, m| {
            e.up = Some(m.get_gauge().get_value() > 0.0)
        });
        out.into_values().collect()
    }
}

/// One source's counters since start.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SourceCounts {
    /// The source's id (`[[sources]] id`).
    pub id: String,
    /// Raw lines read.
    pub lines: u64,
    /// Complete AIS messages decoded.
    pub messages: u64,
    /// Connected or listening; null for a source that has no such state (a file).
    pub up: Option<bool>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registers_and_renders() {
        let m = super::Metrics::new();
        m.sentences.with_label_values(&["udp"]).inc();
        assert!(m
            .render()
            .contains("aiswatch_sentences_total{source=\"udp\"} 1"));
        m.source_lines.with_label_values(&["udp"]).inc_by(3);
        m.decoded.with_label_values(&["udp"]).inc_by(2);
        m.source_up.with_label_values(&["udp"]).set(1);
        m.source_lines.with_label_values(&["file"]).inc();
        let s = m.sources();
        assert_eq!(
            s.iter()
                .map(|c| (c.id.as_str(), c.lines, c.messages, c.up))
                .collect::<Vec<_>>(),
            [("file", 1, 0, None), ("udp", 3, 2, Some(true))]
        );
    }
}
