//! The one-pass parser: a private struct holding every field of every payload shape of a
//! provider, so a body is read by a single typed serde pass and then moved into its event's
//! payload type. It is only generated when the shapes agree (a field name never has two types),
//! and it only ever speeds the common case up: any failure, an unknown event, or a raw payload
//! falls back to the precise two-phase parser, which gives the exact error and the raw JSON.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, types};
use crate::ir::{Field, ObjectKind, Payload, Provider, Type};

/// The union of all payload fields by wire name, or `None` when two shapes disagree on a type.
fn superset(p: &Provider) -> Option<Vec<Field>> {
    let field = p.envelope.event_type_field.as_ref()?;
    let mut all: BTreeMap<&str, &Field> = BTreeMap::new();
    for o in p.objects.iter().filter(|o| o.kind == ObjectKind::Payload) {
        if !p.events.iter().any(|e| e.payload == Payload::Object(p.objects.iter().position(|x| x.name == o.name).unwrap())) {
            continue;
        }
        for f in &o.fields {
            match all.get(f.wire.as_str()) {
                Some(existing) if existing.ty != f.ty || existing.rust != f.rust => return None,
                Some(_) => {}
                None => {
                    all.insert(&f.wire, f);
                }
            }
        }
    }
    match all.get(field.as_str()) {
        Some(f) if f.ty != Type::String => return None,
        Some(_) => {}
        None => return None,
    }
    Some(all.into_values().map(|f| Field { required: false, ..f.clone() }).collect())
}

/// The private types and the `parse_fast` function, or nothing when no superset exists.
pub fn emit(p: &Provider) -> Option<TokenStream> {
    let fields = superset(p)?;
    let event_type_field = ident(&fields.iter().find(|f| Some(&f.wire) == p.envelope.event_type_field.as_ref())?.rust);
    let struct_fields = fields.iter().map(|f| types::field(ObjectKind::Payload, f));
    let envelope = match (&p.envelope.wrapper, &p.envelope.wrapper_field) {
        (Some(w), Some(field)) => {
            let w_ident = ident(field);
            quote! {
                #[derive(::serde::Deserialize)]
                struct AnyEnvelope<'a> {
                    #[serde(rename = #w, borrow)]
                    #w_ident: AnyPayload<'a>,
                }
            }
        }
        _ => quote!(),
    };
    let read = match &p.envelope.wrapper_field {
        Some(field) => {
            let w_ident = ident(field);
            quote!(::serde_json::from_str::<AnyEnvelope<'a>>(text).ok()?.#w_ident)
        }
        None => quote!(::serde_json::from_str::<AnyPayload<'a>>(text).ok()?),
    };
    // One conversion per payload shape; each event's arm only calls its shape's.
    let used: std::collections::BTreeSet<usize> =
        p.events.iter().filter_map(|e| if let Payload::Object(i) = e.payload { Some(i) } else { None }).collect();
    let converters = used.iter().map(|&i| {
        let o = &p.objects[i];
        let name = ident(&o.rust);
        let func = ident(&format!("into_{}", o.name));
        let moves = o.fields.iter().map(|f| {
            let n = ident(&f.rust);
            if f.required {
                quote!(#n: any.#n?)
            } else {
                quote!(#n: any.#n)
            }
        });
        let ty = if o.borrows { quote!(super::payloads::#name<'a>) } else { quote!(super::payloads::#name) };
        let doc = format!(" Moves the fields of `{}` out; `None` if a required one is missing.", o.rust);
        quote! {
            #[doc = #doc]
            #[allow(dead_code)] // unused when every api with this shape is off
            fn #func(any: AnyPayload<'a>) -> ::core::option::Option<#ty> {
                Some(super::payloads::#name { #(#moves),* })
            }
        }
    });
    let arms = p.events.iter().filter_map(|e| {
        let Payload::Object(i) = e.payload else { return None };
        let o = &p.objects[i];
        let (cfg, v) = (super::cfg(&p.apis[e.api]), ident(&e.variant));
        let func = ident(&format!("into_{}", o.name));
        let value = if o.boxed { quote!(::std::boxed::Box::new(AnyPayload::#func(any)?)) } else { quote!(AnyPayload::#func(any)?) };
        Some(quote!(#cfg EventType::#v => Some(Event::#v(#value)),))
    });
    Some(quote! {
        /// Every field of every payload shape, for reading a body in one pass.
        // A shape whose apis' features are all off has fields no arm reads.
        #[allow(dead_code)]
        #[derive(::serde::Deserialize)]
        struct AnyPayload<'a> {
            #(#struct_fields)*
        }

        #envelope

        impl<'a> AnyPayload<'a> {
            #(#converters)*
        }

        impl<'a> Event<'a> {
            /// The common case in one typed pass; `None` sends the body to the precise parser.
            fn parse_fast(body: &'a [u8]) -> ::core::option::Option<Self> {
                // Checking UTF-8 once up front lets serde_json read strings without checking each.
                let text = ::core::str::from_utf8(body).ok()?;
                let any = #read;
                let event_type = EventType::known(any.#event_type_field.as_deref()?)?;
                match event_type {
                    #(#arms)*
                    _ => None,
                }
            }
        }
    })
}
