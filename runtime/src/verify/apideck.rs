//! Apideck's scheme: HMAC-SHA256 keyed with the Apideck API key, over the body's canonical form
//! (see [`super::canonical`]), as lowercase hex in one header.
//!
//! What Apideck's documentation leaves open, and what this does about it: the encoding is
//! inferred as hex from the spec's 64-character example (upper case is accepted too); the exact
//! serializer is inferred from the guide's Node code. A body already in canonical form verifies on
//! its raw bytes, with no re-serialisation; any other body is canonicalised and tried again.
//!
//! Exactly which requests verify: the body is UTF-8 and one JSON text (RFC 8259, read as
//! JavaScript's `JSON.parse` reads it: duplicate keys and lone surrogate escapes allowed, nesting
//! up to 128 levels), and the signature header holds the HMAC, under one of the keys, of either
//! the body's bytes as received or its canonical form. A body that is not JSON is refused
//! whatever its signature (`VerifyError::NotJson`): the key signs JSON, never arbitrary bytes.
//!
//! Which of the two is tried first is learnt: a sender serializes every body the same way, so
//! after a body that verified only in canonical form, the canonical form is tried first, and
//! after one that verified as received, the raw bytes are. Either order accepts exactly the same
//! requests; the order only saves the hash that would fail.

use ::std::borrow::Cow;
use ::std::sync::atomic::{AtomicBool, Ordering};

use ::hmac::{Hmac, Mac};
use ::sha2::Sha256;

use super::canonical::{canonicalize, CanonicalError};
use super::{required_header, Headers, Key, KeyError, Scheme, VerifyError};

/// Apideck's HMAC-SHA256 scheme, with one or more keys (several while rotating).
pub struct ApideckHmac {
    /// One keyed MAC per key, cloned per request, so the key schedule is computed once.
    macs: Vec<Hmac<Sha256>>,
    header: &'static str,
    /// Whether the last body verified only in canonical form (so the next one likely will too).
    /// A hint, never a decision: relaxed ordering is enough.
    canonical_first: AtomicBool,
}

impl Clone for ApideckHmac {
    fn clone(&self) -> Self {
        ApideckHmac {
            macs: self.macs.clone(),
            header: self.header,
            canonical_first: AtomicBool::new(self.canonical_first.load(Ordering::Relaxed)),
        }
    }
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
        Ok(ApideckHmac { macs, header, canonical_first: AtomicBool::new(false) })
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

/// Whether `text` is one JSON text as JavaScript's `JSON.parse` reads it (lone surrogates in
/// escapes accepted, duplicate keys allowed, nesting up to [`MAX_DEPTH`](super::canonical::MAX_DEPTH)):
/// exactly what the canonical form accepts. The rearranging scan decides in one pass that writes
/// nothing; only a body it refuses goes through the exact parse, for the error's offset and reason.
fn is_json(text: &str) -> Result<(), CanonicalError> {
    if super::canonical::rearrange::handles(text) {
        return Ok(());
    }
    canonicalize(text).map(|_| ())
}

impl Scheme for ApideckHmac {
    fn verify<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {
        let (text, unchecked) = self.verify_deferring_json(headers, body)?;
        if unchecked {
            self.check_json(&text)?;
        }
        Ok(text)
    }

    fn check_json(&self, text: &str) -> Result<(), VerifyError> {
        is_json(text).map_err(VerifyError::NotJson)
    }

    /// A body whose bytes as received match comes back unchecked: it is JSON only if parsing it
    /// (or [`Scheme::check_json`]) says so. A canonical form is JSON by construction.
    fn verify_deferring_json<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<(Cow<'b, str>, bool), VerifyError> {
        let name = self.header;
        let signature = required_header(headers, name)?;
        let mut tag = [0u8; 32];
        ::hex::decode_to_slice(signature, &mut tag)
            .map_err(|_| VerifyError::MalformedHeader { name, reason: "expected 64 hexadecimal digits" })?;
        let raw_first = !self.canonical_first.load(Ordering::Relaxed);
        let raw_matched = raw_first && self.matches(body, &tag);
        let text = ::std::str::from_utf8(body).map_err(|_| VerifyError::NotUtf8)?;
        if raw_matched {
            // The key signs JSON only: bytes that are not one JSON text are refused, even when
            // their HMAC matches (by the caller, who may prove it JSON by parsing it).
            return Ok((Cow::Borrowed(text), true));
        }
        // A body already canonical has one text to try; otherwise the canonical form, then (if
        // not tried above) the body as received, which is also tried when it is not JSON.
        let mut not_json = None;
        match canonicalize(text) {
            Ok(canonical) if canonical != text => {
                if self.matches(canonical.as_bytes(), &tag) {
                    // Written only on a change, so threads sharing a verifier do not contend.
                    if raw_first {
                        self.canonical_first.store(true, Ordering::Relaxed);
                    }
                    return Ok((Cow::Owned(canonical), false));
                }
            }
            Ok(_) => {}
            Err(e) => not_json = Some(e),
        }
        if let Some(e) = not_json {
            return Err(VerifyError::NotJson(e));
        }
        if !raw_first && self.matches(body, &tag) {
            // JSON, or `not_json` would have returned above.
            self.canonical_first.store(false, Ordering::Relaxed);
            return Ok((Cow::Borrowed(text), false));
        }
        Err(VerifyError::NoMatchingSignature)
    }
}
