//! Hand-written support code for the generated modules: event metadata, parse errors, serde
//! helpers, url matching and secrets. Kept apart from the generated code so it can be read and
//! reviewed on its own; generated modules call into it.

pub mod de;
mod error;
mod info;
pub mod scan;
mod secret;
pub mod url;
pub mod verify;

pub use error::{ParseError, UnknownEventCode};
pub use info::{EventInfo, Status};
pub use secret::Secret;
pub use verify::{Headers, KeyError, Scheme, VerifyError};

/// An event whose type this version of the crate does not know. Nothing is lost: the type string
/// and the payload's JSON, exactly as received, are kept.
#[derive(Clone, Debug)]
pub struct UnknownEvent<'a> {
    /// The event type as received.
    pub event_type: ::std::borrow::Cow<'a, str>,
    /// The payload as received (inside the envelope, if the provider has one).
    pub payload: &'a ::serde_json::value::RawValue,
}

/// The payload of an event whose shape the vendor does not document: the raw JSON, as received.
#[derive(Clone, Copy, Debug)]
pub struct RawPayload<'a>(pub &'a ::serde_json::value::RawValue);

impl<'a> RawPayload<'a> {
    /// The JSON text.
    pub fn get(&self) -> &'a str {
        self.0.get()
    }

    /// Deserializes the payload into a type of your own.
    pub fn deserialize<T: ::serde::Deserialize<'a>>(&self) -> Result<T, ::serde_json::Error> {
        ::serde_json::from_str(self.0.get())
    }
}

impl ::serde::Serialize for RawPayload<'_> {
    fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

/// The closest of `candidates` to `given` by edit distance, if it is close enough to be a likely
/// typo (at most a third of the longer string).
pub fn nearest<'c>(given: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    candidates
        .into_iter()
        .map(|c| (levenshtein(given, c), c))
        .filter(|(d, c)| *d <= given.chars().count().max(c.chars().count()) / 3)
        .min()
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn nearest_finds_likely_typos_only() {
        let codes = ["order.canceled", "order.created", "order.shipped"];
        assert_eq!(super::nearest("orders.created", codes), Some("order.created"));
        assert_eq!(super::nearest("order.cancelled", codes), Some("order.canceled"));
        assert_eq!(super::nearest("invoice.paid", codes), None);
    }
}
