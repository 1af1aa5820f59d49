//! Why a body is not JSON: shared by every scheme that reads the body before trusting it.

use ::std::fmt;

/// Why a body is not JSON (and so, for Apideck, has no canonical form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset in the body where parsing stopped.
    pub offset: usize,
    /// What was wrong there.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

impl ::std::error::Error for JsonError {}
