//! A provider's `event.rs`: the `Event` enum, how a body becomes one, and how it serializes back.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, docs, event_type::event_doc, ident};
use crate::ir::{Event, Payload, Provider};

/// The type a variant holds, with the given lifetime.
pub fn payload_type(p: &Provider, e: &Event, lifetime: &TokenStream) -> TokenStream {
    match e.payload {
        Payload::Raw => quote!(crate::runtime::RawPayload<#lifetime>),
        Payload::Object(i) => {
            let o = &p.objects[i];
            let name = ident(&o.rust);
            let ty = if o.borrows { quote!(super::payloads::#name<#lifetime>) } else { quote!(super::payloads::#name) };
            if o.boxed {
                quote!(::std::boxed::Box<#ty>)
            } else {
                ty
            }
        }
    }
}

pub fn emit(p: &Provider) -> TokenStream {
    let a = quote!('a);
    let wrapper = match &p.envelope.wrapper {
        Some(w) => quote!(Some(#w)),
        None => quote!(None),
    };
    let variants = p.events.iter().map(|e| {
        let (cfg, v, ty) = (cfg(&p.apis[e.api]), ident(&e.variant), payload_type(p, e, &a));
        let doc = docs::lines(&event_doc(e));
        quote!(#doc #cfg #v(#ty),)
    });
    let parse_arms = p.events.iter().map(|e| {
        let (cfg, v) = (cfg(&p.apis[e.api]), ident(&e.variant));
        let value = match e.payload {
            Payload::Raw => quote!(crate::runtime::RawPayload::borrowed(payload)),
            Payload::Object(i) if p.objects[i].boxed => quote!(::std::boxed::Box::new(crate::runtime::de::payload(payload, &name)?)),
            Payload::Object(_) => quote!(crate::runtime::de::payload(payload, &name)?),
        };
        quote!(#cfg Some(EventType::#v) => Event::#v(#value),)
    });
    let type_arms = p.events.iter().map(|e| {
        let (cfg, v) = (cfg(&p.apis[e.api]), ident(&e.variant));
        quote!(#cfg Event::#v(_) => EventType::#v,)
    });
    let ser_arms = p.events.iter().map(|e| {
        let (cfg, v) = (cfg(&p.apis[e.api]), ident(&e.variant));
        quote!(#cfg Event::#v(payload) => crate::runtime::de::serialize_wrapped(WRAPPER, payload, s),)
    });
    let owned_arms = p.events.iter().map(|e| {
        let (cfg, v) = (cfg(&p.apis[e.api]), ident(&e.variant));
        let owned = match e.payload {
            Payload::Raw => quote!(payload.into_owned()),
            Payload::Object(i) if p.objects[i].borrows && p.objects[i].boxed => quote!(::std::boxed::Box::new((*payload).into_owned())),
            Payload::Object(i) if p.objects[i].borrows => quote!(payload.into_owned()),
            Payload::Object(_) => quote!(payload),
        };
        quote!(#cfg Event::#v(payload) => Event::#v(#owned),)
    });
    let validation_owned = p.validation_event.as_ref().map(|_| quote!(Event::Validation(raw) => Event::Validation(raw.into_owned()),));
    // An event reads back from what serializing it wrote when the body names its event.
    let deserialize = p.envelope.event_type_field.is_some().then(|| {
        quote! {
            /// Reads an event back from the JSON that serializing it wrote (a body, as received):
            /// `serde_json` only, since the payload is kept as raw JSON text. The event owns its
            /// text.
            impl<'de> ::serde::Deserialize<'de> for Event<'_> {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                    let body: ::std::boxed::Box<RawValue> = ::serde::Deserialize::deserialize(d)?;
                    Event::parse_str(body.get()).map(Event::into_owned).map_err(::serde::de::Error::custom)
                }
            }
        }
    });
    let try_fast = super::onepass::has(p).then(|| {
        quote! {
            if let Some(event) = Event::parse_fast(text) {
                return Ok(event);
            }
        }
    });
    let parse = p.envelope.event_type_field.as_ref().map(|field| {
        let doc = docs::lines(&format!(
            "Parses a request body: unwraps the envelope, reads `{field}`, and deserializes the payload \
             of that event. Strings borrow from `body` where they have no escapes.\n\n\
             An event type this version does not know gives [`Event::Unknown`] with the raw payload; a \
             known type whose payload does not match its shape is a [`ParseError::Payload`] naming the \
             JSON path."
        ));
        quote! {
            #doc
            pub fn parse(body: &'a [u8]) -> ::core::result::Result<Self, ParseError> {
                match ::core::str::from_utf8(body) {
                    Ok(text) => Event::parse_str(text),
                    Err(_) => Event::parse_exact(body),
                }
            }

            /// [`Event::parse`] for a body already checked to be UTF-8.
            pub fn parse_str(text: &'a str) -> ::core::result::Result<Self, ParseError> {
                #try_fast
                Event::parse_exact(text.as_bytes())
            }

            /// The two-phase serde parse: the authority on every body, and its errors.
            fn parse_exact(body: &'a [u8]) -> ::core::result::Result<Self, ParseError> {
                let payload = crate::runtime::de::unwrap(body, WRAPPER)?;
                let name = crate::runtime::de::event_type(payload, #field)?;
                Event::from_payload(name, payload)
            }
        }
    });
    let validation = p.validation_event.as_ref().map(|v| {
        let doc = docs::lines(&format!(
            "The request {} sends to validate a delivery url (`{v}`), not an event a subscription receives: \
             answer it with 2xx. Its body, which carries no envelope, is kept as received.",
            docs::md(&p.title)
        ));
        (v, doc)
    });
    let validation_variant = validation.as_ref().map(|(_, doc)| quote!(#doc Validation(crate::runtime::RawPayload<'a>),));
    let validation_parse = validation.as_ref().map(|(v, _)| {
        quote! {
            if event_type == #v {
                return Ok(Event::Validation(crate::runtime::RawPayload::borrowed(crate::runtime::de::unwrap(body, None)?)));
            }
        }
    });
    let validation_type = validation.as_ref().map(|(v, _)| quote!(Event::Validation(_) => EventType::Unknown(#v.to_owned()),));
    let validation_ser = validation.as_ref().map(|_| quote!(Event::Validation(raw) => raw.serialize(s),));
    let enum_doc = docs::lines(&format!(
        "A parsed {} webhook: which event it is, and its payload, typed.\n\nSerializing an event gives back the body it was parsed from (as JSON; \
         key order and spacing are not kept).\n\n{}",
        docs::md(&p.title),
        super::examples::event(p)
    ));
    quote! {
        use ::std::borrow::Cow;
        use ::serde_json::value::RawValue;

        use super::EventType;
        use crate::runtime::{ParseError, UnknownEvent};

        /// The key the body wraps the event in, if any.
        const WRAPPER: ::core::option::Option<&str> = #wrapper;

        #enum_doc
        #[derive(Clone, Debug, PartialEq)]
        #[non_exhaustive]
        pub enum Event<'a> {
            #(#variants)*
            #validation_variant
            /// An event this version of the crate does not know (or whose api feature is off), kept as received.
            Unknown(UnknownEvent<'a>),
        }

        impl<'a> Event<'a> {
            #parse

            /// Parses a body whose event type is known from elsewhere (a header, or the subscription).
            pub fn parse_as(event_type: &'a str, body: &'a [u8]) -> ::core::result::Result<Self, ParseError> {
                #validation_parse
                let payload = crate::runtime::de::unwrap(body, WRAPPER)?;
                Event::from_payload(Cow::Borrowed(event_type), payload)
            }

            fn from_payload(name: Cow<'a, str>, payload: &'a RawValue) -> ::core::result::Result<Self, ParseError> {
                Ok(match EventType::known(&name) {
                    #(#parse_arms)*
                    _ => Event::Unknown(UnknownEvent { event_type: name, payload: Cow::Borrowed(payload) }),
                })
            }

            /// The same event, owning its payload's text: an `Event<'static>`, to send to a task or
            /// a queue after the request's body is gone.
            pub fn into_owned(self) -> Event<'static> {
                match self {
                    #(#owned_arms)*
                    #validation_owned
                    Event::Unknown(unknown) => Event::Unknown(unknown.into_owned()),
                }
            }

            /// The event's type.
            pub fn event_type(&self) -> EventType {
                match self {
                    #(#type_arms)*
                    #validation_type
                    Event::Unknown(unknown) => EventType::from_wire(&unknown.event_type),
                }
            }
        }


        #deserialize

        impl ::serde::Serialize for Event<'_> {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                match self {
                    #(#ser_arms)*
                    #validation_ser
                    Event::Unknown(unknown) => crate::runtime::de::serialize_wrapped(WRAPPER, &*unknown.payload, s),
                }
            }
        }
    }
}
