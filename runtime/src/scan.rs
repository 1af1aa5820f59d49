//! A JSON object scanner for the parser's fast path: it walks an object's members once,
//! borrowing every key and value from the text, and builds nothing.
//!
//! It answers "this is certainly well-formed, and here are the members" or "not sure": anything
//! unusual (an escaped key, a malformed value, trailing text) makes the caller fall back to the
//! exact serde_json path, which then gives the authoritative result or error. So the scanner can
//! never accept a body the exact path would refuse, nor read a value differently: a differential
//! property test holds it to that.

/// A member's value, with its exact text.
#[derive(Clone, Copy, Debug)]
pub struct Value<'a> {
    /// The value's text, from its first to its last byte.
    pub span: &'a str,
    /// What kind of value.
    pub kind: Kind<'a>,
}

/// The kinds of JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    /// A string without escapes: its content, borrowed.
    Str(&'a str),
    /// A string with escapes (the span still has its quotes).
    Escaped,
    /// A number (grammar checked).
    Number,
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object or array, not yet validated inside.
    Nested,
}

/// Walks the members of one JSON object.
pub struct Members<'a> {
    text: &'a str,
    pos: usize,
    first: bool,
}

impl<'a> Members<'a> {
    /// The members of the object that `text` is (surrounding whitespace allowed).
    pub fn of(text: &'a str) -> Option<Members<'a>> {
        let mut m = Members { text, pos: 0, first: true };
        m.ws();
        if m.byte()? != b'{' {
            return None;
        }
        m.pos += 1;
        Some(m)
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.pos += 1;
        }
    }

    /// The next member's key, leaving the scanner at its value: `Some(Some(key))`, the end of the
    /// object: `Some(None)`, not sure: `None`. Keys with escapes are "not sure" (the exact path
    /// decodes them). Read the value with one of the `read_*` methods, `object` or `skip`.
    pub fn next_key(&mut self) -> Option<Option<&'a str>> {
        self.ws();
        if self.byte()? == b'}' {
            self.pos += 1;
            return Some(None);
        }
        if !self.first {
            if self.byte()? != b',' {
                return None;
            }
            self.pos += 1;
            self.ws();
        }
        self.first = false;
        if self.byte()? != b'"' {
            return None;
        }
        let key = match self.string()? {
            Kind::Str(key) => key,
            _ => return None,
        };
        self.ws();
        if self.byte()? != b':' {
            return None;
        }
        self.pos += 1;
        self.ws();
        Some(Some(key))
    }

    /// The members of the object that is the current value; hand the scanner back with
    /// [`Members::resume`] when done with it.
    pub fn object(&mut self) -> Option<Members<'a>> {
        if self.byte()? != b'{' {
            return None;
        }
        Some(Members { text: self.text, pos: self.pos + 1, first: true })
    }

    /// Continues after an object read with [`Members::object`] (all its members read).
    pub fn resume(&mut self, inner: Members<'a>) {
        self.pos = inner.pos;
    }

    /// Skips the current value, checking it is well-formed JSON.
    pub fn skip(&mut self) -> Option<()> {
        skip(self.string_or_value()?)
    }

    /// The current value as an optional string: `Some(None)` for `null`.
    pub fn read_str(&mut self) -> Option<Option<::std::borrow::Cow<'a, str>>> {
        opt_str(self.string_or_value()?)
    }

    /// The current value, a number, parsed as `T` (`serde_json::Number`, `i64`): `Some(None)`
    /// for `null`.
    pub fn read_parsed<T: ::core::str::FromStr>(&mut self) -> Option<Option<T>> {
        let v = self.value()?;
        match v.kind {
            Kind::Number => v.span.parse().ok().map(Some),
            Kind::Null => Some(None),
            _ => None,
        }
    }

    /// The current value as an optional boolean: `Some(None)` for `null`.
    pub fn read_bool(&mut self) -> Option<Option<bool>> {
        match self.value()?.kind {
            Kind::Bool(b) => Some(Some(b)),
            Kind::Null => Some(None),
            _ => None,
        }
    }

    /// The current value, a string, turned into a `T` by `from_wire` (an open enum's
    /// constructor): `Some(None)` for `null`.
    pub fn read_with<T>(&mut self, from_wire: impl FnOnce(&str) -> T) -> Option<Option<T>> {
        Some(self.read_str()?.map(|s| from_wire(&s)))
    }

    /// The current value, an object, read by `scan` from its members into `slot` (left `None`
    /// for `null`). Filling a slot rather than returning the value saves moving a large struct
    /// through every caller.
    pub fn read_object<T>(
        &mut self,
        slot: &mut Option<T>,
        scan: impl FnOnce(&mut Members<'a>, &mut Option<T>) -> Option<()>,
    ) -> Option<()> {
        if self.text[self.pos..].starts_with("null") {
            self.pos += 4;
            return Some(());
        }
        let mut inner = self.object()?;
        scan(&mut inner, slot)?;
        self.resume(inner);
        Some(())
    }

    /// The current value as an optional `T`, deserialized by serde_json in place: one pass, and
    /// strings borrow from the text.
    pub fn read<T: ::serde::Deserialize<'a>>(&mut self) -> Option<Option<T>> {
        if self.text[self.pos..].starts_with("null") {
            self.pos += 4;
            return Some(None);
        }
        let mut stream = ::serde_json::Deserializer::from_str(&self.text[self.pos..]).into_iter::<T>();
        let value = stream.next()?.ok()?;
        self.pos += stream.byte_offset();
        Some(Some(value))
    }

    /// After the last member: whether only whitespace follows (for the outermost object).
    pub fn at_end(mut self) -> bool {
        self.ws();
        self.pos == self.text.len()
    }

    /// [`Members::value`], with the usual case, a string, read inline rather than through the
    /// general reader's call and dispatch (`perf`: a fifth of the Vault event's parse).
    #[inline(always)]
    fn string_or_value(&mut self) -> Option<Value<'a>> {
        if self.byte()? != b'"' {
            return self.value();
        }
        let start = self.pos;
        let kind = self.string()?;
        Some(Value { span: &self.text[start..self.pos], kind })
    }

    fn value(&mut self) -> Option<Value<'a>> {
        let start = self.pos;
        let kind = match self.byte()? {
            b'"' => self.string()?,
            b'{' | b'[' => {
                self.nested()?;
                Kind::Nested
            }
            b't' => self.literal("true", Kind::Bool(true))?,
            b'f' => self.literal("false", Kind::Bool(false))?,
            b'n' => self.literal("null", Kind::Null)?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return None,
        };
        Some(Value { span: &self.text[start..self.pos], kind })
    }

    fn literal(&mut self, word: &str, kind: Kind<'a>) -> Option<Kind<'a>> {
        if !self.text[self.pos..].starts_with(word) {
            return None;
        }
        self.pos += word.len();
        Some(kind)
    }

    #[inline(always)]
    fn string(&mut self) -> Option<Kind<'a>> {
        let start = self.pos + 1;
        let (end, escaped) = string_end(self.text.as_bytes(), self.pos)?;
        self.pos = end;
        Some(if escaped { Kind::Escaped } else { Kind::Str(&self.text[start..end - 1]) })
    }

    fn number(&mut self) -> Option<Kind<'a>> {
        self.pos = number_end(self.text.as_bytes(), self.pos)?.end;
        Some(Kind::Number)
    }

    /// Skips an object or array by its brackets and strings; its content is validated only if
    /// the caller uses the value (see [`skip`]).
    fn nested(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        let mut depth = 0usize;
        loop {
            match *bytes.get(self.pos)? {
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth -= 1;
                    self.pos += 1;
                    if depth == 0 {
                        return Some(());
                    }
                }
                b'"' => {
                    self.string()?;
                }
                _ => self.pos += 1,
            }
        }
    }
}

/// Where the JSON string whose opening quote is at `quote` ends (the index after its closing
/// quote), and whether it has escapes; `None` if it is unterminated or holds a control character.
/// Escapes are only skipped: whoever uses an escaped string decodes (and so checks) it.
#[inline(always)] // the hot loop: a call here costs more than the loop on short strings
pub(crate) fn string_end(bytes: &[u8], quote: usize) -> Option<(usize, bool)> {
    let mut i = quote + 1;
    let mut escaped = false;
    loop {
        // Eight bytes at a time while none of them is a quote, a backslash or a control
        // character (most string bytes are plain), then straight to the first one that is.
        while let Some(chunk) = bytes.get(i..i + 8) {
            let special = special_bytes(u64::from_le_bytes(chunk.try_into().expect("eight bytes")));
            if special != 0 {
                i += (special.trailing_zeros() / 8) as usize;
                break;
            }
            i += 8;
        }
        match *bytes.get(i)? {
            b'"' => return Some((i + 1, escaped)),
            b'\\' => {
                escaped = true;
                i += 2;
            }
            b if b < 0x20 => return None,
            _ => i += 1,
        }
    }
}

/// Where a JSON number starting at `start` ends, by the JSON grammar
/// (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`); `None` if it is malformed.
pub(crate) fn number_end(bytes: &[u8], start: usize) -> Option<NumberEnd> {
    let digits_from = |mut i: usize| {
        while let Some(b'0'..=b'9') = bytes.get(i) {
            i += 1;
        }
        i
    };
    let mut i = start + usize::from(bytes.get(start) == Some(&b'-'));
    let int_start = i;
    i = match bytes.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits_from(i + 1),
        _ => return None,
    };
    let int_digits = i - int_start;
    let mut integer = true;
    if bytes.get(i) == Some(&b'.') {
        integer = false;
        let end = digits_from(i + 1);
        if end == i + 1 {
            return None;
        }
        i = end;
    }
    if let Some(b'e' | b'E') = bytes.get(i) {
        integer = false;
        i += 1;
        if let Some(b'+' | b'-') = bytes.get(i) {
            i += 1;
        }
        let end = digits_from(i);
        if end == i {
            return None;
        }
        i = end;
    }
    Some(NumberEnd { end: i, integer_digits: integer.then_some(int_digits) })
}

/// The end of a number, and how many digits it has when it is a plain integer (no fraction, no
/// exponent).
pub(crate) struct NumberEnd {
    pub end: usize,
    // Read by the canonical form's fast path only.
    #[cfg_attr(not(feature = "apideck"), allow(dead_code))]
    pub integer_digits: Option<usize>,
}

/// A mask with the high bit set in the bytes of `word` (little-endian) that are `"`, `\\` or below
/// 0x20, by the classic SWAR tests (a byte is zero after XOR with the value sought; a byte is less
/// than n). A borrow can also mark a plain byte, but only above a marked one, so the lowest mark
/// is always exact: that is the only one used.
fn special_bytes(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let below_space = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    zero(word ^ (ONES * u64::from(b'"'))) | zero(word ^ (ONES * u64::from(b'\\'))) | below_space
}

/// Accepts a value the caller does not use, after checking it is well-formed JSON (scalars were
/// checked while scanning; nested values and escaped strings are checked here).
pub fn skip(v: Value<'_>) -> Option<()> {
    match v.kind {
        Kind::Nested | Kind::Escaped => ::serde_json::from_str::<::serde::de::IgnoredAny>(v.span).ok().map(drop),
        _ => Some(()),
    }
}

/// An optional string field: `Some(None)` for `null`; `None` (not sure) for other kinds.
pub fn opt_str<'a>(v: Value<'a>) -> Option<Option<::std::borrow::Cow<'a, str>>> {
    match v.kind {
        Kind::Str(s) => Some(Some(::std::borrow::Cow::Borrowed(s))),
        Kind::Escaped => crate::de::string_lossy(v.span).map(|s| Some(::std::borrow::Cow::Owned(s))),
        Kind::Null => Some(None),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, Members};

    fn members(text: &str) -> Option<Vec<(String, Kind<'_>)>> {
        let mut m = Members::of(text)?;
        let mut out = Vec::new();
        while let Some(k) = m.next_key()? {
            out.push((k.to_string(), m.value()?.kind));
        }
        m.at_end().then_some(out)
    }

    #[test]
    fn scans_members() {
        let found = members(r#" { "a" : "x", "b":-1.5e3,"c":[1,{"d":"]"}], "e":null,"f":true, "g":"\n"} "#).unwrap();
        let kinds: Vec<Kind<'_>> = found.iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds, [Kind::Str("x"), Kind::Number, Kind::Nested, Kind::Null, Kind::Bool(true), Kind::Escaped]);
        assert_eq!(members("{}").unwrap().len(), 0);
    }

    /// The first special byte's position, as the scanner computes it from the mask.
    fn first_special(bytes: [u8; 8]) -> Option<u32> {
        let mask = super::special_bytes(u64::from_le_bytes(bytes));
        (mask != 0).then(|| mask.trailing_zeros() / 8)
    }

    #[test]
    fn finds_the_first_special_byte_in_any_position() {
        for pos in 0..8 {
            for special in [b'"', b'\\', 0x00, 0x1f] {
                let mut bytes = [b'a'; 8];
                bytes[pos] = special;
                assert_eq!(first_special(bytes), Some(pos as u32), "{special:#x} at {pos}");
                // Bytes a borrow could mark (0x01, 0x21, 0x23, 0x5d) after the special one do
                // not move the first mark; specials after it do not either.
                for after in [0x01, 0x21, 0x23, 0x5d, b'"', b'\\'] {
                    let mut bytes = bytes;
                    bytes[pos + 1..].fill(after);
                    assert_eq!(first_special(bytes), Some(pos as u32), "{special:#x} at {pos}, then {after:#x}");
                }
            }
        }
        for plain in [*b"abcdefgh", *b"  !#[]~\x7f", [0x20, 0x7f, 0x80, 0xc3, 0xa9, 0xff, 0x21, 0x5d]] {
            assert_eq!(first_special(plain), None, "{plain:?}");
        }
    }

    #[test]
    fn finds_the_first_special_byte_of_every_word() {
        // Exhaustive over two positions and every byte value each: the mask's lowest mark is
        // the first byte a byte-by-byte scan would stop at.
        let special = |b: u8| b == b'"' || b == b'\\' || b < 0x20;
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for (i, j) in [(0, 1), (3, 4), (6, 7), (0, 7)] {
                    let mut bytes = [b'x'; 8];
                    bytes[i] = a;
                    bytes[j] = b;
                    let expected = bytes.iter().position(|&c| special(c)).map(|p| p as u32);
                    assert_eq!(first_special(bytes), expected, "{bytes:?}");
                }
            }
        }
    }

    #[test]
    fn is_unsure_rather_than_wrong() {
        for bad in [
            "",
            "[]",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a":1} x"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a\u0062":1}"#,
            r#"{"a":1 "b":2}"#,
        ] {
            assert!(members(bad).is_none(), "{bad:?}");
        }
    }
}
