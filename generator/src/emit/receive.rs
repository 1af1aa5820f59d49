//! A provider's `receive.rs` (the `Verifier` and its `Verified` result) and `testing.rs`
//! (signing fixtures, behind the `test-util` feature). The schemes themselves are hand-written in
//! `runtime::verify`; this only wires a provider's headers and envelope to one.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs;
use crate::ir::Provider;
use crate::scheme::VerifierSpec;

/// How the runtime verifies the provider's scheme, if it implements it.
fn verifier(p: &Provider) -> Option<&'static VerifierSpec> {
    p.signing.scheme.spec().verifier.as_ref()
}

pub fn emit(p: &Provider) -> TokenStream {
    let title = &docs::md(&p.title);
    let name = &p.name;
    let opt = |value: &Option<String>| match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    };
    let (event_type_header, idempotency_header) = (opt(&p.headers.event_type), opt(&p.headers.idempotency_key));
    let (wrapper, event_type_field) = (opt(&p.envelope.wrapper), opt(&p.envelope.event_type_field));
    let (event_id_field, validation_event) = (opt(&p.envelope.event_id_field), opt(&p.validation_event));
    let validation_body = opt(&p.validation_body);
    let event_id = event_id(p);
    let signature_header = p.headers.signature.clone().unwrap_or_default();
    let scheme = match verifier(p) {
        Some(v) => (v.type_path)(),
        None => quote!(crate::runtime::receive::Unverified),
    };
    let parse_str = match &p.envelope.event_type_field {
        Some(_) => quote!(Event::parse_str(text)),
        // The body does not name its event: the verifier parses it as the subscribed one.
        None => quote! {
            let _ = text;
            ::core::result::Result::Err(ParseError::EventTypeNotGiven)
        },
    };
    let (signing_doc, verifier_doc) = match verifier(p) {
        None => (
            format!(
                "{title} does not document how it signs deliveries, so nothing here verifies them. Implement \
                 [`Scheme`](crate::runtime::verify::Scheme) for what you know of it and build a [`Verifier`] with \
                 `Verifier::with_scheme`."
            ),
            format!(
                "Checks that a request comes from {title}, with a [`Scheme`](crate::runtime::verify::Scheme) you \
                 provide: `Verifier::with_scheme(scheme)`."
            ),
        ),
        Some(v) => (
            "Build a [`Verifier`] once, with your key; `verify` each request; take the event from the [`Verified`] result.".to_string(),
            format!(
                "Checks that a request comes from {title}: its size, its signature, and that its headers agree with its \
                 body. Build it with `Verifier::new(key)`, where the key is {}; `Verifier::with_keys` accepts \
                 several while you rotate them. A key that is empty or padded with whitespace is refused.",
                v.key_doc
            ),
        ),
    };
    let note = p.signing.note.as_ref().map(|n| format!("\n\n{}", docs::md(n))).unwrap_or_default();
    let module_doc = docs::inner(&format!("Verifying that a delivery comes from {title}.\n\n{signing_doc}{note}"));
    let verifier_doc = docs::lines(&format!(
        "{verifier_doc}\n\nBuild it once and share it; it is cheap to clone. `Debug` never shows a key. Its methods \
         are those of the runtime's [`Verifier`](crate::runtime::receive::Verifier).\n\n{}",
        super::examples::verifier(p, verifier(p).map(|v| v.example_key))
    ));
    let verified_doc = docs::lines(&format!(
        "A request whose signature was verified: the only way to its event. Its methods are those of the runtime's \
         [`Verified`](crate::runtime::receive::Verified).\n\n{}",
        super::examples::verified(p)
    ));
    let spec_doc = docs::lines(&format!("What the runtime's verifier knows of {title}'s deliveries: headers, envelope, events."));
    quote! {
        #module_doc

        use super::{Event, EventType};
        use crate::runtime::ParseError;

        #verifier_doc
        pub type Verifier<S = #scheme> = crate::runtime::receive::Verifier<Spec, S>;

        #verified_doc
        pub type Verified<'a> = crate::runtime::receive::Verified<'a, Spec>;

        #spec_doc
        #[derive(Clone, Copy, Debug)]
        pub struct Spec;

        impl crate::runtime::receive::Deliveries for Spec {
            const NAME: &'static str = #name;
            const SIGNATURE_HEADER: &'static str = #signature_header;
            const EVENT_TYPE_HEADER: ::core::option::Option<&'static str> = #event_type_header;
            const IDEMPOTENCY_KEY_HEADER: ::core::option::Option<&'static str> = #idempotency_header;
            const WRAPPER: ::core::option::Option<&'static str> = #wrapper;
            const EVENT_TYPE_FIELD: ::core::option::Option<&'static str> = #event_type_field;
            const EVENT_ID_FIELD: ::core::option::Option<&'static str> = #event_id_field;
            const VALIDATION_EVENT: ::core::option::Option<&'static str> = #validation_event;
            const VALIDATION_BODY: ::core::option::Option<&'static str> = #validation_body;
            type Scheme = #scheme;
            type EventType = EventType;
            type Event<'a> = Event<'a>;

            fn event_type(name: &str) -> EventType {
                EventType::from_wire(name)
            }

            fn wire_name(event_type: &EventType) -> &str {
                event_type.as_str()
            }

            fn event_type_of(event: &Event<'_>) -> EventType {
                event.event_type()
            }

            fn parse_str(text: &str) -> ::core::result::Result<Event<'_>, ParseError> {
                #parse_str
            }

            fn parse_as<'a>(event_type: &'a str, body: &'a [u8]) -> ::core::result::Result<Event<'a>, ParseError> {
                Event::parse_as(event_type, body)
            }

            fn reborrow<'s, 'a: 's>(event: Event<'a>) -> Event<'s> {
                event
            }

            #event_id
        }

        impl<H: super::Handler + ?Sized> crate::runtime::receive::DispatchTo<H> for Spec {
            type Output = H::Output;

            fn dispatch(handler: &mut H, event: Event<'_>) -> H::Output {
                super::dispatch(handler, event)
            }
        }

        #[cfg(feature = "async")]
        impl<H: super::AsyncHandler + ?Sized> crate::runtime::receive::DispatchAsyncTo<H> for Spec {
            type Output = H::Output;

            fn dispatch_async<'a>(
                handler: &'a H,
                delivery: crate::runtime::Delivery<'a>,
                event: Event<'a>,
            ) -> crate::runtime::BoxFuture<'a, H::Output> {
                ::std::boxed::Box::pin(super::dispatch_async(handler, delivery, event))
            }
        }
    }
}

/// `Deliveries::event_id`: the event id read from the parsed payload, for the events whose shape
/// has the envelope's `event_id_field` as a string; none for a provider without one.
fn event_id(p: &Provider) -> Option<TokenStream> {
    let field = p.envelope.event_id_field.as_ref()?;
    let arms: Vec<TokenStream> = p
        .events
        .iter()
        .filter_map(|e| {
            let crate::ir::Payload::Object(i) = e.payload else { return None };
            let f = p.objects[i].fields.iter().find(|f| &f.wire == field && f.ty == crate::ir::Type::String)?;
            let (cfg, v, name) = (super::cfg(&p.apis[e.api]), super::ident(&e.variant), super::ident(&f.rust));
            let value = if f.required { quote!(Some(&*payload.#name)) } else { quote!(payload.#name.as_deref()) };
            Some(quote!(#cfg Event::#v(payload) => #value,))
        })
        .collect();
    if arms.is_empty() {
        return None;
    }
    Some(quote! {
        fn event_id<'e>(event: &'e Event<'_>) -> ::core::option::Option<&'e str> {
            #[allow(unreachable_patterns)] // with every api feature off, only the fallback is left
            match event {
                #(#arms)*
                _ => None,
            }
        }
    })
}

/// `testing.rs`: sign any body or fixture as the provider would, for end-to-end handler tests.
pub fn emit_testing(p: &Provider) -> Option<TokenStream> {
    let title = &docs::md(&p.title);
    let v = verifier(p)?;
    let (sign, headers) = ((v.sign)(), v.signed_headers_doc);
    let event_type_header = match (&p.headers.event_type, &p.envelope.event_type_field) {
        (Some(_), Some(field)) => {
            let wrapper = match &p.envelope.wrapper {
                Some(w) => quote!(Some(#w)),
                None => quote!(None),
            };
            Some(quote! {
                if let Ok(name) = crate::runtime::de::unwrap(body, #wrapper).and_then(|p| crate::runtime::de::event_type(p, #field)) {
                    headers.push((super::EVENT_TYPE_HEADER.to_owned(), name.into_owned()));
                }
            })
        }
        _ => None,
    };
    let idempotency = p.headers.idempotency_key.as_ref().filter(|_| v.sends_idempotency_key).map(|_| {
        quote! {
            headers.push((super::IDEMPOTENCY_KEY_HEADER.to_owned(), delivery_key.to_owned()));
        }
    });
    // `sign_as` takes a delivery key whether or not the provider sends one, so tests read alike.
    let unused_key = (!v.signs_delivery_key && idempotency.is_none()).then(|| quote!(let _ = delivery_key;));
    // The scheme's own headers are all there is unless the crate adds some.
    let extend = (event_type_header.is_some() || idempotency.is_some()).then(|| quote!(let mut headers = headers;));
    let validation_request = p.validation_body.as_ref().map(|body| {
        let event_type = p.validation_event.clone().unwrap_or_default();
        let headers = match &p.headers.event_type {
            Some(_) => quote!(vec![(super::EVENT_TYPE_HEADER.to_owned(), #event_type.to_owned())]),
            None => quote!(::std::vec::Vec::new()),
        };
        quote! {
            /// The request the provider sends to validate a delivery url, as it may arrive:
            /// unsigned. A verifier recognises it by its body; answer it 2xx.
            pub fn validation_request() -> SignedRequest {
                SignedRequest { headers: #headers, body: #body.as_bytes().to_vec() }
            }
        }
    });
    let doc = docs::inner(&format!(
        "Signing requests as {title} does, to test handlers end to end with real signatures. Enabled by the \
         `test-util` feature; not for production code.\n\n{}",
        super::examples::testing(p, v.example_key)
    ));
    let sign_doc = docs::lines(&format!(
        "Signs `body` with `key` as {title} would: {headers}, and the event type header where there is one. Each \
         call is a new delivery, with a delivery key of its own (`test-` and a number unique in the process); \
         [`sign_as`] takes one, to send the same delivery twice."
    ));
    let sign_as_doc = docs::lines(&format!(
        "[`sign`] with the delivery key given: {}.",
        match (v.signs_delivery_key, idempotency.is_some()) {
            (true, _) => "the signed delivery id header",
            (false, true) => "the idempotency-key header, which is not signed and decides nothing",
            (false, false) => "unused, since the provider sends no delivery key",
        }
    ));
    // Fixtures are compiled with their api's feature; the error says which one is off.
    let features = p.events.iter().map(|e| {
        let (wire, feature) = (&e.wire, &p.apis[e.api].feature);
        quote!((#wire, #feature),)
    });
    Some(quote! {
        #doc

        use super::EventType;
        pub use crate::runtime::verify::{SignError, SignedRequest};

        #sign_doc
        pub fn sign(key: &str, body: &[u8]) -> ::core::result::Result<SignedRequest, SignError> {
            sign_as(key, body, &crate::runtime::verify::delivery_key("test-"))
        }

        #sign_as_doc
        pub fn sign_as(key: &str, body: &[u8], delivery_key: &str) -> ::core::result::Result<SignedRequest, SignError> {
            #unused_key
            #sign
            #extend
            #event_type_header
            #idempotency
            Ok(SignedRequest { headers, body: body.to_vec() })
        }

        #validation_request

        /// Signs the example body of `event_type` (see `fixtures`) as a new delivery. An event has a
        /// fixture when its api's feature is on; otherwise, or for an event the catalog does not
        /// have, the error says which.
        pub fn sign_fixture(key: &str, event_type: &EventType) -> ::core::result::Result<SignedRequest, SignError> {
            match super::fixtures::get(event_type) {
                Some(body) => sign(key, body.as_bytes()),
                None => {
                    let name = event_type.as_str();
                    let feature = FEATURES.iter().find(|(wire, _)| *wire == name).map(|(_, feature)| *feature);
                    Err(SignError::NoFixture { event_type: name.to_owned(), feature })
                }
            }
        }

        /// Each event's api feature, whether or not it is on.
        const FEATURES: &[(&str, &str)] = &[#(#features)*];
    })
}
