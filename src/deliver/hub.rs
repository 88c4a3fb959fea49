//! Where the store writer announces committed alert changes: to the live
//! stream's subscribers (`GET /api/v1/alerts/stream`) and the outbox
//! workers. Only what is committed is announced. The API announces
//! officers' acknowledgements here too, once stored, for the live stream.

use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use super::sink::AlertEvent;
use aiswatch_core::ids::CentreId;

/// An acknowledgement just stored, for the live stream.
#[derive(Debug, Clone, PartialEq)]
pub struct AckEvent {
    /// The centre whose token acknowledged (`None`: an admin token). Only
    /// that centre's streams (and admins') carry it.
    pub centre: Option<CentreId>,
    /// The acknowledgement JSON, as `POST /api/v1/alerts/{id}/ack` answered it.
    pub json: Arc<str>,
}

/// Where the store writer announces committed alert changes: to the live
/// stream's subscribers and the outbox workers.
pub struct Hub {
    events: broadcast::Sender<Arc<AlertEvent>>,
    acks: broadcast::Sender<Arc<AckEvent>>,
    wake: watch::Sender<u64>,
}

impl Hub {
    /// A hub keeping up to `capacity` events for slow stream clients
    /// (beyond that they catch up from the store).
    pub fn new(capacity: usize) -> Arc<Hub> {
        Arc::new(Hub {
            events: broadcast::channel(capacity.max(1)).0,
            acks: broadcast::channel(capacity.max(1)).0,
            wake: watch::channel(0).0,
        })
    }

    /// Announces changes just committed.
    pub fn committed(&self, events: Vec<AlertEvent>) {
        if events.is_empty() {
            return;
        }
        for e in events {
            let _ = self.events.send(Arc::new(e));
        }
        self.wake();
    }

    /// Announces an acknowledgement just stored (no subscriber: nothing to do).
    pub fn acked(&self, e: AckEvent) {
        let _ = self.acks.send(Arc::new(e));
    }

    /// Acknowledgements from now on.
    pub fn subscribe_acks(&self) -> broadcast::Receiver<Arc<AckEvent>> {
        self.acks.subscribe()
    }

    /// Wakes the outbox workers (a retry was queued).
    pub fn wake(&self) {
        self.wake.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Live changes from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AlertEvent>> {
        self.events.subscribe()
    }

    /// Ticks on every commit that carried alert changes.
    pub fn wake_rx(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }
}
