//! Example bodies: one JSON file per event under `fixtures/`, and a module that embeds them.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, docs};
use crate::ir::Provider;

/// A fixture file's text: pretty JSON, keys sorted, and a final newline.
pub fn json(value: &serde_json::Value) -> String {
    crate::json::pretty(value)
}

pub fn emit(p: &Provider) -> TokenStream {
    let rows = p.events.iter().map(|e| {
        let cfg = cfg(&p.apis[e.api]);
        let wire = &e.wire;
        let path = format!("../../fixtures/{}/{}.json", p.name, e.wire);
        quote!(#cfg (#wire, include_str!(#path)),)
    });
    let doc = docs::inner(&format!(
        "Example bodies, one per {} event, as the vendor documents them (or built from the catalog where it \
         documents none). Use them to test your handlers: parse one with `Event::parse` and dispatch it.\n\n\
         The same files are in the crate's `fixtures/{}/` folder, named `<event type>.json`.",
        docs::md(&p.title),
        p.name
    ));
    quote! {
        #doc

        use super::EventType;

        /// Every example body, by wire name, sorted.
        pub static ALL: &[(&str, &str)] = &[#(#rows)*];

        /// The example body of an event; `None` for an unknown event.
        pub fn get(event_type: &EventType) -> ::core::option::Option<&'static str> {
            let name = event_type.as_str();
            ALL.iter().find(|(wire, _)| *wire == name).map(|(_, body)| *body)
        }
    }
}
