//! Bearer tokens: who is asking, and what they may see.
//!
//! Tokens are kept only as SHA-256 digests and a presented token is
//! compared with every configured one in constant time
//! ([`subtle::ConstantTimeEq`]) without stopping at a match, so neither the
//! time taken nor the token's length tells an attacker how close a guess
//! was. Tokens are never logged.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{ApiError, ApiState};
use crate::storage::Scope;

/// Who a request comes from: put in the request's extensions by [`require`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller(pub Scope);

/// Admin tokens only: a centre's token gets 403 saying `what` needs one.
pub(crate) fn admin_only(scope: &Scope, what: &'static str) -> Result<(), ApiError> {
    match scope {
        Scope::Admin => Ok(()),
        Scope::Centre(_) => Err(ApiError::Forbidden(what)),
    }
}

/// Configured tokens, as digests.
pub(crate) struct Tokens {
    digests: Vec<([u8; 32], Scope)>,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Digests of `tokens`.
    pub(crate) fn new(tokens: &[(String, Scope)]) -> Self {
        Tokens {
            digests: tokens.iter().map(|(t, s)| (digest(t), s.clone())).collect(),
        }
    }

    /// No token configured: the API is open and every caller is admin.
    pub(crate) fn is_open(&self) -> bool {
        self.digests.is_empty()
    }

    /// The scope of `given`, if it is a configured token.
    pub(crate) fn scope_of(&self, given: &str) -> Option<Scope> {
        let d = digest(given);
        let mut found = None;
        // Every digest is compared, match or not.
        for (known, scope) in &self.digests {
            if bool::from(known.ct_eq(&d)) {
                found = Some(scope);
            }
        }
        found.cloned()
    }
}

/// The token of an `Authorization: Bearer …` header value.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Middleware: lets the request on with its [`Caller`] when the API is open
/// or its bearer token is known; answers 401 otherwise.
pub(crate) async fn require(
    State(state): State<Arc<ApiState>>,
    mut req: Request,
    next: Next,
) -> Response {
    let scope = if state.tokens.is_open() {
        Scope::Admin
    } else {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        let Some(given) = given else {
            return ApiError::Unauthorized("missing bearer token (Authorization: Bearer <token>)")
                .into_response();
        };
        match state.tokens.scope_of(given) {
            Some(s) => s,
            None => return ApiError::Unauthorized("unknown token").into_response(),
        }
    };
    req.extensions_mut().insert(Caller(scope));
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use aiswatch_core::ids::CentreId;

    #[test]
    fn tokens_map_to_scopes() {
        let a = Scope::Centre(CentreId::from("A"));
        let t = Tokens::new(&[("adm".into(), Scope::Admin), ("tok-a".into(), a.clone())]);
        assert_eq!(t.scope_of("adm"), Some(Scope::Admin));
        assert_eq!(t.scope_of("tok-a"), Some(a));
        assert_eq!(t.scope_of("tok-"), None);
        assert_eq!(t.scope_of(""), None);
        assert!(!t.is_open());
        assert!(Tokens::new(&[]).is_open());
    }

    #[test]
    fn bearer_header_parses() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
