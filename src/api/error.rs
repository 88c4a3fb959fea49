//! API errors: each one a status and a JSON body `{"error": "…"}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracing::warn;
use utoipa::ToSchema;

use crate::storage::StorageError;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong; for a bad parameter, starts with its name.
    pub error: String,
}

/// A refused body: what is wrong, every problem listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvalidBody {
    /// In one sentence.
    pub error: String,
    /// Each problem, naming file, feature and property.
    pub errors: Vec<crate::live_zones::edit::Problem>,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter is missing or invalid (400).
    #[error("{param}: {message}")]
    BadParam {
        /// The parameter's name.
        param: std::borrow::Cow<'static, str>,
        /// What is wrong with it.
        message: String,
    },
    /// No token, or one the API does not know (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The token may not do this: admin only (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request conflicts with the resource's state (409).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` names a version that is no longer current: someone else
    /// changed the resource since it was read (412).
    #[error("{0}")]
    Stale(String),
    /// A change of an existing resource without `If-Match` (428).
    #[error("{0}")]
    NeedsIfMatch(String),
    /// The body is well-formed but refused, every problem listed (422).
    #[error("{message}")]
    Invalid {
        /// In one sentence.
        message: String,
        /// Each problem, naming file, feature and property.
        errors: Vec<crate::live_zones::edit::Problem>,
    },
    /// No such vessel, alert or route, or not visible to this token (404).
    #[error("{0}")]
    NotFound(String),
    /// What was asked for is gone for good: retention pruned it (410).
    #[error("{0}")]
    Gone(String),
    /// Every heavy-query permit is taken (503, `Retry-After: 1`).
    #[error("too many queries running; retry in a second")]
    Busy,
    /// The endpoint needs the store and none is configured (503).
    #[error("no store configured")]
    NoStore,
    /// The store failed (503; the cause is logged, not shown).
    #[error("store unavailable")]
    Store(#[from] StorageError),
    /// A response could not be encoded, or what the store holds is not
    /// the JSON it should be (500; the cause is logged, not shown).
    #[error("internal error")]
    Json {
        /// What was being encoded or read.
        what: &'static str,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A blocking task panicked (500).
    #[error("internal error")]
    Task(#[from] tokio::task::JoinError),
    /// An evidence bundle could not be built (500).
    #[error("internal error")]
    Evidence(#[from] crate::evidence::EvidenceError),
}

impl ApiError {
    /// `what` could not be encoded or read as JSON.
    pub fn json(what: &'static str) -> impl FnOnce(serde_json::Error) -> Self {
        move |source| ApiError::Json { what, source }
    }

    /// A bad parameter.
    pub fn bad(param: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadParam {
            param: param.into(),
            message: message.into(),
        }
    }

    /// A bad parameter whose name the request gave.
    pub fn bad_named(param: String, message: impl Into<String>) -> Self {
        ApiError::BadParam {
            param: param.into(),
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParam { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Stale(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::NeedsIfMatch(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Busy | ApiError::NoStore | ApiError::Store(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Json { .. } | ApiError::Task(_) | ApiError::Evidence(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Store(e) => warn!(error = %e, "Store query failed."),
            ApiError::Json { what, source } => {
                warn!(what, error = %source, "API request failed: bad JSON.");
            }
            ApiError::Task(e) => warn!(error = %e, "API request failed: its task panicked."),
            ApiError::Evidence(e) => warn!(error = %e, "Evidence bundle failed."),
            _ => {}
        }
        let mut res = match &self {
            ApiError::Invalid { message, errors } => (
                self.status(),
                axum::Json(InvalidBody {
                    error: message.clone(),
                    errors: errors.clone(),
                }),
            )
                .into_response(),
            _ => {
                let body = ErrorBody {
                    error: self.to_string(),
                };
                (self.status(), axum::Json(body)).into_response()
            }
        };
        let h = res.headers_mut();
        match self {
            ApiError::Unauthorized(_) => {
                h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Busy => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        res
    }
}
