//! The catalog as written: a serde mirror of the YAML files. Nothing is derived or checked here
//! beyond what serde checks (types, unknown and missing keys); `validate` does the rest.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

/// `spec/crate.yaml` (optional): the generated crate's identity.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a crate file: `name`, `version`, `description`, `license`, `rust_version`")]
pub struct RawCrate {
    /// The package name, e.g. `webhook-events`; its library is the same with `_` for `-`.
    pub name: String,
    /// The package version, e.g. `0.1.0`.
    pub version: String,
    /// One sentence for `Cargo.toml` and the crate's docs.
    #[serde(default)]
    pub description: Option<String>,
    /// An SPDX licence expression, e.g. `MIT OR Apache-2.0`.
    #[serde(default)]
    pub license: Option<String>,
    /// The minimum Rust version, e.g. `1.82`; never below what the generated code needs.
    #[serde(default)]
    pub rust_version: Option<String>,
}

/// `spec/<provider>/provider.yaml`: what every event of one vendor shares.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a provider file: `provider`, `title`, `description`, `event_name`, `envelope`, `payload`, ...")]
pub struct RawProvider {
    /// The provider's id, e.g. `apideck`; also its Rust module name.
    pub provider: String,
    /// The vendor's name as people write it, e.g. `Apideck`.
    pub title: String,
    /// What the provider is, for the module docs.
    pub description: String,
    /// A link to the vendor's webhook documentation.
    #[serde(default)]
    pub docs: Option<String>,
    /// The grammar of an event name, e.g. `{api}.{entity}.{action}`.
    pub event_name: String,
    /// How a request body carries an event.
    pub envelope: RawEnvelope,
    /// The HTTP headers the vendor sends with each delivery.
    #[serde(default)]
    pub headers: RawHeaders,
    /// How the vendor signs a delivery.
    pub signing: RawSigning,
    /// The event type of the request the vendor sends to validate a delivery url, if any.
    #[serde(default)]
    pub validation_event: Option<String>,
    /// The body of that request, which is how it is recognised (its headers may be missing or
    /// unsigned), e.g. `{ message: Validating delivery URL }`. Given with `validation_event`.
    #[serde(default)]
    pub validation_body: Option<serde_json::Value>,
    /// Urls of the entities events refer to.
    #[serde(default)]
    pub urls: Option<RawUrls>,
    /// The payload shape of events that do not name one; `raw` for an undocumented payload.
    pub payload: String,
    /// An example entity id used in fixtures (`{id}` in examples).
    #[serde(default)]
    pub example_id: Option<String>,
    /// Payload shapes, by name.
    #[serde(default)]
    pub payloads: BTreeMap<String, RawObject>,
    /// Closed sets of strings used by payloads and models, by name.
    #[serde(default)]
    pub enums: BTreeMap<String, RawEnum>,
    /// Request and response bodies of the vendor's subscription API, by name.
    #[serde(default)]
    pub models: BTreeMap<String, RawObject>,
}

/// Where the event sits in a request body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an envelope: `{ wrapper, event_type_field, note }`, each optional")]
pub struct RawEnvelope {
    /// The key wrapping the event (`{"payload": {...}}`); absent when the body is the event.
    #[serde(default)]
    pub wrapper: Option<String>,
    /// The key of the event's type inside the event; absent when the body does not say.
    #[serde(default)]
    pub event_type_field: Option<String>,
    /// The key of the event's unique id inside the event, if any.
    #[serde(default)]
    pub event_id_field: Option<String>,
    /// Why the body does not name its event, or other facts a user must know.
    #[serde(default)]
    pub note: Option<String>,
}

/// The signing scheme of a provider.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a signing scheme: `{ scheme, note }`")]
pub struct RawSigning {
    /// `apideck-hmac-sha256`, `standard-webhooks`, or `none` (undocumented: nothing is verified).
    pub scheme: String,
    /// What the vendor documents, or leaves open, about it.
    #[serde(default)]
    pub note: Option<String>,
}

/// Header names, all optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "header names: `{ event_type, signature, idempotency_key }`")]
pub struct RawHeaders {
    /// The header naming the event type.
    #[serde(default)]
    pub event_type: Option<String>,
    /// The header carrying the signature.
    #[serde(default)]
    pub signature: Option<String>,
    /// The header carrying a per-delivery unique key.
    #[serde(default)]
    pub idempotency_key: Option<String>,
}

/// How entity urls are built.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "`{ base, template }`")]
pub struct RawUrls {
    /// Everything before the api segment, e.g. `https://unify.apideck.com`.
    pub base: String,
    /// The default template, e.g. `{base}/{api}/{entities}/{id}`.
    pub template: String,
}

/// `spec/<provider>/<api>.yaml`: one api's events.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an api file: `api`, `title`, `events`, and optional overrides")]
pub struct RawApi {
    /// The api's id as it appears in event names, e.g. `file-storage`.
    pub api: String,
    /// The api's name as people write it, e.g. `File Storage`.
    pub title: String,
    /// What the api covers.
    #[serde(default)]
    pub description: Option<String>,
    /// The payload shape of this api's events, when it differs from the provider's.
    #[serde(default)]
    pub payload: Option<String>,
    /// The url template of this api's entities; `null` when its events carry no url.
    #[serde(default, deserialize_with = "present")]
    pub url_template: Option<Option<String>>,
    /// A JSON merge patch applied to the payload's example for every event of this api.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// Overrides for entities whose derived words, plural or url are wrong.
    #[serde(default)]
    pub entities: BTreeMap<String, RawEntity>,
    /// The events: wire name, then optional overrides.
    pub events: RawEvents,
}

/// Overrides for one entity.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "entity overrides such as `{ plural: people }`")]
pub struct RawEntity {
    /// The plural as it appears in urls, e.g. `people` (derived by English rules otherwise).
    #[serde(default)]
    pub plural: Option<String>,
    /// The entity in words, e.g. `time off request` (derived from the name otherwise).
    #[serde(default)]
    pub words: Option<String>,
    /// `a` or `an` before the words (derived from the first letter otherwise).
    #[serde(default)]
    pub article: Option<String>,
    /// The url template of this entity; `null` when its events carry no url.
    #[serde(default, deserialize_with = "present")]
    pub url_template: Option<Option<String>>,
}

/// Overrides for one event. An event with none is written as `name:` alone.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "event overrides such as `{ status: upcoming }`, or nothing")]
pub struct RawEvent {
    /// `available` (the default), `upcoming`, `deprecated` or `undocumented`.
    #[serde(default)]
    pub status: Option<String>,
    /// The sentence describing the event, when the derived one is wrong.
    #[serde(default)]
    pub description: Option<String>,
    /// Older wire names that mean this event.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The payload shape, when it differs from the api's.
    #[serde(default)]
    pub payload: Option<String>,
    /// A JSON merge patch applied to this event's example.
    #[serde(default)]
    pub example: Option<serde_json::Value>,
    /// The Rust variant name, when the derived one is wrong.
    #[serde(default)]
    pub rust_name: Option<String>,
}

/// A payload or model shape: an object with named fields.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an object: `{ description, fields, example }`")]
pub struct RawObject {
    /// What the object is.
    pub description: String,
    /// Its fields, in the order they are documented.
    pub fields: RawFields,
    /// An example value (may use `{event_type}`, `{api}`, `{entity}`, `{entity_url}`, `{id}`).
    #[serde(default)]
    pub example: Option<serde_json::Value>,
}

/// One field of an object.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "a field: `{ type, description, required, rust_name }`")]
pub struct RawField {
    /// `string`, `number`, `integer`, `boolean`, `json`, `secret`, `event_type`, `event_code`,
    /// `event_selector`, the name of an enum or of another object; `list of <type>` for arrays.
    #[serde(rename = "type")]
    pub ty: String,
    /// What the field holds.
    pub description: String,
    /// Whether the field is always present (default: optional).
    #[serde(default)]
    pub required: bool,
    /// The Rust field name, when the one derived from the key is wrong or not a name (`@type`
    /// gives `type_`; `_` or `ünï` give none).
    #[serde(default)]
    pub rust_name: Option<String>,
}

/// A closed set of strings. Decoding keeps unknown values in a fallback variant.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, expecting = "an enum: `{ description, values }`")]
pub struct RawEnum {
    /// What the set means.
    pub description: String,
    /// The values, as on the wire.
    pub values: Vec<String>,
}

/// The `events:` mapping, kept in file order and with duplicate keys kept (so they can be reported).
#[derive(Debug, Default)]
pub struct RawEvents(pub Vec<(String, RawEvent)>);

/// The `fields:` mapping, in file order, duplicates kept.
#[derive(Debug, Default)]
pub struct RawFields(pub Vec<(String, RawField)>);

macro_rules! ordered_map {
    ($ty:ident, $value:ty, $expecting:literal) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        let mut out = Vec::new();
                        while let Some(key) = map.next_key::<String>()? {
                            let value: Option<$value> = map.next_value()?;
                            out.push((key, value.unwrap_or_default()));
                        }
                        Ok($ty(out))
                    }
                }
                d.deserialize_map(V)
            }
        }
    };
}

ordered_map!(RawEvents, RawEvent, "a mapping from event names to their overrides (`pos.order.created:`)");

impl JsonSchema for RawEvents {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Events".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let event = generator.subschema_for::<Option<RawEvent>>();
        schemars::json_schema!({
            "description": "Event names (`api.entity.action`), each with optional overrides.",
            "type": "object",
            "minProperties": 1,
            "propertyNames": { "pattern": "^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)+$" },
            "additionalProperties": event
        })
    }
}

impl JsonSchema for RawFields {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Fields".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let field = generator.subschema_for::<RawField>();
        schemars::json_schema!({
            "description": "Field names (the JSON keys), each with its type and description.",
            "type": "object",
            "additionalProperties": field
        })
    }
}

impl<'de> Deserialize<'de> for RawFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping from field names to `{ type, description }`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFields, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    out.push((key, map.next_value()?));
                }
                Ok(RawFields(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Tells an explicit `null` (`Some(None)`) from an absent key (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}
