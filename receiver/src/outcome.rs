//! What became of a request: accepted (answered 2xx) or rejected, each with its status and a
//! reason safe to send back and to log (never a key, never the body).

use ::std::fmt;

use ::axum::http::StatusCode;
use ::webhook_runtime::{ParseError, VerifyError};

use crate::store::StoreError;

/// A request answered 2xx.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// The provider's delivery-url validation request: answered, nothing dispatched.
    Validation,
    /// The handler ran and succeeded (inline mode).
    Processed,
    /// A copy of a delivery already run within the retention: nothing ran.
    Duplicate,
    /// Committed to the inbox; a worker runs the handler (inbox mode).
    Queued,
}

impl Accepted {
    /// The outcome's name in logs and spans.
    pub fn name(self) -> &'static str {
        match self {
            Accepted::Validation => "validation",
            Accepted::Processed => "processed",
            Accepted::Duplicate => "duplicate",
            Accepted::Queued => "queued",
        }
    }
}

/// A request refused, or one that failed on the server.
#[derive(Debug)]
pub enum Rejection {
    /// The body is larger than the endpoint reads (413).
    TooLarge {
        /// The endpoint's limit, in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection (400).
    UnreadableBody,
    /// Verification failed: a bad or missing signature (401), a malformed request (400), a body
    /// over the verifier's limit (413).
    Unverified(VerifyError),
    /// Verified, but its payload does not have its event's shape (400).
    Unparseable(ParseError),
    /// Another copy of the delivery is running: answered 409 with `Retry-After`, so the
    /// provider retries later.
    InProgress,
    /// The delivery store or inbox failed (503, and the provider retries).
    Store(StoreError),
    /// The handler failed (500, the claim is released and the provider's retry runs it).
    Handler(String),
    /// The handler ran past the endpoint's timeout (500, as a failure).
    HandlerTimedOut,
}

impl Rejection {
    /// The status to answer with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::UnreadableBody | Rejection::Unparseable(_) => StatusCode::BAD_REQUEST,
            Rejection::Unverified(e) => StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST),
            Rejection::InProgress => StatusCode::CONFLICT,
            Rejection::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::Handler(_) | Rejection::HandlerTimedOut => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The outcome's name in logs and spans.
    pub fn name(&self) -> &'static str {
        match self {
            Rejection::TooLarge { .. } => "too_large",
            Rejection::UnreadableBody => "unreadable_body",
            Rejection::Unverified(VerifyError::NoMatchingSignature) => "bad_signature",
            Rejection::Unverified(_) => "unverified",
            Rejection::Unparseable(_) => "unparseable",
            Rejection::InProgress => "in_progress",
            Rejection::Store(_) => "store_failed",
            Rejection::Handler(_) => "handler_failed",
            Rejection::HandlerTimedOut => "handler_timed_out",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rejection::TooLarge { limit } => write!(f, "the body is larger than {limit} bytes"),
            Rejection::UnreadableBody => f.write_str("the body could not be read"),
            Rejection::Unverified(e) => write!(f, "not verified: {e}"),
            Rejection::Unparseable(e) => write!(f, "the payload does not have its event's shape: {e}"),
            Rejection::InProgress => f.write_str("another copy of this delivery is being processed; retry later"),
            Rejection::Store(e) => write!(f, "{e}"),
            Rejection::Handler(e) => write!(f, "the handler failed: {e}"),
            Rejection::HandlerTimedOut => f.write_str("the handler did not finish in time"),
        }
    }
}

impl ::std::error::Error for Rejection {}
