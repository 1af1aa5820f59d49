//! A string that is never printed.

/// A secret (a signing key, a subscription secret). `Debug` shows `Secret(***)`; the value is
/// reachable only through [`Secret::expose`], so it cannot end up in a log by accident.
#[derive(Clone, Default, ::serde::Serialize, ::serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(::std::string::String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<::std::string::String>) -> Self {
        Secret(value.into())
    }

    /// The value. Call this only where the secret is used, never to print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl ::core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl PartialEq for Secret {
    /// Compares without an early exit, so timing does not reveal how much of a secret matched.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl Eq for Secret {}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_never_shows_the_value() {
        let s = super::Secret::new("q9NhjkjV9o");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert_eq!(s.expose(), "q9NhjkjV9o");
        assert_eq!(s, super::Secret::new("q9NhjkjV9o"));
        assert_ne!(s, super::Secret::new("q9NhjkjV9p"));
    }
}
