//! Doc comments from catalog text.

use proc_macro2::TokenStream;
use quote::quote;

/// Catalog prose made safe for rustdoc: square brackets would become broken intra-doc links and
/// bare urls trip `rustdoc::bare_urls`.
fn clean(text: &str) -> String {
    let escaped = text.replace('[', "\\[").replace(']', "\\]");
    escaped
        .split(' ')
        .map(|w| if w.starts_with("https://") || w.starts_with("http://") { format!("<{w}>") } else { w.to_string() })
        .collect::<Vec<_>>()
        .join(" ")
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

/// Text wider than this is wrapped, so generated docs read (and diff) like hand-written ones.
const WIDTH: usize = 96;

/// Markdown with its paragraphs and list items wrapped at [`WIDTH`], between words. Lines that
/// are not prose (tables, headings, indented or fenced code) are left as they are, and a word is
/// never split, so a url or a code span stays whole.
fn wrap(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
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
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WIDTH {
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

#[cfg(test)]
mod tests {
    #[test]
    fn prose_wraps_between_words_and_everything_else_stays() {
        let long = "word ".repeat(40);
        let wrapped = super::wrap(long.trim());
        assert!(wrapped.len() > 1 && wrapped.iter().all(|l| l.chars().count() <= super::WIDTH), "{wrapped:?}");
        assert_eq!(wrapped.join(" "), long.trim());

        let item = format!("- {}", "item ".repeat(30).trim());
        let wrapped = super::wrap(&item);
        assert!(wrapped[1..].iter().all(|l| l.starts_with("  ") && !l.starts_with("   ")), "{wrapped:?}");

        let url = format!("see <https://example.com/{}>", "a".repeat(120));
        assert_eq!(super::wrap(&url), ["see", &url[4..]]);
        let table = format!("| {} |", "cell ".repeat(30));
        assert_eq!(super::wrap(&table), std::slice::from_ref(&table));
        let code = format!("```\n{}\n```", "x ".repeat(60));
        assert_eq!(super::wrap(&code).join("\n"), code);
    }
}
