//! Step 2 of 4: check the raw model and resolve it into the IR.
//!
//! Every problem is collected (not just the first), each with its file, line and column, and a
//! help line. Nothing here formats Rust; it only decides names, texts and values.

mod english;
pub mod identity;
pub mod names;
mod namespace;
mod objects;
mod templates;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::diagnostic::{Diagnostic, Location};
use crate::ir::{self, Api, Catalog, Envelope, Event, Headers, Payload, Provider, Status};
use crate::load::{RawCatalog, RawProviderFiles, SourceFile};
use namespace::Namespace;

/// Validates the catalog and builds the IR.
pub fn validate(spec_dir: &Path, raw: &RawCatalog, overrides: &identity::Overrides) -> Result<Catalog, Vec<Diagnostic>> {
    let files = &raw.providers;
    let mut errors = Vec::new();
    let identity = identity::identity(spec_dir, raw.krate.as_ref(), overrides, &mut errors);
    // Each provider with its files: one that fails is left out, and the rest keep their own files.
    let mut checked = Vec::new();
    for p in files {
        if let Some(provider) = provider(p, &mut errors) {
            checked.push((provider, p));
        }
    }
    let mut seen: HashMap<String, Location> = HashMap::new();
    // Cargo features share one namespace: every provider's, every api's, and the crate's own.
    let mut features: HashMap<String, Location> =
        RESERVED_FEATURES.iter().map(|f| (f.to_string(), Location::file(Path::new("the generated Cargo.toml")))).collect();
    for (p, files) in &checked {
        let loc = files.provider.at("provider");
        let api_locations = files.apis.iter().map(|f| (f.value.api.as_str(), f.at("api")));
        let provider_feature = std::iter::once((p.name.as_str(), loc.clone()));
        for (feature, at) in provider_feature
            .chain(api_locations.filter_map(|(api, at)| p.apis.iter().find(|a| a.wire == api).map(|a| (a.feature.as_str(), at))))
        {
            if let Some(first) = features.insert(feature.to_string(), at.clone()) {
                errors.push(
                    Diagnostic::new(at, format!("two things would be the cargo feature `{feature}`"))
                        .note(format!("the other is at {first}"))
                        .help("provider and api features are `<provider>` and `<provider>-<api>`: rename a provider or an api id"),
                );
            }
        }
        if p.module == "runtime" {
            errors.push(
                Diagnostic::new(
                    loc.clone(),
                    "the provider id `runtime` is taken: the generated crate re-exports its runtime under that name",
                )
                .help("give the provider another id"),
            );
        }
        if let Some(first) = seen.insert(p.module.clone(), loc.clone()) {
            errors.push(
                Diagnostic::new(loc, format!("two providers are both named `{}` in Rust", p.module))
                    .note(format!("the other is at {first}"))
                    .help("give the providers distinct ids"),
            );
        }
    }
    let mut providers: Vec<Provider> = checked.into_iter().map(|(p, _)| p).collect();
    if errors.is_empty() && providers.iter().all(|p| p.events.is_empty()) {
        errors.push(
            Diagnostic::new(Location::file(spec_dir), "the catalog is empty: it declares no events")
                .help("add a folder per provider with `provider.yaml` and at least one api file listing events"),
        );
    }
    if errors.is_empty() {
        providers.sort_by(|a, b| a.name.cmp(&b.name));
        for p in &mut providers {
            p.lib = identity.lib_name();
        }
        Ok(Catalog { identity, providers })
    } else {
        Err(errors)
    }
}

/// Where a name or alias was first seen, and whether it was an alias.
struct Claim {
    location: Location,
    event: String,
    alias: bool,
}

fn provider(files: &RawProviderFiles, errors: &mut Vec<Diagnostic>) -> Option<Provider> {
    let file = &files.provider;
    let raw = &file.value;
    let before = errors.len();

    if !valid_name(&raw.provider) {
        errors.push(bad_name(file.at("provider"), "provider id", &raw.provider));
    }
    let grammar = match templates::Grammar::parse(&raw.event_name) {
        Ok(g) => Some(g),
        Err(why) => {
            errors.push(
                Diagnostic::new(file.at("event_name"), format!("malformed event name grammar `{}`: {why}", raw.event_name))
                    .help("write it as placeholders joined by dots, e.g. `{api}.{entity}.{action}` or `{entity}.{action}`"),
            );
            None
        }
    };
    let default_template = match &raw.urls {
        Some(urls) => check_template(file, "urls/template", &urls.template, errors).then(|| urls.template.clone()),
        None => None,
    };
    let scheme_spec = crate::scheme::by_name(&raw.signing.scheme);
    if scheme_spec.is_none() {
        errors.push(
            Diagnostic::new(file.at("signing/scheme"), format!("unknown signing scheme `{}`", raw.signing.scheme))
                .help(format!("use {} (`none` when the vendor does not document one)", crate::scheme::names())),
        );
    }
    let scheme = scheme_spec.map(|s| s.scheme);
    if let Some(spec) = scheme_spec.filter(|s| s.needs_signature_header && raw.headers.signature.is_none()) {
        errors.push(
            Diagnostic::new(file.at("signing"), format!("the `{}` scheme needs the signature header's name", spec.name))
                .help("add `headers: { signature: ... }`"),
        );
    }
    if scheme_spec.is_some_and(|s| s.verifier.is_none()) && text(&raw.signing.note).is_none() {
        errors.push(
            Diagnostic::new(file.at("signing"), "a provider whose deliveries are not verified must say why")
                .help("add `note:` saying what the vendor documents about signing"),
        );
    }
    let (objects, enums) = objects::resolve(file, errors);
    let object_index: BTreeMap<&str, usize> = objects.iter().enumerate().map(|(i, o)| (o.name.as_str(), i)).collect();
    let payload_of = |name: &str, loc: Location, errors: &mut Vec<Diagnostic>| -> Option<Payload> {
        if name == "raw" {
            return Some(Payload::Raw);
        }
        match object_index.get(name) {
            Some(&i) if objects[i].kind == ir::ObjectKind::Payload => Some(Payload::Object(i)),
            _ => {
                errors.push(
                    Diagnostic::new(loc, format!("unknown payload `{name}`"))
                        .help(format!("name one of the `payloads:` in {}, or `raw` for an undocumented payload", file.path.display())),
                );
                None
            }
        }
    };
    let default_payload = payload_of(&raw.payload, file.at("payload"), errors);

    let mut apis: Vec<Api> = Vec::new();
    let mut events: Vec<Event> = Vec::new();
    let mut claims: HashMap<String, Claim> = HashMap::new();
    // The namespaces events' Rust names share, with the names the generated code itself uses.
    let mut fixed_variants = vec![("Unknown", "the variant for events this crate does not know")];
    if raw.validation_event.is_some() {
        fixed_variants.push(("Validation", "the variant for the delivery-url validation request"));
    }
    let mut variants = Namespace::new("a Rust variant", &fixed_variants);
    let on_event = [("on_event", "the method every handler implements for events without one")];
    let mut methods = Namespace::new("a handler method", &on_event);
    let mut constants = Namespace::new("a constant", &[("EVENTS", "the list of every event")]);
    let mut api_variants = Namespace::new("a variant of `Api`", &[]);
    let mut api_methods: Vec<Namespace> = Vec::new();
    let mut api_files: HashMap<String, Location> = HashMap::new();
    let mut api_modules: HashMap<String, (String, Location)> = HashMap::new();

    for api_file in &files.apis {
        let api = &api_file.value;
        if !valid_name(&api.api) {
            errors.push(bad_name(api_file.at("api"), "api id", &api.api));
            continue;
        }
        if let Some(first) = api_files.insert(api.api.clone(), api_file.at("api")) {
            errors.push(
                Diagnostic::new(api_file.at("api"), format!("duplicate api `{}`", api.api))
                    .note(format!("first defined at {first}"))
                    .help("put all of an api's events in one file"),
            );
            continue;
        }
        let module = api_module(&api.api);
        if let Some((other, first)) = api_modules.insert(module.clone(), (api.api.clone(), api_file.at("api"))) {
            errors.push(
                Diagnostic::new(api_file.at("api"), format!("apis `{other}` and `{}` would both be the Rust module `{module}`", api.api))
                    .note(format!("the other is at {first}"))
                    .help("api ids must differ by more than `_` and `-`: rename one"),
            );
            continue;
        }
        let variant = names::type_name(&api.api);
        let what = format!("api `{}`", api.api);
        if !api_variants.claim(&variant, &what, &api_file.at("api"), "api ids must differ by more than separators: rename one", errors) {
            continue;
        }
        let api_index = apis.len();
        api_methods.push(Namespace::new(format!("a method of `{}::Handler`", api_module(&api.api)), &on_event));
        apis.push(Api {
            wire: api.api.clone(),
            module,
            variant: variant.clone(),
            feature: format!("{}-{}", raw.provider, api.api),
            title: title(api_file, &api.title, errors),
            description: text(&api.description),
        });
        let api_payload = match &api.payload {
            Some(name) => payload_of(name, api_file.at("payload"), errors),
            None => default_payload.clone(),
        };
        let api_template = match &api.url_template {
            Some(Some(t)) => check_template(api_file, "url_template", t, errors).then(|| Some(t.clone())),
            Some(None) => Some(None),
            None => None,
        };
        for (name, entity) in &api.entities {
            if let Some(Some(t)) = &entity.url_template {
                check_template(api_file, &format!("entities/{name}/url_template"), t, errors);
            }
            if !api.events.0.iter().any(|(wire, _)| grammar.as_ref().and_then(|g| g.split(wire)).is_some_and(|p| p.entity == *name)) {
                errors.push(
                    Diagnostic::new(
                        api_file.at(&format!("entities/{name}")),
                        format!("entity override `{name}` matches no event of this api"),
                    )
                    .help("remove it, or correct the entity's spelling"),
                );
            }
        }
        let Some(grammar) = &grammar else { continue };
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        for (wire, ev) in &api.events.0 {
            let n = occurrences.entry(wire.as_str()).or_insert(0);
            *n += 1;
            let node = if *n == 1 { format!("events/{wire}") } else { format!("events/{wire}#{n}") };
            let loc = api_file.at(&node);
            let Some(parts) = grammar.split(wire) else {
                errors.push(malformed_event(loc, wire, &raw.event_name));
                continue;
            };
            // Its fixture is the file `<name>.json`, and file systems stop at 255 bytes.
            if wire.len() > MAX_NAME {
                errors.push(
                    Diagnostic::new(
                        loc,
                        format!("the event name is {} bytes long; the longest a catalog can hold is {MAX_NAME}", wire.len()),
                    )
                    .help("shorten it: its fixture is a file named after it"),
                );
                continue;
            }
            let event_api = parts.api.unwrap_or(&api.api);
            if event_api != api.api {
                errors.push(
                    Diagnostic::new(loc, format!("event `{wire}` belongs to api `{event_api}`, but this file is api `{}`", api.api))
                        .help(format!("move it to the `{event_api}` api file")),
                );
                continue;
            }
            // Names and aliases share one namespace: an alias equal to another event's name would make
            // parsing ambiguous.
            let mut claim = |name: &str, loc: Location, alias: bool, errors: &mut Vec<Diagnostic>| {
                if let Some(first) = claims.get(name) {
                    let (what, help) = match (alias, first.alias) {
                        (false, false) => (
                            format!("duplicate event type `{name}`"),
                            "remove one of them, or give the older wire name as an alias".to_string(),
                        ),
                        (true, false) => (
                            format!("alias `{name}` is already the name of an event"),
                            format!("remove the alias; `{name}` is its own event"),
                        ),
                        (false, true) => (
                            format!("event `{name}` is already an alias of `{}`", first.event),
                            "remove the alias, or this event".to_string(),
                        ),
                        (true, true) => (
                            format!("alias `{name}` is claimed twice (also by `{}`)", first.event),
                            "keep the alias on one event only".to_string(),
                        ),
                    };
                    errors.push(Diagnostic::new(loc, what).note(format!("first defined at {}", first.location)).help(help));
                    false
                } else {
                    claims.insert(name.to_string(), Claim { location: loc, event: wire.clone(), alias });
                    true
                }
            };
            if !claim(wire, loc.clone(), false, errors) {
                continue;
            }
            let mut aliases = Vec::new();
            for (i, alias) in ev.aliases.iter().enumerate() {
                let aloc = api_file.at(&format!("{node}/aliases/{i}"));
                if grammar.split(alias).is_none() {
                    errors.push(malformed_event(aloc, alias, &raw.event_name));
                } else if claim(alias, aloc, true, errors) {
                    aliases.push(alias.clone());
                }
            }
            aliases.sort();

            let entity = api.entities.get(parts.entity);
            let entity_words = entity.and_then(|e| e.words.clone()).unwrap_or_else(|| english::words(parts.entity));
            let article = entity.and_then(|e| e.article.clone()).unwrap_or_else(|| english::article(&entity_words).to_string());
            let description = match text(&ev.description).or_else(|| english::description(&article, &entity_words, &parts.action)) {
                Some(d) => d,
                None => {
                    errors.push(
                        Diagnostic::new(
                            loc,
                            format!("cannot derive a description for `{wire}`: `{}` is not a past participle", parts.action),
                        )
                        .help("add `description:` with the sentence, e.g. `Event broadcast when a connection is now callable.`"),
                    );
                    continue;
                }
            };
            let status = match ev.status.as_deref() {
                None | Some("available") => Status::Available,
                Some("upcoming") => Status::Upcoming,
                Some("deprecated") => Status::Deprecated,
                Some("undocumented") => Status::Undocumented,
                Some(other) => {
                    errors.push(
                        Diagnostic::new(api_file.at(&format!("{node}/status")), format!("unknown status `{other}`"))
                            .help("use one of `available`, `upcoming`, `deprecated`, `undocumented`"),
                    );
                    continue;
                }
            };
            let plural = entity.and_then(|e| e.plural.clone()).unwrap_or_else(|| english::plural(parts.entity));
            let template = match (entity.and_then(|e| e.url_template.clone()), &api_template) {
                (Some(t), _) => t,
                (None, Some(t)) => t.clone(),
                (None, None) => default_template.clone(),
            };
            let base = raw.urls.as_ref().map(|u| u.base.as_str()).unwrap_or("");
            let url_template = template.map(|t| templates::fill_url(&t, base, &api.api, parts.entity, &plural));
            let payload = match &ev.payload {
                Some(name) => payload_of(name, api_file.at(&format!("{node}/payload")), errors),
                None => api_payload.clone(),
            };
            let Some(payload) = payload else { continue };

            let variant = match &ev.rust_name {
                Some(name) if names::is_plain_ident(name) && name.starts_with(|c: char| c.is_ascii_uppercase()) => name.clone(),
                Some(name) => {
                    errors.push(
                        Diagnostic::new(api_file.at(&format!("{node}/rust_name")), format!("`{name}` is not a valid variant name"))
                            .help("use UpperCamelCase letters and digits, not a keyword"),
                    );
                    continue;
                }
                None => names::type_name(wire),
            };
            // The variant names the event's constant and handler methods too; a `rust_name` steers
            // them all (the api-level method drops the api's own name: `PosSale` is `on_sale`).
            let entity_action = format!("{}.{}", parts.entity, parts.action);
            let api_method = match &ev.rust_name {
                Some(name) if parts.api.is_some() => names::method_name(
                    name.strip_prefix(apis[api_index].variant.as_str())
                        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase() || c.is_ascii_digit()))
                        .unwrap_or(name),
                ),
                Some(name) => names::method_name(name),
                None => names::method_name(&entity_action),
            };
            let (method, constant) = (names::method_name(&variant), names::const_name(&variant));
            let what = format!("event `{wire}`");
            let rename = "make one an alias of the other if they are the same event, or give one a `rust_name:`";
            if !variants.claim(&variant, &what, &loc, rename, errors)
                || !methods.claim(&method, &what, &loc, rename, errors)
                || !api_methods[api_index].claim(&api_method, &what, &loc, rename, errors)
                || !constants.claim(&constant, &what, &loc, rename, errors)
            {
                continue;
            }

            let mut fixture = match &payload {
                Payload::Object(i) => objects[*i].example.clone().unwrap_or_else(|| serde_json::json!({})),
                Payload::Raw => serde_json::json!({}),
            };
            for patch in [&api.example, &ev.example].into_iter().flatten() {
                templates::merge_patch(&mut fixture, patch);
            }
            let values = templates::ExampleValues {
                provider: &raw.provider,
                event_type: wire,
                api: &api.api,
                entity: parts.entity,
                entity_url: url_template.as_deref(),
                id: raw.example_id.as_deref(),
            };
            if let Err(missing) = templates::fill_example(&mut fixture, &values) {
                errors.push(
                    Diagnostic::new(loc, format!("the example of `{wire}` uses `{{{missing}}}`, which this event does not have")).help(
                        if missing == "id" {
                            "set `example_id:` in provider.yaml"
                        } else {
                            "remove the placeholder from the example, or give the entity a url template"
                        },
                    ),
                );
                continue;
            }
            // The fixture names its event where the body does, so it parses back without being told.
            if let (Some(field), Some(map)) = (&raw.envelope.event_type_field, fixture.as_object_mut()) {
                let named = map.entry(field.clone()).or_insert_with(|| serde_json::Value::String(wire.clone()));
                if named.as_str() != Some(wire.as_str()) {
                    errors.push(
                        Diagnostic::new(loc, format!("the example of `{wire}` names another event at `{field}`: {named}"))
                            .help(format!("write `{field}: \"{{event_type}}\"` in the example, or leave the field out")),
                    );
                    continue;
                }
            }
            let misfit = match &payload {
                Payload::Object(i) => objects::misfit(&objects, *i, &fixture).map(|m| (m, objects[*i].name.as_str())),
                Payload::Raw => (!fixture.is_object()).then(|| ((String::new(), format!("is {fixture}, not an object")), "raw")),
            };
            if let Some(((path, why), shape)) = misfit {
                let path = if path.is_empty() { "the example".to_string() } else { format!("`{path}`") };
                errors.push(
                    Diagnostic::new(loc, format!("the example of `{wire}` does not fit its payload `{shape}`: {path} {why}"))
                        .help("correct the payload's `example:` in provider.yaml, or the api's or the event's `example:` patch"),
                );
                continue;
            }
            if let Some(wrapper) = &raw.envelope.wrapper {
                fixture = serde_json::json!({ wrapper.clone(): fixture });
            }

            events.push(Event {
                wire: wire.clone(),
                api: api_index,
                entity: parts.entity.to_string(),
                action: parts.action.clone(),
                method,
                constant,
                api_method,
                variant,
                description,
                status,
                aliases,
                url_template,
                payload,
                fixture,
            });
        }
    }
    if raw.validation_event.is_some() != raw.validation_body.is_some() {
        let (given, missing) =
            if raw.validation_event.is_some() { ("validation_event", "validation_body") } else { ("validation_body", "validation_event") };
        errors.push(
            Diagnostic::new(file.at(given), format!("`{given}` without `{missing}`"))
                .help("the validation request is recognised by its body and named by its event type: give both, e.g. `validation_body: { message: Validating delivery URL }`"),
        );
    }
    if let Some(validation) = &raw.validation_event {
        if let Some(claim) = claims.get(validation) {
            errors.push(
                Diagnostic::new(
                    file.at("validation_event"),
                    format!("the validation request `{validation}` is also an event of the catalog"),
                )
                .note(format!("the event is at {}", claim.location))
                .help("the request that validates a delivery url is not an event: remove the event, or correct `validation_event:`"),
            );
        }
    }
    // A body that names its event names it inside the payload; a payload shape that does not keep
    // that field would serialize an event that no longer says what it is.
    // (Checked only when the shapes themselves are sound: a field dropped for a bad type would
    // be reported twice.)
    if let Some(field) = raw.envelope.event_type_field.as_ref().filter(|_| errors.len() == before) {
        let used: std::collections::BTreeSet<usize> =
            events.iter().filter_map(|e| if let Payload::Object(i) = e.payload { Some(i) } else { None }).collect();
        for i in used {
            let o = &objects[i];
            if !o.resolved.fields.iter().any(|f| &f.wire == field && matches!(f.ty, ir::Type::String | ir::Type::EventType)) {
                errors.push(
                    Diagnostic::new(file.at(&format!("payloads/{}", o.name)), format!("payload `{}` has no string field `{field}`", o.name))
                        .help(format!(
                            "events name their type at `{field}` (`envelope: event_type_field`): add `{field}: {{ type: string, required: true, description: The event type. }}`"
                        )),
                );
            }
        }
    }
    if errors.len() > before {
        return None;
    }
    apis.sort_by(|a, b| a.wire.cmp(&b.wire));
    // Re-point events at the sorted apis.
    let order: HashMap<String, usize> = apis.iter().enumerate().map(|(i, a)| (a.wire.clone(), i)).collect();
    let unsorted: Vec<String> = files.apis.iter().map(|f| f.value.api.clone()).collect();
    for e in &mut events {
        e.api = order[&unsorted[e.api]];
    }
    events.sort_by(|a, b| a.wire.cmp(&b.wire));
    Some(Provider {
        name: raw.provider.clone(),
        lib: String::new(),
        module: names::value_name(&raw.provider),
        title: title(file, &raw.title, errors),
        article: english::article(&raw.title.to_lowercase()),
        description: written(&raw.description).unwrap_or_else(|| format!("The webhook events of {}.", raw.title.trim())),
        docs: raw.docs.clone(),
        envelope: Envelope {
            wrapper: raw.envelope.wrapper.clone(),
            wrapper_field: raw.envelope.wrapper.as_deref().map(names::value_name),
            event_type_field: raw.envelope.event_type_field.clone(),
            event_id_field: raw.envelope.event_id_field.clone(),
            note: text(&raw.envelope.note),
        },
        signing: ir::Signing { scheme: scheme?, note: text(&raw.signing.note) },
        validation_event: raw.validation_event.clone(),
        validation_body: raw.validation_body.as_ref().map(|b| b.to_string()),
        api_prefixed: raw.event_name.split('.').next() == Some("{api}"),
        headers: Headers {
            event_type: raw.headers.event_type.clone(),
            signature: raw.headers.signature.clone(),
            idempotency_key: raw
                .headers
                .idempotency_key
                .clone()
                .or_else(|| scheme_spec.and_then(|s| s.default_idempotency_header).map(str::to_string)),
        },
        apis,
        events,
        objects: objects.into_iter().map(|o| o.resolved).collect(),
        enums,
    })
}

/// Catalog prose, or `None` when it is blank: an empty `description: ""` is no description, so
/// the generated item gets the derived or default one rather than empty docs.
pub(crate) fn text(prose: &Option<String>) -> Option<String> {
    prose.as_deref().and_then(written)
}

/// Catalog prose that is required, or `None` when it is blank (see [`text`]).
pub(crate) fn written(prose: &str) -> Option<String> {
    (!prose.trim().is_empty()).then(|| prose.to_string())
}

/// A title, trimmed: one line, since it is used inside sentences and headings.
fn title<T>(file: &SourceFile<T>, text: &str, errors: &mut Vec<Diagnostic>) -> String {
    let trimmed = text.trim();
    if trimmed.contains(['\n', '\r']) || trimmed.is_empty() {
        errors.push(
            Diagnostic::new(file.at("title"), "a title is one line of text")
                .help("write the name as people write it (`File Storage`); put more in `description:`"),
        );
    }
    trimmed.to_string()
}

/// Cargo features every generated crate has.
const RESERVED_FEATURES: &[&str] = &["async", "default", "http", "test-util"];

/// The modules every generated provider module has; an api is never given one of these names.
const PROVIDER_MODULES: &[&str] =
    &["dispatch", "event", "event_type", "fixtures", "models", "onepass", "payloads", "receive", "testing", "urls"];

/// An api's Rust module: its id in snake case, and `_api` after it when the provider module already
/// has a module of that name (an api called `event` is the module `event_api`).
fn api_module(api: &str) -> String {
    let module = names::value_name(api);
    if PROVIDER_MODULES.contains(&module.as_str()) {
        format!("{module}_api")
    } else {
        module
    }
}

/// The longest event name, provider or api id: each names a file (`<event>.json`, `<api>.rs`),
/// and file systems stop at 255 bytes.
const MAX_NAME: usize = 200;

/// A catalog word: lowercase ASCII letters and digits (`3ds`, `2fa` included), words joined by
/// single `_` or `-`.
pub(crate) fn valid_name(word: &str) -> bool {
    let bytes = word.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME
        && bytes[0].is_ascii_alphanumeric()
        && bytes.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
        && !bytes.ends_with(b"_")
        && !bytes.ends_with(b"-")
        && !bytes.windows(2).any(|w| matches!(w[0], b'_' | b'-') && matches!(w[1], b'_' | b'-'))
}

fn bad_name(loc: Location, what: &str, name: &str) -> Diagnostic {
    Diagnostic::new(loc, format!("malformed {what} `{name}`"))
        .help("use lowercase ASCII letters and digits, words joined by single `_` or `-` (e.g. `line_item`, `3ds`), at most 200 of them")
}

fn malformed_event(loc: Location, wire: &str, grammar: &str) -> Diagnostic {
    Diagnostic::new(loc, format!("malformed event name `{wire}`"))
        .help(format!("event names follow `{grammar}`; each segment is lowercase letters and digits, words joined by single `_` or `-` (camelCase is not a segment: write `token_refresh`, not `tokenRefresh`)"))
}

/// Checks a url template's placeholders; reports and returns false when one is unknown.
fn check_template<T>(file: &SourceFile<T>, node: &str, template: &str, errors: &mut Vec<Diagnostic>) -> bool {
    match templates::check_url(template) {
        Ok(()) => true,
        Err(why) => {
            errors.push(Diagnostic::new(file.at(node), format!("bad url template `{template}`: {why}")).help(format!(
                "the placeholders are {}; `{{id}}` is required",
                templates::URL_PLACEHOLDERS.map(|p| format!("`{{{p}}}`")).join(", ")
            )));
            false
        }
    }
}
