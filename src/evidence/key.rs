//! The installation's Ed25519 signing key: created once (at the daemon's
//! first start, or the first export or `key show`), kept at
//! `<data_dir>/keys/evidence_ed25519` (the 32-byte secret seed in lowercase
//! hex and a newline; file mode 0600, directory 0700).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::EvidenceError;

/// The key directory under the data directory.
pub const KEY_DIR: &str = "keys";
/// The key file in [`KEY_DIR`].
pub const KEY_FILE: &str = "evidence_ed25519";

/// Where the key of the installation whose data directory is `data_dir` lives.
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_DIR).join(KEY_FILE)
}

/// The signing key at `<data_dir>/keys/evidence_ed25519`, created (from
/// the OS's random source) if there is none. The `bool` says whether it
/// was created now.
pub fn load_or_create(data_dir: &Path) -> Result<(SigningKey, bool), EvidenceError> {
    let path = key_path(data_dir);
    match fs::read_to_string(&path) {
        Ok(text) => return parse_secret(&text, &path).map(|k| (k, false)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(EvidenceError::io(&path, e)),
    }
    let dir = data_dir.join(KEY_DIR);
    create_private_dir(&dir)?;
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).map_err(EvidenceError::Random)?;
    let key = SigningKey::from_bytes(&seed);
    let text = format!("{}\n", hex(&seed));
    // Written under a temporary name and renamed: a crash never leaves a
    // half key, and two processes creating it at once end with one key.
    let tmp = dir.join(format!("{KEY_FILE}.tmp{}", std::process::id()));
    write_private(&tmp, text.as_bytes())?;
    match fs::hard_link(&tmp, &path) {
        Ok(()) => {
            let _ = fs::remove_file(&tmp);
            Ok((key, true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Another process won: use its key.
            let _ = fs::remove_file(&tmp);
            let text = fs::read_to_string(&path).map_err(|e| EvidenceError::io(&path, e))?;
            parse_secret(&text, &path).map(|k| (k, false))
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(EvidenceError::io(&path, e))
        }
    }
}

fn parse_secret(text: &str, path: &Path) -> Result<SigningKey, EvidenceError> {
    let seed: [u8; 32] = unhex(text.trim())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            EvidenceError::Key(format!(
                "{}: not an Ed25519 secret key (64 hex digits)",
                path.display()
            ))
        })?;
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), EvidenceError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| EvidenceError::io(dir, e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| EvidenceError::io(dir, e))
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), EvidenceError> {
    fs::create_dir_all(dir).map_err(|e| EvidenceError::io(dir, e))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), EvidenceError> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| EvidenceError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| EvidenceError::io(path, e))
}

/// The public key as 64 lowercase hex digits.
pub fn public_hex(key: &VerifyingKey) -> String {
    hex(key.as_bytes())
}

/// The public key's fingerprint: `SHA256:` and the first 16 bytes of the
/// SHA-256 of its 32 bytes, in hex pairs joined by `:`.
pub fn fingerprint(key: &VerifyingKey) -> String {
    let d = Sha256::digest(key.as_bytes());
    let pairs: Vec<String> = d[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("SHA256:{}", pairs.join(":"))
}

/// Parses a public key given as 64 hex digits or base64 of its 32 bytes
/// (what `aiswatch key show` prints), or a file holding either.
pub fn parse_public(text: &str) -> Result<VerifyingKey, EvidenceError> {
    use base64::Engine as _;
    let t = text.trim();
    let bytes = unhex(t).or_else(|| base64::engine::general_purpose::STANDARD.decode(t).ok());
    let bytes = match bytes {
        Some(b) => b,
        None if Path::new(t).is_file() => {
            let content = fs::read_to_string(t).map_err(|e| EvidenceError::io(Path::new(t), e))?;
            return parse_public(&content);
        }
        None => {
            return Err(EvidenceError::Key(format!(
                "{t:?}: not a public key (64 hex digits, base64 of 32 bytes, or a file holding one)"
            )))
        }
    };
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| EvidenceError::Key(format!("{t:?}: a public key has 32 bytes")))?;
    VerifyingKey::from_bytes(&arr).map_err(|source| EvidenceError::PublicKey {
        key: t.to_owned(),
        source,
    })
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses hex (either case); `None` unless every pair is hex.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_with_tight_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let (a, created) = load_or_create(dir.path()).unwrap();
        assert!(created);
        let (b, created) = load_or_create(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(a.to_bytes(), b.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&key_path(dir.path())), 0o600);
            assert_eq!(mode(&dir.path().join(KEY_DIR)), 0o700);
        }
        let vk = a.verifying_key();
        assert_eq!(parse_public(&public_hex(&vk)).unwrap(), vk);
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(vk.as_bytes());
        assert_eq!(parse_public(&b64).unwrap(), vk);
        assert!(parse_public("abcd").is_err());
        assert!(fingerprint(&vk).starts_with("SHA256:"));
    }

    #[test]
    fn a_damaged_key_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(KEY_DIR)).unwrap();
        fs::write(key_path(dir.path()), "not hex\n").unwrap();
        let e = load_or_create(dir.path()).unwrap_err().to_string();
        assert!(e.contains("evidence_ed25519"), "{e}");
    }
}
