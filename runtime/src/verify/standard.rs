//! Standard Webhooks (<https://www.standardwebhooks.com>): `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (a space-separated list of `v1,<base64>`), HMAC-SHA256 over
//! `id.timestamp.body` with a `whsec_` key of 24 to 64 bytes.
//!
//! Departures from the reference libraries, each deliberate: an empty key is refused; padding of
//! the key's base64 is optional; timestamp arithmetic is checked (`i64::MIN` is "too old", never
//! a panic or a wrap); ids containing `.` or whitespace and non-canonical timestamps (`+1`, `01`)
//! are refused, so the signed string is unambiguous.

use ::std::borrow::Cow;
use ::std::time::{SystemTime, UNIX_EPOCH};

use ::base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use ::base64::engine::{DecodePaddingMode, Engine};
use ::hmac::{Hmac, Mac};
use ::sha2::Sha256;

use super::{required_header, Headers, Key, KeyError, Scheme, VerifyError};

/// The header carrying the message id.
pub const ID_HEADER: &str = "webhook-id";
/// The header carrying the timestamp, in seconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// The header carrying the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";
/// The default tolerance, either way, as every reference library has it: five minutes.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
/// Signature lists longer than this are refused, bounding the work one request can cause.
pub const MAX_SIGNATURES: usize = 32;

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &::base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The Standard Webhooks scheme, with one or more keys.
#[derive(Clone)]
pub struct StandardWebhooks {
    macs: Vec<Hmac<Sha256>>,
    tolerance: i64,
}

impl ::std::fmt::Debug for StandardWebhooks {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.debug_struct("StandardWebhooks").field("keys", &self.macs.len()).field("tolerance", &self.tolerance).finish()
    }
}

impl StandardWebhooks {
    /// A verifier accepting signatures by any of `secrets` (`whsec_<base64>`; the prefix is optional).
    pub fn new<K: AsRef<str>>(secrets: impl IntoIterator<Item = K>) -> Result<Self, KeyError> {
        let mut macs = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref();
            Key::from_text(secret)?;
            let encoded = secret.strip_prefix("whsec_").unwrap_or(secret);
            let bytes = BASE64.decode(encoded).map_err(|_| KeyError::NotBase64)?;
            if !(24..=64).contains(&bytes.len()) {
                return Err(KeyError::BadLength(bytes.len()));
            }
            let key = Key::from_bytes(bytes)?;
            macs.push(Hmac::<Sha256>::new_from_slice(key.bytes()).expect("HMAC takes keys of any length"));
        }
        if macs.is_empty() {
            return Err(KeyError::NoKeys);
        }
        Ok(StandardWebhooks { macs, tolerance: DEFAULT_TOLERANCE_SECS })
    }

    /// Sets how far (in seconds, either way) a timestamp may be from now.
    pub fn with_tolerance_secs(mut self, seconds: u32) -> Self {
        self.tolerance = i64::from(seconds);
        self
    }

    /// `v1,<base64>`: the signature of a message with the first key.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mac = self.mac(&self.macs[0], id, &timestamp.to_string(), body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }

    fn mac(&self, keyed: &Hmac<Sha256>, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = keyed.clone();
        for part in [id.as_bytes(), b".", timestamp.as_bytes(), b".", body] {
            mac.update(part);
        }
        mac
    }

    /// Verifies against an explicit clock (`now` in seconds since the epoch), for tests and for
    /// platforms without one.
    pub fn verify_at<'b>(&self, headers: &dyn Headers, body: &'b [u8], now: i64) -> Result<Cow<'b, str>, VerifyError> {
        let id = required_header(headers, ID_HEADER)?;
        if id.contains(['.', ' ']) {
            return Err(VerifyError::MalformedHeader { name: ID_HEADER, reason: "it contains `.` or a space" });
        }
        let timestamp = required_header(headers, TIMESTAMP_HEADER)?;
        let ts = parse_timestamp(timestamp)?;
        if ts > now {
            if ts.checked_sub(now).is_none_or(|ahead| ahead > self.tolerance) {
                return Err(VerifyError::TimestampInFuture);
            }
        } else if now.checked_sub(ts).is_none_or(|age| age > self.tolerance) {
            return Err(VerifyError::TimestampTooOld);
        }
        let list = required_header(headers, SIGNATURE_HEADER)?;
        let candidates: Vec<&str> = list.split(' ').filter(|s| !s.is_empty()).collect();
        if candidates.len() > MAX_SIGNATURES {
            return Err(VerifyError::MalformedHeader { name: SIGNATURE_HEADER, reason: "too many signatures" });
        }
        let mut tags = Vec::new();
        for candidate in candidates {
            // Other versions (`v1a`, asymmetric) are skipped; a malformed `v1` cannot match.
            let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
            let mut tag = [0u8; 32];
            if let Ok(32) = BASE64.decode_slice(encoded, &mut tag) {
                tags.push(tag);
            }
        }
        let mut found = false;
        for keyed in &self.macs {
            let mac = self.mac(keyed, id, timestamp, body);
            for tag in &tags {
                found |= mac.clone().verify_slice(tag).is_ok();
            }
        }
        if !found {
            return Err(VerifyError::NoMatchingSignature);
        }
        ::std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| VerifyError::NotUtf8)
    }
}

/// A canonical decimal: digits only (a leading `-` allowed), no leading zeros, within `i64`.
fn parse_timestamp(text: &str) -> Result<i64, VerifyError> {
    let malformed = |reason| VerifyError::MalformedHeader { name: TIMESTAMP_HEADER, reason };
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("expected whole seconds since the Unix epoch"));
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return Err(malformed("leading zeros"));
    }
    text.parse().map_err(|_| malformed("out of range"))
}

impl Scheme for StandardWebhooks {
    fn verify<'b>(&self, headers: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.verify_at(headers, body, now)
    }

    /// `webhook-id`: the signed content starts with it, so it cannot be changed without breaking
    /// the signature.
    fn signed_delivery_id<'h>(&self, headers: &'h dyn Headers) -> Option<&'h str> {
        required_header(headers, ID_HEADER).ok()
    }
}
