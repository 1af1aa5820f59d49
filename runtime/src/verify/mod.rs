//! Verifying that a request comes from the provider: header access, keys, errors, and the
//! signing schemes (Apideck's HMAC over a canonical form; Standard Webhooks). Generated provider
//! modules wrap these in a `Verifier` whose `Verified` result is the only way to a parsed event.

#[cfg(feature = "apideck")]
pub mod apideck;
#[cfg(feature = "apideck")]
pub mod canonical;
mod headers;
mod json;
mod key;
mod signed;
#[cfg(feature = "standard-webhooks")]
pub mod standard;

use ::std::borrow::Cow;
use ::std::fmt;

pub use headers::{HeaderLookup, Headers};
pub use json::JsonError;
pub use key::{Key, KeyError};
pub use signed::{delivery_key, SignError, SignedRequest};

/// The default limit on a body's size, checked before any hashing: 256 KiB.
///
/// Apideck's events are a few kilobytes at most (its documented examples are under one; a
/// payload carries ids and urls, never the entity itself), so 256 KiB is fifty times the largest
/// and refuses nothing it sends. The limit is what bounds an attacker: the canonical form is
/// computed before the signature is decided, and at this size a forged body of the costliest
/// shape takes a few milliseconds (`cargo bench -p webhook-tests --bench worst`). Raise it with
/// `Verifier::max_body_bytes` for a vendor that sends more.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// A way of checking that a request was signed by its sender. Implement it to verify a provider
/// whose scheme the catalog does not know (Pack's is undocumented) and pass it to that provider's
/// `Verifier::with_scheme`.
pub trait Scheme {
    /// Checks the request; on success returns the exact text that was signed, which is what gets
    /// parsed (so nothing can differ between what was verified and what is used).
    fn verify<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError>;

    /// The delivery's id, when the scheme signs one in a header (Standard Webhooks signs
    /// `webhook-id`); called only after [`Scheme::verify`] accepted the request. `None` (the
    /// default) when the signature covers no id, and the id comes from the signed body instead.
    fn signed_delivery_id<'h>(&self, headers: &'h dyn Headers) -> Option<&'h str> {
        let _ = headers;
        None
    }

    /// [`Scheme::verify`], except that a text this scheme accepts only if it is JSON may come back
    /// unchecked, flagged `true`: the receiver parses it anyway, and a successful parse proves it
    /// JSON at no cost; otherwise it calls [`Scheme::check_json`]. Schemes that sign anything
    /// keep the default.
    #[doc(hidden)]
    fn verify_deferring_json<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<(Cow<'b, str>, bool), VerifyError> {
        self.verify(headers, body).map(|text| (text, false))
    }

    /// Whether a text [`Scheme::verify_deferring_json`] left unchecked is JSON, as this scheme
    /// requires.
    #[doc(hidden)]
    fn check_json(&self, text: &str) -> Result<(), VerifyError> {
        let _ = text;
        Ok(())
    }
}

/// Which check a request failed. Never contains a key or an expected signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// A required header is absent.
    MissingHeader(&'static str),
    /// A header appears more than once.
    DuplicateHeader(&'static str),
    /// A header is empty, not visible ASCII, or not in its expected format.
    MalformedHeader {
        /// The header.
        name: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No signature matches any key.
    NoMatchingSignature,
    /// The timestamp is older than the tolerance allows.
    TimestampTooOld,
    /// The timestamp is further in the future than the tolerance allows.
    TimestampInFuture,
    /// The event type header names another event than the body.
    EventTypeMismatch {
        /// The header's event type.
        header: String,
        /// The body's event type.
        body: String,
    },
    /// The body is larger than the verifier accepts.
    BodyTooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not UTF-8.
    NotUtf8,
    /// The body is not JSON (so its canonical form cannot be computed).
    NotJson(JsonError),
}

impl VerifyError {
    /// Whether the request itself is at fault (answer 4xx, the provider gains nothing by retrying),
    /// as opposed to the server (answer 5xx). Every failure of verification is the request's.
    pub fn is_client_error(&self) -> bool {
        true
    }

    /// The HTTP status to answer with: 413 for an oversized body, 401 when the signature does
    /// not match, 400 for everything else.
    pub fn status_code(&self) -> u16 {
        match self {
            VerifyError::BodyTooLarge { .. } => 413,
            VerifyError::NoMatchingSignature | VerifyError::TimestampTooOld | VerifyError::TimestampInFuture => 401,
            _ => 400,
        }
    }

    /// [`VerifyError::status_code`] as an `http::StatusCode` (feature `http`).
    ///
    /// ```
    /// use webhook_runtime::verify::VerifyError;
    /// assert_eq!(VerifyError::NoMatchingSignature.http_status(), http::StatusCode::UNAUTHORIZED);
    /// assert_eq!(VerifyError::NotUtf8.http_status(), http::StatusCode::BAD_REQUEST);
    /// ```
    #[cfg(feature = "http")]
    pub fn http_status(&self) -> ::http::StatusCode {
        ::http::StatusCode::from_u16(self.status_code()).unwrap_or(::http::StatusCode::BAD_REQUEST)
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingHeader(h) => write!(f, "missing header `{h}`"),
            VerifyError::DuplicateHeader(h) => write!(f, "header `{h}` appears more than once"),
            VerifyError::MalformedHeader { name, reason } => write!(f, "malformed header `{name}`: {reason}"),
            VerifyError::NoMatchingSignature => f.write_str(
                "no signature matches: check the key, and that the body is passed exactly as received (not parsed and re-serialized)",
            ),
            VerifyError::TimestampTooOld => f.write_str("the timestamp is older than the tolerance allows"),
            VerifyError::TimestampInFuture => f.write_str("the timestamp is further in the future than the tolerance allows"),
            VerifyError::EventTypeMismatch { header, body } => {
                write!(f, "the event type header says `{header}` but the body says `{body}`")
            }
            VerifyError::BodyTooLarge { size, limit } => write!(f, "the body is {size} bytes; the limit is {limit}"),
            VerifyError::NotUtf8 => f.write_str("the body is not UTF-8"),
            VerifyError::NotJson(e) => write!(f, "the body is not JSON: {e}"),
        }
    }
}

impl ::std::error::Error for VerifyError {}

/// Checks the body size limit; the first thing every verifier does.
pub fn check_size(body: &[u8], limit: usize) -> Result<(), VerifyError> {
    if body.len() > limit {
        return Err(VerifyError::BodyTooLarge { size: body.len(), limit });
    }
    Ok(())
}

/// A header that must be present once, as visible ASCII.
pub fn required_header<'h>(headers: &'h dyn Headers, name: &'static str) -> Result<&'h str, VerifyError> {
    optional_header(headers, name)?.ok_or(VerifyError::MissingHeader(name))
}

/// A header that may be absent, but if present appears once, as visible ASCII.
pub fn optional_header<'h>(headers: &'h dyn Headers, name: &'static str) -> Result<Option<&'h str>, VerifyError> {
    match headers.lookup(name) {
        HeaderLookup::Missing => Ok(None),
        HeaderLookup::Many => Err(VerifyError::DuplicateHeader(name)),
        HeaderLookup::One(bytes) => {
            if bytes.is_empty() {
                return Err(VerifyError::MalformedHeader { name, reason: "it is empty" });
            }
            // Every byte is checked (no early exit), which the compiler turns into vector code.
            if !bytes.iter().fold(true, |visible, b| visible & (0x20..0x7f).contains(b)) {
                return Err(VerifyError::MalformedHeader { name, reason: "it is not visible ASCII" });
            }
            // Checked above: visible ASCII is UTF-8.
            Ok(::std::str::from_utf8(bytes).ok())
        }
    }
}
