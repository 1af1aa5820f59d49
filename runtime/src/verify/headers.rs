//! Reading request headers from whatever the caller has: an `http::HeaderMap` (feature `http`)
//! or plain name/value pairs.

/// The result of looking a header up by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLookup<'h> {
    /// Not present.
    Missing,
    /// Present once, with these bytes.
    One(&'h [u8]),
    /// Present more than once (which a verifier rejects rather than guess which one counts).
    Many,
}

/// Request headers. Names are matched case-insensitively.
pub trait Headers {
    /// Looks a header up; `name` is lowercase.
    fn lookup(&self, name: &str) -> HeaderLookup<'_>;
}

impl<T: Headers + ?Sized> Headers for &T {
    fn lookup(&self, name: &str) -> HeaderLookup<'_> {
        (**self).lookup(name)
    }
}

fn from_pairs<'h, N, V>(pairs: impl Iterator<Item = &'h (N, V)>, name: &str) -> HeaderLookup<'h>
where
    N: AsRef<str> + 'h,
    V: AsRef<[u8]> + 'h,
{
    let mut found = HeaderLookup::Missing;
    for (n, v) in pairs {
        if n.as_ref().eq_ignore_ascii_case(name) {
            found = match found {
                HeaderLookup::Missing => HeaderLookup::One(v.as_ref()),
                _ => return HeaderLookup::Many,
            };
        }
    }
    found
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for [(N, V)] {
    fn lookup(&self, name: &str) -> HeaderLookup<'_> {
        from_pairs(self.iter(), name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>, const K: usize> Headers for [(N, V); K] {
    fn lookup(&self, name: &str) -> HeaderLookup<'_> {
        from_pairs(self.iter(), name)
    }
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for Vec<(N, V)> {
    fn lookup(&self, name: &str) -> HeaderLookup<'_> {
        from_pairs(self.iter(), name)
    }
}

#[cfg(feature = "http")]
impl Headers for ::http::HeaderMap {
    fn lookup(&self, name: &str) -> HeaderLookup<'_> {
        let mut values = self.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => HeaderLookup::Missing,
            (Some(v), None) => HeaderLookup::One(v.as_bytes()),
            (Some(_), Some(_)) => HeaderLookup::Many,
        }
    }
}
