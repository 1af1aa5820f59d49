//! Handler traits and dispatch functions: one for the whole provider (`dispatch.rs`) and one per
//! api (`<api>.rs`), so a service that only cares about POS implements only POS.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, docs, event::payload_type, event_type::event_doc, ident};
use crate::ir::{Event, Provider};

/// The trait, and the function routing an `Event` to it, for `events`; `method` names each
/// event's method; `gate` says whether arms need their api's `cfg` (not inside an api module,
/// which is gated as a whole).
fn handler(p: &Provider, api: Option<&str>, events: &[&Event], method: impl Fn(&Event) -> String, gate: bool, scope: &str) -> TokenStream {
    let lt = quote!('_);
    let cfg_of = |e: &Event| if gate { cfg(&p.apis[e.api]) } else { quote!() };
    let methods = events.iter().map(|e| {
        let (cfg, m, v) = (cfg_of(e), ident(&method(e)), ident(&e.variant));
        let ty = payload_type(p, e, &lt);
        let doc = docs::lines(&format!("{}\n\nBy default, passes the event to [`Handler::on_event`].", event_doc(e)));
        quote! {
            #doc
            #cfg
            fn #m(&mut self, payload: #ty) -> Self::Output {
                self.on_event(Event::#v(payload))
            }
        }
    });
    let arms = events.iter().map(|e| {
        let (cfg, m, v) = (cfg_of(e), ident(&method(e)), ident(&e.variant));
        quote!(#cfg Event::#v(payload) => handler.#m(payload),)
    });
    let trait_doc = docs::lines(&format!(
        "Receives {scope}, one method per event.\n\nEvery method has a default that passes the event on to \
         [`Handler::on_event`], the one method you must write: implement the events you care about and let \
         the rest (including events added to the catalog later, and unknown ones) fall through to it. \
         `Output` is what your methods return: `()`, a `Result`, or a future.\n\n{}",
        super::examples::handler(p, api)
    ));
    let fn_doc = docs::lines(&format!(
        "Routes an event to its method on `handler`: {scope} to theirs, every other event to [`Handler::on_event`].\n\n{}",
        super::examples::handler(p, api)
    ));
    let async_methods = events.iter().map(|e| {
        let (cfg, m, v) = (cfg_of(e), ident(&method(e)), ident(&e.variant));
        let ty = payload_type(p, e, &lt);
        let doc = docs::lines(&format!("{}\n\nBy default, passes the event to [`AsyncHandler::on_event`].", event_doc(e)));
        quote! {
            #doc
            #cfg
            fn #m(&self, delivery: &Delivery<'_>, payload: #ty) -> impl ::core::future::Future<Output = Self::Output> + Send {
                self.on_event(delivery, Event::#v(payload))
            }
        }
    });
    let async_arms = events.iter().map(|e| {
        let (cfg, m, v) = (cfg_of(e), ident(&method(e)), ident(&e.variant));
        quote!(#cfg Event::#v(payload) => ::std::boxed::Box::pin(handler.#m(delivery, payload)),)
    });
    let async_doc = docs::lines(&format!(
        "Receives {scope} in an async service, one method per event: [`Handler`] with `&self`, so one \
         value serves every request and task, and methods that return a `Send` future, which may borrow \
         the payload. Each method also gets the delivery's context ([`Delivery`]: its id, the event's \
         catalog row, the headers worth having). Implement the methods with `async fn`; every one has a \
         default that passes the event on to [`AsyncHandler::on_event`], the one you must write.\n\n{}",
        super::examples::async_handler(p, api)
    ));
    let async_fn_doc = docs::lines(&format!(
        "Routes an event to its method on an [`AsyncHandler`]: {scope} to theirs, every other event to \
         [`AsyncHandler::on_event`]. Fills in [`Delivery::info`] from the event.\n\n{}",
        super::examples::async_handler(p, api)
    ));
    quote! {
        #trait_doc
        pub trait Handler {
            /// What every method returns.
            type Output;

            /// Receives every event that has no method of its own, or whose method is not implemented.
            fn on_event(&mut self, event: Event<'_>) -> Self::Output;

            #(#methods)*
        }

        #fn_doc
        pub fn dispatch<H: Handler + ?Sized>(handler: &mut H, event: Event<'_>) -> H::Output {
            match event {
                #(#arms)*
                other => handler.on_event(other),
            }
        }

        #async_doc
        #[cfg(feature = "async")]
        pub trait AsyncHandler: Send + Sync {
            /// What every method's future gives.
            type Output: Send;

            /// Receives every event that has no method of its own, or whose method is not implemented.
            fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> impl ::core::future::Future<Output = Self::Output> + Send;

            #(#async_methods)*
        }

        #async_fn_doc
        #[cfg(feature = "async")]
        pub async fn dispatch_async<H: AsyncHandler + ?Sized>(handler: &H, mut delivery: Delivery<'_>, event: Event<'_>) -> H::Output {
            delivery.info = event.event_type().info();
            dispatch_ref(handler, &delivery, event).await
        }

        /// [`dispatch_async`] with the delivery's context already filled in. The method's future is
        /// boxed: one `async fn` awaiting any of the methods' futures would be a state machine with
        /// a state per event, which costs the compiler more than all the rest of the crate.
        #[doc(hidden)]
        #[cfg(feature = "async")]
        pub fn dispatch_ref<'a, H: AsyncHandler + ?Sized>(
            handler: &'a H,
            delivery: &'a Delivery<'_>,
            event: Event<'a>,
        ) -> crate::runtime::BoxFuture<'a, H::Output> {
            match event {
                #(#async_arms)*
                other => ::std::boxed::Box::pin(handler.on_event(delivery, other)),
            }
        }

        /// An [`AsyncHandler`] behind a trait object, for the provider's `Router` (an
        /// `AsyncHandler` returns `impl Future`, which no trait object can).
        #[doc(hidden)]
        #[cfg(feature = "async")]
        pub trait Erased<O>: Send + Sync {
            /// Dispatches the event.
            fn route<'a>(&'a self, delivery: &'a Delivery<'_>, event: Event<'a>) -> crate::runtime::BoxFuture<'a, O>;
        }

        #[cfg(feature = "async")]
        impl<O, H: AsyncHandler<Output = O>> Erased<O> for H {
            fn route<'a>(&'a self, delivery: &'a Delivery<'_>, event: Event<'a>) -> crate::runtime::BoxFuture<'a, O> {
                dispatch_ref(self, delivery, event)
            }
        }
    }
}

pub fn emit_provider(p: &Provider) -> TokenStream {
    let events: Vec<&Event> = p.events.iter().collect();
    let body = handler(p, None, &events, |e| e.method.clone(), true, &format!("{} events", docs::md(&p.title)));
    let router = router(p);
    quote! {
        use super::Event;
        #[cfg(feature = "async")]
        use crate::runtime::Delivery;

        #body

        #router
    }
}

/// `Router`: one async handler per api and a fallback, composed without a hand-written `match`.
/// Each api's handler is boxed behind its module's `Erased` trait (an `AsyncHandler` returns an
/// `impl Future`, which no trait object can), which costs one allocation per routed event.
fn router(p: &Provider) -> TokenStream {
    // An api's handler field: `api_` and its module (`_2fa` is `api_2fa`, not `api__2fa`).
    let field_of = |a: &crate::ir::Api| ident(&format!("api_{}", a.module.trim_start_matches('_')));
    let fields = p.apis.iter().map(|a| {
        let (cfg, field, module) = (cfg(a), field_of(a), ident(&a.module));
        quote!(#cfg #field: ::core::option::Option<::std::boxed::Box<dyn super::#module::Erased<O>>>,)
    });
    let nones = p.apis.iter().map(|a| {
        let (cfg, field) = (cfg(a), field_of(a));
        quote!(#cfg #field: None,)
    });
    let builders = p.apis.iter().map(|a| {
        let (cfg, field, module) = (cfg(a), field_of(a), ident(&a.module));
        let method = ident(&format!("with_{}", a.module.trim_start_matches('_')));
        let doc = docs::lines(&format!(
            "Sends the {} events, and unknown events named under `{}.`, to `handler` ([`{}::AsyncHandler`](super::{})).",
            docs::md(&a.title),
            a.wire,
            a.module,
            a.module
        ));
        quote! {
            #doc
            #cfg
            pub fn #method(mut self, handler: impl super::#module::AsyncHandler<Output = O> + 'static) -> Self {
                self.#field = Some(::std::boxed::Box::new(handler));
                self
            }
        }
    });
    let routes = p.apis.iter().map(|a| {
        let (cfg, field, variant) = (cfg(a), field_of(a), ident(&a.variant));
        quote! {
            #cfg
            Some(super::Api::#variant) => {
                if let Some(handler) = &self.#field {
                    return handler.route(delivery, event).await;
                }
            }
        }
    });
    // An unknown event's api is read off its name where names start with it.
    let api_of_unknown = if p.api_prefixed {
        quote!(.or_else(|| event_type.as_str().split_once('.').and_then(|(api, _)| super::Api::from_wire(api))))
    } else {
        quote!()
    };
    let doc = docs::lines(&format!(
        "An [`AsyncHandler`] made of one handler per api and a fallback: each api's events go to its \
         handler{}; everything else goes to the fallback. Built once, shared by every request.\n\n{}",
        if p.api_prefixed { " (its unknown events too, by the name's first segment)" } else { "" },
        super::examples::router(p)
    ));
    quote! {
        #doc
        #[cfg(feature = "async")]
        pub struct Router<O> {
            fallback: ::std::boxed::Box<dyn Erased<O>>,
            #(#fields)*
        }

        #[cfg(feature = "async")]
        impl<O: Send + 'static> Router<O> {
            /// A router sending every event to `fallback` until api handlers are added.
            pub fn new(fallback: impl AsyncHandler<Output = O> + 'static) -> Self {
                Router { fallback: ::std::boxed::Box::new(fallback), #(#nones)* }
            }

            #(#builders)*
        }

        #[cfg(feature = "async")]
        impl<O: Send + 'static> AsyncHandler for Router<O> {
            type Output = O;

            async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> O {
                let event_type = event.event_type();
                #[allow(clippy::match_single_binding)] // with every api feature off, only the fallback is left
                match event_type.api() #api_of_unknown {
                    #(#routes)*
                    _ => {}
                }
                self.fallback.route(delivery, event).await
            }
        }

    }
}

pub fn emit_api(p: &Provider, api: usize) -> TokenStream {
    let a = &p.apis[api];
    let events: Vec<&Event> = p.events.iter().filter(|e| e.api == api).collect();
    let body = handler(
        p,
        Some(&a.module),
        &events,
        |e| e.api_method.clone(),
        false,
        &format!("{} {} events", docs::md(&p.title), docs::md(&a.title)),
    );
    let mut text = format!("{} {}", docs::md(&p.title), docs::md(&a.title));
    if let Some(d) = &a.description {
        text.push_str(&format!(": {}", docs::md(d)));
    }
    text.push_str(&format!(
        "\n\nImplement this module's [`Handler`] to receive only this api's {} events; [`dispatch`] sends \
         every other event to [`Handler::on_event`]. Enabled by the `{}` feature.",
        events.len(),
        a.feature
    ));
    let module_doc = docs::inner(&text);
    quote! {
        #module_doc

        use super::Event;
        #[cfg(feature = "async")]
        use crate::runtime::Delivery;

        #body

    }
}
