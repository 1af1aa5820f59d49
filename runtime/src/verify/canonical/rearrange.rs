//! The canonical form of a common body without building a tree: when every string is free of
//! escapes, every number a short integer and every key plain ASCII, JavaScript prints each scalar
//! exactly as it was written, so the canonical form is the body's own text with whitespace
//! dropped and object members moved into key order. One pass copies the text in runs (a body
//! without whitespace is one run); an object whose members were out of order is rewritten once
//! from a copy.
//!
//! Anything else (an escape, a fraction, `-0`, a long integer, a key that is non-ASCII, all
//! digits, repeated or `__proto__`, malformed JSON, nesting past [`MAX_DEPTH`]) is declined with
//! `None`, and [`super::exact`] decides. Declining is always safe; the conditions above are what
//! make accepting exact, and the differential tests hold the two implementations to one answer.

use super::MAX_DEPTH;
use crate::scan::{number_end, string_end};

/// The canonical form of `body`, or `None` if it is not a body this handles.
pub fn rearrange(body: &str) -> Option<String> {
    let mut writer = Writer {
        text: body,
        pos: 0,
        copied: 0,
        out: String::with_capacity(body.len()),
        members: Vec::with_capacity(32),
        copy: String::new(),
    };
    writer.ws();
    writer.value(0, true)?;
    writer.ws();
    if writer.pos != body.len() {
        return None;
    }
    writer.flush();
    Some(writer.out)
}

/// A member of an object being written: its key (a span of the body, without quotes; `prefix`
/// is its first eight bytes, big-endian and zero-padded, which decides most comparisons) and
/// where its `"key":value` text is in the output.
struct Member {
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
}

impl Writer<'_> {
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
        self.out.push_str(&self.text[self.copied..self.pos]);
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
            // Integer-like keys enumerate first in JavaScript, `__proto__` is dropped by the
            // sort's assignment, and non-ASCII keys sort by UTF-16: all for the exact path.
            let (ascii, digits) = name.iter().fold((true, true), |(ascii, digits), b| (ascii & b.is_ascii(), digits & b.is_ascii_digit()));
            if !ascii || (digits && !name.is_empty()) || (sorted && name == b"__proto__") {
                return None;
            }
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
            self.members.push(Member { prefix: u64::from_be_bytes(prefix), key, out: (out_start, self.out_pos()) });
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
    /// value: the exact path's job) and, in a sorted object, puts them in key order.
    fn finish_object(&mut self, base: usize, body_start: usize, sorted: bool) -> Option<()> {
        let text: &[u8] = self.text.as_bytes();
        let order = |a: &Member, b: &Member| a.prefix.cmp(&b.prefix).then_with(|| text[a.key.0..a.key.1].cmp(&text[b.key.0..b.key.1]));
        let members = &mut self.members[base..];
        if !sorted {
            // Kept in document order; only repetition matters. Small objects are compared pair
            // by pair; big ones inside arrays are rare enough to leave to the exact path.
            if members.len() > 16 {
                return None;
            }
            let repeated = members.iter().enumerate().any(|(i, a)| members[..i].iter().any(|b| order(a, b).is_eq()));
            return (!repeated).then_some(());
        }
        if members.windows(2).all(|w| order(&w[0], &w[1]).is_lt()) {
            return Some(()); // already in order, with no repeats: copied as it is
        }
        members.sort_unstable_by(order);
        if members.windows(2).any(|w| order(&w[0], &w[1]).is_eq()) {
            return None;
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
            r#"{"10":1,"9":2}"#,         // integer-like keys
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
