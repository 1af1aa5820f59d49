//! The canonical form without building a tree. One pass copies the body's text to the output in
//! runs (a canonical body is one run), drops whitespace, and rewrites only what JavaScript would
//! print differently:
//!
//! - a string with escapes is printed again as `JSON.stringify` prints it (see
//!   `js_string`), straight from its escaped text;
//! - a number that is not a short integer goes through `f64` and `ryu-js`, as the exact path's do;
//! - an object whose members are out of order, repeated (the last value wins) or `__proto__` (lost
//!   to the sort's assignment) is written once more from a copy of its members' output.
//!
//! Keys are compared as JavaScript sorts them, by UTF-16 code unit: plain ASCII keys as the body's
//! bytes, any other key decoded once into a buffer of code units. Array indices (`"7"`) enumerate
//! first, in numeric order. So every JSON text is taken, at a cost linear in its size (times the
//! logarithm of an object's member count where one is out of order); `None` means malformed JSON
//! or nesting past [`MAX_DEPTH`], and [`super::exact`] then says where. The differential tests hold
//! the two implementations, and Node, to one answer.

use ::std::cmp::Ordering;

use super::entries::{self, Entry};
use super::js_string::requote;
use super::MAX_DEPTH;
use crate::scan::{number_end, string_end};

/// The canonical form of `body`, or `None` if it is not one JSON text (or nests too deep).
pub fn rearrange(body: &str) -> Option<String> {
    let mut writer = Writer::new(body, false);
    writer.all()?;
    Some(writer.out)
}

/// Whether `body` is one JSON text this path takes (and so whether it is JSON, to
/// [`MAX_DEPTH`]), by the same scan with nothing written.
pub fn handles(body: &str) -> bool {
    Writer::new(body, true).all().is_some()
}

/// A span of the body, the output or [`Writer::units`], in `u32`s to keep a [`Member`] small (a
/// sort moves members); a text with a position past `u32::MAX` is declined, and the exact path
/// takes it.
#[derive(Clone, Copy)]
struct Span {
    from: u32,
    to: u32,
}

impl Span {
    fn of(from: usize, to: usize) -> Option<Span> {
        Some(Span { from: u32::try_from(from).ok()?, to: u32::try_from(to).ok()? })
    }

    fn range(self) -> ::std::ops::Range<usize> {
        self.from as usize..self.to as usize
    }

    fn len(self) -> usize {
        (self.to - self.from) as usize
    }
}

/// A key, as its UTF-16 code units are found: a plain ASCII key is a span of the body (its bytes
/// are its code units); any other is a span of [`Writer::units`].
#[derive(Clone, Copy)]
enum Key {
    Text(Span),
    Units(Span),
}

/// The rank of a key that is not an array index (no index is `u32::MAX`).
const NOT_INDEX: u32 = u32::MAX;

/// A member of an object being written.
struct Member {
    /// Where JavaScript enumerates it: an array index (`"7"`) by its value, first; any other key
    /// after them all ([`NOT_INDEX`]).
    rank: u32,
    /// Decides most comparisons: see [`prefix`].
    prefix: u64,
    key: Key,
    /// Where its `"key":value` text is in the output.
    out: Span,
    /// Left out when the object is written again: `__proto__` in a sorted object, or a repeated
    /// key whose value JavaScript keeps elsewhere.
    dropped: bool,
}

struct Writer<'s> {
    text: &'s str,
    /// Where reading is.
    pos: usize,
    /// The body's text before this is in `out` (or was dropped or rewritten); after it, up to
    /// `pos`, it is still to be copied. Copying in runs rather than token by token is most of the
    /// speed.
    copied: usize,
    out: String,
    /// The members of the objects being written, innermost last (a stack shared by all levels,
    /// so nesting costs no allocation per object).
    members: Vec<Member>,
    /// The code units of the keys in `members` that are not plain ASCII (a stack, like it).
    units: Vec<u16>,
    /// Where an object's members are copied to when they must be written again.
    copy: String,
    /// An object's members (by position) in the order they are written in, or checked for
    /// repeats in; reused.
    order: Vec<Entry>,
    /// Scratch space for sorting `order`.
    spare: Vec<Entry>,
    /// Only checking: nothing is written (escaped strings are printed here, to check them).
    check: bool,
    scratch: String,
}

impl<'s> Writer<'s> {
    fn new(text: &'s str, check: bool) -> Self {
        Writer {
            text,
            pos: 0,
            copied: 0,
            out: if check { String::new() } else { String::with_capacity(text.len()) },
            members: Vec::with_capacity(if check { 0 } else { 32 }),
            units: Vec::new(),
            copy: String::new(),
            order: Vec::new(),
            spare: Vec::new(),
            check,
            scratch: String::new(),
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
                let (end, escaped) = string_end(self.text.as_bytes(), start)?;
                if escaped {
                    self.requote(end, false)?;
                }
                self.pos = end;
            }
            b'-' | b'0'..=b'9' => {
                let number = number_end(self.text.as_bytes(), start)?;
                let text = &self.text[start..number.end];
                // Integers of up to 15 digits are exact doubles that JavaScript prints digit for
                // digit; `-0` prints as `0`. Any other number is printed again.
                if number.integer_digits.is_none_or(|digits| digits > 15) || text == "-0" {
                    // Rust's float parsing rounds correctly, as ECMAScript's does; overflow gives
                    // infinity, which JavaScript prints as `null`.
                    let n: f64 = text.parse().ok()?;
                    self.flush();
                    if !self.check {
                        match n.is_finite() {
                            true => self.out.push_str(ryu_js::Buffer::new().format_finite(n)),
                            false => self.out.push_str("null"),
                        }
                    }
                    self.copied = number.end;
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

    /// Prints the string with escapes that starts at `pos` and ends at `end` again, as
    /// `JSON.stringify` would; `None` if an escape is malformed.
    /// A key's code units are also appended to [`Writer::units`].
    fn requote(&mut self, end: usize, key: bool) -> Option<()> {
        let content = &self.text[self.pos + 1..end - 1];
        if self.check {
            self.scratch.clear();
            requote(content, &mut self.scratch, key.then_some(&mut self.units))?;
        } else {
            self.flush();
            let units = key.then_some(&mut self.units);
            self.out.push('"');
            requote(content, &mut self.out, units)?;
            self.out.push('"');
        }
        self.copied = end;
        Some(())
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
        let (base, units_base) = (self.members.len(), self.units.len());
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
            let key = self.key()?;
            let units = key_units(self.text.as_bytes(), &self.units, key);
            let rank = array_index(units.clone()).unwrap_or(NOT_INDEX);
            let prefix = prefix(self.text.as_bytes(), &self.units, key);
            // `__proto__` is lost to the assignment that rebuilds a sorted object.
            let dropped = sorted
                && match key {
                    Key::Text(span) => &self.text.as_bytes()[span.range()] == b"__proto__",
                    Key::Units(_) => units.eq("__proto__".encode_utf16()),
                };
            self.ws();
            if self.byte()? != b':' {
                return None;
            }
            self.pos += 1;
            self.ws();
            self.value(depth + 1, sorted)?;
            let out = Span::of(out_start, self.out_pos())?;
            self.members.push(Member { rank, prefix, key, out, dropped });
            self.ws();
            match self.byte()? {
                b',' => self.pos += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.finish_object(base, body_start, sorted);
        self.members.truncate(base);
        self.units.truncate(units_base);
        self.pos += 1; // the closing brace
        Some(())
    }

    /// Reads (and writes) a key.
    fn key(&mut self) -> Option<Key> {
        let (end, escaped) = string_end(self.text.as_bytes(), self.pos)?;
        let (from, to) = (self.pos + 1, end - 1);
        let name = &self.text[from..to];
        let key = if escaped || !name.is_ascii() {
            let start = self.units.len();
            if escaped {
                self.requote(end, true)?;
            } else {
                self.units.extend(name.encode_utf16());
            }
            Key::Units(Span::of(start, self.units.len())?)
        } else {
            Key::Text(Span::of(from, to)?)
        };
        self.pos = end;
        Some(key)
    }

    /// Puts the members written since `base` in JavaScript's order and drops what it loses:
    /// array indices first, by value; then, in a sorted object, the other keys by code unit, or
    /// else in document order; a repeated key once, with its last value (where its first
    /// appearance was, in an object not sorted); no `__proto__` in a sorted object. Writes the
    /// object again only if that changed anything.
    ///
    /// A small object's members are sorted in place. A big one's stay in document order, and
    /// what is sorted is [`Writer::order`], a small entry per member (a word that decides most
    /// comparisons, and the member's position), by radix.
    fn finish_object(&mut self, base: usize, body_start: usize, sorted: bool) {
        let (text, units) = (self.text.as_bytes(), &self.units[..]);
        let members = &mut self.members[base..];
        let by_key = |a: &Member, b: &Member| a.prefix.cmp(&b.prefix).then_with(|| cmp_past_prefix(text, units, a.key, b.key));
        let by_order = |a: &Member, b: &Member| a.rank.cmp(&b.rank).then_with(|| by_key(a, b));
        let order = &mut self.order;
        order.clear();
        // Small objects are sorted in place, big ones through `order`.
        let mut in_place = false;
        if sorted {
            if !members.iter().any(|m| m.dropped) && members.windows(2).all(|w| by_order(&w[0], &w[1]).is_lt()) {
                return; // in order, with no repeats: copied as it is
            }
            // Of a repeated key, the last value (last in document order) is kept.
            if members.len() < entries::RADIX_FROM {
                members.sort_unstable_by(|a, b| by_order(a, b).then_with(|| a.out.from.cmp(&b.out.from)));
                for i in 1..members.len() {
                    if by_order(&members[i - 1], &members[i]).is_eq() {
                        members[i - 1].dropped = true;
                    }
                }
                in_place = true;
            } else {
                order.extend(members.iter().enumerate().map(|(i, m)| (sort_word(m), i)));
                entries::sort(order, &mut self.spare, |a, b| by_order(&members[a], &members[b]));
                for w in order.windows(2) {
                    if by_order(&members[w[0].1], &members[w[1].1]).is_eq() {
                        members[w[0].1].dropped = true;
                    }
                }
            }
        } else {
            // A repeat moves its value to the key's first member, and is dropped; array indices
            // move to the front, by value; the other keys keep document order.
            if members.windows(2).all(|w| by_order(&w[0], &w[1]).is_lt()) {
                return; // no repeats, no array index out of its place: document order stands
            }
            if members.len() <= 16 {
                // Pair by pair, then by rank.
                let mut repeated = false;
                for i in 1..members.len() {
                    if let Some(first) = (0..i).find(|&j| !members[j].dropped && by_key(&members[j], &members[i]).is_eq()) {
                        members[first].out = members[i].out;
                        members[i].dropped = true;
                        repeated = true;
                    }
                }
                if !repeated && members.windows(2).all(|w| w[0].rank <= w[1].rank) {
                    return;
                }
                members.sort_by_key(|m| m.rank); // stable, and with no allocation this small
                in_place = true;
            } else {
                // Sorted as a sorted object is, which puts repeats side by side and the array
                // indices in their final order; then the other keys back in document order.
                order.extend(members.iter().enumerate().map(|(i, m)| (sort_word(m), i)));
                entries::sort(order, &mut self.spare, |a, b| by_order(&members[a], &members[b]));
                let mut first = 0;
                for n in 1..=order.len() {
                    if n < order.len() && by_order(&members[order[first].1], &members[order[n].1]).is_eq() {
                        members[order[n].1].dropped = true;
                        continue;
                    }
                    if n - first > 1 {
                        members[order[first].1].out = members[order[n - 1].1].out;
                    }
                    first = n;
                }
                let indices = order.partition_point(|&(_, i)| members[i].rank != NOT_INDEX);
                order[indices..].sort_unstable_by_key(|&(_, i)| i);
            }
        }
        if self.check {
            return;
        }
        // Write the members again, in order, from a copy of what was written (flushed first).
        self.out.push_str(&self.text[self.copied..self.pos]);
        self.copied = self.pos;
        self.copy.clear();
        self.copy.push_str(&self.out[body_start..]);
        self.out.truncate(body_start);
        let members = &self.members[base..];
        if in_place {
            write_members(&mut self.out, &self.copy, body_start, members.iter());
        } else {
            write_members(&mut self.out, &self.copy, body_start, self.order.iter().map(|&(_, i)| &members[i]));
        }
    }
}

/// Writes `members` that are not dropped, comma-separated, from `copy`, the output from
/// `body_start` on as it was.
fn write_members<'m>(out: &mut String, copy: &str, body_start: usize, members: impl Iterator<Item = &'m Member>) {
    for (n, member) in members.filter(|m| !m.dropped).enumerate() {
        if n > 0 {
            out.push(',');
        }
        let span = member.out.range();
        out.push_str(&copy[span.start - body_start..span.end - body_start]);
    }
}

/// A key's UTF-16 code units.
#[derive(Clone)]
enum KeyUnits<'a> {
    Ascii(::std::slice::Iter<'a, u8>),
    Units(::std::slice::Iter<'a, u16>),
}

impl Iterator for KeyUnits<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        match self {
            KeyUnits::Ascii(bytes) => bytes.next().map(|&b| u16::from(b)),
            KeyUnits::Units(units) => units.next().copied(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            KeyUnits::Ascii(bytes) => bytes.size_hint(),
            KeyUnits::Units(units) => units.size_hint(),
        }
    }
}

impl ExactSizeIterator for KeyUnits<'_> {}

#[inline]
fn key_units<'a>(text: &'a [u8], units: &'a [u16], key: Key) -> KeyUnits<'a> {
    match key {
        Key::Text(span) => KeyUnits::Ascii(text[span.range()].iter()),
        Key::Units(span) => KeyUnits::Units(units[span.range()].iter()),
    }
}

/// `Array.prototype.sort`'s default order, by UTF-16 code unit (for ASCII, by byte), of two
/// keys whose [`prefix`]es are equal.
#[inline]
fn cmp_past_prefix(text: &[u8], units: &[u16], a: Key, b: Key) -> Ordering {
    match (a, b) {
        // A plain key holds no NUL, so an equal prefix of keys of up to eight bytes is an equal key.
        (Key::Text(a), Key::Text(b)) if a.len() <= 8 && b.len() <= 8 => Ordering::Equal,
        (Key::Text(a), Key::Text(b)) => text[a.range()].cmp(&text[b.range()]),
        _ => key_units(text, units, a).cmp(key_units(text, units, b)),
    }
}

/// A word whose order agrees with JavaScript's (ties are decided by the members): an array
/// index's value, below `2^32`; any other key's [`prefix`], raised to at least `2^32`.
fn sort_word(member: &Member) -> u64 {
    match member.rank {
        NOT_INDEX => member.prefix.max(1 << 32),
        index => u64::from(index),
    }
}

/// The key's first eight code units as bytes, big-endian and zero-padded, up to the first unit
/// above `0xff`, which counts as `0xff` and ends the prefix: so if one key sorts before another,
/// its prefix is never above the other's (equal prefixes are decided by the whole keys). For an
/// ASCII key this is its first eight bytes.
#[inline]
fn prefix(text: &[u8], units: &[u16], key: Key) -> u64 {
    match key {
        Key::Text(span) => {
            let (from, len) = (span.from as usize, span.len());
            match text.get(from..from + 8) {
                // Eight bytes from the key's start (past its end when it is shorter), the rest
                // masked off.
                Some(eight) => {
                    let p = u64::from_be_bytes(eight.try_into().expect("eight bytes"));
                    if len >= 8 {
                        p
                    } else {
                        p & !(u64::MAX >> (8 * len))
                    }
                }
                None => text[span.range()].iter().take(8).enumerate().fold(0, |p, (i, &b)| p | u64::from(b) << (56 - 8 * i)),
            }
        }
        Key::Units(span) => {
            let mut p = [0u8; 8];
            for (byte, &unit) in p.iter_mut().zip(&units[span.range()]) {
                *byte = u8::try_from(unit).unwrap_or(0xff);
                if unit > 0xff {
                    break;
                }
            }
            u64::from_be_bytes(p)
        }
    }
}

/// The array index a key names (`"0"`, `"7"`, not `"07"` nor `"4294967295"`): JavaScript
/// enumerates such keys first, in numeric order.
#[inline]
fn array_index(key: KeyUnits<'_>) -> Option<u32> {
    let digit = |unit: u16| u8::try_from(unit).ok().filter(u8::is_ascii_digit).map(|d| u64::from(d - b'0'));
    let (len, first) = (key.len(), digit(key.clone().next()?)?);
    if len > 10 || (len > 1 && first == 0) {
        return None;
    }
    let n = key.skip(1).try_fold(first, |n, unit| Some(n * 10 + digit(unit)?))?;
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
        let big_repeat = format!("[{{{},\"k3\":\"last\"}}]", twenty.join(","));
        let big_repeat_kept = format!("[{{{}}}]", twenty.join(",").replace(r#""k3":3"#, r#""k3":"last""#));
        for (body, expected) in [
            (r#"{"10":1,"9":2,"b":0,"01":3,"4294967295":4}"#, Some(r#"{"9":2,"10":1,"01":3,"4294967295":4,"b":0}"#)),
            (r#"[{"b":1,"10":2,"a":3,"9":4}]"#, Some(r#"[{"9":4,"10":2,"b":1,"a":3}]"#)),
            (r#"{"1":1,"1":2}"#, Some(r#"{"1":2}"#)),
            (&big_repeat, Some(&big_repeat_kept)),
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
    fn prints_again_what_javascript_prints_differently() {
        for (body, expected) in [
            (r#"{"a":"\u0041\n\/"}"#, r#"{"a":"A\n/"}"#),           // escapes
            (r#"{"b\u0061":1,"ba":2,"a":3}"#, r#"{"a":3,"ba":2}"#), // an escaped key, repeated
            (r#"{"\u0031":1,"0":2}"#, r#"{"0":2,"1":1}"#),          // an escaped array index
            (r#"[1.50,1e2,-0,1234567890123456789,1e400]"#, r#"[1.5,100,0,1234567890123456800,null]"#),
            ("{\"\u{1F600}\":1,\"\u{FF61}\":2,\"z\":3}", "{\"z\":3,\"\u{1F600}\":1,\"\u{FF61}\":2}"), // by UTF-16 unit
            (r#"{"b":1,"a":2,"b":3}"#, r#"{"a":2,"b":3}"#),                                           // the last value wins
            (r#"[{"b":1,"a":2,"b":3}]"#, r#"[{"b":3,"a":2}]"#),                                       // where the key first was
            (r#"{"__proto__":{"x":1},"\u005f_proto__":2,"a":1}"#, r#"{"a":1}"#),
            (r#"[{"__proto__":1}]"#, r#"[{"__proto__":1}]"#),
        ] {
            assert_eq!(rearrange(body).as_deref(), Some(expected), "{body}");
            assert_eq!(exact::canonicalize(body).unwrap(), expected, "{body}");
        }
    }

    #[test]
    fn declines_only_what_is_not_json() {
        for body in [r#"{"a":1"#, r#"{"a":1} x"#, r#"{"a":tru}"#, r#"{"a":"\x"}"#, r#"{"\u12":1}"#, r#"{"a":1,}"#, r#"[01]"#, ""] {
            assert_eq!(rearrange(body), None, "{body}");
            assert!(exact::canonicalize(body).is_err(), "{body}");
        }
        let deep = format!("{}1{}", "[".repeat(super::MAX_DEPTH + 2), "]".repeat(super::MAX_DEPTH + 2));
        assert_eq!(rearrange(&deep), None);
    }
}
