//! The generator's invariant, tried on catalogs nobody wrote: **a catalog either gets located
//! errors, or a crate that builds clean.**
//!
//! A seeded generator builds random catalogs from a grammar of hostile names and texts (Rust
//! keywords and std names, names that start with digits, very long names, wire names that differ
//! only by punctuation or case, rustdoc-hostile descriptions, every envelope and payload option,
//! extreme numbers), and
//!
//! 1. runs the pipeline on each alone: it must not panic, and it either gives a crate or errors
//!    that each name a file of the catalog, with a help line;
//! 2. puts the providers that were accepted into one crate per batch, and checks that it passes
//!    `clippy -D warnings` with every feature, with none and with each api alone, `rustdoc -D
//!    warnings`, and its tests: a generated test parses every fixture back into its own event,
//!    serializes it back equal, numbers digit for digit.
//!
//! CI runs a fixed budget. A longer run, from another seed:
//!
//! ```text
//! GENERATIVE_SEED=7 GENERATIVE_CATALOGS=3000 GENERATIVE_BATCHES=20 \
//!     cargo test -p webhook-tests --test generative -- --nocapture
//! ```
//!
//! A failing catalog is written to `target/generative/failed/`; each failure found becomes a case
//! of its own (in `catalogs/edge`, or in `catalogs/bad` with a snapshot of its errors).

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Map, Value};
use webhook_codegen::ensure::Mode;
use webhook_tests::workspace_root;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// SplitMix64: small, seedable, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Words a vendor could use for an api, entity or type: keywords, std and prelude names, names
/// of the generated crate's own items, digits first, separators, one very long.
const WORDS: &[&str] = &[
    "order",
    "line_item",
    "line-item",
    "lineitem",
    "type",
    "self",
    "match",
    "async",
    "await",
    "dyn",
    "try",
    "union",
    "crate",
    "super",
    "box",
    "option",
    "result",
    "string",
    "vec",
    "cow",
    "str",
    "u8",
    "i64",
    "event",
    "events",
    "event_type",
    "handler",
    "unknown",
    "validation",
    "fixtures",
    "testing",
    "runtime",
    "dispatch",
    "core",
    "std",
    "alloc",
    "models",
    "payloads",
    "default",
    "http",
    "test-util",
    "raw",
    "raw_payload",
    "raw_value",
    "into",
    "new",
    "parse",
    "ref",
    "mut",
    "fn",
    "impl",
    "loop",
    "static",
    "mod",
    "use",
    "pub",
    "3ds",
    "2fa",
    "0",
    "1a",
    "a",
    "b",
    "api",
    "info",
    "spec",
    "scheme",
    "verifier",
    "verified",
    "secret",
    "status",
    "headers",
    "serialize",
    "deserialize",
    "some",
    "none",
    "ok",
    "err",
    "to_string",
    "clone",
    "debug",
    "default_",
    "a_very_long_entity_name_that_goes_on_and_on_through_many_words_until_it_is_far_too_long_to_read",
];

/// Names the format refuses, so the errors are exercised too.
const BAD_WORDS: &[&str] = &["Type", "tokenRefresh", "", "a..b", "é", "a__b", "-a", "a-", "a b", "_a"];

/// Actions: regular and irregular participles, several segments, and words that are not
/// participles (which need a description).
const ACTIONS: &[&str] = &[
    "created",
    "updated",
    "deleted",
    "paid",
    "sent",
    "built",
    "bound",
    "repaid",
    "rebuilt",
    "token_refresh.failed",
    "3ds.verified",
    "self.deleted",
    "type",
    "seed",
    "callable",
    "2fa.enabled",
];

/// JSON keys: keywords, punctuation, case and separator variants of one another.
const FIELDS: &[&str] = &[
    "type",
    "Type",
    "@type",
    "$ref",
    "self",
    "Self",
    "match",
    "first-name",
    "first_name",
    "firstName",
    "FirstName",
    "first.name",
    "1st",
    "id",
    "ID",
    "name",
    "a b",
    "r#x",
    "super",
    "event",
    "payload",
    "data",
    "value",
    "default",
    "str",
    "string",
    "option",
    "box",
    "url",
    "self_",
    "type_",
    "created_at",
    "updatedAt",
    "2fa_enabled",
    "x-api-key",
    "Content-Type",
    "crate",
    "async",
    "a_very_long_field_name_that_goes_on_and_on_through_many_words_until_it_is_far_too_long_to_read",
];

/// JSON keys that name no Rust field: they need a `rust_name`.
const NAMELESS_FIELDS: &[&str] = &["_", "__", "", "ünï", "€", "-"];

/// Enum values: digits and dates first, case variants, keywords, the fallback's own name.
const VALUES: &[&str] = &[
    "a",
    "A",
    "b-c",
    "d_e",
    "2024-01-01",
    "2024_01_01",
    "1",
    "0",
    "10",
    "self",
    "Self",
    "Unknown",
    "unknown",
    "none",
    "None",
    "Some",
    "",
    "+",
    "a b",
    "ok",
    "é",
    "type",
    "mixed-Case",
    "x-y-z",
    "x_y_z",
    "a_very_long_enum_value_that_goes_on_and_on_through_many_words_until_it_is_far_too_long_to_read",
];

/// Catalog text that rustdoc would misread if it were not escaped.
const TEXTS: &[&str] = &[
    "Plain text.",
    "Links [like this] and [this](https://example.com) and [x][y].",
    "A fence:\n```\nfn main() { panic!() }\n```\n",
    "A rust fence:\n```rust\ncompile_error!(\"doctest\");\n```",
    "Generic `List<Item>` and bare List<Item> and <script>alert(1)</script>.",
    "A bare url https://example.com/a_b?c=d and www.example.com.",
    "Carriage\r\nreturns\rand tabs\t.",
    "Comment closers */ and openers /* and //! inner docs.",
    "#[attribute] and #![inner] and `backticks and \\ backslashes \\",
    "    indented like code\n    fn main() {}",
    "| a | table |\n|---|---|\n| 1 | 2 |",
    "* a list\n- another\n1. numbered",
    "Braces {event_type} and {{ double }} and %s and $1.",
    "Ünïcödé, emoji \u{1F600}, RTL \u{202E}text.",
    "",
    "# A heading",
    "Ends with a backslash \\",
    "<!-- an html comment",
];

/// Titles: one line, as hostile as one line gets.
const TITLES: &[&str] = &[
    "Plain",
    "Links [like this] and [x](https://example.com)",
    "Generic List<Item> and <b>bold",
    "`code` and a lone ` tick",
    "https://example.com",
    "# Heading",
    "*emphasis* _and_ **more**",
    "Ünïcödé \u{1F600}",
    "Self",
    "a_very_long_title_that_goes_on_and_on_through_many_words_until_it_is_far_too_long_to_read_in_one_line_of_docs",
];

const STRINGS: &[&str] =
    &["{entity}", "{id}", "{event_type}", "{api}", "{entity_url}", "plain", "with \"quotes\"", "ünï \u{1F600}", "a\\b", "</script>", ""];

#[allow(clippy::unreadable_literal)]
fn integer(rng: &mut Rng) -> Value {
    // `u64::MAX` does not fit an `integer` (64-bit signed): a mistake, now and then.
    let values: [Value; 7] = [json!(0), json!(-1), json!(i64::MAX), json!(i64::MIN), json!(9007199254740993_i64), json!(42), json!(-42)];
    if rng.chance(1) {
        json!(u64::MAX)
    } else {
        rng.pick(&values).clone()
    }
}

fn number(rng: &mut Rng) -> Value {
    let values: [Value; 9] =
        [json!(0.1), json!(1e300), json!(-0.0), json!(1.5), json!(2.5e-308), json!(u64::MAX), json!(i64::MIN), json!(0), json!(1e21)];
    rng.pick(&values).clone()
}

fn word(rng: &mut Rng, bad_percent: u64) -> String {
    if rng.chance(bad_percent) {
        rng.pick(BAD_WORDS).to_string()
    } else {
        rng.pick(WORDS).to_string()
    }
}

/// A title: one line, but for a mistake now and then.
fn title(rng: &mut Rng, bad_percent: u64) -> String {
    if rng.chance(bad_percent) {
        text(rng)
    } else {
        rng.pick(TITLES).to_string()
    }
}

fn text(rng: &mut Rng) -> String {
    rng.pick(TEXTS).to_string()
}

/// One random provider: its folder name and its files.
struct ProviderFiles {
    id: String,
    files: Vec<(String, String)>,
}

/// A field type: a scalar, or an enum or object of the same file.
fn field_type(rng: &mut Rng, enums: &[String], objects: &[String], model: bool) -> String {
    let mut types: Vec<String> = ["string", "number", "integer", "boolean", "json"].map(String::from).to_vec();
    types.extend(enums.iter().cloned());
    types.extend(objects.iter().cloned());
    if model {
        types.extend(["secret", "event_type", "event_code", "event_selector"].map(String::from));
    }
    let ty = rng.pick(&types).clone();
    if model && rng.chance(20) {
        format!("list of {ty}")
    } else {
        ty
    }
}

fn example_value(rng: &mut Rng, ty: &str, enums: &Map<String, Value>, objects: &Map<String, Value>, depth: usize) -> Value {
    match ty {
        "string" => json!(rng.pick(STRINGS)),
        "integer" => integer(rng),
        "number" => number(rng),
        "boolean" => json!(rng.chance(50)),
        "json" => rng.pick(&[json!(null), json!({"a": [1, {"b": null}], "": "x"}), json!("s"), json!(1e10), json!([])]).clone(),
        name if enums.contains_key(name) => {
            let values = enums[name]["values"].as_array().unwrap();
            if values.is_empty() || rng.chance(10) {
                json!("a value added later")
            } else {
                rng.pick(values).clone()
            }
        }
        name if depth < 3 && objects.contains_key(name) => object_example(rng, &objects[name], enums, objects, depth + 1),
        _ => json!({}),
    }
}

fn object_example(rng: &mut Rng, object: &Value, enums: &Map<String, Value>, objects: &Map<String, Value>, depth: usize) -> Value {
    let mut example = Map::new();
    for (name, field) in object["fields"].as_object().unwrap() {
        let required = field.get("required").and_then(Value::as_bool).unwrap_or(false);
        if required || rng.chance(70) {
            let ty = field["type"].as_str().unwrap();
            // Now and then a value of the wrong type, which must be refused where it is written.
            let value = if rng.chance(1) { json!("wrong type") } else { example_value(rng, ty, enums, objects, depth) };
            example.insert(name.clone(), value);
        }
    }
    Value::Object(example)
}

fn provider(rng: &mut Rng, id: &str) -> ProviderFiles {
    // Most catalogs are hostile but valid; the others also hold mistakes, now and then.
    let bad = if rng.chance(60) { 0 } else { 3 };
    let with_api = rng.chance(60);
    let grammar = if with_api { "{api}.{entity}.{action}" } else { "{entity}.{action}" };
    let mut p = Map::new();
    p.insert("provider".into(), json!(id));
    p.insert("title".into(), json!(title(rng, bad)));
    p.insert("description".into(), json!(text(rng)));
    if rng.chance(30) {
        p.insert("docs".into(), json!("https://example.com/docs?a=[b]"));
    }
    p.insert("event_name".into(), json!(grammar));

    let mut envelope = Map::new();
    if rng.chance(50) {
        envelope.insert("wrapper".into(), json!(rng.pick(&["payload", "data", "type", "self", "event", "Payload", "a-b"])));
    }
    let event_type_field = rng.chance(60).then(|| rng.pick(&["type", "event_type", "@type", "Type", "event-type", "self"]).to_string());
    if let Some(f) = &event_type_field {
        envelope.insert("event_type_field".into(), json!(f));
    }
    if rng.chance(30) {
        envelope.insert("event_id_field".into(), json!(rng.pick(&["id", "event_id", "@id"])));
    }
    if rng.chance(30) {
        envelope.insert("note".into(), json!(text(rng)));
    }
    p.insert("envelope".into(), Value::Object(envelope));

    let scheme = *rng.pick(&["none", "standard-webhooks", "apideck-hmac-sha256"]);
    let mut signing = Map::new();
    signing.insert("scheme".into(), json!(scheme));
    if scheme == "none" || rng.chance(20) {
        signing.insert("note".into(), json!(text(rng)));
    }
    p.insert("signing".into(), Value::Object(signing));
    let mut headers = Map::new();
    if rng.chance(50) {
        headers.insert("event_type".into(), json!(format!("x-{id}-event-type")));
    }
    if scheme == "apideck-hmac-sha256" || rng.chance(20) {
        headers.insert("signature".into(), json!(format!("x-{id}-signature")));
    }
    if rng.chance(30) {
        headers.insert("idempotency_key".into(), json!("x-idempotency-key"));
    }
    p.insert("headers".into(), Value::Object(headers));
    if rng.chance(40) {
        p.insert("urls".into(), json!({ "base": "https://api.example.com", "template": "{base}/{api}/{entities}/{id}" }));
    }
    if rng.chance(60) {
        p.insert("example_id".into(), json!(rng.pick(&["ID1", "a b/c", "\"quoted\""])));
    }

    let mut enums = Map::new();
    for _ in 0..rng.below(3) {
        let mut values: Vec<&str> = (0..usize::from(bad == 0) + rng.below(5)).map(|_| *rng.pick(VALUES)).collect();
        if bad == 0 {
            // Values that name no variant, or collide after casing, are mistakes.
            let mut seen = std::collections::BTreeSet::new();
            values.retain(|v| {
                !v.is_empty()
                    && v.bytes().any(|b| b.is_ascii_alphanumeric())
                    && v.is_ascii()
                    && seen.insert(v.to_lowercase().replace(['-', '_', ' '], ""))
                    && *v != "Unknown"
                    && *v != "unknown"
            });
        }
        enums.insert(word(rng, bad), json!({ "description": text(rng), "values": values }));
    }
    let enum_names: Vec<String> = enums.keys().cloned().collect();

    let mut payloads = Map::new();
    let payload_names: Vec<String> = (0..rng.below(4)).map(|_| word(rng, bad)).collect();
    for (index, name) in payload_names.iter().enumerate() {
        let mut fields = Map::new();
        let mut rust_names = std::collections::BTreeSet::new();
        for n in 0..1 + rng.below(6) {
            let nameless = rng.chance(5);
            let field_name = if nameless { rng.pick(NAMELESS_FIELDS).to_string() } else { rng.pick(FIELDS).to_string() };
            // Only objects declared before this one, so that shapes nest without a cycle (but for a
            // mistake now and then).
            let earlier = if rng.chance(bad) { &payload_names[..] } else { &payload_names[..index] };
            let ty = field_type(rng, &enum_names, earlier, false);
            let mut field = json!({ "type": ty, "description": text(rng) });
            // A key with no Rust name, or two keys with one, get a `rust_name` (unless a mistake).
            let derived = field_name.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
            if (nameless || !rust_names.insert(derived)) && !rng.chance(bad * 10) {
                field["rust_name"] = json!(format!("renamed_{n}"));
            }
            if rng.chance(30) {
                field["required"] = json!(true);
            }
            fields.insert(field_name, field);
        }
        // The event names its type where the envelope says, when the payload declares it.
        if let Some(f) = &event_type_field {
            if bad == 0 || rng.chance(70) {
                fields.insert(f.clone(), json!({ "type": "string", "required": true, "description": "The event type." }));
            }
        }
        payloads.insert(name.clone(), json!({ "description": text(rng), "fields": fields }));
    }
    let shapes = payloads.clone();
    for (name, object) in payloads.iter_mut() {
        let required = object["fields"].as_object().unwrap().values().any(|f| f["required"] == json!(true));
        if rng.chance(85) || (required && bad == 0) {
            let mut example = object_example(rng, &shapes[name], &enums, &shapes, 0);
            if let Some(f) = &event_type_field {
                if rng.chance(90) {
                    example[f.as_str()] = json!("{event_type}");
                }
            }
            if bad == 0 {
                // Placeholders the provider cannot fill are mistakes.
                let urls = p.contains_key("urls");
                let id = p.contains_key("example_id");
                drop_placeholders(&mut example, urls, id);
            }
            object["example"] = example;
        }
    }
    p.insert("enums".into(), Value::Object(enums.clone()));

    let mut models = Map::new();
    let model_names: Vec<String> = (0..rng.below(3)).map(|_| word(rng, bad)).collect();
    for (index, name) in model_names.iter().enumerate() {
        let mut fields = Map::new();
        for n in 0..1 + rng.below(5) {
            let earlier = if rng.chance(bad) { &model_names[..] } else { &model_names[..index] };
            let ty = field_type(rng, &enum_names, earlier, true);
            fields.insert(
                rng.pick(FIELDS).to_string(),
                json!({ "type": ty, "description": text(rng), "required": rng.chance(50), "rust_name": format!("field_{n}") }),
            );
        }
        models.insert(name.clone(), json!({ "description": text(rng), "fields": fields }));
    }
    p.insert("payloads".into(), Value::Object(payloads));
    p.insert("models".into(), Value::Object(models));
    let default_payload = if payload_names.is_empty() || rng.chance(25) { "raw".to_string() } else { rng.pick(&payload_names).clone() };
    p.insert("payload".into(), json!(default_payload));

    let mut files = Vec::new();
    let mut wires: Vec<String> = Vec::new();
    for _ in 0..1 + rng.below(3) {
        let api = word(rng, bad);
        let mut a = Map::new();
        a.insert("api".into(), json!(api));
        a.insert("title".into(), json!(title(rng, bad)));
        if rng.chance(40) {
            a.insert("description".into(), json!(text(rng)));
        }
        if rng.chance(15) && !payload_names.is_empty() {
            a.insert("payload".into(), json!(rng.pick(&payload_names)));
        }
        if rng.chance(bad * 5) {
            a.insert("url_template".into(), Value::Null);
        }
        let mut events = Map::new();
        for _ in 0..1 + rng.below(5) {
            let entity = word(rng, bad);
            let action = if rng.chance(bad) { rng.pick(BAD_WORDS).to_string() } else { rng.pick(ACTIONS).to_string() };
            let wire = if with_api { format!("{api}.{entity}.{action}") } else { format!("{entity}.{action}") };
            let mut ev = Map::new();
            // Actions that are not participles need a description, but for a mistake now and then.
            if (matches!(action.as_str(), "type" | "seed" | "callable") || rng.chance(10)) && rng.chance(85) {
                ev.insert("description".into(), json!(text(rng)));
            }
            if rng.chance(15) {
                let status = if rng.chance(bad * 5) { "gone" } else { rng.pick(&["available", "upcoming", "deprecated", "undocumented"]) };
                ev.insert("status".into(), json!(status));
            }
            if rng.chance(bad * 5) && !wires.is_empty() {
                ev.insert("aliases".into(), json!([rng.pick(&wires)]));
            } else if rng.chance(15) {
                ev.insert("aliases".into(), json!([format!("{wire}.old")]));
            }
            if rng.chance(10) {
                let name =
                    *rng.pick(&["Unknown", "Validation", "Event", "Self_", "Type", "Option", "Ab", "AB", "lowercase", "Self", "Handler"]);
                ev.insert("rust_name".into(), json!(name));
            }
            if rng.chance(10) && !payload_names.is_empty() {
                ev.insert("payload".into(), json!(rng.pick(&payload_names)));
            }
            wires.push(wire.clone());
            events.insert(wire, if ev.is_empty() { Value::Null } else { Value::Object(ev) });
        }
        a.insert("events".into(), Value::Object(events));
        files.push((format!("{}.yaml", if api.is_empty() { "empty" } else { &api }), yaml(&Value::Object(a))));
    }
    if rng.chance(10) {
        p.insert("validation_event".into(), json!(if rng.chance(50) { rng.pick(&wires).clone() } else { "hook.validated".into() }));
        if !rng.chance(bad * 10) {
            p.insert("validation_body".into(), json!({ "message": text(rng), "n": [1, null] }));
        }
    }
    files.push(("provider.yaml".into(), yaml(&Value::Object(p))));
    files.dedup_by(|a, b| a.0 == b.0);
    ProviderFiles { id: id.to_string(), files }
}

/// Replaces `{entity_url}` and `{id}` when the provider has no urls or no example id.
fn drop_placeholders(value: &mut Value, urls: bool, id: bool) {
    match value {
        Value::String(s) if (!urls && s.contains("{entity_url}")) || (!id && s.contains("{id}")) => *s = "plain".into(),
        Value::Array(items) => items.iter_mut().for_each(|v| drop_placeholders(v, urls, id)),
        Value::Object(map) => map.values_mut().for_each(|v| drop_placeholders(v, urls, id)),
        _ => {}
    }
}

fn yaml(value: &Value) -> String {
    serde_yaml::to_string(value).unwrap()
}

fn write_catalog(dir: &Path, providers: &[&ProviderFiles]) {
    let _ = std::fs::remove_dir_all(dir);
    for p in providers {
        let folder = dir.join(&p.id);
        std::fs::create_dir_all(&folder).unwrap();
        for (name, text) in &p.files {
            std::fs::write(folder.join(name), text).unwrap();
        }
    }
}

/// Keeps a failing catalog where the person running the test finds it.
fn keep(dir: &Path, name: &str) -> PathBuf {
    let kept = workspace_root().join("target/generative/failed").join(name);
    let _ = std::fs::remove_dir_all(&kept);
    std::fs::create_dir_all(&kept).unwrap();
    copy_dir(dir, &kept);
    kept
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The kinds of error seen, for the run's summary (a grammar that is refused for one reason
/// only would try little else).
static REASONS: std::sync::Mutex<std::collections::BTreeMap<String, usize>> = std::sync::Mutex::new(std::collections::BTreeMap::new());

/// A message without its quoted names: the kind of error.
fn reason(message: &str) -> String {
    message.split('`').step_by(2).collect::<Vec<_>>().join("_")
}

/// Runs the pipeline on one catalog: a crate (true), located errors (false), or a failure.
fn pipeline(dir: &Path, label: &str) -> Result<bool, String> {
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| webhook_codegen::generate(dir, &webhook_tests::settings_anywhere())));
    match result {
        Err(panic) => {
            let what = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(format!("{label}: the generator panicked: {}", what.unwrap_or_default()))
        }
        Ok(Ok(_)) => Ok(true),
        Ok(Err(diagnostics)) => {
            for d in &diagnostics.0 {
                *REASONS.lock().unwrap().entry(reason(&d.message)).or_default() += 1;
                let file = &d.location.file;
                let inside = file.starts_with(dir) && (file == dir || file.exists());
                if !inside || d.help.is_none() || d.message.is_empty() {
                    return Err(format!("{label}: an error that does not say where or what to do:\n{diagnostics}"));
                }
                if file.is_file() && d.location.line == 0 {
                    return Err(format!("{label}: an error in a file without its line:\n{diagnostics}"));
                }
            }
            Ok(false)
        }
    }
}

#[test]
fn every_random_catalog_gets_a_crate_or_located_errors() {
    let seed = setting("GENERATIVE_SEED", 1);
    let catalogs = setting("GENERATIVE_CATALOGS", 400);
    let mut rng = Rng(seed);
    let work = tempfile::tempdir().unwrap();
    let mut accepted = 0;
    for i in 0..catalogs {
        let id = *rng.pick(WORDS);
        let p = provider(&mut rng, id);
        let dir = work.path().join(format!("c{i}"));
        write_catalog(&dir, &[&p]);
        match pipeline(&dir, &format!("seed {seed}, catalog {i}")) {
            Ok(ok) => accepted += usize::from(ok),
            Err(e) => panic!("{e}\nkept in {}", keep(&dir, &format!("seed-{seed}-catalog-{i}")).display()),
        }
    }
    eprintln!("seed {seed}: {accepted} of {catalogs} random catalogs gave a crate, the others located errors:");
    let mut reasons: Vec<(usize, String)> = REASONS.lock().unwrap().iter().map(|(r, n)| (*n, r.clone())).collect();
    reasons.sort_by(|a, b| b.cmp(a));
    for (n, r) in reasons {
        eprintln!("{n:>6}  {r}");
    }
    // A grammar that produced only errors would prove nothing about the crates.
    assert!(accepted * 10 >= catalogs as usize, "only {accepted} of {catalogs} random catalogs were accepted: loosen the grammar");
}

fn cargo(dir: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", workspace_root().join("target/generative/check"))
        .env("RUSTDOCFLAGS", "-D warnings")
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`cargo {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Checks one batch's crate: every feature, none, each api alone; docs; tests.
fn check_crate(dir: &Path, catalog: &webhook_codegen::ir::Catalog) -> Result<(), String> {
    cargo(dir, &["clippy", "--quiet", "--all-targets", "--all-features", "--", "-D", "warnings"])?;
    cargo(dir, &["test", "--quiet", "--all-features"])?;
    cargo(dir, &["doc", "--quiet", "--no-deps", "--all-features"])?;
    cargo(dir, &["clippy", "--quiet", "--no-default-features", "--", "-D", "warnings"])?;
    for api in catalog.providers.iter().flat_map(|p| &p.apis) {
        cargo(dir, &["clippy", "--quiet", "--no-default-features", "--features", &api.feature, "--", "-D", "warnings"])?;
    }
    Ok(())
}

#[test]
fn random_providers_build_clean_in_batches() {
    let seed = setting("GENERATIVE_SEED", 1);
    let batches = setting("GENERATIVE_BATCHES", 2);
    let per_batch = setting("GENERATIVE_PROVIDERS", 6) as usize;
    let mut rng = Rng(seed ^ 0x5EED);
    let work = tempfile::tempdir().unwrap();
    for batch in 0..batches {
        // Providers accepted alone, with ids distinct within the batch; then the largest set of
        // them that is accepted together.
        let mut kept: Vec<ProviderFiles> = Vec::new();
        let mut tries = 0;
        while kept.len() < per_batch && tries < per_batch * 20 {
            tries += 1;
            let id = format!("{}{}", rng.pick(&["", "", "self", "type", "r", "3ds", "core"]), rng.pick(&["", "_v2", "-x"]));
            let id = if id.is_empty() || kept.iter().any(|p| p.id == id) { format!("p{tries}") } else { id };
            let p = provider(&mut rng, &id);
            let dir = work.path().join("alone");
            write_catalog(&dir, &[&p]);
            if pipeline(&dir, "alone") == Ok(true) {
                kept.push(p);
            }
        }
        let dir = work.path().join(format!("batch{batch}"));
        let mut together: Vec<&ProviderFiles> = Vec::new();
        for p in &kept {
            together.push(p);
            write_catalog(&dir, &together);
            match pipeline(&dir, &format!("seed {seed}, batch {batch}")) {
                Ok(true) => {}
                Ok(false) => {
                    together.pop();
                }
                Err(e) => panic!("{e}\nkept in {}", keep(&dir, &format!("seed-{seed}-batch-{batch}")).display()),
            }
        }
        assert!(!together.is_empty(), "seed {seed}, batch {batch}: no provider was accepted");
        write_catalog(&dir, &together);
        let out = work.path().join(format!("crate{batch}"));
        webhook_codegen::run(&dir, &out, Mode::Write, &webhook_tests::settings_anywhere()).unwrap();
        let catalog = webhook_codegen::load_catalog(&dir).unwrap();
        std::fs::create_dir_all(out.join("tests")).unwrap();
        std::fs::write(out.join("tests/fixtures_parse_back.rs"), webhook_tests::fixtures_test(&catalog)).unwrap();
        std::fs::copy(workspace_root().join("Cargo.lock"), out.join("Cargo.lock")).unwrap();
        if let Err(e) = check_crate(&out, &catalog) {
            let kept = keep(&dir, &format!("seed-{seed}-batch-{batch}"));
            panic!(
                "seed {seed}, batch {batch}: a catalog that validates gave a crate that does not build clean (catalog kept in {}):\n{e}",
                kept.display()
            );
        }
        eprintln!("seed {seed}, batch {batch}: {} providers built clean", together.len());
    }
}
