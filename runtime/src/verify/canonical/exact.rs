//! The canonical form through a parsed tree that follows every JavaScript rule (see the parent
//! module): the authority, used for any body [`super::rearrange`] declines.

use ::std::collections::HashMap;

use super::js_string::{push_char, push_unit_escape};
use super::{CanonicalError, MAX_DEPTH};

/// The canonical form of `body`, which must be one JSON text.
pub fn canonicalize(body: &str) -> Result<String, CanonicalError> {
    let mut parser = Parser { bytes: body.as_bytes(), text: body, pos: 0 };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos != body.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    let mut out = String::with_capacity(body.len());
    write_value(&mut out, &value, true);
    Ok(out)
}

/// A string as JavaScript holds it. Most strings have no escapes: those stay a slice of the body
/// and are written back verbatim (a raw JSON string cannot hold anything `JSON.stringify` would
/// escape). Only strings with escapes are decoded to UTF-16 code units, lone surrogates and all.
enum JsString<'s> {
    Raw(&'s str),
    Units(Vec<u16>),
}

impl JsString<'_> {
    fn is(&self, text: &str) -> bool {
        match self {
            JsString::Raw(s) => *s == text,
            JsString::Units(u) => u.iter().copied().eq(text.encode_utf16()),
        }
    }

    fn same(&self, other: &JsString<'_>) -> bool {
        match (self, other) {
            (JsString::Raw(a), JsString::Raw(b)) => a == b,
            (JsString::Raw(a), JsString::Units(b)) | (JsString::Units(b), JsString::Raw(a)) => b.iter().copied().eq(a.encode_utf16()),
            (JsString::Units(a), JsString::Units(b)) => a == b,
        }
    }

    /// `Array.prototype.sort`'s default order: by UTF-16 code units.
    fn cmp_utf16(&self, other: &JsString<'_>) -> ::std::cmp::Ordering {
        match (self, other) {
            // Below U+10000 (and so for ASCII) UTF-8 byte order is UTF-16 order; a 4-byte UTF-8
            // sequence (a surrogate pair in UTF-16) sorts differently only against U+E000..U+FFFF.
            (JsString::Raw(a), JsString::Raw(b)) if a.is_ascii() || b.is_ascii() => a.as_bytes().cmp(b.as_bytes()),
            (JsString::Raw(a), JsString::Raw(b)) => a.encode_utf16().cmp(b.encode_utf16()),
            (JsString::Raw(a), JsString::Units(b)) => a.encode_utf16().cmp(b.iter().copied()),
            (JsString::Units(a), JsString::Raw(b)) => a.iter().copied().cmp(b.encode_utf16()),
            (JsString::Units(a), JsString::Units(b)) => a.cmp(b),
        }
    }

    /// The array index the key names, if it is one (`"0"`, `"10"`, not `"01"` nor
    /// `"4294967295"`): such keys enumerate first, in numeric order.
    fn array_index(&self) -> Option<u32> {
        let digits: &[u8] = match self {
            JsString::Raw(s) => s.as_bytes(),
            // An escaped key can still be an index (`"\u0031"` is `"1"`), but only if all of it is digits.
            JsString::Units(u) if u.iter().all(|c| (0x30..=0x39).contains(c)) => {
                return JsString::Raw(&String::from_utf16_lossy(u)).array_index();
            }
            JsString::Units(_) => return None,
        };
        if digits.is_empty() || digits.len() > 10 || (digits.len() > 1 && digits[0] == b'0') || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = digits.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        (n < u64::from(u32::MAX)).then_some(n as u32)
    }
}

/// The keys of a big object by hash, so finding a duplicate costs one hash, not a scan. The hash
/// is keyed per process (an attacker cannot aim keys at one bucket) and taken over the key's
/// UTF-8 bytes, one write per key, with no copy for an escape-free key.
struct KeyIndex {
    state: ::std::collections::hash_map::RandomState,
    /// Hash → the first property with it; a rare true collision falls back to a scan.
    first: HashMap<u64, usize>,
}

impl KeyIndex {
    fn of(props: &[(JsString<'_>, Value<'_>)]) -> KeyIndex {
        let mut index = KeyIndex { state: Default::default(), first: HashMap::with_capacity(props.len() * 2) };
        for (i, (k, _)) in props.iter().enumerate() {
            let hash = index.hash(k);
            index.first.entry(hash).or_insert(i);
        }
        index
    }

    fn hash(&self, key: &JsString<'_>) -> u64 {
        use ::std::hash::{BuildHasher, Hasher};
        let mut h = self.state.build_hasher();
        match key {
            JsString::Raw(s) => h.write(s.as_bytes()),
            JsString::Units(units) => match String::from_utf16(units) {
                // Equal to the raw key with the same text, so it must hash the same.
                Ok(text) => h.write(text.as_bytes()),
                // A lone surrogate: no raw key equals it.
                Err(_) => units.iter().for_each(|u| h.write_u16(*u)),
            },
        }
        h.finish()
    }

    /// The index of the property with `key`, if there is one; otherwise records that `key` will
    /// be at `props.len()`.
    fn find_or_insert(&mut self, props: &[(JsString<'_>, Value<'_>)], key: &JsString<'_>) -> Option<usize> {
        let hash = self.hash(key);
        match self.first.get(&hash) {
            Some(&i) if props[i].0.same(key) => Some(i),
            Some(_) => props.iter().position(|(k, _)| k.same(key)),
            None => {
                self.first.insert(hash, props.len());
                None
            }
        }
    }
}

enum Value<'s> {
    Null,
    Bool(bool),
    /// A number whose source text is already what JavaScript prints (a short integer), kept as is.
    RawNumber(&'s str),
    Number(f64),
    String(JsString<'s>),
    Array(Vec<Value<'s>>),
    /// Properties in `JSON.parse`'s order: each key where it first appeared, with its last value.
    Object(Vec<(JsString<'s>, Value<'s>)>),
}

struct Parser<'s> {
    bytes: &'s [u8],
    text: &'s str,
    pos: usize,
}

impl<'s> Parser<'s> {
    fn error(&self, reason: &'static str) -> CanonicalError {
        CanonicalError { offset: self.pos, reason }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'s>, CanonicalError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        match self.bytes.get(self.pos) {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &'static str, value: Value<'s>) -> Result<Value<'s>, CanonicalError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value<'s>, CanonicalError> {
        let start = self.pos;
        let number = crate::scan::number_end(self.bytes, start).ok_or_else(|| self.error("malformed number"))?;
        self.pos = number.end;
        let text = &self.text[start..self.pos];
        // Integers of up to 15 digits are exact doubles that `Number.prototype.toString` prints
        // digit for digit; `-0` prints as `0`, so it is not one of them.
        if number.integer_digits.is_some_and(|digits| digits <= 15) && text != "-0" {
            return Ok(Value::RawNumber(text));
        }
        // Rust's float parsing rounds correctly, as ECMAScript's does; overflow gives infinity,
        // which JavaScript also does (and then prints as `null`).
        let n: f64 = text.parse().map_err(|_| self.error("malformed number"))?;
        Ok(Value::Number(n))
    }

    fn hex4(&mut self) -> Result<u16, CanonicalError> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| self.error("truncated \\u escape"))?;
        let mut unit = 0u16;
        for &d in digits {
            let v = (d as char).to_digit(16).ok_or_else(|| self.error("malformed \\u escape"))?;
            unit = unit * 16 + v as u16;
        }
        self.pos += 4;
        Ok(unit)
    }

    /// Advances past plain string bytes (no quote, backslash or control character).
    fn plain_run(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<JsString<'s>, CanonicalError> {
        self.pos += 1; // the opening quote
        let start = self.pos;
        self.plain_run();
        if self.bytes.get(self.pos) == Some(&b'"') {
            self.pos += 1;
            return Ok(JsString::Raw(&self.text[start..self.pos - 1]));
        }
        let mut out: Vec<u16> = self.text[start..self.pos].encode_utf16().collect();
        loop {
            match self.bytes.get(self.pos) {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(JsString::Units(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = *self.bytes.get(self.pos).ok_or_else(|| self.error("unterminated string"))?;
                    self.pos += 1;
                    let unit = match escaped {
                        b'"' => 0x22,
                        b'\\' => 0x5c,
                        b'/' => 0x2f,
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => 0x0a,
                        b'r' => 0x0d,
                        b't' => 0x09,
                        b'u' => self.hex4()?,
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("unknown escape"));
                        }
                    };
                    out.push(unit);
                }
                Some(_) if self.bytes[self.pos] < 0x20 => return Err(self.error("control character in string")),
                Some(_) => {
                    let run = self.pos;
                    self.plain_run();
                    out.extend(self.text[run..self.pos].encode_utf16());
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value<'s>, CanonicalError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'s>, CanonicalError> {
        self.pos += 1;
        let mut props: Vec<(JsString<'s>, Value<'s>)> = Vec::new();
        // Only big objects get an index, so the common small object costs no hashing, and a body
        // with many keys costs no quadratic duplicate search.
        let mut index: Option<KeyIndex> = None;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Object(props));
        }
        loop {
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            let existing = match &mut index {
                Some(index) => index.find_or_insert(&props, &key),
                None => props.iter().position(|(k, _)| k.same(&key)),
            };
            match existing {
                Some(i) => props[i].1 = value,
                None => {
                    props.push((key, value));
                    if index.is_none() && props.len() > 32 {
                        index = Some(KeyIndex::of(&props));
                    }
                }
            }
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(props));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }
}

/// Writes `value`; `sorted` is whether `sortObjectKeys` reaches it (it stops at arrays).
fn write_value(out: &mut String, value: &Value<'_>, sorted: bool) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::RawNumber(text) => out.push_str(text),
        Value::Number(n) if n.is_finite() => out.push_str(ryu_js::Buffer::new().format_finite(*n)),
        Value::Number(_) => out.push_str("null"),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, false);
            }
            out.push(']');
        }
        Value::Object(props) => {
            // Integer-like keys first, ascending; then the rest, sorted by UTF-16 code units where
            // `sortObjectKeys` reaches, else in `JSON.parse`'s order (the sort is stable). Each key's
            // index is read once, not per comparison.
            let mut order: Vec<(Option<u32>, &(JsString<'_>, Value<'_>))> =
                props.iter().filter(|(k, _)| !(sorted && k.is("__proto__"))).map(|p| (p.0.array_index(), p)).collect();
            order.sort_by(|(ia, a), (ib, b)| match (ia, ib) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => ::std::cmp::Ordering::Less,
                (None, Some(_)) => ::std::cmp::Ordering::Greater,
                (None, None) if sorted => a.0.cmp_utf16(&b.0),
                (None, None) => ::std::cmp::Ordering::Equal,
            });
            out.push('{');
            for (i, (_, (key, value))) in order.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_value(out, value, sorted);
            }
            out.push('}');
        }
    }
}

/// `JSON.stringify`'s QuoteJSONString.
fn write_string(out: &mut String, s: &JsString<'_>) {
    out.push('"');
    match s {
        JsString::Raw(text) => out.push_str(text),
        JsString::Units(units) => {
            for unit in char::decode_utf16(units.iter().copied()) {
                match unit {
                    Ok(c) => push_char(out, c),
                    Err(lone) => push_unit_escape(out, lone.unpaired_surrogate()),
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::canonicalize;

    #[track_caller]
    fn canon(input: &str) -> String {
        canonicalize(input).unwrap()
    }

    #[test]
    fn numbers_print_as_javascript_does() {
        assert_eq!(canon("[1.0,-0,1E2,1e21,12345678901234567890,0.1,1e400,-1e-7]"), "[1,0,100,1e+21,12345678901234567000,0.1,null,-1e-7]");
    }

    #[test]
    fn keys_sort_by_utf16_with_integer_keys_first() {
        assert_eq!(canon(r#"{"b":1,"a":2,"10":3,"9":4,"01":5}"#), r#"{"9":4,"10":3,"01":5,"a":2,"b":1}"#);
        // U+FF61 sorts after U+1F600 in UTF-8 bytes but before it in UTF-16 units.
        assert_eq!(canon("{\"\u{1F600}\":1,\"\u{FF61}\":2}"), "{\"\u{1F600}\":1,\"\u{FF61}\":2}");
    }

    #[test]
    fn arrays_are_kept_as_they_are() {
        assert_eq!(canon(r#"{"z":[{"y":1,"x":2}],"a":{"d":1,"c":2}}"#), r#"{"a":{"c":2,"d":1},"z":[{"y":1,"x":2}]}"#);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        assert_eq!(canon(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
        assert_eq!(canon(r#"[{"a":1,"b":2,"a":3}]"#), r#"[{"a":3,"b":2}]"#);
    }

    #[test]
    fn strings_escape_as_json_stringify_does() {
        assert_eq!(
            canon(r#"["\u00e9\u001F\/", "\ud800", "\ud83d\ude00", "\u2028"]"#),
            "[\"é\\u001f/\",\"\\ud800\",\"\u{1F600}\",\"\u{2028}\"]"
        );
    }

    #[test]
    fn proto_is_dropped_by_sorting_but_kept_in_arrays() {
        assert_eq!(canon(r#"{"__proto__":{"x":1},"a":1}"#), r#"{"a":1}"#);
        assert_eq!(canon(r#"[{"__proto__":1}]"#), r#"[{"__proto__":1}]"#);
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in ["", "{", "[1,]", "01", "1.", "-", "\"\\x\"", "\"\u{1}\"", "{\"a\" 1}", "tru", "1 2", "\"\\u12\""] {
            assert!(canonicalize(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(super::MAX_DEPTH + 2);
        assert_eq!(canonicalize(&deep).unwrap_err().reason, "nesting too deep");
    }
}
