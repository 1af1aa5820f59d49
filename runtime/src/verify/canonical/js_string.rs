//! Strings as JavaScript reads and prints them: `JSON.parse` decodes escapes into UTF-16 code
//! units (a lone surrogate included), and `JSON.stringify` (QuoteJSONString) writes them back
//! with the fewest escapes: `\"`, `\\`, the five short control escapes, `\u00xx` for the other
//! control characters and `\udxxx` for a lone surrogate; everything else as itself.
//!
//! Both canonicalisers use this; the rearranging one works from the escaped text between the
//! quotes, without building the decoded string.

/// Writes one decoded character as QuoteJSONString does.
pub(super) fn push_char(out: &mut String, c: char) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 => push_unit_escape(out, c as u16),
        c => out.push(c),
    }
}

/// Writes `\uxxxx` (lower-case hex), as QuoteJSONString does for control characters and lone
/// surrogates.
pub(super) fn push_unit_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((unit >> shift) & 0xf)] as char);
    }
}

/// One piece of an escaped string's text.
#[derive(Clone, Copy)]
enum Piece<'s> {
    /// Bytes without escapes, as they are.
    Run(&'s str),
    /// A character written as an escape (a surrogate pair is one).
    Char(char),
    /// A `\u` escape of a surrogate with no partner.
    Lone(u16),
}

/// Calls `on` with each piece of `content`, the text between a string's quotes (already
/// checked to have no raw control character and no unescaped quote); `None` at a malformed escape.
#[inline]
fn walk(content: &str, mut on: impl FnMut(Piece<'_>)) -> Option<()> {
    let bytes = content.as_bytes();
    let mut pos = 0;
    while pos < bytes.len() {
        let run_end = bytes[pos..].iter().position(|&b| b == b'\\').map_or(bytes.len(), |n| pos + n);
        if run_end > pos {
            on(Piece::Run(&content[pos..run_end]));
            pos = run_end;
            continue;
        }
        let c = match *bytes.get(pos + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = hex4(bytes, pos + 2)?;
                pos += 6;
                if !(0xD800..0xE000).contains(&unit) {
                    on(Piece::Char(char::from_u32(u32::from(unit))?));
                    continue;
                }
                // A high surrogate followed by an escaped low one is one character.
                let low = (unit < 0xDC00 && bytes.get(pos..pos + 2) == Some(b"\\u"))
                    .then(|| hex4(bytes, pos + 2))
                    .flatten()
                    .filter(|low| (0xDC00..0xE000).contains(low));
                match low {
                    Some(low) => {
                        pos += 6;
                        let c = 0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                        on(Piece::Char(char::from_u32(c)?));
                    }
                    None => on(Piece::Lone(unit)),
                }
                continue;
            }
            _ => return None,
        };
        pos += 2;
        on(Piece::Char(c));
    }
    Some(())
}

fn hex4(bytes: &[u8], at: usize) -> Option<u16> {
    let digits = bytes.get(at..at + 4)?;
    digits.iter().try_fold(0u16, |unit, &d| Some(unit * 16 + (d as char).to_digit(16)? as u16))
}

/// Writes the string whose escaped text is `content` as `JSON.stringify` prints what
/// `JSON.parse` reads from it (without the quotes), and appends its UTF-16 code units to
/// `units` if given; `None` at a malformed escape.
pub(super) fn requote(content: &str, out: &mut String, mut units: Option<&mut Vec<u16>>) -> Option<()> {
    walk(content, |piece| {
        match piece {
            Piece::Run(run) => out.push_str(run),
            Piece::Char(c) => push_char(out, c),
            Piece::Lone(unit) => push_unit_escape(out, unit),
        }
        if let Some(units) = units.as_deref_mut() {
            match piece {
                Piece::Run(run) => units.extend(run.encode_utf16()),
                Piece::Char(c) => units.extend(c.encode_utf16(&mut [0; 2]).iter()),
                Piece::Lone(unit) => units.push(unit),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::requote;

    #[test]
    fn requotes_as_json_stringify_does() {
        for (content, printed) in [
            (r"plain", "plain"),
            (r#"\"\\\/\b\f\n\r\t"#, r#"\"\\/\b\f\n\r\t"#),
            (r"\u0041\u00e9\u001F\u007f", "Aé\\u001f\u{7f}"),
            (r"\ud83d\ude00", "\u{1F600}"),
            (r"\ud800", r"\ud800"),
            (r"\udc00\ud800x", r"\udc00\ud800x"),
            (r"\ud800\u0041", r"\ud800A"),
            (r"\u2028é", "\u{2028}é"),
        ] {
            let mut out = String::new();
            requote(content, &mut out, None).unwrap();
            assert_eq!(out, printed, "{content}");
        }
    }

    #[test]
    fn decodes_to_utf16_units() {
        let mut units = Vec::new();
        requote(r"a\ud83d\ude00\ud800é", &mut String::new(), Some(&mut units)).unwrap();
        assert_eq!(units, [0x61, 0xD83D, 0xDE00, 0xD800, 0xE9]);
    }

    #[test]
    fn malformed_escapes_are_refused() {
        for content in [r"\x", r"\u12", r"\u12g4", "\\"] {
            assert_eq!(requote(content, &mut String::new(), Some(&mut Vec::new())), None, "{content}");
        }
    }
}
