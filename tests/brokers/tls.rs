//! Brokers of the test's own, over TLS: a test PKI made with rcgen (a CA,
//! a server certificate for 127.0.0.1 and localhost, a client certificate,
//! and a second CA that signed nothing the brokers use), and mosquitto or
//! nats-server started with it on a held loopback port, ready once the port
//! answers. A broker binary that is not installed makes the caller's test
//! say SKIPPED.
#![allow(dead_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::common::HeldPort;

/// How long a broker may take to answer on its port.
const START_WITHIN: Duration = Duration::from_secs(20);

/// A certificate authority of the test.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        Ca {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf certificate and its key, as PEM.
    fn leaf(&self, name: &str, sans: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let key = KeyPair::generate().expect("leaf key");
        let sans: Vec<String> = sans.iter().map(|s| (*s).to_owned()).collect();
        let mut params = CertificateParams::new(sans).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        (cert.pem(), key.serialize_pem())
    }
}

/// The test PKI's files, in a temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
    /// The CA that signed the server and client certificates.
    pub ca_file: PathBuf,
    /// A CA that signed none of them.
    pub other_ca_file: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl Pki {
    pub fn new() -> Pki {
        let dir = tempfile::tempdir().expect("PKI dir");
        let ca = Ca::new("aiswatch test CA");
        let other = Ca::new("aiswatch test CA nobody trusts");
        let (server, server_key) = ca.leaf(
            "aiswatch test broker",
            &["127.0.0.1", "localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client, client_key) = ca.leaf(
            "aiswatch test client",
            &["aiswatch-test-client"],
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).expect("write PKI file");
            p
        };
        Pki {
            ca_file: write("ca.pem", &ca.pem),
            other_ca_file: write("other-ca.pem", &other.pem),
            server_cert: write("server.pem", &server),
            server_key: write("server.key", &server_key),
            client_cert: write("client.pem", &client),
            client_key: write("client.key", &client_key),
            dir,
        }
    }

    /// A rustls client configuration trusting only the test CA, made
    /// without aiswatch's code (for the test's own subscribers); with the
    /// client certificate when `mutual`.
    pub fn client_config(&self, mutual: bool) -> rustls::ClientConfig {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(&self.ca_file).expect("test CA"))
            .expect("test CA is an anchor");
        let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots);
        if mutual {
            builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_file(&self.client_cert).expect("client cert")],
                    PrivateKeyDer::from_pem_file(&self.client_key).expect("client key"),
                )
                .expect("client pair")
        } else {
            builder.with_no_client_auth()
        }
    }
}

/// A broker process of the test; killed when dropped.
pub struct Broker {
    pub addr: SocketAddr,
    child: tokio::process::Child,
    log: PathBuf,
    _port: HeldPort,
}

impl Broker {
    /// What the broker wrote, for a failure message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// `name`'s path if installed (PATH, then /usr/sbin), or `None` after
/// saying loudly that `test` is skipped.
fn installed(name: &str, test: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        // Straight to stderr: libtest captures `eprintln!`, not this.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {test}: {name} is not installed (Debian package {name})"
        );
    }
    found
}

/// Starts `program args` with its output in `log`, on the held `port`, and
/// waits until the port answers (or the process exits, which fails the
/// test with its log).
async fn spawn(program: &Path, args: &[String], port: HeldPort, log: PathBuf) -> Broker {
    let out = std::fs::File::create(&log).expect("broker log");
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("log handle"))
        .stderr(out)
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
    let mut broker = Broker {
        addr: port.addr,
        child,
        log,
        _port: port,
    };
    let deadline = tokio::time::Instant::now() + START_WITHIN;
    loop {
        if let Some(status) = broker.child.try_wait().expect("broker status") {
            panic!(
                "{} exited ({status}) before answering:\n{}",
                program.display(),
                broker.log()
            );
        }
        if tokio::net::TcpStream::connect(broker.addr).await.is_ok() {
            return broker;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} not answering on {} within {START_WITHIN:?}:\n{}",
            program.display(),
            broker.addr,
            broker.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// mosquitto with one TLS listener on 127.0.0.1 using the test PKI's
/// server certificate; with `mutual`, clients must show a certificate of
/// the test CA. `None` (SKIPPED) when mosquitto is not installed.
pub async fn mosquitto(pki: &Pki, mutual: bool, test: &str) -> Option<Broker> {
    let program = installed("mosquitto", test)?;
    let port = HeldPort::loopback();
    let conf = pki
        .dir
        .path()
        .join(format!("mosquitto-{}.conf", port.addr.port()));
    let p = |p: &Path| p.display().to_string();
    let text = format!(
        "# Run as root (CI), it would drop to user mosquitto and lose the test's files.\n\
         user root\n\
         persistence false\n\
         log_dest stderr\n\
         allow_anonymous true\n\
         listener {port} 127.0.0.1\n\
         cafile {ca}\n\
         certfile {cert}\n\
         keyfile {key}\n\
         require_certificate {mutual}\n",
        port = port.addr.port(),
        ca = p(&pki.ca_file),
        cert = p(&pki.server_cert),
        key = p(&pki.server_key),
    );
    std::fs::write(&conf, text).expect("mosquitto config");
    let log = conf.with_extension("log");
    Some(spawn(&program, &["-c".into(), p(&conf)], port, log).await)
}

/// nats-server with JetStream, TLS required, the test PKI's server
/// certificate; with `mutual`, clients must show a certificate of the test
/// CA. `None` (SKIPPED) when nats-server is not installed.
pub async fn nats_server(pki: &Pki, mutual: bool, test: &str) -> Option<Broker> {
    let program = installed("nats-server", test)?;
    let port = HeldPort::loopback();
    let store = pki.dir.path().join(format!("js-{}", port.addr.port()));
    let p = |p: &Path| p.display().to_string();
    let mut args: Vec<String> = vec![
        "-a".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.addr.port().to_string(),
        "-js".into(),
        "-sd".into(),
        p(&store),
        "--tls".into(),
        "--tlscert".into(),
        p(&pki.server_cert),
        "--tlskey".into(),
        p(&pki.server_key),
    ];
    if mutual {
        args.extend(["--tlsverify".into(), "--tlscacert".into(), p(&pki.ca_file)]);
    }
    let log = store.with_extension("log");
    Some(spawn(&program, &args, port, log).await)
}
