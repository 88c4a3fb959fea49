//! The operations console: the static files under `web/` (HTML, ES
//! modules, CSS, the vendored map library and coastlines; see
//! `web/vendor/VERSIONS.md`), embedded in the binary at build time, served
//! at `/` on the API's port: every file there, so a new module needs no
//! change here. The page reads everything else from `/api/v1`
//! with the officer's token.
//!
//! `AISWATCH_WEB_DIR=DIR` (read at each request; for working on the console)
//! serves the files from `DIR` instead of the embedded copy.

use std::borrow::Cow;
use std::path::{Component, Path};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::Digest;

use super::ApiError;

#[derive(rust_embed::RustEmbed)]
#[folder = "web/"]
struct Assets;

/// A file to send.
struct File {
    data: Cow<'static, [u8]>,
    sha256: [u8; 32],
    mime: String,
}

/// Serves `uri`'s file from the console, `index.html` for `/`; anything
/// else is the API's JSON 404.
pub(crate) async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = match uri.path().trim_start_matches('/') {
        "" => "index.html",
        p => p,
    };
    let Some(file) = (method == Method::GET || method == Method::HEAD)
        .then(|| from_dir(path).or_else(|| embedded(path)))
        .flatten()
    else {
        return ApiError::NotFound("no such route".into()).into_response();
    };
    let etag = format!("\"{}\"", hex(&file.sha256[..16]));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(file.data).into_response()
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&file.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Revalidate every time: a new daemon version may bring new files.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             connect-src 'self'; frame-ancestors 'none'",
        ),
    );
    r
}

fn embedded(path: &str) -> Option<File> {
    let f = Assets::get(path)?;
    Some(File {
        sha256: f.metadata.sha256_hash(),
        mime: f.metadata.mimetype().to_owned(),
        data: f.data,
    })
}

/// The file from `AISWATCH_WEB_DIR`, if that is set and holds it (a path
/// with `..` or a root is never looked up).
fn from_dir(path: &str) -> Option<File> {
    let dir = std::env::var_os("AISWATCH_WEB_DIR")?;
    let rel = Path::new(path);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let data = std::fs::read(Path::new(&dir).join(rel)).ok()?;
    let mime = match rel.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html",
        Some("js" | "mjs") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        Some("md") => "text/markdown",
        _ => "application/octet-stream",
    };
    Some(File {
        sha256: sha2::Sha256::digest(&data).into(),
        mime: mime.to_owned(),
        data: data.into(),
    })
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
