//! Signing keys: checked when the verifier is built, never printed.

use ::std::fmt;

/// A signing key. `Debug` shows `Key(***)`; the bytes never leave this crate's verifiers.
#[derive(Clone)]
// Without a signing scheme compiled in, nothing reads a key; it is still checked when built.
#[cfg_attr(not(any(feature = "apideck", feature = "standard-webhooks")), allow(dead_code))]
pub struct Key(Vec<u8>);

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// No keys were given.
    NoKeys,
    /// The key is empty: anyone could sign with it.
    Empty,
    /// The key starts or ends with whitespace, almost always a copy-paste mistake.
    Whitespace,
    /// A `whsec_` key whose rest is not base64.
    NotBase64,
    /// A Standard Webhooks key must decode to 24–64 bytes.
    BadLength(usize),
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::NoKeys => f.write_str("no keys were given"),
            KeyError::Empty => f.write_str("the key is empty"),
            KeyError::Whitespace => f.write_str("the key starts or ends with whitespace; remove it (the key itself is not shown)"),
            KeyError::NotBase64 => f.write_str("the key after `whsec_` is not base64"),
            KeyError::BadLength(n) => write!(f, "the key decodes to {n} bytes; Standard Webhooks keys are 24 to 64 bytes"),
        }
    }
}

impl ::std::error::Error for KeyError {}

impl Key {
    /// A key used as its UTF-8 bytes (an Apideck API key). Rejects empty and whitespace-padded keys.
    pub fn from_text(text: &str) -> Result<Key, KeyError> {
        if text.is_empty() {
            return Err(KeyError::Empty);
        }
        if text.trim() != text {
            return Err(KeyError::Whitespace);
        }
        Ok(Key(text.as_bytes().to_vec()))
    }

    /// Raw key bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Key, KeyError> {
        if bytes.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(Key(bytes))
    }

    #[cfg_attr(not(any(feature = "apideck", feature = "standard-webhooks")), allow(dead_code))]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(***)")
    }
}
