//! The console's words: `GET /api/v1/i18n` (the languages there is a
//! catalog for, each named in itself) and `GET /api/v1/i18n/{tag}` (the
//! console's messages in that language, English where its catalog lacks
//! one). Public like `openapi.json`: the sign-in page speaks the
//! browser's language before any token is given, and the catalogs hold
//! nothing but the console's own labels.
//!
//! Both answers are built once (the catalogs are built into the binary)
//! and revalidated by ETag, as the console's files are.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use aiswatch_i18n::{Catalogs, Message};
use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::Digest;
use utoipa::ToSchema;

use super::ApiError;

/// One language of the console.
#[derive(Debug, Serialize, ToSchema)]
pub struct Language {
    /// Its BCP 47 tag (`fr`).
    #[schema(example = "fr")]
    pub tag: String,
    /// Its name, in itself (`Français`).
    #[schema(example = "Français")]
    pub name: String,
}

/// The languages the console can speak.
#[derive(Debug, Serialize, ToSchema)]
pub struct Languages {
    /// English first.
    pub languages: Vec<Language>,
}

/// The console's messages in one language.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsoleMessages {
    /// The language of the catalog answering (`fr` for `fr-CI`).
    #[schema(example = "fr")]
    pub lang: String,
    /// Message key (its catalog id without `console-`) → text, `{$name}`
    /// where the console fills in a value.
    pub messages: BTreeMap<String, String>,
}

/// An answer built once: its JSON and ETag.
struct Cached {
    body: Vec<u8>,
    etag: String,
}

impl Cached {
    fn new<T: Serialize>(v: &T) -> Cached {
        // Plain structs of strings: encoding cannot fail.
        let body = serde_json::to_vec(v).unwrap_or_default();
        let digest = sha2::Sha256::digest(&body);
        let etag = format!(
            "\"{}\"",
            digest[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        Cached { body, etag }
    }

    /// 200 with the JSON, or 304 when `If-None-Match` names it.
    fn respond(&self, headers: &HeaderMap) -> Response {
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| v.as_bytes() == self.etag.as_bytes());
        let mut r = if fresh {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            (
                [(header::CONTENT_TYPE, "application/json")],
                Body::from(self.body.clone()),
            )
                .into_response()
        };
        let h = r.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            h.insert(header::ETAG, v);
        }
        // Revalidate every time, as the console's files: a new daemon
        // version may bring new words.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        r
    }
}

/// The languages of `catalogs`, each named by its `language-name` (its tag
/// if it has none).
fn languages(catalogs: &Catalogs) -> Languages {
    Languages {
        languages: catalogs
            .languages()
            .map(|tag| Language {
                tag: tag.to_owned(),
                name: catalogs
                    .render(tag, &Message::new("language-name"))
                    .unwrap_or_else(|| tag.to_owned()),
            })
            .collect(),
    }
}

/// The console's messages of every shipped language, by tag.
fn shipped() -> &'static (Cached, BTreeMap<String, Cached>) {
    static ANSWERS: OnceLock<(Cached, BTreeMap<String, Cached>)> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        let catalogs = Catalogs::shipped();
        let list = Cached::new(&languages(catalogs));
        let each = catalogs
            .languages()
            .map(|tag| {
                let body = ConsoleMessages {
                    lang: tag.to_owned(),
                    messages: catalogs.console(tag),
                };
                (tag.to_owned(), Cached::new(&body))
            })
            .collect();
        (list, each)
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/i18n",
    operation_id = "languages",
    tag = "ops",
    security(()),
    responses(
        (status = 200, description = "The languages the console speaks, English first", body = Languages),
        (status = 304, description = "Not modified (If-None-Match)"),
    )
)]
/// The console's languages; needs no token.
pub(crate) async fn list(headers: HeaderMap) -> Response {
    shipped().0.respond(&headers)
}

#[utoipa::path(
    get,
    path = "/api/v1/i18n/{tag}",
    operation_id = "console_messages",
    tag = "ops",
    security(()),
    params(("tag" = String, Path, description = "A BCP 47 language tag: `fr`, `fr-CI` (answered in `fr`)")),
    responses(
        (status = 200, description = "The console's messages in the catalog's language nearest the tag", body = ConsoleMessages),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No catalog for that language", body = super::error::ErrorBody),
    )
)]
/// The console's messages in one language; needs no token.
pub(crate) async fn messages(Path(tag): Path<String>, headers: HeaderMap) -> Response {
    let catalogs = Catalogs::shipped();
    let Some(lang) = catalogs.negotiate(&tag) else {
        let known: Vec<&str> = catalogs.languages().collect();
        return ApiError::NotFound(format!(
            "no catalog for language {tag:?} (there are: {})",
            known.join(", ")
        ))
        .into_response();
    };
    match shipped().1.get(lang) {
        Some(answer) => answer.respond(&headers),
        None => ApiError::NotFound(format!("no catalog for language {lang:?}")).into_response(),
    }
}
