//! Which waiting `send` a PUBACK belongs to.
//!
//! rumqttc (0.25) hands a publish to its event loop through a FIFO channel
//! and only later gives it a packet id; it reports that id as
//! `Outgoing::Publish(pkid)` (or `Outgoing::AwaitAck(pkid)` when the id is
//! still taken by an unacknowledged publish: a "collision", sent once that
//! one is acknowledged), in channel order. So the senders wait here in the
//! order they were enqueued, get their packet id from those events, and are
//! answered by the matching PUBACK.
//!
//! On a lost connection every waiting sender is failed at once and the
//! event loop's leftovers are dropped (clean session, no resend by
//! rumqttc): the outbox retries them, so the queue here can never drift
//! from rumqttc's own.

use std::collections::{HashMap, VecDeque};

use tokio::sync::oneshot;

/// Where the answer to one `send` goes: `Ok` on PUBACK, else why not.
pub(super) type Reply = oneshot::Sender<Result<(), Unacked>>;

/// Why a publish got no PUBACK. Text, because one lost connection fails
/// every waiting publish and rumqttc's error cannot be cloned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(super) struct Unacked(pub(super) String);

/// The senders waiting for a PUBACK, by stage.
#[derive(Debug, Default)]
pub(super) struct Acks {
    /// Whether the broker accepted our CONNECT and the link is still up.
    connected: bool,
    /// Why the link is down, for the errors of `send`s meanwhile.
    last_error: Option<String>,
    /// Enqueued in rumqttc's request channel, no packet id yet; oldest
    /// first.
    queued: VecDeque<Reply>,
    /// Given a packet id still in use: sent once that id is acknowledged.
    collided: Option<(u16, Reply)>,
    /// Sent, waiting for the PUBACK of this packet id.
    inflight: HashMap<u16, Reply>,
}

impl Acks {
    /// Whether a publish may be enqueued now.
    pub(super) fn connected(&self) -> bool {
        self.connected
    }

    /// Why the link is down, if it is known.
    pub(super) fn last_error(&self) -> Option<&str> {
        self.last_error.as_deref()
    }

    /// The broker acknowledged our CONNECT.
    pub(super) fn on_connected(&mut self) {
        self.connected = true;
        self.last_error = None;
    }

    /// A publish was just enqueued, after every earlier one.
    pub(super) fn push(&mut self, reply: Reply) {
        self.queued.push_back(reply);
    }

    /// rumqttc wrote publish `pkid`: the oldest queued one, or the
    /// collided one once its id was freed.
    pub(super) fn on_publish(&mut self, pkid: u16) {
        let reply = match self.collided.take() {
            Some((id, reply)) if id == pkid => Some(reply),
            other => {
                self.collided = other;
                self.queued.pop_front()
            }
        };
        if let Some(reply) = reply {
            if let Some(old) = self.inflight.insert(pkid, reply) {
                // Cannot happen while rumqttc keeps ids unique; answer
                // rather than leave the old sender waiting.
                let _ = old.send(Err(Unacked(format!(
                    "packet id {pkid} reused before its PUBACK"
                ))));
            }
        }
    }

    /// rumqttc holds the oldest queued publish back until `pkid` is free.
    pub(super) fn on_await_ack(&mut self, pkid: u16) {
        if let Some(reply) = self.queued.pop_front() {
            self.collided = Some((pkid, reply));
        }
    }

    /// The broker acknowledged publish `pkid`.
    pub(super) fn on_puback(&mut self, pkid: u16) {
        if let Some(reply) = self.inflight.remove(&pkid) {
            // The sender may have given up (timeout, cancel): nothing to do.
            let _ = reply.send(Ok(()));
        }
    }

    /// The link is down: every waiting sender fails with `why`.
    pub(super) fn on_disconnect(&mut self, why: &str) {
        self.connected = false;
        self.last_error = Some(why.to_owned());
        let err = || Err(Unacked(format!("connection lost before PUBACK: {why}")));
        for reply in self.queued.drain(..) {
            let _ = reply.send(err());
        }
        if let Some((_, reply)) = self.collided.take() {
            let _ = reply.send(err());
        }
        for (_, reply) in self.inflight.drain() {
            let _ = reply.send(err());
        }
    }

    /// How many senders are waiting, at any stage.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        self.queued.len() + self.inflight.len() + usize::from(self.collided.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot::error::TryRecvError;

    fn push(acks: &mut Acks) -> oneshot::Receiver<Result<(), Unacked>> {
        let (tx, rx) = oneshot::channel();
        acks.push(tx);
        rx
    }

    #[test]
    fn pubacks_answer_the_publish_with_that_packet_id() {
        let mut acks = Acks::default();
        acks.on_connected();
        let mut a = push(&mut acks);
        let mut b = push(&mut acks);
        acks.on_publish(1);
        acks.on_publish(2);
        acks.on_puback(2);
        assert_eq!(b.try_recv(), Ok(Ok(())));
        assert_eq!(a.try_recv(), Err(TryRecvError::Empty));
        acks.on_puback(1);
        assert_eq!(a.try_recv(), Ok(Ok(())));
        assert_eq!(acks.waiting(), 0);
    }

    #[test]
    fn a_collided_publish_waits_for_its_id_to_free() {
        let mut acks = Acks::default();
        acks.on_connected();
        let mut a = push(&mut acks);
        acks.on_publish(1);
        let mut b = push(&mut acks);
        acks.on_await_ack(1);
        // The PUBACK of the first frees id 1 and rumqttc sends the second.
        acks.on_puback(1);
        acks.on_publish(1);
        assert_eq!(a.try_recv(), Ok(Ok(())));
        assert_eq!(b.try_recv(), Err(TryRecvError::Empty));
        acks.on_puback(1);
        assert_eq!(b.try_recv(), Ok(Ok(())));
        assert_eq!(acks.waiting(), 0);
    }

    #[test]
    fn a_lost_connection_fails_every_waiting_sender() {
        let mut acks = Acks::default();
        acks.on_connected();
        let mut a = push(&mut acks);
        acks.on_publish(1);
        let mut b = push(&mut acks);
        acks.on_await_ack(1);
        let mut c = push(&mut acks);
        acks.on_disconnect("I/O: reset");
        assert!(!acks.connected());
        assert_eq!(acks.last_error(), Some("I/O: reset"));
        for rx in [&mut a, &mut b, &mut c] {
            let got = rx.try_recv().expect("answered");
            assert!(got.unwrap_err().0.contains("I/O: reset"));
        }
        assert_eq!(acks.waiting(), 0);
    }

    #[test]
    fn a_gone_sender_is_forgotten_on_its_puback() {
        let mut acks = Acks::default();
        acks.on_connected();
        drop(push(&mut acks));
        acks.on_publish(7);
        acks.on_puback(7);
        assert_eq!(acks.waiting(), 0);
    }
}
