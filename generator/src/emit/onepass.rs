//! The one-pass parser: the runtime's scanner walks the envelope and the payload's members once,
//! filling a private struct with every field of every payload shape of the provider, which is then
//! moved into the event's payload type. It is only generated when the shapes agree (a field name
//! never has two types), and it only ever speeds the common case up: anything unusual, an unknown
//! event, or a raw payload falls back to the exact two-phase serde parser, which gives the
//! authoritative result or error.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, types};
use crate::ir::{Field, Object, ObjectKind, Payload, Provider, Type};

/// The union of all payload fields by wire name, or `None` when two shapes disagree on a type.
/// Each field's `rust` is its name in the merged struct: the shapes' own name, unless two keys
/// share it (`first-name` in one shape, `first_name` in another), when the later key (by wire
/// order) gets a number after it.
fn superset(p: &Provider) -> Option<Vec<Field>> {
    let field = p.envelope.event_type_field.as_ref()?;
    let mut all: BTreeMap<&str, &Field> = BTreeMap::new();
    for (i, o) in p.objects.iter().enumerate().filter(|(_, o)| o.kind == ObjectKind::Payload) {
        if !p.events.iter().any(|e| e.payload == Payload::Object(i)) {
            continue;
        }
        for f in &o.fields {
            match all.get(f.wire.as_str()) {
                Some(existing) if existing.ty != f.ty => return None,
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
    let mut names = std::collections::BTreeSet::new();
    let mut merged = Vec::with_capacity(all.len());
    for f in all.into_values() {
        let (mut rust, mut n) = (f.rust.clone(), 1);
        while names.contains(&rust) {
            n += 1;
            rust = format!("{}_{n}", f.rust);
        }
        names.insert(rust.clone());
        merged.push(Field { required: false, rust, ..f.clone() });
    }
    Some(merged)
}

/// The merged struct's name for `wire`.
fn merged<'f>(fields: &'f [Field], wire: &str) -> &'f str {
    fields.iter().find(|f| f.wire == wire).map(|f| f.rust.as_str()).expect("every shape's field is in the superset")
}

/// The statement that reads a value of `ty` into `place` (an `Option<T>`, `None` for `null`),
/// returning `None` from the scanner when not sure.
fn read(p: &Provider, ty: &Type, place: TokenStream) -> TokenStream {
    let value = match ty {
        Type::String => quote!(members.read_str()?),
        Type::Number => quote!(members.read_parsed::<::serde_json::Number>()?),
        Type::Integer => quote!(members.read_parsed::<i64>()?),
        Type::Boolean => quote!(members.read_bool()?),
        Type::Enum(name) => {
            let name = ident(name);
            quote!(members.read_with(super::payloads::#name::from_wire)?)
        }
        Type::EventType => quote!(members.read_with(super::EventType::from_wire)?),
        Type::Object(name, _) => {
            // Objects are built in place: they can be large.
            let object = p.objects.iter().find(|o| &o.rust == name).expect("validated");
            let scan = scanner(object);
            return quote!(members.read_object(&mut #place, #scan)?;);
        }
        // Any JSON, lists and the model-only types: serde reads them in place.
        _ => quote!(members.read()?),
    };
    quote!(#place = #value;)
}

/// The scanner function of an object. Validation allows object names of lowercase letters,
/// digits, `_` and `-`, and refuses two that differ only by separator, so this is an identifier
/// and unique.
fn scanner(o: &Object) -> proc_macro2::Ident {
    ident(&format!("scan_{}", o.name.replace('-', "_")))
}

/// The function moving an object's fields out of the merged struct.
fn converter(o: &Object) -> proc_macro2::Ident {
    ident(&format!("into_{}", o.name.replace('-', "_")))
}

/// One scanner per payload object, reading its members into the struct.
fn object_scanners(p: &Provider) -> Vec<TokenStream> {
    p.objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Payload)
        .map(|o| {
            let scan = scanner(o);
            let name = ident(&o.rust);
            let ty = if o.borrows { quote!(super::payloads::#name<'a>) } else { quote!(super::payloads::#name) };
            // `_1st` (a name that would start with a digit) is the local `field_1st`.
            let locals: Vec<_> = o.fields.iter().map(|f| ident(&format!("field_{}", f.rust.trim_start_matches('_')))).collect();
            let count = proc_macro2::Literal::usize_unsuffixed(o.fields.len());
            let arms = o.fields.iter().zip(&locals).enumerate().map(|(i, (f, local))| {
                let i = proc_macro2::Literal::usize_unsuffixed(i);
                let (wire, read) = (&f.wire, read(p, &f.ty, quote!(#local)));
                quote! {
                    #wire => {
                        if ::core::mem::replace(&mut seen[#i], true) {
                            return None;
                        }
                        #read
                    }
                }
            });
            let build = o.fields.iter().zip(&locals).map(|(f, local)| {
                let n = ident(&f.rust);
                if f.required {
                    quote!(#n: #local?)
                } else {
                    quote!(#n: #local)
                }
            });
            let doc = format!(" Reads a `{}` from an object's members into `slot`; `None` when not sure.", o.rust);
            quote! {
                #[doc = #doc]
                #[allow(dead_code, clippy::needless_lifetimes)] // unused when every api with this shape is off
                fn #scan<'a>(
                    members: &mut crate::runtime::scan::Members<'a>,
                    slot: &mut ::core::option::Option<#ty>,
                ) -> ::core::option::Option<()> {
                    #(let mut #locals = None;)*
                    let mut seen = [false; #count];
                    while let Some(key) = members.next_key()? {
                        match key {
                            #(#arms)*
                            _ => members.skip()?,
                        }
                    }
                    *slot = Some(super::payloads::#name { #(#build),* });
                    Some(())
                }
            }
        })
        .collect()
}

/// Whether the provider gets a one-pass parser (`onepass.rs`).
pub fn has(p: &Provider) -> bool {
    superset(p).is_some() && p.envelope.event_type_field.is_some()
}

/// `onepass.rs`: the private types and the `parse_fast` function, or nothing when no superset exists.
pub fn emit(p: &Provider) -> Option<TokenStream> {
    let fields = superset(p)?;
    let event_type_field = ident(&fields.iter().find(|f| Some(&f.wire) == p.envelope.event_type_field.as_ref())?.rust);
    let struct_fields = fields.iter().map(|f| {
        let name = ident(&f.rust);
        let ty = types::rust_type(ObjectKind::Payload, &f.ty).0;
        quote!(#name: ::core::option::Option<#ty>,)
    });
    // The members the scanner reads: each known key once (a repeated one sends the body to the
    // exact parser, which refuses it), anything else checked and skipped.
    let count = proc_macro2::Literal::usize_unsuffixed(fields.len());
    let member_arms = fields.iter().enumerate().map(|(i, f)| {
        let i = proc_macro2::Literal::usize_unsuffixed(i);
        let (wire, name) = (&f.wire, ident(&f.rust));
        let read = read(p, &f.ty, quote!(any.#name));
        quote! {
            #wire => {
                if ::core::mem::replace(&mut seen[#i], true) {
                    return None;
                }
                #read
            }
        }
    });
    let read_members = quote! {
        let mut seen = [false; #count];
        while let Some(key) = members.next_key()? {
            match key {
                #(#member_arms)*
                _ => members.skip()?,
            }
        }
    };
    let read = match &p.envelope.wrapper {
        // The payload is read in place: it is large, and moving it costs.
        Some(w) => quote! {
            let mut envelope = crate::runtime::scan::Members::of(text)?;
            let mut any = AnyPayload::default();
            let mut read = false;
            while let Some(key) = envelope.next_key()? {
                if key != #w {
                    envelope.skip()?;
                    continue;
                }
                if ::core::mem::replace(&mut read, true) {
                    return None;
                }
                let mut members = envelope.object()?;
                #read_members
                envelope.resume(members);
            }
            if !read || !envelope.at_end() {
                return None;
            }
        },
        None => quote! {
            let mut members = crate::runtime::scan::Members::of(text)?;
            let mut any = AnyPayload::default();
            #read_members
            if !members.at_end() {
                return None;
            }
        },
    };
    // One conversion per payload shape; each event's arm only calls its shape's.
    let used: std::collections::BTreeSet<usize> =
        p.events.iter().filter_map(|e| if let Payload::Object(i) = e.payload { Some(i) } else { None }).collect();
    let converters = used.iter().map(|&i| {
        let o = &p.objects[i];
        let name = ident(&o.rust);
        let func = converter(o);
        let moves = o.fields.iter().map(|f| {
            let (n, m) = (ident(&f.rust), ident(merged(&fields, &f.wire)));
            if f.required {
                quote!(#n: any.#m?)
            } else {
                quote!(#n: any.#m)
            }
        });
        let ty = if o.borrows { quote!(super::payloads::#name<'a>) } else { quote!(super::payloads::#name) };
        let doc = format!(" Moves the fields of `{}` out; `None` if a required one is missing.", o.rust);
        // A boxed shape goes straight into its box, rather than through an `Option` of itself.
        let (ty, value) = if o.boxed {
            (quote!(::std::boxed::Box<#ty>), quote!(::std::boxed::Box::new(super::payloads::#name { #(#moves),* })))
        } else {
            (ty, quote!(super::payloads::#name { #(#moves),* }))
        };
        quote! {
            #[doc = #doc]
            #[allow(dead_code)] // unused when every api with this shape is off
            fn #func(any: AnyPayload<'a>) -> ::core::option::Option<#ty> {
                Some(#value)
            }
        }
    });
    let arms = p.events.iter().filter_map(|e| {
        let Payload::Object(i) = e.payload else { return None };
        let o = &p.objects[i];
        let (cfg, v) = (super::cfg(&p.apis[e.api]), ident(&e.variant));
        let func = converter(o);
        Some(quote!(#cfg EventType::#v => Some(Event::#v(AnyPayload::#func(any)?)),))
    });
    let scanners = object_scanners(p);
    Some(quote! {
        //! Reading the common body in one typed pass, without serde: a scanner over the body's
        //! members fills a struct with every field of every payload shape, then moves it into the
        //! event's type. Anything unusual (a repeated key, an escape the scanner does not decode, a
        //! type it does not expect) gives `None`, and the body goes to the exact parser in
        //! `event.rs`; a property test holds the two to one answer.

        use super::{Event, EventType};

        #(#scanners)*

        /// Every field of every payload shape, for reading a body in one pass.
        // A shape whose apis' features are all off has fields no arm reads.
        #[allow(dead_code)]
        #[derive(Default)]
        struct AnyPayload<'a> {
            #(#struct_fields)*
        }

        impl<'a> AnyPayload<'a> {
            #(#converters)*
        }

        impl<'a> Event<'a> {
            /// The common case in one typed pass; `None` sends the body to the precise parser.
            pub(super) fn parse_fast(text: &'a str) -> ::core::option::Option<Self> {
                #read
                let event_type = EventType::known(any.#event_type_field.as_deref()?)?;
                match event_type {
                    #(#arms)*
                    _ => None,
                }
            }
        }
    })
}
