//! A provider's `mod.rs`: its documentation, submodules and re-exports.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, docs, ident, types, urls};
use crate::ir::{ObjectKind, Provider};

pub fn emit(p: &Provider) -> TokenStream {
    let mut text = format!("{}\n\n{}\n", docs::md(&p.title), docs::md(&p.description));
    if let Some(link) = &p.docs {
        text.push_str(&format!("\nVendor documentation: <{link}>\n"));
    }
    text.push_str("\n# Receiving\n\n");
    match p.signing.scheme.spec().verifier {
        None => text.push_str(&format!(
            "**{} deliveries are not verified by this crate**: the vendor does not document how it signs them. \
             Verify them yourself (or implement `runtime::verify::Scheme` and use [`Verifier::with_scheme`]) \
             before trusting a body.\n\n",
            docs::md(&p.title)
        )),
        Some(_) => text.push_str(
            "Verify every request first: build a [`Verifier`] once with your key, call `verify(&headers, body)`, \
             and take the event from the [`Verified`] result. Parsing an unverified body is for tests.\n\n",
        ),
    }
    match (&p.envelope.wrapper, &p.envelope.event_type_field) {
        (Some(w), Some(f)) => text.push_str(&format!(
            "A body is `{{\"{w}\": {{...}}}}`; the event's `{f}` picks the variant. Parse it with \
             [`Event::parse`] and route it with [`dispatch`] (or an api's own `dispatch`).\n"
        )),
        (None, Some(f)) => {
            text.push_str(&format!("A body is the event itself; its `{f}` picks the variant. Parse it with [`Event::parse`].\n"))
        }
        (_, None) => text.push_str(
            "The body does not name its event, so the type must come from elsewhere (the subscription it was \
             registered for): parse it with [`Event::parse_as`].\n",
        ),
    }
    if let Some(note) = &p.envelope.note {
        text.push_str(&format!("\n{}\n", docs::md(note)));
    }
    let h = &p.headers;
    let headers: Vec<(&str, &Option<String>, &str)> = vec![
        ("EVENT_TYPE_HEADER", &h.event_type, "The header naming the event type."),
        ("SIGNATURE_HEADER", &h.signature, "The header carrying the signature of the body."),
        ("IDEMPOTENCY_KEY_HEADER", &h.idempotency_key, "The header carrying a unique key per event, for deduplication."),
    ];
    let headers = headers.into_iter().filter_map(|(name, value, doc)| {
        let value = value.as_ref()?;
        let name = ident(name);
        let doc = docs::lines(&format!("{doc} (`{value}`)"));
        Some(quote!(#doc pub const #name: &str = #value;))
    });
    let module_docs = docs::inner(&text);
    let api_modules = p.apis.iter().map(|a| {
        let cfg = cfg(a);
        let m = ident(&a.module);
        quote!(#cfg pub mod #m;)
    });
    let models = types::has(p, ObjectKind::Model).then(|| {
        quote!(
            pub mod models;
        )
    });
    let urls = urls::has(p).then(|| {
        quote!(
            pub mod urls;
        )
    });
    let extra_types = event_type_extras(p);
    let onepass = super::onepass::has(p).then(|| {
        quote!(
            mod onepass;
        )
    });
    let testing = p.signing.scheme.spec().verifier.is_some().then(|| {
        quote! {
            #[cfg(feature = "test-util")]
            pub mod testing;
        }
    });
    quote! {
        #module_docs

        mod dispatch;
        mod event;
        mod event_type;
        #onepass
        mod receive;
        pub mod fixtures;
        #models
        pub mod payloads;
        #urls

        pub use dispatch::{dispatch, Handler};
        #[cfg(feature = "async")]
        pub use dispatch::{dispatch_async, AsyncHandler, Router};
        pub use event::Event;
        pub use receive::{Verified, Verifier};
        #testing
        pub use event_type::{Api, EventType, EVENTS #extra_types};

        #(#headers)*

        #(#api_modules)*
    }
}

fn event_type_extras(p: &Provider) -> TokenStream {
    let mut t = quote!(, EventCode);
    if types::uses_selector(p) {
        t.extend(quote!(, EventSelector));
    }
    t
}
