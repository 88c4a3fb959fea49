//! `GET /api/v1/alerts/stream`: every alert state change as it is stored,
//! as Server-Sent Events, scoped by the token like the rest of the API (a
//! centre sees the alerts routed to it, of the kinds it takes).
//!
//! Each event is `id: <n>`, `event: alert`, `data: <alert JSON>`, where n
//! is the change's place in the store's event log. A client that
//! reconnects with `Last-Event-ID: n` first gets what it missed, from the
//! store, then the live changes; a client too slow for the live feed
//! catches up from the store the same way. Nothing is streamed that is not
//! committed.
//!
//! Officers' acknowledgements come as `event: ack`, `data: <the ack JSON
//! of POST /api/v1/alerts/{id}/ack>`, without an `id:` (they are not in the
//! event log, so `Last-Event-ID` stays the alerts'), only to the streams of
//! the acknowledging centre (and admins'), as they are stored. They are
//! not replayed: a client that reconnects reads the acknowledgements from
//! `GET /api/v1/alerts`.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use tokio::sync::broadcast;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::deliver::hub::AckEvent;
use crate::deliver::sink::{AlertEvent, Route};
use crate::storage::Scope;
use crate::storage::Store;
use aiswatch_core::ids::CentreId;

/// Events read from the store per catch-up query.
const CATCH_UP: usize = 500;

#[utoipa::path(
    get,
    path = "/api/v1/alerts/stream",
    operation_id = "stream_alerts",
    tag = "alerts",
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id")),
    responses(
        (status = 200, description = "Server-Sent Events: `id: n`, `event: alert`, `data:` the alert JSON; and `event: ack`, `data:` an acknowledgement of the caller's centre (no id)", content_type = "text/event-stream", body = String),
        (status = 400, description = "A bad Last-Event-ID", body = ErrorBody),
        (status = 401, description = "No or unknown token", body = ErrorBody),
        (status = 503, description = "No live stream (no store), or `[api] max_streams` open", body = ErrorBody),
    )
)]
/// Live alert state changes, resumable with `Last-Event-ID`, and the
/// caller's centre's acknowledgements.
pub(crate) async fn stream(
    State(state): State<AppState>,
    Extension(Caller(scope)): Extension<Caller>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hub = state.ctx.hub.clone().ok_or(ApiError::NoStore)?;
    // Held for the stream's life.
    let permit = state
        .streams
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy)?;
    let last = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::bad("Last-Event-ID", "must be an event id (an integer)")
                })?,
        ),
    };
    // Subscribe before reading the backlog, so nothing falls in between.
    let rx = hub.subscribe();
    let acks = hub.subscribe_acks();
    let filter = Filter::new(&scope, &state.ctx.routes);
    let lang = state.lang(&scope);
    let feed = Feed {
        store: state.ctx.store.clone(),
        rx,
        acks,
        filter,
        last: last.unwrap_or(0),
        backlog: VecDeque::new(),
        catching_up: last.is_some(),
    };
    let events = futures_util::stream::unfold((feed, permit), move |(mut f, permit)| async move {
        let ev = match f.next().await? {
            Item::Alert(e) => {
                Event::default()
                    .id(e.n.to_string())
                    .event("alert")
                    .data(match lang {
                        Some(l) => crate::localize::alert_json(&e.json, l),
                        None => e.json.to_string(),
                    })
            }
            Item::Ack(a) => Event::default().event("ack").data(&*a.json),
        };
        Some((Ok::<_, Infallible>(ev), (f, permit)))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Which events a caller sees.
struct Filter {
    centre: Option<CentreId>,
    route: Option<Route>,
}

impl Filter {
    fn new(scope: &Scope, routes: &[Route]) -> Filter {
        match scope {
            Scope::Admin => Filter {
                centre: None,
                route: None,
            },
            Scope::Centre(c) => Filter {
                centre: Some(c.clone()),
                route: routes.iter().find(|r| r.centre == *c).cloned(),
            },
        }
    }

    fn sees(&self, e: &AlertEvent) -> bool {
        let Some(c) = &self.centre else { return true };
        e.centres.contains(c)
            && self
                .route
                .as_ref()
                .and_then(|r| r.kinds.as_ref())
                .is_none_or(|k| k.contains(&e.kind))
    }

    /// An admin sees every acknowledgement; a centre, its own.
    fn sees_ack(&self, a: &AckEvent) -> bool {
        self.centre.is_none() || a.centre == self.centre
    }
}

/// What a stream sends next.
enum Item {
    Alert(AlertEvent),
    Ack(Arc<AckEvent>),
}

/// One client's position in the event log.
struct Feed {
    store: Option<Store>,
    rx: broadcast::Receiver<Arc<AlertEvent>>,
    /// Acknowledgements of the caller's centre, live only.
    acks: broadcast::Receiver<Arc<AckEvent>>,
    filter: Filter,
    /// The last event sent (or skipped).
    last: i64,
    backlog: VecDeque<AlertEvent>,
    /// Reading from the store until it has nothing newer.
    catching_up: bool,
}

impl Feed {
    /// The next event this client sees; `None` ends the stream (shutdown).
    async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(e) = self.backlog.pop_front() {
                self.last = e.n;
                if self.filter.sees(&e) {
                    return Some(Item::Alert(e));
                }
                continue;
            }
            if self.catching_up {
                let Some(store) = &self.store else {
                    self.catching_up = false;
                    continue;
                };
                match store
                    .events_after(self.last, self.filter.centre.as_ref(), CATCH_UP)
                    .await
                {
                    Ok(v) if v.is_empty() => self.catching_up = false,
                    Ok(v) => self.backlog.extend(v),
                    Err(e) => {
                        tracing::warn!(error = %e, "Live stream: cannot read missed events; ending the stream (the client resumes).");
                        return None;
                    }
                }
                continue;
            }
            let next = tokio::select! {
                e = self.rx.recv() => e,
                a = self.acks.recv() => {
                    match a {
                        Ok(a) if self.filter.sees_ack(&a) => return Some(Item::Ack(a)),
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(n)) => {
                            tracing::warn!(missed = n, "Live stream: client too slow for acknowledgements; it reads them from the alert list.");
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                    continue;
                }
            };
            match next {
                Ok(e) if e.n <= self.last => {}
                Ok(e) => {
                    self.last = e.n;
                    if self.filter.sees(&e) {
                        return Some(Item::Alert((*e).clone()));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Without a store nothing can be caught up: end; the client resumes.
                    self.store.as_ref()?;
                    self.catching_up = true;
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}
