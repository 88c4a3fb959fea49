//! TLS to the brokers (`mqtts://`, NATS `tls://`): one rustls client
//! configuration per channel, on the ring provider like the webhooks.
//!
//! The broker's certificate is verified against the system's roots, or,
//! when the channel has a `ca_file`, against that file's certificates only
//! (a centre's private PKI). A client certificate and key
//! (`client_cert_file`, `client_key_file`) add mutual TLS.
//!
//! Files are read and parsed here, when the configuration is checked and
//! the sinks are built, so that a missing or malformed file stops the
//! daemon at start naming the file, not at the first delivery.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

/// The TLS files of one channel, as configured (each optional).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TlsFiles<'a> {
    /// `ca_file`: PEM CA certificate(s) the broker's certificate must
    /// chain to, instead of the system's roots.
    pub ca_file: Option<&'a Path>,
    /// `client_cert_file`: PEM client certificate (chain), mutual TLS.
    pub client_cert_file: Option<&'a Path>,
    /// `client_key_file`: PEM private key of the client certificate.
    pub client_key_file: Option<&'a Path>,
}

impl TlsFiles<'_> {
    /// Whether any TLS file is configured (they only make sense over TLS).
    pub fn any(&self) -> bool {
        self.ca_file.is_some() || self.client_cert_file.is_some() || self.client_key_file.is_some()
    }
}

/// Why a channel's TLS cannot be set up; each message starts with the key
/// and file at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file cannot be read.
    #[error("{key} {}: cannot read: {source}", path.display())]
    Read {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file's PEM is malformed.
    #[error("{key} {}: bad PEM: {source}", path.display())]
    Pem {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM parser found.
        source: rustls::pki_types::pem::Error,
    },
    /// A file holds no `BEGIN CERTIFICATE` section.
    #[error("{key} {}: no PEM certificate (BEGIN CERTIFICATE) in it", path.display())]
    NoCertificate {
        /// The configuration key naming the file.
        key: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// A certificate of `ca_file` cannot be a trust anchor.
    #[error("ca_file {}: certificate #{n} is not a usable CA certificate: {source}", path.display())]
    BadCa {
        /// The file.
        path: PathBuf,
        /// Its position in the file, from 1.
        n: usize,
        /// Why rustls refuses it.
        source: rustls::Error,
    },
    /// `client_key_file` holds no private key.
    #[error("client_key_file {}: no PEM private key (PKCS#8, PKCS#1 or SEC1) in it", path.display())]
    NoKey {
        /// The file.
        path: PathBuf,
    },
    /// Only one of `client_cert_file` and `client_key_file`.
    #[error("client_cert_file and client_key_file go together (mutual TLS needs both)")]
    HalfClientAuth,
    /// The client certificate and key do not fit (not a pair, or a key
    /// type rustls cannot sign with).
    #[error("client_cert_file {} with client_key_file {}: {source}", cert.display(), key.display())]
    ClientAuth {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why rustls refuses the pair.
        source: rustls::Error,
    },
    /// No `ca_file` and the system has no CA certificates.
    #[error("no CA certificates in the system store{0}; install them or set ca_file")]
    NoSystemRoots(String),
    /// The protocol versions cannot be set (does not happen with ring).
    #[error("TLS setup: {0}")]
    Setup(#[source] rustls::Error),
}

/// The client configuration for `files`: the broker verified against
/// `ca_file` (or the system's roots), with a client certificate when given.
///
/// # Errors
/// An unreadable or malformed file, a CA file without a usable
/// certificate, half or mismatched client credentials, or no system roots;
/// the message names the key and the file.
pub fn client_config(files: &TlsFiles<'_>) -> Result<Arc<ClientConfig>, TlsError> {
    if files.client_cert_file.is_some() != files.client_key_file.is_some() {
        return Err(TlsError::HalfClientAuth);
    }
    let roots = match files.ca_file {
        Some(path) => Arc::new(ca_roots(path)?),
        None => system_roots()?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?
        .with_root_certificates(roots);
    let config = match (files.client_cert_file, files.client_key_file) {
        (None, None) => builder.with_no_client_auth(),
        (Some(cert), Some(key)) => {
            let chain = certificates("client_cert_file", cert)?;
            let bytes = read("client_key_file", key)?;
            let private = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
                rustls::pki_types::pem::Error::NoItemsFound => TlsError::NoKey { path: key.into() },
                source => TlsError::Pem {
                    key: "client_key_file",
                    path: key.into(),
                    source,
                },
            })?;
            builder
                .with_client_auth_cert(chain, private)
                .map_err(|source| TlsError::ClientAuth {
                    cert: cert.into(),
                    key: key.into(),
                    source,
                })?
        }
        _ => return Err(TlsError::HalfClientAuth),
    };
    Ok(Arc::new(config))
}

fn read(key: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        key,
        path: path.into(),
        source,
    })
}

/// Every certificate of the PEM file `path`; at least one.
fn certificates(key: &'static str, path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(key, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem {
            key,
            path: path.into(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            key,
            path: path.into(),
        });
    }
    Ok(certs)
}

/// The certificates of `ca_file`, each one a trust anchor.
fn ca_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for (i, cert) in certificates("ca_file", path)?.into_iter().enumerate() {
        roots.add(cert).map_err(|source| TlsError::BadCa {
            path: path.into(),
            n: i + 1,
            source,
        })?;
    }
    Ok(roots)
}

/// The system's CA certificates, read once per process (every TLS channel
/// without a `ca_file` shares them).
fn system_roots() -> Result<Arc<RootCertStore>, TlsError> {
    static ROOTS: OnceLock<Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _unusable) = roots.add_parsable_certificates(found.certs);
            let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
            if added == 0 {
                return Err(if errors.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", errors.join("; "))
                });
            }
            if !errors.is_empty() {
                tracing::warn!(errors = %errors.join("; "), roots = added, "Some system CA certificates could not be read.");
            }
            Ok(Arc::new(roots))
        })
        .clone()
        .map_err(TlsError::NoSystemRoots)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA and a leaf it signed, as PEM: (ca, leaf, leaf key).
    fn pki() -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        (ca_cert.pem(), leaf.pem(), leaf_key.serialize_pem())
    }

    #[test]
    fn a_ca_file_and_a_client_pair_make_a_config() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, leaf, key) = pki();
        let (ca_p, leaf_p, key_p) = (
            dir.path().join("ca.pem"),
            dir.path().join("c.pem"),
            dir.path().join("c.key"),
        );
        std::fs::write(&ca_p, &ca).unwrap();
        std::fs::write(&leaf_p, &leaf).unwrap();
        std::fs::write(&key_p, &key).unwrap();
        let files = TlsFiles {
            ca_file: Some(&ca_p),
            client_cert_file: Some(&leaf_p),
            client_key_file: Some(&key_p),
        };
        let config = client_config(&files).unwrap();
        assert!(config.client_auth_cert_resolver.has_certs());
        // The certificate and the key in one file do too.
        std::fs::write(&leaf_p, format!("{leaf}{key}")).unwrap();
        let files = TlsFiles {
            client_key_file: Some(&leaf_p),
            ..files
        };
        client_config(&files).unwrap();
    }

    #[test]
    fn bad_files_are_named_with_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let (ca, leaf, _) = pki();
        let missing = dir.path().join("missing.pem");
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        let torn = dir.path().join("torn.pem");
        std::fs::write(&torn, &ca[..ca.len() / 2]).unwrap();
        let ca_p = dir.path().join("ca.pem");
        std::fs::write(&ca_p, &ca).unwrap();
        let leaf_p = dir.path().join("leaf.pem");
        std::fs::write(&leaf_p, &leaf).unwrap();
        let other_key = dir.path().join("other.key");
        std::fs::write(
            &other_key,
            rcgen::KeyPair::generate().unwrap().serialize_pem(),
        )
        .unwrap();
        let err = |files: TlsFiles<'_>| client_config(&files).unwrap_err().to_string();
        let ca_only = |p: &Path| {
            err(TlsFiles {
                ca_file: Some(p),
                ..TlsFiles::default()
            })
        };

        let e = ca_only(&missing);
        assert!(
            e.starts_with("ca_file ") && e.contains("missing.pem") && e.contains("cannot read"),
            "{e}"
        );
        let e = ca_only(&garbage);
        assert!(
            e.contains("ca_file ") && e.contains("garbage.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = ca_only(&torn);
        assert!(e.contains("torn.pem") && e.contains("bad PEM"), "{e}");

        let client = |cert: &Path, key: &Path| {
            err(TlsFiles {
                ca_file: Some(&ca_p),
                client_cert_file: Some(cert),
                client_key_file: Some(key),
            })
        };
        let e = client(&leaf_p, &garbage);
        assert!(
            e.starts_with("client_key_file ") && e.contains("garbage.pem"),
            "{e}"
        );
        let e = client(&garbage, &other_key);
        assert!(
            e.starts_with("client_cert_file ") && e.contains("garbage.pem"),
            "{e}"
        );
        let e = client(&leaf_p, &other_key);
        assert!(e.contains("leaf.pem") && e.contains("other.key"), "{e}");
        let e = err(TlsFiles {
            ca_file: Some(&ca_p),
            client_cert_file: Some(&leaf_p),
            client_key_file: None,
        });
        assert!(e.contains("go together"), "{e}");
    }
}
