//! Doc comments from catalog text.

use proc_macro2::TokenStream;
use quote::quote;

/// Catalog prose made safe for rustdoc, whatever it holds:
///
/// - line breaks of any kind become `\n`, and lines lose their indentation, which would make an
///   indented code block (compiled as a doctest);
/// - a code fence is escaped, so it is text, never a doctest;
/// - outside code spans, square brackets are escaped (they would be broken intra-doc links,
///   markdown links included), `<` and `>` become entities (`List<Item>` is no HTML tag), and bare
///   urls are made autolinks (`rustdoc::bare_urls`);
/// - an unpaired backtick is escaped, so it cannot swallow the rest of the text into a code span.
fn clean(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.lines().map(|line| clean_line(line.trim_start())).collect::<Vec<_>>().join("\n")
}

fn clean_line(line: &str) -> String {
    if line.starts_with("```") || line.starts_with("~~~") {
        return line.chars().map(|c| if c == '`' || c == '~' { format!("\\{c}") } else { c.to_string() }).collect();
    }
    // Backticks pair up into code spans; an odd one out is escaped.
    let parts: Vec<&str> = line.split('`').collect();
    let paired = if parts.len() % 2 == 1 { parts.len() } else { parts.len() - 1 };
    let mut out = String::with_capacity(line.len());
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(if i < paired { "`" } else { "\\`" });
        }
        if i % 2 == 1 && i < paired {
            out.push_str(part); // inside a code span: shown as written
        } else {
            out.push_str(&plain(part));
        }
    }
    out
}

/// Text outside code spans.
fn plain(text: &str) -> String {
    let escaped = text.replace('[', "\\[").replace(']', "\\]").replace('<', "&lt;").replace('>', "&gt;");
    escaped.split(' ').map(autolink).collect::<Vec<_>>().join(" ")
}

/// A bare url as an autolink, punctuation that ends a sentence left outside it.
fn autolink(word: &str) -> String {
    let start = word.find("https://").or_else(|| word.find("http://"));
    let Some(start) = start else { return word.to_string() };
    let (before, url) = word.split_at(start);
    let url_end = url.trim_end_matches(['.', ',', ';', ':', ')', '!', '?', '\'', '"']).len();
    if url_end <= "https://".len() {
        return word.to_string();
    }
    format!("{before}<{}>{}", &url[..url_end], &url[url_end..])
}

/// `#[doc]` lines for an item, from catalog prose (cleaned).
pub fn prose(text: &str) -> TokenStream {
    lines(&clean(text))
}

/// `#[doc]` lines for an item, from markdown the generator wrote (not cleaned).
pub fn lines(text: &str) -> TokenStream {
    let lines = wrap(text).into_iter().map(|l| if l.is_empty() { l } else { format!(" {l}") });
    quote!(#(#[doc = #lines])*)
}

/// `#![doc]` lines for a module, from markdown the generator wrote.
pub fn inner(text: &str) -> TokenStream {
    let lines = wrap(text).into_iter().map(|l| if l.is_empty() { l } else { format!(" {l}") });
    quote!(#(#![doc = #lines])*)
}

/// Characters rustc refuses or lints in doc comments made visible: line breaks of any kind become
/// `\n`, a tab a space (`clippy::tabs_in_doc_comments`), and other control characters, including
/// the ones that reorder text on screen (`text_direction_codepoint_in_literal`), their code point
/// written out, `(U+202E)`.
fn visible(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push('\n'),
            '\r' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') => {
                out.push_str(&format!("(U+{:04X})", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

/// Text wider than this is wrapped, so generated docs read (and diff) like hand-written ones.
const WIDTH: usize = 96;

/// Markdown with its paragraphs and list items wrapped at [`WIDTH`], between words. Lines that
/// are not prose (tables, headings, indented or fenced code) are left as they are, and a word is
/// never split, so a url or a code span stays whole.
fn wrap(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in visible(text).lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let literal = fenced || line.starts_with([' ', '|', '#', '<']) || line.chars().count() <= WIDTH;
        if literal {
            out.push(line.to_string());
            continue;
        }
        // A list item's continuation lines are indented under its text.
        let indent = if line.starts_with("- ") || line.starts_with("* ") { "  " } else { "" };
        let mut current = String::new();
        for word in line.split(' ') {
            // A word that would start a block (a list, a heading, a fence, a quote) stays on its
            // line: breaking before it would change what the text means, or make a doctest.
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WIDTH && !starts_block(word) {
                out.push(std::mem::take(&mut current));
                current.push_str(indent);
            } else if !current.is_empty() && current != indent {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out
}

/// Catalog prose for use inside generated markdown.
pub fn md(text: &str) -> String {
    clean(text)
}

/// Whether a line starting with `word` would start a markdown block.
fn starts_block(word: &str) -> bool {
    let digits = word.trim_start_matches(|c: char| c.is_ascii_digit());
    let all = |c: char| !word.is_empty() && word.chars().all(|w| w == c);
    all('-')
        || all('+')
        || all('*')
        || all('#')
        || all('=')
        || all('_')
        || word.starts_with(['>', '|'])
        || word.starts_with("```")
        || word.starts_with("~~~")
        || (digits.len() < word.len() && (digits.starts_with('.') || digits.starts_with(')')))
}

#[cfg(test)]
mod tests {
    #[test]
    fn catalog_text_is_made_safe_for_rustdoc() {
        let clean = super::clean;
        assert_eq!(clean("see [the docs](https://x.io/a) and [1]"), "see \\[the docs\\](<https://x.io/a>) and \\[1\\]");
        assert_eq!(clean("a List<Item> of `Vec<T>` and <b>"), "a List&lt;Item&gt; of `Vec<T>` and &lt;b&gt;");
        assert_eq!(clean("at https://example.com/x."), "at <https://example.com/x>.");
        assert_eq!(clean("one\r\ntwo\rthree"), "one\ntwo\nthree");
        assert_eq!(clean("text\n    indented code"), "text\nindented code");
        assert_eq!(clean("```rust\nfn main() {}\n```"), "\\`\\`\\`rust\nfn main() {}\n\\`\\`\\`");
        assert_eq!(clean("a ` lone [tick]"), "a \\` lone \\[tick\\]");
        assert_eq!(clean("`[kept]` [escaped]"), "`[kept]` \\[escaped\\]");
        assert_eq!(clean("http:// alone"), "http:// alone");
        assert_eq!(super::visible("a\tb\u{202e}c\u{0}d\re"), "a b(U+202E)c(U+0000)d\ne");
    }

    #[test]
    fn prose_wraps_between_words_and_everything_else_stays() {
        let long = "word ".repeat(40);
        let wrapped = super::wrap(long.trim());
        assert!(wrapped.len() > 1 && wrapped.iter().all(|l| l.chars().count() <= super::WIDTH), "{wrapped:?}");
        assert_eq!(wrapped.join(" "), long.trim());

        let item = format!("- {}", "item ".repeat(30).trim());
        let wrapped = super::wrap(&item);
        assert!(wrapped[1..].iter().all(|l| l.starts_with("  ") && !l.starts_with("   ")), "{wrapped:?}");

        let risky = format!("{} - ``` # 1. > |", "word ".repeat(18).trim());
        for line in &super::wrap(&risky)[1..] {
            assert!(!super::starts_block(line.split(' ').next().unwrap()), "{line:?} starts a block");
        }

        let url = format!("see <https://example.com/{}>", "a".repeat(120));
        assert_eq!(super::wrap(&url), ["see", &url[4..]]);
        let table = format!("| {} |", "cell ".repeat(30));
        assert_eq!(super::wrap(&table), std::slice::from_ref(&table));
        let code = format!("```\n{}\n```", "x ".repeat(60));
        assert_eq!(super::wrap(&code).join("\n"), code);
    }
}
