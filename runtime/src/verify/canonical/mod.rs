//! Apideck's canonical form of a body, exactly as its guide's Node code computes it:
//! `JSON.stringify(sortObjectKeys(JSON.parse(body)))`.
//!
//! "Exactly" means JavaScript's rules, not JSON's, which is why this is not serde_json:
//!
//! - `JSON.parse` turns numbers into doubles (`1.0` and `1E2` are `1` and `100`; integers above
//!   2^53 round), keeps the last of duplicate keys, and accepts lone surrogates in `\u` escapes.
//! - `sortObjectKeys` sorts keys with `Array.prototype.sort` (by UTF-16 code units) and rebuilds
//!   the object by assignment, so `__proto__` is lost; it returns arrays as they are, so objects
//!   inside arrays keep `JSON.parse`'s order.
//! - Objects enumerate integer-like keys (`"9"`, `"10"`) first, in numeric order, whatever the
//!   sort said.
//! - `JSON.stringify` prints numbers as `Number.prototype.toString` does (via `ryu-js`), non-finite
//!   numbers as `null`, and escapes control characters and lone surrogates as `\u00xx`/`\udxxx`.
//!
//! Two implementations, one answer: [`exact`] follows every rule above through a parsed tree, the
//! plainest statement of them; [`rearrange`] gets the same text by copying the body's spans and
//! rewriting only what JavaScript prints differently, with no tree, so that every body costs
//! about what a plain one does. A differential test runs the guide's algorithm in Node against
//! both on thousands of random documents; the exact path also names where malformed JSON fails.

// The two implementations are public for the differential tests; use [`canonicalize`].
mod entries;
#[doc(hidden)]
pub mod exact;
mod js_string;
#[doc(hidden)]
pub mod rearrange;

/// Deepest nesting accepted. Node accepts more, but an attacker must not be able to exhaust the
/// stack; real payloads nest a few levels.
pub const MAX_DEPTH: usize = 128;

pub use super::json::JsonError as CanonicalError;

/// The canonical form of `body`, which must be one JSON text: by rearranging its spans; when
/// that fails the body is not JSON, and the exact parse says where.
pub fn canonicalize(body: &str) -> Result<String, CanonicalError> {
    match rearrange::rearrange(body) {
        Some(canonical) => Ok(canonical),
        None => exact::canonicalize(body),
    }
}
