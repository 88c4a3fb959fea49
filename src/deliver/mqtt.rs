//! MQTT delivery: one QoS 1 publish of the alert JSON per attempt,
//! acknowledged by the broker's PUBACK for that very publish.
//!
//! A background task drives rumqttc's event loop: it connects, reconnects
//! with backoff after the broker goes away, and matches PUBACKs to the
//! waiting `send`s ([`acks`]). While the link is down `send` fails at once;
//! the outbox retries.
//!
//! `mqtt://` (or `tcp://`) is plain TCP; `mqtts://` (or `ssl://`) is TLS,
//! the broker's certificate verified against the system's roots or the
//! channel's `ca_file`, with an optional client certificate ([`super::tls`]).

mod acks;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport,
};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

use self::acks::{Acks, Unacked};
use super::config::MqttConfig;
use super::sink::{Channel, Message, SendError, Sink};
use super::tls::TlsError;
use aiswatch_core::ids::CentreId;

/// Default port of `mqtt://` URLs.
const DEFAULT_PORT: u16 = 1883;
/// Default port of `mqtts://` URLs.
const DEFAULT_TLS_PORT: u16 = 8883;
/// How long [`MqttSink::connect`] waits for the first CONNACK.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one `send` waits for its PUBACK before giving up. A dead link
/// is noticed sooner, by the keep-alive.
const ACK_TIMEOUT: Duration = Duration::from_secs(20);
/// PINGREQ interval; a broker silent for about twice this is gone.
const KEEP_ALIVE: Duration = Duration::from_secs(10);
/// Publishes sent and not yet acknowledged (MQTT "receive maximum").
const INFLIGHT: u16 = 100;
/// Publishes waiting for a packet id; beyond this `send` fails at once.
const QUEUE: usize = 1024;
/// First and longest pause between reconnection attempts.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(5));

/// The state of the link to the broker, as [`MqttSink::link`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    /// Not connected yet.
    Connecting,
    /// The broker accepted our CONNECT.
    Up,
    /// Lost or refused, with why; reconnecting with backoff.
    Down(String),
}

/// What the sink and its event loop task share.
struct Shared {
    /// Waiting senders; also serialises "enqueue + remember the order".
    acks: Mutex<Acks>,
}

impl Shared {
    /// The senders, even if a holder panicked (the state stays consistent:
    /// every change is a single call).
    fn acks(&self) -> MutexGuard<'_, Acks> {
        self.acks.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Publishes alerts of one centre to an MQTT broker at QoS 1.
pub struct MqttSink {
    /// `url topic`, for errors.
    target: String,
    topic: String,
    client: AsyncClient,
    shared: Arc<Shared>,
    link: watch::Receiver<LinkState>,
    task: JoinHandle<()>,
}

impl MqttSink {
    /// Starts the connection to `cfg.url` and waits until the broker
    /// accepts it.
    ///
    /// # Errors
    /// A bad URL, topic or credentials, an unreadable password file, or no
    /// accepted connection within 10 s; the message names the URL.
    pub async fn connect(centre: &CentreId, cfg: &MqttConfig) -> Result<MqttSink, SendError> {
        let sink = MqttSink::start(centre, cfg)?;
        let mut link = sink.link.clone();
        let first = tokio::time::timeout(
            CONNECT_TIMEOUT,
            link.wait_for(|s| *s != LinkState::Connecting),
        )
        .await;
        let state = match first {
            Ok(Ok(state)) => state.clone(),
            Ok(Err(_)) => LinkState::Down("event loop stopped".into()),
            Err(_) => LinkState::Down(format!("no CONNACK within {CONNECT_TIMEOUT:?}")),
        };
        match state {
            LinkState::Up => Ok(sink),
            LinkState::Down(why) => Err(sink.error(&format!("connect failed: {why}"))),
            LinkState::Connecting => Err(sink.error("connect failed")),
        }
    }

    /// Checks the configuration and starts connecting in the background,
    /// without waiting: `send` fails until the broker accepts us.
    ///
    /// # Errors
    /// A bad URL, topic or credentials, an unreadable password file, or TLS
    /// files that cannot be used; the message names the URL (and the file).
    ///
    /// # Panics
    /// Outside a Tokio runtime (it spawns the event loop task).
    pub fn start(centre: &CentreId, cfg: &MqttConfig) -> Result<MqttSink, SendError> {
        let target = format!("MQTT {} topic {}", cfg.url, cfg.topic);
        let fail = |what: MqttConfigError| SendError::caused(target.clone(), what);
        let url = parse_url(&cfg.url).map_err(fail)?;
        check_topic(&cfg.topic).map_err(fail)?;
        let tls = tls_config(cfg).map_err(fail)?;
        let client_id = cfg
            .client_id
            .clone()
            .unwrap_or_else(|| format!("aiswatch-{centre}"));
        let mut options = MqttOptions::new(client_id, url.host, url.port);
        if let Some(tls) = tls {
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(tls)));
        }
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(true)
            .set_inflight(INFLIGHT)
            .set_request_channel_capacity(QUEUE);
        if let Some((user, password)) = credentials(cfg).map_err(fail)? {
            options.set_credentials(user, password);
        }
        let (client, eventloop) = AsyncClient::new(options, QUEUE);
        let shared = Arc::new(Shared {
            acks: Mutex::new(Acks::default()),
        });
        let (link_tx, link) = watch::channel(LinkState::Connecting);
        let task = tokio::spawn(drive(
            eventloop,
            Arc::clone(&shared),
            link_tx,
            target.clone(),
        ));
        Ok(MqttSink {
            target,
            topic: cfg.topic.clone(),
            client,
            shared,
            link,
            task,
        })
    }

    /// The state of the link, updated as it changes (health, tests).
    pub fn link(&self) -> watch::Receiver<LinkState> {
        self.link.clone()
    }

    fn error(&self, what: &str) -> SendError {
        SendError::new(format!("{}: {what}", self.target))
    }

    /// Enqueues one publish and returns where its answer will come.
    fn enqueue(&self, msg: &Message) -> Result<oneshot::Receiver<Result<(), Unacked>>, SendError> {
        let mut acks = self.shared.acks();
        if !acks.connected() {
            let why = acks.last_error().unwrap_or("not connected yet");
            return Err(self.error(&format!("not connected: {why}")));
        }
        let (tx, rx) = oneshot::channel();
        // Under the lock, so the queue in `acks` has rumqttc's order.
        self.client
            .try_publish(
                self.topic.as_str(),
                QoS::AtLeastOnce,
                false,
                msg.body.as_bytes(),
            )
            .map_err(|e| SendError::caused(format!("{}: publish not queued", self.target), e))?;
        acks.push(tx);
        Ok(rx)
    }
}

impl Drop for MqttSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sink for MqttSink {
    fn channel(&self) -> Channel {
        Channel::Mqtt
    }

    fn send<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let rx = self.enqueue(msg)?;
            match tokio::time::timeout(ACK_TIMEOUT, rx).await {
                Ok(Ok(Ok(()))) => Ok(()),
                Ok(Ok(Err(why))) => Err(self.error(&why.0)),
                Ok(Err(_)) => Err(self.error("event loop stopped before PUBACK")),
                Err(_) => Err(self.error(&format!("no PUBACK within {ACK_TIMEOUT:?}"))),
            }
        })
    }
}

/// Polls the event loop for the sink's life: matches PUBACKs, fails the
/// waiting senders when the link drops, and reconnects with backoff.
async fn drive(
    mut eventloop: EventLoop,
    shared: Arc<Shared>,
    link: watch::Sender<LinkState>,
    target: String,
) {
    let mut backoff = BACKOFF.0;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                shared.acks().on_connected();
                backoff = BACKOFF.0;
                link.send_replace(LinkState::Up);
                tracing::info!(broker = %target, "MQTT connected.");
            }
            Ok(Event::Incoming(Packet::PubAck(ack))) => shared.acks().on_puback(ack.pkid),
            Ok(Event::Outgoing(Outgoing::Publish(pkid))) => shared.acks().on_publish(pkid),
            Ok(Event::Outgoing(Outgoing::AwaitAck(pkid))) => shared.acks().on_await_ack(pkid),
            Ok(_) => {}
            Err(e) => {
                let why = e.to_string();
                {
                    let mut acks = shared.acks();
                    // Drop what rumqttc would resend or still send from the
                    // old queue: those senders are failed right here.
                    eventloop.clean();
                    eventloop.pending.clear();
                    acks.on_disconnect(&why);
                }
                let was_up = *link.borrow() == LinkState::Up;
                link.send_replace(LinkState::Down(why.clone()));
                if was_up {
                    tracing::warn!(broker = %target, error = %why, "MQTT connection lost.");
                } else {
                    tracing::debug!(broker = %target, error = %why, "MQTT connect failed.");
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF.1);
            }
        }
    }
}

/// Why an MQTT channel cannot be set up from its `[centres.mqtt]` table.
#[derive(Debug, thiserror::Error)]
pub enum MqttConfigError {
    /// The URL has no `scheme://`.
    #[error("URL has no scheme (want mqtt://HOST:PORT)")]
    NoScheme,
    /// TLS files that cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// TLS files with a plain `mqtt://` URL.
    #[error("ca_file, client_cert_file and client_key_file need an mqtts:// url")]
    TlsFilesWithoutTls,
    /// A scheme that is not MQTT.
    #[error("unsupported scheme {0}:// (want mqtt:// or mqtts://)")]
    Scheme(String),
    /// A user, path or query in the URL.
    #[error("URL must be mqtt://HOST[:PORT] (no user, path or query)")]
    Authority,
    /// No host in the URL.
    #[error("URL has no host")]
    NoHost,
    /// A port that is not a number up to 65535.
    #[error("bad port {0:?}")]
    Port(String),
    /// An empty topic, or one with wildcards or NUL.
    #[error("bad topic: must be non-empty, without + # or NUL")]
    Topic,
    /// Both `password` and `password_file`.
    #[error("set password or password_file, not both")]
    TwoPasswords,
    /// `password_file` cannot be read.
    #[error("password_file {}: {source}", path.display())]
    PasswordFile {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A password without a user name.
    #[error("a password needs a username (MQTT 3.1.1)")]
    PasswordWithoutUser,
}

/// What an MQTT URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BrokerUrl {
    /// `mqtts://` (or `ssl://`).
    tls: bool,
    host: String,
    port: u16,
}

/// TLS, host and port of `mqtt://HOST[:PORT]` (or `tcp://`), or
/// `mqtts://HOST[:PORT]` (or `ssl://`).
fn parse_url(url: &str) -> Result<BrokerUrl, MqttConfigError> {
    let (scheme, rest) = url.split_once("://").ok_or(MqttConfigError::NoScheme)?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "mqtt" | "tcp" => false,
        "mqtts" | "ssl" => true,
        other => return Err(MqttConfigError::Scheme(other.to_owned())),
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#', '@']) {
        return Err(MqttConfigError::Authority);
    }
    let (host, port) = match authority.rsplit_once(':') {
        // An IPv6 literal without a port: `[::1]`.
        Some((h, p)) if !p.contains(']') => (h, Some(p)),
        _ => (authority, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(MqttConfigError::NoHost);
    }
    let port = match port {
        None if tls => DEFAULT_TLS_PORT,
        None => DEFAULT_PORT,
        Some(p) => p.parse().map_err(|_| MqttConfigError::Port(p.to_owned()))?,
    };
    Ok(BrokerUrl {
        tls,
        host: host.to_owned(),
        port,
    })
}

/// The TLS client configuration of an `mqtts://` channel (`None` for
/// `mqtt://`), its files read and checked.
///
/// # Errors
/// A bad URL, TLS files with a plain URL, or files that cannot be used
/// (named).
pub fn tls_config(
    cfg: &MqttConfig,
) -> Result<Option<std::sync::Arc<rustls::ClientConfig>>, MqttConfigError> {
    let files = cfg.tls_files();
    if !parse_url(&cfg.url)?.tls {
        return if files.any() {
            Err(MqttConfigError::TlsFilesWithoutTls)
        } else {
            Ok(None)
        };
    }
    Ok(Some(super::tls::client_config(&files)?))
}

/// A topic one may publish to: not empty, no wildcards, no NUL.
fn check_topic(topic: &str) -> Result<(), MqttConfigError> {
    if topic.is_empty() || topic.contains(['+', '#', '\0']) {
        return Err(MqttConfigError::Topic);
    }
    Ok(())
}

/// User name and password, the latter from the config or its file.
fn credentials(cfg: &MqttConfig) -> Result<Option<(String, String)>, MqttConfigError> {
    let password = match (&cfg.password, &cfg.password_file) {
        (Some(_), Some(_)) => return Err(MqttConfigError::TwoPasswords),
        (Some(p), None) => Some(p.0.clone()),
        (None, Some(path)) => {
            let text =
                std::fs::read_to_string(path).map_err(|source| MqttConfigError::PasswordFile {
                    path: path.clone(),
                    source,
                })?;
            Some(text.trim_end_matches(['\r', '\n']).to_owned())
        }
        (None, None) => None,
    };
    match (&cfg.username, password) {
        (Some(user), p) => Ok(Some((user.clone(), p.unwrap_or_default()))),
        (None, Some(_)) => Err(MqttConfigError::PasswordWithoutUser),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_host_and_port_or_say_what_is_wrong() {
        let ok = |u: &str| {
            let b = parse_url(u).unwrap();
            (b.tls, b.host, b.port)
        };
        assert_eq!(
            ok("mqtt://127.0.0.1:1884"),
            (false, "127.0.0.1".into(), 1884)
        );
        assert_eq!(
            ok("mqtt://broker.example/"),
            (false, "broker.example".into(), 1883)
        );
        assert_eq!(ok("tcp://[::1]:1885"), (false, "::1".into(), 1885));
        assert_eq!(ok("mqtt://[::1]"), (false, "::1".into(), 1883));
        assert_eq!(
            ok("mqtts://broker.example"),
            (true, "broker.example".into(), 8883)
        );
        assert_eq!(ok("SSL://h:9883"), (true, "h".into(), 9883));
        assert!(parse_url("tls://h")
            .unwrap_err()
            .to_string()
            .contains("tls://"));
        assert!(parse_url("http://h")
            .unwrap_err()
            .to_string()
            .contains("http://"));
        assert!(parse_url("h:1883")
            .unwrap_err()
            .to_string()
            .contains("scheme"));
        assert!(parse_url("mqtt://h:x")
            .unwrap_err()
            .to_string()
            .contains("port"));
        assert!(parse_url("mqtt://u@h").is_err());
        assert!(parse_url("mqtt://:1883").is_err());
    }

    #[test]
    fn topics_with_wildcards_are_refused() {
        assert!(check_topic("aiswatch/alerts/gog").is_ok());
        assert!(check_topic("a/+/b").is_err());
        assert!(check_topic("a/#").is_err());
        assert!(check_topic("").is_err());
    }

    fn cfg() -> MqttConfig {
        MqttConfig {
            url: "mqtt://h".into(),
            topic: "t".into(),
            client_id: None,
            username: None,
            password: None,
            password_file: None,
            ca_file: None,
            client_cert_file: None,
            client_key_file: None,
        }
    }

    #[test]
    fn passwords_come_from_the_config_or_a_file() {
        assert_eq!(credentials(&cfg()).unwrap(), None);
        let mut c = cfg();
        c.username = Some("u".into());
        c.password = Some(crate::secret::Secret("p".into()));
        assert_eq!(credentials(&c).unwrap(), Some(("u".into(), "p".into())));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "from-file\n").unwrap();
        c.password = None;
        c.password_file = Some(path.clone());
        assert_eq!(
            credentials(&c).unwrap(),
            Some(("u".into(), "from-file".into()))
        );

        c.password_file = Some(dir.path().join("missing"));
        assert!(credentials(&c).unwrap_err().to_string().contains("missing"));
        c.username = None;
        c.password_file = Some(path);
        assert!(credentials(&c)
            .unwrap_err()
            .to_string()
            .contains("username"));
    }

    #[tokio::test]
    async fn a_bad_url_is_an_error_naming_it() {
        let mut c = cfg();
        c.url = "ws://broker.example:8883".into();
        let err = MqttSink::start(&CentreId::from("c"), &c)
            .err()
            .expect("refused");
        assert!(
            err.to_string().contains("ws://broker.example:8883"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn tls_files_need_mqtts_and_must_be_readable() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = cfg();
        c.ca_file = Some(dir.path().join("ca.pem"));
        let e = tls_config(&c).unwrap_err().to_string();
        assert!(e.contains("mqtts://"), "{e}");
        c.url = "mqtts://broker.example".into();
        let err = MqttSink::start(&CentreId::from("c"), &c)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains("mqtts://broker.example") && err.contains("ca.pem"),
            "{err}"
        );
    }
}
