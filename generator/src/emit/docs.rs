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
    let lines = text.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote!(#(#[doc = #lines])*)
}

/// `#![doc]` lines for a module, from markdown the generator wrote.
pub fn inner(text: &str) -> TokenStream {
    let lines = text.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") });
    quote!(#(#![doc = #lines])*)
}

/// Catalog prose for use inside generated markdown.
pub fn md(text: &str) -> String {
    clean(text)
}
