//! ② The decode stage: one task between the sources and the engine. It
//! keeps one [`Decoder`] per source (framing and reassembly state belong to
//! a receiver), decodes each batch of lines inline, forwards the messages,
//! and hands every accepted line, as received, to the raw archive.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::MessageBatch;
use crate::ingest::{LineBatch, SourceId};
use crate::metrics::Metrics;
use crate::storage::raw::RawBatch;
use aiswatch_core::time::now_ms;
use aiswatch_decode::{DecodeStats, Decoder, Limit, Reject};

/// Why the decode stage stopped before its input ended.
#[derive(Debug, thiserror::Error)]
pub enum DecodeStageError {
    /// The raw archive writer is gone: accepted lines would go unarchived.
    #[error("the raw archive writer stopped")]
    RawArchiveStopped,
}

/// ② Decodes line batches with one [`Decoder`] per source (which keeps
/// framing state per receiver, bounded) and forwards the messages; every
/// line the decoder accepted goes, as received, to the raw archive.
/// Counters go to Prometheus after every batch.
pub async fn decode_stage(
    mut rx: mpsc::Receiver<LineBatch>,
    tx: mpsc::Sender<MessageBatch>,
    raw: Option<mpsc::Sender<RawBatch>>,
    metrics: Arc<Metrics>,
) -> Result<(), DecodeStageError> {
    // Sources come from the config: this map is as bounded as they are.
    let mut decoders: HashMap<SourceId, Decoder> = HashMap::new();
    let mut expiry = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            batch = rx.recv() => {
                let Some(batch) = batch else { break };
                let dec = decoders.entry(batch.source.clone()).or_default();
                let peer = batch.peer;
                if batch.prelude {
                    // Lines applied before: only the fragments they leave
                    // pending matter; what they complete is dropped, and
                    // they count nowhere.
                    let mut out = Vec::new();
                    for line in batch.lines {
                        dec.feed_from(peer, &line.text, line.received_at, &mut out);
                    }
                    let _ = dec.take_stats();
                    continue;
                }
                let mut out = Vec::with_capacity(batch.lines.len());
                let mut accepted = Vec::new();
                for line in batch.lines {
                    if raw.is_none() {
                        dec.feed_from(peer, &line.text, line.received_at, &mut out);
                        continue;
                    }
                    // Accepted: the decoder rejected nothing of it.
                    let rejected = dec.stats().rejects_total();
                    dec.feed_from(peer, &line.text, line.received_at, &mut out);
                    if dec.stats().rejects_total() == rejected {
                        accepted.push((line.received_at, line.text));
                    }
                }
                export(&metrics, &batch.source, dec.take_stats());
                if let (Some(raw), false) = (&raw, accepted.is_empty()) {
                    let b = RawBatch { source: batch.source.clone(), peer, lines: accepted };
                    if raw.send(b).await.is_err() {
                        // Lines would go unarchived: stop (and restart) instead.
                        return Err(DecodeStageError::RawArchiveStopped);
                    }
                }
                // A batch from the line stream goes on even without
                // messages: the engine records how far it has read.
                if !out.is_empty() || batch.position.is_some() {
                    let m = MessageBatch { source: batch.source, messages: out, position: batch.position };
                    if tx.send(m).await.is_err() {
                        break;
                    }
                }
            }
            _ = expiry.tick() => {
                // Incomplete messages expire; receivers and station ids left
                // unused are forgotten.
                let now = now_ms();
                for (id, dec) in decoders.iter_mut() {
                    dec.expire(now);
                    export(&metrics, id, dec.take_stats());
                }
            }
        }
    }
    Ok(())
}

fn export(m: &Metrics, source: &str, s: DecodeStats) {
    if s.lines == 0 && s.rejects_total() == 0 && s.limited_total() == 0 {
        return;
    }
    m.sentences.with_label_values(&[source]).inc_by(s.sentences);
    m.decoded.with_label_values(&[source]).inc_by(s.messages);
    for r in Reject::ALL {
        let n = s.reject(r);
        if n > 0 {
            m.rejected
                .with_label_values(&[source, r.as_str()])
                .inc_by(n);
        }
    }
    // What a cap turned away counts with the rejects, by its own reason.
    for l in Limit::ALL {
        let n = s.limit(l);
        if n > 0 {
            m.rejected
                .with_label_values(&[source, l.as_str()])
                .inc_by(n);
        }
    }
    for (t, &n) in s.by_type.iter().enumerate() {
        if n > 0 {
            m.messages_by_type
                .with_label_values(&[&t.to_string()])
                .inc_by(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::RawLine;

    fn batch(lines: &[&str], prelude: bool) -> LineBatch {
        LineBatch {
            source: "tcp".into(),
            peer: None,
            lines: lines
                .iter()
                .map(|l| RawLine {
                    received_at: 1_000,
                    text: l.as_bytes().to_vec(),
                })
                .collect(),
            position: Some(1),
            prelude,
        }
    }

    #[tokio::test]
    async fn a_prelude_restores_a_message_begun_before_it_and_forwards_nothing_of_its_own() {
        let first = "!AIVDM,2,1,9,B,53nFBv01SJ<thHp6220H4heHTf2222222222221?50:454o<`9QSlUDp,0*09";
        let second = "!AIVDM,2,2,9,B,888888888888880,2*2E";
        let single = "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23";
        let (line_tx, line_rx) = mpsc::channel(4);
        let (msg_tx, mut msg_rx) = mpsc::channel(4);
        let stage = tokio::spawn(decode_stage(
            line_rx,
            msg_tx,
            None,
            Arc::new(Metrics::new()),
        ));
        // The prelude: a whole message (applied before) and the first part
        // of the next.
        line_tx.send(batch(&[single, first], true)).await.unwrap();
        line_tx.send(batch(&[second], false)).await.unwrap();
        drop(line_tx);
        let m = msg_rx.recv().await.unwrap();
        assert_eq!(
            m.messages.len(),
            1,
            "the prelude's own message is not forwarded"
        );
        assert_eq!(m.messages[0].message.msg_type, 5);
        assert!(msg_rx.recv().await.is_none());
        stage.await.unwrap().unwrap();
    }
}
