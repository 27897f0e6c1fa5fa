//! API keys for the keyed routes and `/events`, and the origin allow-list of the public routes.
//!
//! Keys are kept only as SHA-256 digests and a presented key is compared with every one of them in constant time,
//! so neither the comparison's duration nor a log line can give a key away.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::runner::Shared;

pub struct Keys {
    digests: Vec<[u8; 32]>,
}

impl Keys {
    pub fn new(keys: &[String]) -> Keys {
        Keys { digests: keys.iter().filter(|k| !k.is_empty()).map(|k| digest(k)).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `presented` is one of the keys. Every digest is compared, whatever matched before.
    pub fn accepts(&self, presented: &str) -> bool {
        let d = digest(presented);
        let mut found = subtle::Choice::from(0);
        for k in &self.digests {
            found |= k.ct_eq(&d);
        }
        found.into()
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// `Authorization: KEY` or `Authorization: Bearer KEY`.
fn presented(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let key = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        _ if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    };
    (!key.is_empty()).then_some(key)
}

/// The keyed routes' gate: 401 unless the request carries a configured key.
pub async fn require_key(State(s): State<Shared>, request: Request, next: Next) -> Result<Response, ApiError> {
    if s.keys.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this server has no API key (start it with --api-key or EVENTFLOW_API_KEYS)",
        ));
    }
    match presented(request.headers()) {
        Some(key) if s.keys.accepts(key) => Ok(next.run(request).await),
        Some(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the API key is not valid")),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "an API key is required: Authorization: Bearer KEY",
        )),
    }
}

/// The public routes' gate: with an allow-list, a browser request from another origin gets 403 (CORS alone would
/// only hide the answer from the page after the turn ran). Requests without `Origin` (servers, curl) pass.
pub async fn allow_origin(State(s): State<Shared>, request: Request, next: Next) -> Result<Response, ApiError> {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        if !s.origins.is_empty() && !s.origins.iter().any(|o| o.as_bytes() == origin.as_bytes()) {
            let shown = String::from_utf8_lossy(origin.as_bytes()).into_owned();
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                format!("origin {shown} is not in this server's --allow-origin list"),
            ));
        }
    }
    Ok(next.run(request).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly_and_only_configured_ones() {
        let keys = Keys::new(&["alpha".into(), "beta".into(), String::new()]);
        assert!(keys.accepts("alpha"));
        assert!(keys.accepts("beta"));
        assert!(!keys.accepts("alph"));
        assert!(!keys.accepts(""));
        assert!(!keys.accepts("gamma"));
        assert!(Keys::new(&[String::new()]).is_empty());
    }

    #[test]
    fn bearer_or_bare_keys_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(presented(&h), None);
        h.insert(header::AUTHORIZATION, "Bearer  k1 ".parse().unwrap());
        assert_eq!(presented(&h), Some("k1"));
        h.insert(header::AUTHORIZATION, "bearer k2".parse().unwrap());
        assert_eq!(presented(&h), Some("k2"));
        h.insert(header::AUTHORIZATION, "VF.DM.abc.def".parse().unwrap());
        assert_eq!(presented(&h), Some("VF.DM.abc.def"));
        h.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(presented(&h), None);
    }
}
