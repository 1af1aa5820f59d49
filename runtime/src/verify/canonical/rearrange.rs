//! The canonical form of a common body without building a tree: when every string is free of
//! escapes, every number a short integer and every key plain ASCII, JavaScript prints each scalar
//! exactly as it was written, so the canonical form is the body's own text with whitespace
//! dropped and object members moved into key order. One pass copies the text in runs (a body
//! without whitespace is one run); an object whose members were out of order is rewritten once
//! from a copy.
//!
//! Keys that are array indices (`"7"`) are moved first, in numeric order, as JavaScript
//! enumerates them. Anything else (an escape, a fraction, `-0`, a long integer, a key that is
//! non-ASCII, repeated or `__proto__`, malformed JSON, nesting past [`MAX_DEPTH`]) is declined
//! with `None`, and [`super::exact`] decides. Declining is always safe; the conditions above are what
//! make accepting exact, and the differential tests hold the two implementations to one answer.

use super::MAX_DEPTH;
use crate::scan::{number_end, string_end};

/// The canonical form of `body`, or `None` if it is not a body this handles.
pub fn rearrange(body: &str) -> Option<String> {
    let mut writer = Writer::new(body, false);
    writer.all()?;
    Some(writer.out)
}

/// Whether this path handles `body` (and so whether it is JSON), without writing its canonical
/// form: the same scan, with nothing copied. `false` says nothing; the exact path decides.
pub fn handles(body: &str) -> bool {
    Writer::new(body, true).all().is_some()
}

/// A member of an object being written: its key (a span of the body, without quotes; `prefix`
/// is its first eight bytes, big-endian and zero-padded, which decides most comparisons) and
/// where its `"key":value` text is in the output.
struct Member {
    /// Where JavaScript enumerates it: an array index (`"7"`) by its value, first; any other key
    /// after them all (`u64::MAX`).
    rank: u64,
    prefix: u64,
    key: (usize, usize),
    out: (usize, usize),
}

struct Writer<'s> {
    text: &'s str,
    /// Where reading is.
    pos: usize,
    /// The body's text before this is in `out` (or was dropped); after it, up to `pos`, it is
    /// still to be copied. Copying in runs rather than token by token is most of the speed.
    copied: usize,
    out: String,
    /// The members of the objects being written, innermost last (a stack shared by all levels,
    /// so nesting costs no allocation per object).
    members: Vec<Member>,
    /// Where an object's members are copied to when they must be written again in order.
    copy: String,
    /// Keys of an object being checked for repeats, sorted (reused between objects).
    keys: Vec<(u64, usize, usize)>,
    /// Only checking: nothing is written.
    check: bool,
}

impl<'s> Writer<'s> {
    fn new(text: &'s str, check: bool) -> Self {
        Writer {
            text,
            pos: 0,
            copied: 0,
            out: if check { String::new() } else { String::with_capacity(text.len()) },
            members: Vec::with_capacity(if check { 0 } else { 32 }),
            copy: String::new(),
            keys: Vec::new(),
            check,
        }
    }

    /// Reads the whole text as one value.
    fn all(&mut self) -> Option<()> {
        self.ws();
        self.value(0, true)?;
        self.ws();
        if self.pos != self.text.len() {
            return None;
        }
        self.flush();
        Some(())
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Skips whitespace, which the canonical form drops.
    #[inline(always)] // called around every token, and almost always finds none
    fn ws(&mut self) {
        if let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.drop_ws();
        }
    }

    #[cold]
    fn drop_ws(&mut self) {
        self.flush();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.byte() {
            self.pos += 1;
        }
        self.copied = self.pos;
    }

    /// Copies the run read since the last copy into the output.
    fn flush(&mut self) {
        if !self.check {
            self.out.push_str(&self.text[self.copied..self.pos]);
        }
        self.copied = self.pos;
    }

    /// Where the current position will be in the output.
    fn out_pos(&self) -> usize {
        self.out.len() + (self.pos - self.copied)
    }

    /// Writes one value; `sorted` is whether `sortObjectKeys` reaches it (it stops at arrays).
    fn value(&mut self, depth: usize, sorted: bool) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.pos;
        match self.byte()? {
            b'"' => {
                self.string()?;
            }
            b'-' | b'0'..=b'9' => {
                let number = number_end(self.text.as_bytes(), start)?;
                // Integers of up to 15 digits are exact doubles that JavaScript prints digit for
                // digit; `-0` prints as `0`.
                if number.integer_digits.is_none_or(|digits| digits > 15) || &self.text[start..number.end] == "-0" {
                    return None;
                }
                self.pos = number.end;
            }
            b't' | b'f' | b'n' => {
                let word = ["true", "false", "null"].into_iter().find(|w| self.text[start..].starts_with(w))?;
                self.pos += word.len();
            }
            b'[' => self.array(depth)?,
            b'{' => self.object(depth, sorted)?,
            _ => return None,
        }
        Some(())
    }

    /// Skips a string without escapes, returning its content's span.
    fn string(&mut self) -> Option<(usize, usize)> {
        let (end, escaped) = string_end(self.text.as_bytes(), self.pos)?;
        if escaped {
            return None;
        }
        let span = (self.pos + 1, end - 1);
        self.pos = end;
        Some(span)
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        self.pos += 1;
        self.ws();
        if self.byte()? == b']' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.ws();
            self.value(depth + 1, false)?;
            self.ws();
            match self.byte()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self, depth: usize, sorted: bool) -> Option<()> {
        self.pos += 1;
        let base = self.members.len();
        let body_start = self.out_pos();
        self.ws();
        if self.byte()? == b'}' {
            self.pos += 1;
            return Some(());
        }
        loop {
            self.ws();
            if self.byte()? != b'"' {
                return None;
            }
            let out_start = self.out_pos();
            let key = self.string()?;
            let name = &self.text.as_bytes()[key.0..key.1];
            // `__proto__` is dropped by the sort's assignment, and non-ASCII keys sort by UTF-16:
            // both for the exact path. Array indices enumerate first, by value.
            if !name.is_ascii() || (sorted && name == b"__proto__") {
                return None;
            }
            let rank = array_index(name).map_or(u64::MAX, u64::from);
            let mut prefix = [0u8; 8];
            let n = name.len().min(8);
            prefix[..n].copy_from_slice(&name[..n]);
            self.ws();
            if self.byte()? != b':' {
                return None;
            }
            self.pos += 1;
            self.ws();
            self.value(depth + 1, sorted)?;
            self.members.push(Member { rank, prefix: u64::from_be_bytes(prefix), key, out: (out_start, self.out_pos()) });
            self.ws();
            match self.byte()? {
                b',' => self.pos += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.finish_object(base, body_start, sorted)?;
        self.members.truncate(base);
        self.pos += 1; // the closing brace
        Some(())
    }

    /// Checks the members written since `base` for repeated keys (JavaScript would keep the last
    /// value: the exact path's job) and puts them in JavaScript's order: array indices first, by
    /// value; then, in a sorted object, the other keys by code unit (ASCII here, so by byte), or
    /// else in document order.
    fn finish_object(&mut self, base: usize, body_start: usize, sorted: bool) -> Option<()> {
        let text: &[u8] = self.text.as_bytes();
        let by_key = |a: &Member, b: &Member| a.prefix.cmp(&b.prefix).then_with(|| text[a.key.0..a.key.1].cmp(&text[b.key.0..b.key.1]));
        let order =
            |a: &Member, b: &Member| a.rank.cmp(&b.rank).then_with(|| if sorted { by_key(a, b) } else { ::std::cmp::Ordering::Equal });
        let members = &mut self.members[base..];
        if sorted {
            if members.windows(2).all(|w| order(&w[0], &w[1]).is_lt()) {
                return Some(()); // already in order, with no repeats: copied as it is
            }
            members.sort_unstable_by(order);
            if members.windows(2).any(|w| order(&w[0], &w[1]).is_eq()) {
                return None;
            }
        } else {
            // Repeats: pair by pair in a small object, through a sorted copy of the keys in a big one.
            let repeated = if members.len() <= 16 {
                members.iter().enumerate().any(|(i, a)| members[..i].iter().any(|b| by_key(a, b).is_eq()))
            } else {
                self.keys.clear();
                self.keys.extend(members.iter().map(|m| (m.prefix, m.key.0, m.key.1)));
                self.keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| text[a.1..a.2].cmp(&text[b.1..b.2])));
                self.keys.windows(2).any(|w| w[0].0 == w[1].0 && text[w[0].1..w[0].2] == text[w[1].1..w[1].2])
            };
            if repeated {
                return None;
            }
            if members.windows(2).all(|w| order(&w[0], &w[1]).is_le()) {
                return Some(()); // no array index out of its place: document order stands
            }
            members.sort_by(order); // stable: the other keys keep document order
        }
        if self.check {
            return Some(());
        }
        // Write the members again, in order, from a copy of what was written (flushed first).
        self.out.push_str(&self.text[self.copied..self.pos]);
        self.copied = self.pos;
        self.copy.clear();
        self.copy.push_str(&self.out[body_start..]);
        self.out.truncate(body_start);
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&self.copy[member.out.0 - body_start..member.out.1 - body_start]);
        }
        Some(())
    }
}

/// The array index a key names (`"0"`, `"7"`, not `"07"` nor `"4294967295"`): JavaScript
/// enumerates such keys first, in numeric order.
fn array_index(name: &[u8]) -> Option<u32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') || !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = name.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    u32::try_from(n).ok().filter(|&n| n != u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::rearrange;
    use crate::verify::canonical::exact;

    #[test]
    fn moves_members_into_key_order_at_every_level() {
        let body = r#" { "payload" : { "z" : 1, "a" : { "y" : [ {"b":1,"a":2} ], "x" : "é" }, "m" : null } , "b" : true } "#;
        let expected = r#"{"b":true,"payload":{"a":{"x":"é","y":[{"b":1,"a":2}]},"m":null,"z":1}}"#;
        assert_eq!(rearrange(body).as_deref(), Some(expected));
        assert_eq!(exact::canonicalize(body).unwrap(), expected);
    }

    #[test]
    fn puts_array_indices_first_in_numeric_order() {
        let twenty: Vec<String> = (0..20).map(|i| format!(r#""k{i}":{i}"#)).collect();
        let big_repeat = format!("[{{{},\"k3\":0}}]", twenty.join(","));
        for (body, expected) in [
            (r#"{"10":1,"9":2,"b":0,"01":3,"4294967295":4}"#, Some(r#"{"9":2,"10":1,"01":3,"4294967295":4,"b":0}"#)),
            (r#"[{"b":1,"10":2,"a":3,"9":4}]"#, Some(r#"[{"9":4,"10":2,"b":1,"a":3}]"#)),
            (r#"{"1":1,"1":2}"#, None),
            (&big_repeat, None),
        ] {
            assert_eq!(rearrange(body).as_deref(), expected, "{body}");
            if let Some(expected) = expected {
                assert_eq!(exact::canonicalize(body).unwrap(), expected);
            }
        }
    }

    #[test]
    fn keeps_a_canonical_body_as_it_is() {
        let body = r#"{"a":[1,-2,"x",[],{}],"b":{"c":false}}"#;
        assert_eq!(rearrange(body).as_deref(), Some(body));
    }

    #[test]
    fn declines_what_only_the_exact_path_gets_right() {
        for body in [
            r#"{"a":"\n"}"#,             // an escape
            r#"{"a\u0062":1}"#,          // an escaped key
            r#"{"a":1.5}"#,              // a fraction
            r#"{"a":1e2}"#,              // an exponent
            r#"{"a":-0}"#,               // negative zero
            r#"{"a":1234567890123456}"#, // sixteen digits
            r#"{"é":1}"#,                // a non-ASCII key
            r#"{"a":1,"a":2}"#,          // a repeated key
            r#"{"b":1,"a":2,"b":3}"#,    // a repeated key, out of order
            r#"[{"a":1,"a":2}]"#,        // a repeated key inside an array
            r#"{"__proto__":1}"#,        // dropped by the sort
            r#"{"a":1"#,                 // malformed
            r#"{"a":1} x"#,              // trailing text
            r#"{"a":tru}"#,
        ] {
            assert_eq!(rearrange(body), None, "{body}");
        }
        assert_eq!(rearrange(r#"[{"__proto__":1}]"#).as_deref(), Some(r#"[{"__proto__":1}]"#));
        let deep = format!("{}1{}", "[".repeat(super::MAX_DEPTH + 2), "]".repeat(super::MAX_DEPTH + 2));
        assert_eq!(rearrange(&deep), None);
    }
}
