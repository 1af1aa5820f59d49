//! The validated catalog: every name resolved once, every list sorted. Emitters read only this.
//!
//! Wire names (what the vendor sends) and Rust names (what the crate spells) are separate fields,
//! so no emitter ever re-derives a name.

/// The whole catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    /// The generated crate's name, version and metadata.
    pub identity: Identity,
    /// Providers, sorted by name.
    pub providers: Vec<Provider>,
}

/// The generated crate's identity: from `crate.yaml`, else the defaults, and flags over both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The package name, e.g. `webhook-events`.
    pub name: String,
    /// The package version.
    pub version: String,
    /// One sentence.
    pub description: String,
    /// An SPDX licence expression, if given.
    pub license: Option<String>,
    /// The minimum Rust version.
    pub rust_version: String,
}

impl Identity {
    /// The oldest Rust the generated code (and the runtime it depends on) compiles with.
    pub const MIN_RUST_VERSION: &'static str = "1.82";

    /// The library's name: the package name with `_` for `-`.
    pub fn lib_name(&self) -> String {
        self.name.replace('-', "_")
    }
}

impl Default for Identity {
    /// What a catalog without `crate.yaml` generates.
    fn default() -> Self {
        Identity {
            name: "webhook-events".into(),
            version: "0.1.0".into(),
            description: "Typed webhook events, generated from a declarative catalog.".into(),
            license: None,
            rust_version: Identity::MIN_RUST_VERSION.into(),
        }
    }
}

impl Catalog {
    /// How many events the catalog holds, across providers.
    pub fn event_count(&self) -> usize {
        self.providers.iter().map(|p| p.events.len()).sum()
    }
}

/// One vendor.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The id, e.g. `apideck`.
    pub name: String,
    /// The generated library's name (`webhook_events`), which doc examples import from.
    pub lib: String,
    /// The Rust module name.
    pub module: String,
    /// The vendor's name, e.g. `Apideck`.
    pub title: String,
    /// `a` or `an` before the title, for sentences in docs ("an Apideck event").
    pub article: &'static str,
    /// What the provider is.
    pub description: String,
    /// A link to the vendor's documentation.
    pub docs: Option<String>,
    /// How a body carries an event.
    pub envelope: Envelope,
    /// Header names.
    pub headers: Headers,
    /// How deliveries are signed.
    pub signing: Signing,
    /// The event type of the delivery-url validation request, if the vendor sends one.
    pub validation_event: Option<String>,
    /// The body of that request, as compact JSON: what recognises it.
    pub validation_body: Option<String>,
    /// Whether event names start with their api's id (`{api}.…`), so an unknown event's api can
    /// be read off its name.
    pub api_prefixed: bool,
    /// Apis, sorted by wire name.
    pub apis: Vec<Api>,
    /// Events, sorted by wire name.
    pub events: Vec<Event>,
    /// Payload and model shapes, sorted by name.
    pub objects: Vec<Object>,
    /// Closed string sets, sorted by name.
    pub enums: Vec<Enum>,
}

/// How a body carries an event.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The key wrapping the event, if any.
    pub wrapper: Option<String>,
    /// The wrapper key as a Rust field name.
    pub wrapper_field: Option<String>,
    /// The key of the event type inside the event, if the body names it.
    pub event_type_field: Option<String>,
    /// The key of the event's unique id inside the event, if any.
    pub event_id_field: Option<String>,
    /// Facts about the body a user must know.
    pub note: Option<String>,
}

/// Header names, as sent (lowercase).
#[derive(Debug, Clone, Default)]
pub struct Headers {
    /// The event type header.
    pub event_type: Option<String>,
    /// The signature header.
    pub signature: Option<String>,
    /// The idempotency key header.
    pub idempotency_key: Option<String>,
}

/// A provider's signing scheme.
#[derive(Debug, Clone)]
pub struct Signing {
    /// Which scheme.
    pub scheme: Scheme,
    /// What the vendor documents, or leaves open, about it.
    pub note: Option<String>,
}

/// The signing schemes the runtime implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// HMAC-SHA256 over the JavaScript canonical form, hex (Apideck).
    ApideckHmac,
    /// Standard Webhooks `v1`.
    StandardWebhooks,
    /// Not documented: nothing is verified; users plug in their own.
    None,
}

impl Scheme {
    /// What the generator knows of the scheme (see [`crate::scheme`]).
    pub fn spec(self) -> &'static crate::scheme::SchemeSpec {
        crate::scheme::spec(self)
    }

    /// The feature of `webhook-runtime` that implements the scheme, if any.
    pub fn runtime_feature(self) -> Option<&'static str> {
        self.spec().verifier.as_ref().map(|v| v.runtime_feature)
    }
}

/// One api of a provider.
#[derive(Debug, Clone)]
pub struct Api {
    /// As in event names, e.g. `file-storage`.
    pub wire: String,
    /// The Rust module name, e.g. `file_storage`.
    pub module: String,
    /// The `Api` enum variant, e.g. `FileStorage`.
    pub variant: String,
    /// The cargo feature, e.g. `apideck-file-storage`.
    pub feature: String,
    /// The name people use, e.g. `File Storage`.
    pub title: String,
    /// What the api covers.
    pub description: Option<String>,
}

/// Whether an event can be received today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Documented and sent.
    Available,
    /// Documented as coming soon.
    Upcoming,
    /// Still sent, to be removed.
    Deprecated,
    /// Listed by the vendor but not documented.
    Undocumented,
}

impl Status {
    /// The catalog spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Upcoming => "upcoming",
            Status::Deprecated => "deprecated",
            Status::Undocumented => "undocumented",
        }
    }

    /// The Rust variant of `webhook_events::Status`.
    pub fn variant(self) -> &'static str {
        match self {
            Status::Available => "Available",
            Status::Upcoming => "Upcoming",
            Status::Deprecated => "Deprecated",
            Status::Undocumented => "Undocumented",
        }
    }
}

/// One event.
#[derive(Debug, Clone)]
pub struct Event {
    /// The wire name, e.g. `pos.order.created`.
    pub wire: String,
    /// Index into the provider's `apis`.
    pub api: usize,
    /// The entity segment, e.g. `order`.
    pub entity: String,
    /// The action, e.g. `created` or `token_refresh.failed`.
    pub action: String,
    /// The variant name, e.g. `PosOrderCreated`.
    pub variant: String,
    /// The name of the constant holding its `EventInfo`, e.g. `POS_ORDER_CREATED`.
    pub constant: String,
    /// The provider handler's method, e.g. `on_pos_order_created`.
    pub method: String,
    /// The api handler's method, e.g. `on_order_created`.
    pub api_method: String,
    /// One sentence.
    pub description: String,
    /// Availability.
    pub status: Status,
    /// Older wire names that parse to this event, sorted.
    pub aliases: Vec<String>,
    /// The entity url with only `{id}` left to fill, if the event carries one.
    pub url_template: Option<String>,
    /// The payload shape.
    pub payload: Payload,
    /// The example body (envelope included).
    pub fixture: serde_json::Value,
}

/// The shape of an event's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Undocumented: the raw JSON is kept.
    Raw,
    /// A declared object, by index into the provider's `objects`.
    Object(usize),
}

/// Whether an object is a received payload (borrows from the body) or a subscription model (owned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// Parsed from a webhook body; strings borrow from it.
    Payload,
    /// Sent to or received from the vendor's subscription API; owns its data.
    Model,
}

/// A payload or model struct.
#[derive(Debug, Clone)]
pub struct Object {
    /// The catalog name, e.g. `unified_event`.
    pub name: String,
    /// The Rust type name, e.g. `UnifiedEvent`.
    pub rust: String,
    /// What it is.
    pub description: String,
    /// Fields in documented order.
    pub fields: Vec<Field>,
    /// Payload or model.
    pub kind: ObjectKind,
    /// Whether the type has a `'a` lifetime (it borrows strings from the body).
    pub borrows: bool,
    /// Whether event variants box it, to keep `Event` small.
    pub boxed: bool,
}

/// One field.
#[derive(Debug, Clone)]
pub struct Field {
    /// The JSON key.
    pub wire: String,
    /// The Rust field name.
    pub rust: String,
    /// What it holds.
    pub description: String,
    /// Its type.
    pub ty: Type,
    /// Always present.
    pub required: bool,
}

/// A field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// Text.
    String,
    /// Any JSON number, as `serde_json::Number` (exact within 64-bit integers, else the nearest `f64`).
    Number,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// Any JSON value.
    Json,
    /// Text that must never be printed.
    Secret,
    /// The provider's event type; unknown values are kept.
    EventType,
    /// The provider's event type; unknown values are rejected.
    EventCode,
    /// An event type or `*`.
    EventSelector,
    /// A closed string set, by Rust name.
    Enum(String),
    /// Another object: Rust name and whether it borrows.
    Object(String, bool),
    /// An array.
    List(Box<Type>),
}

/// A closed set of strings, with a fallback for values added later.
#[derive(Debug, Clone)]
pub struct Enum {
    /// The catalog name.
    pub name: String,
    /// The Rust type name.
    pub rust: String,
    /// What it means.
    pub description: String,
    /// The values: wire and variant.
    pub values: Vec<(String, String)>,
}
