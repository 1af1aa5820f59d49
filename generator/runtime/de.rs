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
pub fn payload<'a, T: ::serde::Deserialize<'a>>(raw: &'a RawValue, event_type: &str) -> Result<T, ParseError> {
    let mut d = ::serde_json::Deserializer::from_str(raw.get());
    ::serde_path_to_error::deserialize(&mut d).map_err(|e| {
        let path = e.path().to_string();
        ParseError::Payload { event_type: event_type.to_string(), path, message: e.into_inner().to_string() }
    })
}

/// Serializes `value` as `{key: value}`, or bare when `key` is `None`.
pub fn serialize_wrapped<S: Serializer, T: ::serde::Serialize + ?Sized>(key: Option<&'static str>, value: &T, s: S) -> Result<S::Ok, S::Error> {
    match key {
        None => value.serialize(s),
        Some(key) => {
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(key, value)?;
            map.end()
        }
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
    }
    d.deserialize_str(V)
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
