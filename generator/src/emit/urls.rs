//! A provider's `urls.rs`: building an event's `entity_url` and matching one back to its entity.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, ident};
use crate::ir::Provider;

/// Whether any event of the provider refers to an entity by url.
pub fn has(p: &Provider) -> bool {
    p.events.iter().any(|e| e.url_template.is_some())
}

pub fn emit(p: &Provider) -> TokenStream {
    // One row per (api, entity, template): events of one entity share it.
    let rows: BTreeSet<(usize, &str, &str)> =
        p.events.iter().filter_map(|e| Some((e.api, e.entity.as_str(), e.url_template.as_deref()?))).collect();
    let rows = rows.into_iter().map(|(api, entity, template)| {
        let a = &p.apis[api];
        let (cfg, v) = (cfg(a), ident(&a.variant));
        quote!(#cfg (Api::#v, #entity, #template),)
    });
    quote! {
        //! Building the `entity_url` an event carries, and matching one back to its entity.

        use super::{Api, EventType};

        /// Every entity url template: api, entity, template with `{id}`.
        static TEMPLATES: &[(Api, &str, &str)] = &[#(#rows)*];

        /// The `entity_url` an event of this type carries for entity `id`, as the vendor's examples spell it.
        /// `None` for events that carry no url, and unknown events. `id` is inserted as is.
        pub fn entity_url(event_type: &EventType, id: &str) -> ::core::option::Option<::std::string::String> {
            event_type.info()?.url_template.map(|t| t.replace("{id}", id))
        }

        /// The entity an `entity_url` refers to.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct EntityRef<'u> {
            /// The api.
            pub api: Api,
            /// The entity, as in event names (e.g. `invoice_item`).
            pub entity: &'static str,
            /// The entity's id, borrowed from the url.
            pub id: &'u str,
        }

        /// The entity `url` refers to, if it matches a known template. The collection segment is accepted
        /// both as the vendor's examples spell it (`invoice_items`) and as the REST path does (`invoice-items`).
        pub fn match_entity_url(url: &str) -> ::core::option::Option<EntityRef<'_>> {
            TEMPLATES.iter().find_map(|(api, entity, template)| {
                let id = crate::runtime::url::match_template(template, url)?;
                Some(EntityRef { api: *api, entity, id })
            })
        }
    }
}
