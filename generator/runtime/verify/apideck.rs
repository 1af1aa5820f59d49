//! Apideck's scheme: HMAC-SHA256 keyed with the Apideck API key, over the body's canonical form
//! (see [`super::canonical`]), as lowercase hex in one header.
//!
//! What Apideck's documentation leaves open, and what this does about it: the encoding is
//! inferred as hex from the spec's 64-character example (upper case is accepted too); the exact
//! serializer is inferred from the guide's Node code. A body already in canonical form verifies on
//! its raw bytes, with no re-serialisation; any other body is canonicalised and tried again.

use ::std::borrow::Cow;

use ::hmac::{Hmac, Mac};
use ::sha2::Sha256;

use super::canonical::{canonicalize, CanonicalError};
use super::{required_header, Headers, Key, KeyError, Scheme, VerifyError};

/// Apideck's HMAC-SHA256 scheme, with one or more keys (several while rotating).
#[derive(Clone)]
pub struct ApideckHmac {
    /// One keyed MAC per key, cloned per request, so the key schedule is computed once.
    macs: Vec<Hmac<Sha256>>,
    header: &'static str,
}

impl ::std::fmt::Debug for ApideckHmac {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.debug_struct("ApideckHmac").field("keys", &self.macs.len()).field("header", &self.header).finish()
    }
}

impl ApideckHmac {
    /// A verifier for the signature in `header`, accepting a signature by any of `keys`.
    pub fn new<K: AsRef<str>>(keys: impl IntoIterator<Item = K>, header: &'static str) -> Result<Self, KeyError> {
        let mut macs = Vec::new();
        for key in keys {
            let key = Key::from_text(key.as_ref())?;
            macs.push(Hmac::<Sha256>::new_from_slice(key.bytes()).expect("HMAC takes keys of any length"));
        }
        if macs.is_empty() {
            return Err(KeyError::NoKeys);
        }
        Ok(ApideckHmac { macs, header })
    }

    /// The signature Apideck would send for `body`, with the first key: lowercase hex of the
    /// HMAC of the canonical form.
    pub fn sign(&self, body: &str) -> Result<String, CanonicalError> {
        let canonical = canonicalize(body)?;
        let mut mac = self.macs[0].clone();
        mac.update(canonical.as_bytes());
        Ok(::hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `tag` is the HMAC of `message` under any key. Every key is tried (no early exit),
    /// each through the MAC's constant-time `verify_slice`.
    fn matches(&self, message: &[u8], tag: &[u8; 32]) -> bool {
        self.macs.iter().fold(false, |found, mac| {
            let mut mac = mac.clone();
            mac.update(message);
            mac.verify_slice(tag).is_ok() | found
        })
    }
}

impl Scheme for ApideckHmac {
    fn verify<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {
        let name = self.header;
        let signature = required_header(headers, name)?;
        let mut tag = [0u8; 32];
        ::hex::decode_to_slice(signature, &mut tag)
            .map_err(|_| VerifyError::MalformedHeader { name, reason: "expected 64 hexadecimal digits" })?;
        if self.matches(body, &tag) {
            let text = ::std::str::from_utf8(body).map_err(|_| VerifyError::NotUtf8)?;
            return Ok(Cow::Borrowed(text));
        }
        let text = ::std::str::from_utf8(body).map_err(|_| VerifyError::NotUtf8)?;
        let canonical = canonicalize(text).map_err(VerifyError::NotJson)?;
        // A body that was already canonical was tried above.
        let already_tried = canonical == text;
        if !already_tried && self.matches(canonical.as_bytes(), &tag) {
            Ok(Cow::Owned(canonical))
        } else {
            Err(VerifyError::NoMatchingSignature)
        }
    }
}
