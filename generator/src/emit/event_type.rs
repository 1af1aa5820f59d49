//! A provider's `event_type.rs`: the `Api` and `EventType` enums, the `EVENTS` table, and the
//! strict `EventCode` / `EventSelector` used by subscription models.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg, docs, ident, types};
use crate::ir::{Event, Provider, Status};

/// The doc text of an event: its name, sentence, status and aliases.
pub fn event_doc(e: &Event) -> String {
    let mut text = format!("`{}`: {}", e.wire, docs::md(&e.description));
    match e.status {
        Status::Available => {}
        Status::Upcoming => text.push_str("\n\n**Upcoming**: documented by the vendor as not yet sent."),
        Status::Deprecated => text.push_str("\n\n**Deprecated**: still sent, to be removed by the vendor."),
        Status::Undocumented => text.push_str(
            "\n\n**Undocumented**: listed in the vendor's event enum but not documented; the payload shape is assumed to be the api's.",
        ),
    }
    if !e.aliases.is_empty() {
        let list: Vec<String> = e.aliases.iter().map(|a| format!("`{a}`")).collect();
        text.push_str(&format!("\n\nAlso parsed from the older name{} {}.", if list.len() > 1 { "s" } else { "" }, list.join(", ")));
    }
    text
}

fn info_const(e: &Event) -> proc_macro2::Ident {
    ident(&e.constant)
}

pub fn emit(p: &Provider) -> TokenStream {
    let title = &docs::md(&p.title);
    let api_enum = {
        let variants = p.apis.iter().map(|a| {
            let cfg = cfg(a);
            let v = ident(&a.variant);
            let doc = docs::lines(&format!("{} (`{}`, feature `{}`).", docs::md(&a.title), a.wire, a.feature));
            quote!(#doc #cfg #v,)
        });
        let as_str = p.apis.iter().map(|a| {
            let (cfg, v, w) = (cfg(a), ident(&a.variant), &a.wire);
            quote!(#cfg Api::#v => #w,)
        });
        let from = p.apis.iter().map(|a| {
            let (cfg, v, w) = (cfg(a), ident(&a.variant), &a.wire);
            quote!(#cfg #w => Some(Api::#v),)
        });
        let titles = p.apis.iter().map(|a| {
            let (cfg, v, t) = (cfg(a), ident(&a.variant), &a.title); // the title as written: a value, not docs
            quote!(#cfg Api::#v => #t,)
        });
        let doc = docs::lines(&format!("An api of {title}: the first segment of its event names. Each is a cargo feature."));
        quote! {
            #doc
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum Api { #(#variants)* }

            impl Api {
                /// The api's id as in event names, e.g. `file-storage`.
                pub const fn as_str(self) -> &'static str {
                    match self { #(#as_str)* }
                }

                /// The api's name as people write it.
                pub const fn title(self) -> &'static str {
                    match self { #(#titles)* }
                }

                /// The api with this id, if it is known and its feature is enabled.
                pub fn from_wire(id: &str) -> ::core::option::Option<Api> {
                    match id {
                        #(#from)*
                        _ => None,
                    }
                }
            }

            impl ::core::fmt::Display for Api {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
        }
    };

    let variants = p.events.iter().map(|e| {
        let cfg = cfg(&p.apis[e.api]);
        let v = ident(&e.variant);
        let doc = docs::lines(&event_doc(e));
        quote!(#doc #cfg #v,)
    });
    let known = p.events.iter().map(|e| {
        let cfg = cfg(&p.apis[e.api]);
        let v = ident(&e.variant);
        let names = std::iter::once(&e.wire).chain(&e.aliases);
        quote!(#cfg #(#names)|* => Some(EventType::#v),)
    });
    let info = p.events.iter().map(|e| {
        let (cfg, v, c) = (cfg(&p.apis[e.api]), ident(&e.variant), info_const(e));
        quote!(#cfg EventType::#v => Some(&#c),)
    });
    let consts = p.events.iter().map(|e| {
        let cfg = cfg(&p.apis[e.api]);
        let c = info_const(e);
        let (wire, api, entity, action, desc) = (&e.wire, &p.apis[e.api].wire, &e.entity, &e.action, &e.description);
        let url = match &e.url_template {
            Some(u) => quote!(Some(#u)),
            None => quote!(None),
        };
        let status = ident(e.status.variant());
        let aliases = &e.aliases;
        quote! {
            #cfg
            const #c: EventInfo = EventInfo {
                event_type: #wire,
                api: #api,
                entity: #entity,
                action: #action,
                url_template: #url,
                status: Status::#status,
                description: #desc,
                aliases: &[#(#aliases),*],
            };
        }
    });
    let table = p.events.iter().map(|e| {
        let (cfg, c) = (cfg(&p.apis[e.api]), info_const(e));
        quote!(#cfg #c,)
    });
    let codes = p.events.iter().map(|e| {
        let (cfg, w) = (cfg(&p.apis[e.api]), &e.wire);
        quote!(#cfg #w,)
    });
    let enum_doc = docs::lines(&format!(
        "The type of {} {title} event.\n\nParsing never fails: a name this version does not know is kept in \
         [`EventType::Unknown`], and an older name (an alias) gives the current variant. Serialized as its wire name.",
        p.article
    ));
    let selector = types::uses_selector(p).then(|| selector(p.article, title));

    quote! {
        use crate::runtime::{EventInfo, Status};

        #api_enum

        #enum_doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum EventType {
            #(#variants)*
            /// An event type this version of the crate does not know (or whose api feature is off), as received.
            Unknown(::std::string::String),
        }

        impl EventType {
            /// The event type for a wire name: a known variant (aliases included), or [`EventType::Unknown`].
            pub fn from_wire(name: &str) -> EventType {
                EventType::known(name).unwrap_or_else(|| EventType::Unknown(name.to_owned()))
            }

            /// The known event type for a wire name or alias, if any. Never allocates.
            pub fn known(name: &str) -> ::core::option::Option<EventType> {
                match name {
                    #(#known)*
                    _ => None,
                }
            }

            /// The wire name (the current one, for a variant parsed from an alias).
            pub fn as_str(&self) -> &str {
                // With every api feature off only `Unknown` is left, and the other arms cannot match.
                #[allow(unreachable_patterns)]
                match (self, self.info()) {
                    (EventType::Unknown(name), _) => name,
                    (_, Some(info)) => info.event_type,
                    // Every known variant has a row; `info` says so for each.
                    (_, None) => "",
                }
            }

            /// The catalog's row for this event; `None` for [`EventType::Unknown`].
            pub fn info(&self) -> ::core::option::Option<&'static EventInfo> {
                match self {
                    #(#info)*
                    EventType::Unknown(_) => None,
                }
            }

            /// Whether this is a known event.
            pub fn is_known(&self) -> bool {
                self.info().is_some()
            }

            /// The api the event belongs to.
            pub fn api(&self) -> ::core::option::Option<Api> {
                self.info().and_then(|i| Api::from_wire(i.api))
            }

            /// The entity, e.g. `order`.
            pub fn entity(&self) -> ::core::option::Option<&'static str> {
                self.info().map(|i| i.entity)
            }

            /// The action, e.g. `created` or `token_refresh.failed`.
            pub fn action(&self) -> ::core::option::Option<&'static str> {
                self.info().map(|i| i.action)
            }

            /// Whether the event is available, upcoming, deprecated or undocumented.
            pub fn status(&self) -> ::core::option::Option<Status> {
                self.info().map(|i| i.status)
            }

            /// One sentence describing when the event is sent.
            pub fn description(&self) -> ::core::option::Option<&'static str> {
                self.info().map(|i| i.description)
            }
        }

        // `Display`, `FromStr`, `Serialize` and `Deserialize` as the wire name.
        crate::runtime::open_enum_strings!(EventType);

        #(#consts)*

        /// Every known event, sorted by wire name: what the catalog says about each.
        pub static EVENTS: &[EventInfo] = &[#(#table)*];

        /// Every known wire name, for [`EventCode`]'s error messages.
        static EVENT_CODES: &[&str] = &[#(#codes)*];

        /// An event type the provider accepts when subscribing: parsing an unknown name fails (with
        /// the nearest valid one), unlike [`EventType`], which keeps it.
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct EventCode(EventType);

        impl EventCode {
            /// The event type.
            pub fn event_type(&self) -> &EventType {
                &self.0
            }

            /// The wire name.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl ::core::str::FromStr for EventCode {
            type Err = crate::runtime::UnknownEventCode;

            fn from_str(name: &str) -> ::core::result::Result<Self, Self::Err> {
                EventType::known(name).map(EventCode).ok_or_else(|| crate::runtime::UnknownEventCode {
                    given: name.to_owned(),
                    nearest: crate::runtime::nearest(name, EVENT_CODES.iter().copied()),
                    valid: EVENT_CODES,
                })
            }
        }

        impl ::core::convert::TryFrom<EventType> for EventCode {
            type Error = crate::runtime::UnknownEventCode;

            fn try_from(event_type: EventType) -> ::core::result::Result<Self, Self::Error> {
                event_type.as_str().parse()
            }
        }

        impl ::core::fmt::Display for EventCode {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for EventCode {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for EventCode {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                let name = crate::runtime::de::cow(d)?;
                name.parse().map_err(<D::Error as ::serde::de::Error>::custom)
            }
        }

        #selector
    }
}

fn selector(article: &str, title: &str) -> TokenStream {
    let doc = docs::lines(&format!("The events {} {title} subscription receives: one event type, or `*` for all.", article));
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum EventSelector {
            /// `*`: every event.
            All,
            /// One event type.
            Event(EventType),
        }

        impl EventSelector {
            /// The wire form: `*` or the event's name.
            pub fn as_str(&self) -> &str {
                match self {
                    EventSelector::All => "*",
                    EventSelector::Event(e) => e.as_str(),
                }
            }
        }

        impl ::core::str::FromStr for EventSelector {
            type Err = ::core::convert::Infallible;

            fn from_str(name: &str) -> ::core::result::Result<Self, Self::Err> {
                Ok(if name == "*" { EventSelector::All } else { EventSelector::Event(EventType::from_wire(name)) })
            }
        }

        impl ::serde::Serialize for EventSelector {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for EventSelector {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::core::result::Result<Self, D::Error> {
                let name = crate::runtime::de::cow(d)?;
                Ok(if name == "*" { EventSelector::All } else { EventSelector::Event(EventType::from_wire(&name)) })
            }
        }
    }
}
