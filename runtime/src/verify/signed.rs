//! What the generated `testing` modules (feature `test-util`) return: a request signed as the
//! provider would sign it, or why it could not be.

use super::{JsonError, KeyError};

/// A request as the provider would send it.
#[derive(Clone, Debug)]
pub struct SignedRequest {
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a body could not be signed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignError {
    /// The key was refused.
    Key(KeyError),
    /// The body is not UTF-8.
    NotUtf8,
    /// The body is not JSON.
    NotJson(JsonError),
    /// There is no fixture for the event: its api's feature is off (`feature`), or the catalog
    /// does not have it (`None`).
    NoFixture {
        /// The event asked for.
        event_type: String,
        /// The cargo feature that would compile its fixture.
        feature: Option<&'static str>,
    },
}

/// A key for a new test delivery: `prefix` and a number unique in the process (and, by the time
/// it started, across processes), so a receiver that deduplicates sees each signed test request
/// as its own delivery.
pub fn delivery_key(prefix: &str) -> String {
    use ::std::sync::atomic::{AtomicU64, Ordering};
    use ::std::sync::OnceLock;
    static START: OnceLock<u128> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let start = START.get_or_init(|| ::std::time::SystemTime::now().duration_since(::std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    format!("{prefix}{start:x}-{}", COUNT.fetch_add(1, Ordering::Relaxed))
}

impl From<KeyError> for SignError {
    fn from(e: KeyError) -> Self {
        SignError::Key(e)
    }
}

impl ::core::fmt::Display for SignError {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        match self {
            SignError::Key(e) => write!(f, "{e}"),
            SignError::NotUtf8 => f.write_str("the body is not UTF-8"),
            SignError::NotJson(e) => write!(f, "the body is not JSON: {e}"),
            SignError::NoFixture { event_type, feature: Some(feature) } => {
                write!(f, "no fixture for `{event_type}`: its api's feature `{feature}` is off (fixtures are compiled with their api)")
            }
            SignError::NoFixture { event_type, feature: None } => {
                write!(f, "no fixture for `{event_type}`: it is not an event of the catalog")
            }
        }
    }
}

impl ::std::error::Error for SignError {}
