//! Serde helpers the generated parsers call: unwrapping the envelope, reading the event type,
//! deserializing a payload with the JSON path of any error, and borrowing strings.

use ::std::borrow::Cow;
use ::std::fmt;

use ::serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use ::serde::ser::{SerializeMap, Serializer};
use ::serde_json::value::RawValue;

use super::ParseError;

/// The value under `key` of the top-level object of `body`, unparsed; or the whole body when the
/// provider has no envelope (`key` is `None`).
pub fn unwrap<'a>(body: &'a [u8], key: Option<&'static str>) -> Result<&'a RawValue, ParseError> {
    let json_error = |e: ::serde_json::Error| ParseError::Json { message: e.to_string() };
    match key {
        None => ::serde_json::from_slice(body).map_err(json_error),
        Some(key) => {
            let mut d = ::serde_json::Deserializer::from_slice(body);
            let found = FindField { key }.deserialize(&mut d).map_err(json_error)?;
            d.end().map_err(json_error)?;
            found.ok_or(ParseError::MissingEnvelope { key })
        }
    }
}

/// The string under `field` of the payload object, borrowed when it has no escapes.
pub fn event_type<'a>(payload: &'a RawValue, field: &'static str) -> Result<Cow<'a, str>, ParseError> {
    let mut d = ::serde_json::Deserializer::from_str(payload.get());
    match (FindField { key: field }).deserialize(&mut d) {
        Ok(Some(raw)) => match cow_str(raw) {
            Some(s) => Ok(s),
            None => Err(ParseError::MissingEventType { field }),
        },
        Ok(None) => Err(ParseError::MissingEventType { field }),
        Err(e) => Err(ParseError::Json { message: e.to_string() }),
    }
}

fn cow_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    let mut d = ::serde_json::Deserializer::from_str(raw.get());
    cow(&mut d).ok()
}

/// Deserializes a payload, reporting the JSON path of the first problem.
///
/// Path tracking copies every key it passes, so the common case runs without it and allocates
/// nothing; only a payload that fails is parsed again, tracked, to name the path.
pub fn payload<'a, T: ::serde::Deserialize<'a>>(raw: &'a RawValue, event_type: &str) -> Result<T, ParseError> {
    match ::serde_json::from_str(raw.get()) {
        Ok(value) => Ok(value),
        Err(first) => {
            let mut d = ::serde_json::Deserializer::from_str(raw.get());
            let (path, message) = match ::serde_path_to_error::deserialize::<_, T>(&mut d) {
                Err(e) => (e.path().to_string(), e.into_inner().to_string()),
                // Not reached: the same input fails the same way; keep the first error if it does not.
                Ok(_) => (".".to_string(), first.to_string()),
            };
            Err(ParseError::Payload { event_type: event_type.to_string(), path, message })
        }
    }
}

/// Serializes `value` as `{key: value}`, or bare when `key` is `None`.
pub fn serialize_wrapped<S: Serializer, T: ::serde::Serialize + ?Sized>(
    key: Option<&'static str>,
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    match key {
        None => value.serialize(s),
        Some(key) => {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(key, value)?;
            map.end()
        }
    }
}

/// The string at `field` of the event in `body` (inside `wrapper`, if any), read in one pass and
/// borrowed where it has no escapes; `None` if the body is not such an object.
pub fn probe<'a>(body: &'a [u8], wrapper: Option<&'static str>, field: &'static str) -> Option<Cow<'a, str>> {
    let path = match wrapper {
        Some(wrapper) => &[wrapper, field][..],
        None => &[field][..],
    };
    // The scanner answers the common case in a fraction of serde's time; when it is not sure,
    // serde decides.
    match scan_probe(body, path) {
        Some(found) => found,
        None => serde_probe(body, wrapper, field),
    }
}

/// [`probe`] by serde: the authority.
fn serde_probe<'a>(body: &'a [u8], wrapper: Option<&'static str>, field: &'static str) -> Option<Cow<'a, str>> {
    let mut d = ::serde_json::Deserializer::from_slice(body);
    let found = Probe { path: [wrapper, Some(field)], depth: usize::from(wrapper.is_none()) }.deserialize(&mut d).ok()?;
    d.end().ok()?;
    found
}

/// [`probe`] by the scanner: `None` when not sure (an escaped or repeated key, a value of
/// another kind, malformed JSON), `Some(found)` otherwise.
fn scan_probe<'a>(body: &'a [u8], path: &[&'static str]) -> Option<Option<Cow<'a, str>>> {
    let mut members = crate::scan::Members::of(::std::str::from_utf8(body).ok()?)?;
    let found = scan_probe_members(&mut members, path)?;
    members.at_end().then_some(found)
}

fn scan_probe_members<'a>(members: &mut crate::scan::Members<'a>, path: &[&'static str]) -> Option<Option<Cow<'a, str>>> {
    let mut found = None;
    let mut seen = false;
    while let Some(key) = members.next_key()? {
        if key != path[0] {
            members.skip()?;
            continue;
        }
        if ::core::mem::replace(&mut seen, true) {
            return None; // the last one wins in serde: let it decide
        }
        found = if path.len() > 1 {
            let mut inner = members.object()?;
            let found = scan_probe_members(&mut inner, &path[1..])?;
            members.resume(inner);
            found
        } else {
            members.read_str()?
        };
    }
    Some(found)
}

/// Walks `path[depth..]` through nested objects, skipping every other value.
struct Probe {
    path: [Option<&'static str>; 2],
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Probe {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Probe {
    type Value = Option<Cow<'de, str>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let wanted = self.path[self.depth];
        while let Some(k) = map.next_key_seed(CowSeed)? {
            if Some(k.as_ref()) != wanted {
                map.next_value::<IgnoredAny>()?;
            } else if self.depth + 1 < self.path.len() {
                found = map.next_value_seed(Probe { path: self.path, depth: self.depth + 1 })?;
            } else {
                found = map.next_value_seed(OptionalCowSeed)?;
            }
        }
        Ok(found)
    }
}

/// A string, or `None` for any other value (which is skipped, not an error).
struct OptionalCowSeed;

impl<'de> DeserializeSeed<'de> for OptionalCowSeed {
    type Value = Option<Cow<'de, str>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Option<Cow<'de, str>>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Some(Cow::Owned(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(None)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(None)
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads one field of an object as raw JSON, skipping the rest. The last occurrence wins, as in
/// JavaScript's `JSON.parse`.
struct FindField {
    key: &'static str,
}

impl<'de> DeserializeSeed<'de> for FindField {
    type Value = Option<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FindField {
    type Value = Option<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a `{}` field", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(k) = map.next_key_seed(CowSeed)? {
            if k == self.key {
                found = Some(map.next_value::<&'de RawValue>()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// [`cow`] as a seed, for map keys.
struct CowSeed;

impl<'de> DeserializeSeed<'de> for CowSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        cow(d)
    }
}

/// A string, borrowed from the input when it has no escapes. serde's own `Cow` impl always copies.
///
/// A lone surrogate escape (`"\ud800"`) is valid JSON, and JavaScript senders produce it; serde's
/// strings refuse it. Here each one becomes U+FFFD (what JavaScript's `toWellFormed` gives), so
/// the event still parses; the verified text and raw payloads keep the escape exactly.
pub fn cow<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
        fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
            Ok(::std::str::from_utf8(v).map_or_else(|_| Cow::Owned(wtf8_lossy(v)), Cow::Borrowed))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            Ok(Cow::Owned(wtf8_lossy(v)))
        }
    }
    // serde_json gives a string's bytes with its escapes decoded, a lone surrogate as WTF-8.
    d.deserialize_bytes(V)
}

/// A JSON string literal (with its quotes) decoded as [`cow`] decodes it: a lone surrogate
/// escape becomes U+FFFD. `None` if it is not a string.
pub fn string_lossy(literal: &str) -> Option<String> {
    let mut d = ::serde_json::Deserializer::from_str(literal);
    let text = cow(&mut d).ok()?.into_owned();
    d.end().ok().map(|()| text)
}

/// Text from the bytes serde_json gives for a string: UTF-8, except that each lone surrogate is
/// its three-byte WTF-8 form (`ED A0..BF 80..BF`), which becomes U+FFFD.
fn wtf8_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match ::std::str::from_utf8(rest) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(e) => {
                let (valid, bad) = rest.split_at(e.valid_up_to());
                out.push_str(::std::str::from_utf8(valid).unwrap_or_default());
                out.push('\u{FFFD}');
                let skip = match bad {
                    [0xED, 0xA0..=0xBF, 0x80..=0xBF, ..] => 3,
                    _ => e.error_len().unwrap_or(bad.len()),
                };
                rest = &bad[skip.min(bad.len())..];
            }
        }
    }
}

/// [`cow`] for an optional field; `null` is `None`.
pub fn opt_cow<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            cow(d).map(Some)
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use super::{probe, scan_probe, serde_probe, string_lossy};

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(string_lossy(r#""a\ud800b""#).as_deref(), Some("a\u{FFFD}b"));
        assert_eq!(string_lossy(r#""\udc00\ud800""#).as_deref(), Some("\u{FFFD}\u{FFFD}"));
        assert_eq!(string_lossy(r#""\ud83d\ude00 é\n""#).as_deref(), Some("\u{1F600} é\n"));
        assert_eq!(string_lossy(r#""plain""#).as_deref(), Some("plain"));
        assert_eq!(string_lossy("1"), None);
    }

    #[test]
    fn the_scanner_probes_as_serde_does_or_declines() {
        let bodies = [
            r#"{"payload":{"event_type":"a.b.c","x":[1,{"y":2}]}}"#,
            r#" { "x" : 1 , "payload" : { "event_id" : 2, "event_type" : "a" } } "#,
            r#"{"payload":{"event_type":null}}"#,
            r#"{"payload":{"event_type":"\u0061"}}"#,
            r#"{"payload":{"event_type":"a","event_type":"b"}}"#,
            r#"{"payload":{"event_type":1}}"#,
            r#"{"payload":[]}"#,
            r#"{"payload":{}}"#,
            r#"{"payload":{"event_type":"a"}} x"#,
            r#"{"payload":{"event_type":"a"},"payload":{"event_type":"b"}}"#,
            r#"{"pay\u006coad":{"event_type":"a"}}"#,
            r#"{"payload":{"event_type":"a","x":[}}"#,
            r#"{"event_type":"top"}"#,
            "[]",
            "",
        ];
        let mut scanned = 0;
        for body in bodies {
            for wrapper in [Some("payload"), None] {
                let expected = serde_probe(body.as_bytes(), wrapper, "event_type");
                assert_eq!(probe(body.as_bytes(), wrapper, "event_type"), expected, "{body} in {wrapper:?}");
                let path = match wrapper {
                    Some(w) => vec![w, "event_type"],
                    None => vec!["event_type"],
                };
                if let Some(found) = scan_probe(body.as_bytes(), &path) {
                    assert_eq!(found, expected, "{body} in {wrapper:?}");
                    scanned += 1;
                }
            }
        }
        assert!(scanned >= 10, "the scanner declined too often: {scanned}");
    }
}
