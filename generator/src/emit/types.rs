//! `payloads.rs` and `models.rs`: the declared objects as structs, and the closed string sets as
//! enums with a fallback for values added later. Every path is fully qualified, so an object or
//! enum named `Option`, `Box` or `String` cannot shadow what the generated code means.

use proc_macro2::TokenStream;
use quote::quote;

use super::{docs, ident};
use crate::ir::{Enum, Field, Object, ObjectKind, Provider, Type};

/// Whether the provider declares any object of this kind.
pub fn has(p: &Provider, kind: ObjectKind) -> bool {
    p.objects.iter().any(|o| o.kind == kind)
}

/// Whether any model field is an `event_selector`.
pub fn uses_selector(p: &Provider) -> bool {
    fn contains(t: &Type) -> bool {
        match t {
            Type::EventSelector => true,
            Type::List(inner) => contains(inner),
            _ => false,
        }
    }
    p.objects.iter().flat_map(|o| &o.fields).any(|f| contains(&f.ty))
}

pub fn emit(p: &Provider, kind: ObjectKind) -> TokenStream {
    let objects = p.objects.iter().filter(|o| o.kind == kind).map(object);
    let (doc, enums) = match kind {
        ObjectKind::Payload => (
            format!("The shapes of {} event payloads, and the closed sets of strings they use.\n\nFields the vendor does not promise are `Option`; unknown fields are ignored, so a vendor adding one breaks nothing.", docs::md(&p.title)),
            p.enums.iter().map(closed_enum).collect::<Vec<_>>(),
        ),
        ObjectKind::Model => (format!("Request and response bodies of the {} subscription API.", docs::md(&p.title)), Vec::new()),
    };
    let doc = docs::inner(&doc);
    quote! {
        #doc
        #(#objects)*
        #(#enums)*
    }
}

fn object(o: &Object) -> TokenStream {
    let name = ident(&o.rust);
    let generics = if o.borrows { quote!(<'a>) } else { quote!() };
    let doc = docs::prose(&o.description);
    let fields = o.fields.iter().map(|f| field(o.kind, f));
    let into_owned = o.borrows.then(|| {
        let moves = o.fields.iter().map(|f| {
            let n = ident(&f.rust);
            let owned = match &f.ty {
                Type::String => Some(quote!(::std::borrow::Cow::Owned(v.into_owned()))),
                Type::Object(_, true) => Some(quote!(v.into_owned())),
                _ => None,
            };
            match (owned, f.required) {
                (None, _) => quote!(#n: self.#n),
                (Some(owned), true) => quote!(#n: { let v = self.#n; #owned }),
                (Some(owned), false) => quote!(#n: self.#n.map(|v| #owned)),
            }
        });
        quote! {
            impl #name<'_> {
                /// The same value, owning its text, to send to a task or a queue.
                pub fn into_owned(self) -> #name<'static> {
                    #name { #(#moves),* }
                }
            }
        }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, ::serde::Deserialize, ::serde::Serialize)]
        pub struct #name #generics {
            #(#fields)*
        }

        #into_owned
    }
}

fn field(kind: ObjectKind, f: &Field) -> TokenStream {
    let name = ident(&f.rust);
    let (ty, borrow) = rust_type(kind, &f.ty);
    let mut attrs = Vec::new();
    if f.rust != f.wire {
        let wire = &f.wire;
        attrs.push(quote!(rename = #wire));
    }
    if borrow {
        attrs.push(quote!(borrow));
    }
    // serde's `Cow` impl always copies; these helpers borrow when the JSON string has no escapes.
    if kind == ObjectKind::Payload && f.ty == Type::String {
        let helper = if f.required { "crate::runtime::de::cow" } else { "crate::runtime::de::opt_cow" };
        attrs.push(quote!(deserialize_with = #helper));
    }
    let ty = if f.required {
        ty
    } else {
        attrs.push(quote!(default));
        attrs.push(quote!(skip_serializing_if = "::core::option::Option::is_none"));
        quote!(::core::option::Option<#ty>)
    };
    let doc = docs::prose(&f.description);
    let serde = (!attrs.is_empty()).then(|| quote!(#[serde(#(#attrs),*)]));
    quote! {
        #doc
        #serde
        pub #name: #ty,
    }
}

/// The Rust type of a field type, and whether serde must be told to borrow it.
pub fn rust_type(kind: ObjectKind, ty: &Type) -> (TokenStream, bool) {
    match ty {
        Type::String if kind == ObjectKind::Payload => (quote!(::std::borrow::Cow<'a, str>), true),
        Type::String => (quote!(::std::string::String), false),
        Type::Number => (quote!(::serde_json::Number), false),
        Type::Integer => (quote!(i64), false),
        Type::Boolean => (quote!(bool), false),
        Type::Json => (quote!(::serde_json::Value), false),
        Type::Secret => (quote!(crate::runtime::Secret), false),
        Type::EventType => (quote!(super::EventType), false),
        Type::EventCode => (quote!(super::EventCode), false),
        Type::EventSelector => (quote!(super::EventSelector), false),
        Type::Enum(name) => {
            let name = ident(name);
            (quote!(super::payloads::#name), false)
        }
        Type::Object(name, borrows) => {
            let name = ident(name);
            match (kind, borrows) {
                (ObjectKind::Payload, true) => (quote!(super::payloads::#name<'a>), true),
                (ObjectKind::Payload, false) => (quote!(super::payloads::#name), false),
                (ObjectKind::Model, _) => (quote!(super::models::#name), false),
            }
        }
        Type::List(inner) => {
            let (inner, borrow) = rust_type(kind, inner);
            (quote!(::std::vec::Vec<#inner>), borrow)
        }
    }
}

fn closed_enum(e: &Enum) -> TokenStream {
    let name = ident(&e.rust);
    let doc = docs::lines(&format!(
        "{}\n\nA value added by the vendor after this crate was generated is kept in `Unknown`, never an error.",
        docs::md(&e.description)
    ));
    let variants = e.values.iter().map(|(wire, v)| {
        let v = ident(v);
        let d = format!(" `{wire}`");
        quote!(#[doc = #d] #v,)
    });
    let as_str = e.values.iter().map(|(wire, v)| {
        let v = ident(v);
        quote!(#name::#v => #wire,)
    });
    let from = e.values.iter().map(|(wire, v)| {
        let v = ident(v);
        quote!(#wire => #name::#v,)
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
            /// A value this version of the crate does not know, as received.
            Unknown(::std::string::String),
        }

        impl #name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#as_str)*
                    #name::Unknown(value) => value,
                }
            }

            /// The variant for a wire value; never fails.
            pub fn from_wire(value: &str) -> #name {
                match value {
                    #(#from)*
                    other => #name::Unknown(other.to_owned()),
                }
            }
        }

        // `Display`, `FromStr`, `Serialize` and `Deserialize` as the wire value.
        crate::runtime::open_enum_strings!(#name);
    }
}
