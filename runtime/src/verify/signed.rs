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
        }
    }
}

impl ::std::error::Error for SignError {}
