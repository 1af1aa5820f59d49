//! Everything the generator knows of each signing scheme, in one table: its name in the catalog,
//! what a provider using it must declare, the runtime feature and type that implement it, and how
//! the generated `testing` module signs a request with it. The stages (validation, emission) ask
//! this table; none of them matches on a scheme. A new scheme is a new entry here and its
//! implementation in `webhook-runtime`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::Scheme;

/// One signing scheme.
pub struct SchemeSpec {
    /// The IR's name for it.
    pub scheme: Scheme,
    /// Its spelling in `provider.yaml` (`signing: { scheme: ... }`).
    pub name: &'static str,
    /// Whether `headers: { signature: ... }` must name the header carrying the signature.
    pub needs_signature_header: bool,
    /// The idempotency-key header when the provider names none.
    pub default_idempotency_header: Option<&'static str>,
    /// How the runtime verifies it; `None` for a scheme the vendor does not document (users bring
    /// their own `Scheme`).
    pub verifier: Option<VerifierSpec>,
}

/// A scheme the runtime implements.
pub struct VerifierSpec {
    /// The `webhook-runtime` feature that compiles it.
    pub runtime_feature: &'static str,
    /// Its type, e.g. `crate::runtime::verify::apideck::ApideckHmac`; the runtime builds it from
    /// keys (`Verifier::new`) through its `KeyedScheme` impl.
    pub type_path: fn() -> TokenStream,
    /// What the key is, for the `Verifier::new` docs.
    pub key_doc: &'static str,
    /// A key the scheme accepts, for doc examples.
    pub example_key: &'static str,
    /// Statements of `testing::sign_as` that bind `headers: Vec<(String, String)>` for `key`,
    /// `body` and `delivery_key` (a `&str` unique to the delivery), signed as the provider signs.
    pub sign: fn() -> TokenStream,
    /// Whether those statements use `delivery_key` (as a signed id header).
    pub signs_delivery_key: bool,
    /// Which headers `testing::sign` writes, for its docs.
    pub signed_headers_doc: &'static str,
    /// Whether `testing::sign` also sends an idempotency key, as the provider does.
    pub sends_idempotency_key: bool,
}

/// Every scheme, in the order the catalog's documentation lists them.
pub static SCHEMES: &[SchemeSpec] = &[
    SchemeSpec {
        scheme: Scheme::ApideckHmac,
        name: "apideck-hmac-sha256",
        needs_signature_header: true,
        default_idempotency_header: None,
        verifier: Some(VerifierSpec {
            runtime_feature: "apideck",
            type_path: || quote!(crate::runtime::verify::apideck::ApideckHmac),
            key_doc: "your Apideck API key (the HMAC key Apideck signs with)",
            example_key: "sk_test_example",
            sign: || {
                quote! {
                    let scheme = crate::runtime::verify::apideck::ApideckHmac::new([key], super::SIGNATURE_HEADER)?;
                    let text = ::std::str::from_utf8(body).map_err(|_| SignError::NotUtf8)?;
                    let signature = scheme.sign(text).map_err(SignError::NotJson)?;
                    let headers = vec![(super::SIGNATURE_HEADER.to_owned(), signature)];
                }
            },
            signs_delivery_key: false,
            signed_headers_doc: "the signature header",
            sends_idempotency_key: true,
        }),
    },
    SchemeSpec {
        scheme: Scheme::StandardWebhooks,
        name: "standard-webhooks",
        needs_signature_header: false,
        // Standard Webhooks defines its id header as the idempotency key.
        default_idempotency_header: Some("webhook-id"),
        verifier: Some(VerifierSpec {
            runtime_feature: "standard-webhooks",
            type_path: || quote!(crate::runtime::verify::standard::StandardWebhooks),
            key_doc: "the endpoint's `whsec_` secret",
            example_key: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            sign: || {
                quote! {
                    let scheme = crate::runtime::verify::standard::StandardWebhooks::new([key])?;
                    let now = ::std::time::SystemTime::now()
                        .duration_since(::std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
                    let headers = vec![
                        (crate::runtime::verify::standard::ID_HEADER.to_owned(), delivery_key.to_owned()),
                        (crate::runtime::verify::standard::TIMESTAMP_HEADER.to_owned(), now.to_string()),
                        (crate::runtime::verify::standard::SIGNATURE_HEADER.to_owned(), scheme.sign(delivery_key, now, body)),
                    ];
                }
            },
            signs_delivery_key: true,
            signed_headers_doc: "the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers",
            sends_idempotency_key: false,
        }),
    },
    SchemeSpec { scheme: Scheme::None, name: "none", needs_signature_header: false, default_idempotency_header: None, verifier: None },
];

/// The table's entry for `scheme`.
pub fn spec(scheme: Scheme) -> &'static SchemeSpec {
    SCHEMES.iter().find(|s| s.scheme == scheme).expect("every scheme has an entry")
}

/// The scheme the catalog calls `name`.
pub fn by_name(name: &str) -> Option<&'static SchemeSpec> {
    SCHEMES.iter().find(|s| s.name == name)
}

/// The catalog's names of every scheme, for error messages: `a`, `b` or `c`.
pub fn names() -> String {
    let names: Vec<String> = SCHEMES.iter().map(|s| format!("`{}`", s.name)).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_scheme_has_one_entry_and_a_distinct_name() {
        for (i, a) in super::SCHEMES.iter().enumerate() {
            assert!(std::ptr::eq(super::spec(a.scheme), a), "{} has two entries", a.name);
            assert!(super::SCHEMES[i + 1..].iter().all(|b| b.name != a.name), "{} is named twice", a.name);
        }
        assert_eq!(super::names(), "`apideck-hmac-sha256`, `standard-webhooks` or `none`");
    }
}
