//! Where the store writer announces committed alert changes: to the live
//! stream's subscribers (`GET /api/v1/alerts/stream`) and the outbox
//! workers. Only what is committed is announced.

use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use super::sink::AlertEvent;

/// Where the store writer announces committed alert changes: to the live
/// stream's subscribers and the outbox workers.
pub struct Hub {
    events: broadcast::Sender<Arc<AlertEvent>>,
    wake: watch::Sender<u64>,
}

impl Hub {
    /// A hub keeping up to `capacity` events for slow stream clients
    /// (beyond that they catch up from the store).
    pub fn new(capacity: usize) -> Arc<Hub> {
        Arc::new(Hub {
            events: broadcast::channel(capacity.max(1)).0,
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
