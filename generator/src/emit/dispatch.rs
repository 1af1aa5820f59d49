//! Handler traits and dispatch functions: one for the whole provider (`dispatch.rs`) and one per
//! api (`<api>.rs`), so a service that only cares about POS implements only POS.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, docs, event::payload_type, event_type::event_doc, ident};
use crate::ir::{Event, Provider};

/// The trait, and the function routing an `Event` to it, for `events`; `method` names each
/// event's method; `gate` says whether arms need their api's `cfg` (not inside an api module,
/// which is gated as a whole).
fn handler(p: &Provider, events: &[&Event], method: impl Fn(&Event) -> String, gate: bool, scope: &str) -> TokenStream {
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
         `Output` is what your methods return: `()`, a `Result`, or a future."
    ));
    let fn_doc =
        docs::lines(&format!("Routes an event to its method on `handler`: {scope} to theirs, every other event to [`Handler::on_event`]."));
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
        quote!(#cfg Event::#v(payload) => handler.#m(&delivery, payload).await,)
    });
    let async_doc = docs::lines(&format!(
        "Receives {scope} in an async service, one method per event: [`Handler`] with `&self`, so one \
         value serves every request and task, and methods that return a `Send` future, which may borrow \
         the payload. Each method also gets the delivery's context ([`Delivery`]: its id, the event's \
         catalog row, the headers worth having). Implement the methods with `async fn`; every one has a \
         default that passes the event on to [`AsyncHandler::on_event`], the one you must write."
    ));
    let async_fn_doc = docs::lines(&format!(
        "Routes an event to its method on an [`AsyncHandler`]: {scope} to theirs, every other event to \
         [`AsyncHandler::on_event`]. Fills in [`Delivery::info`] from the event."
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
        pub trait AsyncHandler: Sync {
            /// What every method's future gives.
            type Output: Send;

            /// Receives every event that has no method of its own, or whose method is not implemented.
            fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> impl ::core::future::Future<Output = Self::Output> + Send;

            #(#async_methods)*
        }

        #async_fn_doc
        pub async fn dispatch_async<H: AsyncHandler + ?Sized>(handler: &H, mut delivery: Delivery<'_>, event: Event<'_>) -> H::Output {
            delivery.info = event.event_type().info();
            match event {
                #(#async_arms)*
                other => handler.on_event(&delivery, other).await,
            }
        }
    }
}

pub fn emit_provider(p: &Provider) -> TokenStream {
    let events: Vec<&Event> = p.events.iter().collect();
    let body = handler(p, &events, |e| e.method.clone(), true, &format!("{} events", docs::md(&p.title)));
    quote! {
        use super::Event;
        use crate::runtime::Delivery;

        #body
    }
}

pub fn emit_api(p: &Provider, api: usize) -> TokenStream {
    let a = &p.apis[api];
    let events: Vec<&Event> = p.events.iter().filter(|e| e.api == api).collect();
    let body = handler(p, &events, |e| e.api_method.clone(), false, &format!("{} {} events", docs::md(&p.title), docs::md(&a.title)));
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
        use crate::runtime::Delivery;

        #body
    }
}
