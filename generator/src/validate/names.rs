//! Rust names for catalog words: one casing rule per kind of item and one escaping rule for
//! keywords, so every emitter spells a name the same way.

use heck::{ToShoutySnakeCase, ToSnakeCase, ToUpperCamelCase};

/// Whether `word` can be used as a plain Rust identifier. `syn` decides, so the list of keywords
/// (strict, reserved and edition-dependent) is never kept by hand.
pub fn is_plain_ident(word: &str) -> bool {
    syn::parse_str::<syn::Ident>(word).is_ok()
}

/// Whether `name` can name a generated item: an ASCII identifier that is not a keyword and not
/// `_` alone. Non-ASCII identifiers compile, but rustc lints confusable scripts and users cannot
/// type them, so names derived from catalog text must be ASCII.
pub fn is_rust_name(name: &str) -> bool {
    name.is_ascii() && name.bytes().any(|b| b.is_ascii_alphanumeric()) && is_plain_ident(name)
}

/// The one escaping rule: a word that is a keyword (`type`, `self`, `match`, `Self`) gets a
/// trailing underscore. Raw identifiers are not used because `self`, `Self`, `super` and
/// `crate` cannot be raw, and one rule for all is easier to predict.
pub fn escape(word: String) -> String {
    if is_plain_ident(&word) {
        word
    } else {
        format!("{word}_")
    }
}

/// A type or variant name: `vault.connection.token_refresh.failed` → `VaultConnectionTokenRefreshFailed`.
pub fn type_name(wire: &str) -> String {
    escape(no_leading_digit(wire.to_upper_camel_case()))
}

/// A Rust name cannot start with a digit; a name that would (`3ds`, `2fa`) gets a leading `_`,
/// which rustc's and clippy's case lints accept.
fn no_leading_digit(name: String) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// A module, field or function name: `file-storage` → `file_storage`, `type` → `type_`.
pub fn value_name(wire: &str) -> String {
    escape(no_leading_digit(wire.to_snake_case()))
}

/// A constant: `_3dsVerified` → `_3DS_VERIFIED`, `PosOrderCreated` → `POS_ORDER_CREATED`.
pub fn const_name(words: &str) -> String {
    escape(no_leading_digit(words.to_shouty_snake_case()))
}

/// A handler method: `on_` and the words in snake case. The prefix makes every name an
/// identifier, keywords and leading digits included (`on_self_updated`, `on_3ds_verified`).
pub fn method_name(words: &str) -> String {
    format!("on_{}", words.to_snake_case())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_become_variants() {
        assert_eq!(type_name("pos.order.created"), "PosOrderCreated");
        assert_eq!(type_name("vault.connection.token_refresh.failed"), "VaultConnectionTokenRefreshFailed");
        assert_eq!(type_name("hris.time-off-request.created"), "HrisTimeOffRequestCreated");
        assert_eq!(type_name("file-storage.file.created"), "FileStorageFileCreated");
    }

    #[test]
    fn underscore_and_hyphen_forms_collide() {
        assert_eq!(type_name("pos.modifier_group.created"), type_name("pos.modifier-group.created"));
    }

    #[test]
    fn keywords_are_escaped_by_one_rule() {
        assert_eq!(value_name("type"), "type_");
        assert_eq!(value_name("self"), "self_");
        assert_eq!(value_name("match"), "match_");
        assert_eq!(value_name("async"), "async_");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(value_name("crate"), "crate_");
        assert_eq!(value_name("order"), "order");
        assert_eq!(type_name("option"), "Option");
    }

    #[test]
    fn names_are_snake_cased() {
        assert_eq!(value_name("file-storage"), "file_storage");
        assert_eq!(value_name("execution_attempt"), "execution_attempt");
        assert_eq!(value_name("apiKey"), "api_key");
        assert_eq!(value_name("2fa"), "_2fa");
        assert_eq!(type_name("3ds.verified"), "_3dsVerified");
        assert_eq!(type_name("2fa"), "_2fa");
        assert_eq!(method_name(&type_name("3ds.verified")), "on_3ds_verified");
        assert_eq!(const_name(&type_name("3ds.verified")), "_3DS_VERIFIED");
        assert_eq!(const_name("PosOrderCreated"), "POS_ORDER_CREATED");
        assert_eq!(method_name(&type_name("self")), "on_self");
        assert_eq!(method_name("pos.order.created"), "on_pos_order_created");
    }
}
