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
    let title = &p.title;
    let constructors = verifier(p).map(|v| {
        let (build, key_doc) = ((v.build)(), v.key_doc);
        let new_doc = docs::lines(&format!(
            "A verifier for deliveries signed with `key`: {key_doc}. Refuses an empty key or one padded with whitespace."
        ));
        quote! {
            impl Verifier {
                #new_doc
                pub fn new(key: &str) -> ::core::result::Result<Self, crate::runtime::verify::KeyError> {
                    Verifier::with_keys([key])
                }

                /// A verifier accepting a signature by any of `keys`, for rotating keys without downtime.
                pub fn with_keys<K: ::core::convert::AsRef<str>>(
                    keys: impl ::core::iter::IntoIterator<Item = K>,
                ) -> ::core::result::Result<Self, crate::runtime::verify::KeyError> {
                    Ok(Verifier::with_scheme(#build))
                }
            }
        }
    });
    let default_scheme = verifier(p).map(|v| {
        let ty = (v.type_path)();
        quote!(= #ty)
    });
    let header = |name: &Option<String>, konst: &str| name.as_ref().map(|_| super::ident(konst));
    let event_type_header = header(&p.headers.event_type, "EVENT_TYPE_HEADER");
    let idempotency_header = header(&p.headers.idempotency_key, "IDEMPOTENCY_KEY_HEADER");
    let read_event_type = match &event_type_header {
        Some(h) => quote!(verify::optional_header(headers, super::#h)?),
        None => quote!(None),
    };
    let read_idempotency = match &idempotency_header {
        Some(h) => quote!(verify::optional_header(headers, super::#h)?),
        None => quote!(None),
    };
    let wrapper = match &p.envelope.wrapper {
        Some(w) => quote!(Some(#w)),
        None => quote!(None),
    };

    let mismatch_check = p.envelope.event_type_field.as_ref().filter(|_| event_type_header.is_some()).map(|field| {
        let skip_validation = p.validation_event.as_ref().map(|_| quote!(.filter(|_| !verified.is_validation())));
        quote! {
            if let Some(header) = verified.event_type #skip_validation {
                // The event parsed during verification knows its type; otherwise one pass finds it.
                let body_type = match &verified.parsed {
                    Some(Ok(event)) => Some(event.event_type()),
                    _ => crate::runtime::de::probe(verified.body.as_bytes(), WRAPPER, #field).map(|t| super::EventType::from_wire(&t)),
                };
                if let Some(body_type) = body_type {
                    if super::EventType::from_wire(header) != body_type {
                        return Err(VerifyError::EventTypeMismatch { header: header.to_owned(), body: body_type.as_str().to_owned() });
                    }
                }
            }
        }
    });
    let parse_now = p.envelope.event_type_field.as_ref().map(|_| {
        let validation = p.validation_event.as_ref().map(|v| quote!(if event_type == Some(#v) { None } else));
        quote! {
            // A body verified on its raw bytes is parsed here, once: the event borrows from the
            // caller's body, so `event()` hands it out without parsing again.
            let parsed = #validation {
                match &signed {
                    Cow::Borrowed(text) => Some(Event::parse_str(text)),
                    Cow::Owned(_) => None,
                }
            };
        }
    });
    let parsed_init = parse_now.as_ref().map(|_| quote!(parsed,));
    let parsed_decl = parse_now.as_ref().map(|_| {
        quote! {
            /// The event, when it was parsed during verification.
            parsed: ::core::option::Option<::core::result::Result<Event<'a>, ParseError>>,
        }
    });
    let event_fn = p.envelope.event_type_field.as_ref().map(|_| {
        let validation = p.validation_event.as_ref().map(|v| {
            quote! {
                if self.is_validation() {
                    return Event::parse_as(#v, self.body.as_bytes());
                }
            }
        });
        quote! {
            /// The event, parsed from exactly the text that was verified.
            pub fn event(&self) -> ::core::result::Result<Event<'_>, ParseError> {
                #validation
                match &self.parsed {
                    Some(parsed) => parsed.clone(),
                    None => Event::parse_str(&self.body),
                }
            }
        }
    });
    let delivery_id = {
        let fallback = match &p.envelope.event_id_field {
            Some(field) => quote! {
                crate::runtime::de::probe(self.body.as_bytes(), WRAPPER, #field)
            },
            None => quote!(None),
        };
        let doc = docs::lines(&match (&p.headers.idempotency_key, &p.envelope.event_id_field) {
            (Some(h), Some(f)) => format!("The delivery's unique id, for deduplication: the `{h}` header, or else the payload's `{f}`."),
            (Some(h), None) => format!("The delivery's unique id, for deduplication: the `{h}` header."),
            (None, Some(f)) => format!("The delivery's unique id, for deduplication: the payload's `{f}`."),
            (None, None) => format!("{title} sends no delivery id; always `None`."),
        });
        quote! {
            #doc
            pub fn delivery_id(&self) -> ::core::option::Option<Cow<'_, str>> {
                match self.idempotency_key {
                    Some(key) => Some(Cow::Borrowed(key)),
                    None => #fallback,
                }
            }
        }
    };
    let validation_doc = p.validation_event.as_ref().map(|v| {
        let doc = docs::lines(&format!(
            "Whether this is the request {title} sends to validate a delivery url (`{v}`): answer it with 2xx and dispatch nothing."
        ));
        quote! {
            #doc
            pub fn is_validation(&self) -> bool {
                self.event_type == Some(#v)
            }
        }
    });
    let uses_wrapper = mismatch_check.is_some() || p.envelope.event_id_field.is_some();
    let wrapper_const = uses_wrapper.then(|| {
        quote! {
            /// The key the body wraps the event in, if any.
            const WRAPPER: ::core::option::Option<&str> = #wrapper;
        }
    });
    let (signing_doc, verifier_doc) = match verifier(p) {
        None => (
            format!(
                "{title} does not document how it signs deliveries, so nothing here verifies them. Implement \
                 [`Scheme`] for what you know of it and build a [`Verifier`] with [`Verifier::with_scheme`]."
            ),
            format!("Checks that a request comes from {title}, with a [`Scheme`] you provide."),
        ),
        Some(_) => (
            "Build a [`Verifier`] once, with your key; `verify` each request; take the event from the [`Verified`] result.".to_string(),
            format!("Checks that a request comes from {title}: its size, its signature, and that its headers agree with its body."),
        ),
    };
    // The provider trait: the same methods, reachable by code generic over providers. A body that
    // does not name its event is parsed as the event the endpoint is subscribed to.
    let name = &p.name;
    let (subscribed_field, subscribed_init, subscribed_setter, trait_event, trait_parse) = match &p.envelope.event_type_field {
        Some(_) => (None, None, None, quote!(verified.event()), quote!(Event::parse_str(verified_text))),
        None => (
            Some(quote!(subscribed_to: ::core::option::Option<super::EventType>,)),
            Some(quote!(subscribed_to: None,)),
            Some(quote! {
                /// The event this endpoint is subscribed to: the body does not name its event, so
                /// [`Provider::event`](crate::runtime::Provider::event) parses it as this one.
                pub fn subscribed_to(mut self, event_type: super::EventType) -> Self {
                    self.subscribed_to = Some(event_type);
                    self
                }
            }),
            quote!(crate::runtime::Provider::parse(self, verified.body())),
            quote! {
                match &self.subscribed_to {
                    Some(event_type) => Event::parse_as(event_type.as_str(), verified_text.as_bytes()),
                    None => Err(ParseError::EventTypeNotGiven),
                }
            },
        ),
    };
    let trait_is_validation = match &p.validation_event {
        Some(_) => quote!(
            fn is_validation(verified: &Verified<'_>) -> bool {
                verified.is_validation()
            }
        ),
        None => quote!(
            fn is_validation(_: &Verified<'_>) -> bool {
                false
            }
        ),
    };
    let note = p.signing.note.as_ref().map(|n| format!("\n\n{}", docs::md(n))).unwrap_or_default();
    let module_doc = docs::inner(&format!("Verifying that a delivery comes from {title}.\n\n{signing_doc}{note}"));
    let verifier_doc = docs::lines(&verifier_doc);
    quote! {
        #module_doc

        use ::std::borrow::Cow;

        use super::Event;
        use crate::runtime::verify::{self, Headers, Scheme, VerifyError};
        use crate::runtime::ParseError;

        #wrapper_const

        #verifier_doc
        ///
        /// Build it once and share it; it is cheap to clone. `Debug` never shows a key.
        #[derive(Clone, Debug)]
        pub struct Verifier<S #default_scheme> {
            scheme: S,
            max_body_bytes: usize,
            #subscribed_field
        }

        #constructors

        impl<S: Scheme> Verifier<S> {
            /// A verifier using `scheme`.
            pub fn with_scheme(scheme: S) -> Self {
                Verifier { scheme, max_body_bytes: verify::DEFAULT_MAX_BODY_BYTES, #subscribed_init }
            }

            #subscribed_setter

            /// Sets the largest body accepted (default 4 MiB); larger bodies are refused before any hashing.
            pub fn max_body_bytes(mut self, limit: usize) -> Self {
                self.max_body_bytes = limit;
                self
            }

            /// Verifies a request: the body's size, its signature, and (where both say) that the event
            /// type header names the body's event. `headers` is an `http::HeaderMap` (feature `http`) or
            /// name/value pairs. `body` must be the bytes as received, never re-serialized.
            pub fn verify<'a>(&self, headers: &'a dyn Headers, body: &'a [u8]) -> ::core::result::Result<Verified<'a>, VerifyError> {
                verify::check_size(body, self.max_body_bytes)?;
                let signed = self.scheme.verify(headers, body)?;
                let event_type = #read_event_type;
                let idempotency_key = #read_idempotency;
                #parse_now
                let verified = Verified { body: signed, event_type, idempotency_key, #parsed_init };
                #mismatch_check
                Ok(verified)
            }
        }

        /// A request whose signature was verified: the only way to its event.
        #[derive(Clone, Debug)]
        pub struct Verified<'a> {
            body: Cow<'a, str>,
            event_type: ::core::option::Option<&'a str>,
            idempotency_key: ::core::option::Option<&'a str>,
            #parsed_decl
        }

        impl<'a> Verified<'a> {
            /// The text that was verified: the body as received, or the canonical form the signature covers.
            pub fn body(&self) -> &str {
                &self.body
            }

            /// The event type header, if sent.
            pub fn event_type_header(&self) -> ::core::option::Option<&str> {
                self.event_type
            }

            /// The idempotency key header, if sent. [`Verified::delivery_id`] falls back to the payload.
            pub fn idempotency_key(&self) -> ::core::option::Option<&str> {
                self.idempotency_key
            }

            #validation_doc

            #event_fn

            /// The event, parsed from exactly the text that was verified, as `event_type` (for a provider
            /// whose body does not name its event, the type the endpoint was subscribed to).
            pub fn event_as<'s>(&'s self, event_type: &'s str) -> ::core::result::Result<Event<'s>, ParseError> {
                Event::parse_as(event_type, self.body.as_bytes())
            }

            #delivery_id
        }

        impl<S: Scheme + Send + Sync> crate::runtime::Provider for Verifier<S> {
            const NAME: &'static str = #name;
            type EventType = super::EventType;
            type Event<'a> = Event<'a> where Self: 'a;
            type Verified<'a> = Verified<'a> where Self: 'a;

            fn verify<'a>(&self, headers: &'a dyn Headers, body: &'a [u8]) -> ::core::result::Result<Verified<'a>, VerifyError> {
                Verifier::verify(self, headers, body)
            }

            fn verified_text<'v>(verified: &'v Verified<'_>) -> &'v str {
                verified.body()
            }

            #trait_is_validation

            fn delivery_id<'v>(verified: &'v Verified<'_>) -> ::core::option::Option<Cow<'v, str>> {
                verified.delivery_id()
            }

            fn event<'v>(&'v self, verified: &'v Verified<'_>) -> ::core::result::Result<Event<'v>, ParseError> {
                #trait_event
            }

            fn parse<'t>(&'t self, verified_text: &'t str) -> ::core::result::Result<Event<'t>, ParseError> {
                #trait_parse
            }

            fn event_type(event: &Event<'_>) -> super::EventType {
                event.event_type()
            }
        }

        impl<S: Scheme + Send + Sync, H: super::Handler + ?Sized> crate::runtime::Dispatch<H> for Verifier<S> {
            type Output = H::Output;

            fn dispatch(handler: &mut H, event: Event<'_>) -> H::Output {
                super::dispatch(handler, event)
            }
        }
    }
}

/// `testing.rs`: sign any body or fixture as the provider would, for end-to-end handler tests.
pub fn emit_testing(p: &Provider) -> Option<TokenStream> {
    let title = &p.title;
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
            headers.push((super::IDEMPOTENCY_KEY_HEADER.to_owned(), "test-delivery".to_owned()));
        }
    });
    let doc = docs::inner(&format!(
        "Signing requests as {title} does, to test handlers end to end with real signatures. Enabled by the \
         `test-util` feature; not for production code."
    ));
    let sign_doc =
        docs::lines(&format!("Signs `body` with `key` as {title} would: {headers}, and the event type header where there is one."));
    Some(quote! {
        #doc

        use super::EventType;
        pub use crate::runtime::verify::{SignError, SignedRequest};

        #sign_doc
        pub fn sign(key: &str, body: &[u8]) -> ::core::result::Result<SignedRequest, SignError> {
            #sign
            #event_type_header
            #idempotency
            Ok(SignedRequest { headers, body: body.to_vec() })
        }

        /// Signs the example body of `event_type` (see `fixtures`); `None` for an unknown event.
        pub fn sign_fixture(key: &str, event_type: &EventType) -> ::core::option::Option<::core::result::Result<SignedRequest, SignError>> {
            super::fixtures::get(event_type).map(|body| sign(key, body.as_bytes()))
        }
    })
}
