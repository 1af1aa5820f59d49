//! The examples in a provider's rustdoc, compiled and run as doctests: one per public entry
//! point. They are written for any catalog (an event the catalog does not have, a scheme of the
//! user's own), so they hold whatever the vendor's names are.

use crate::ir::Provider;

/// An event type no catalog has: the examples parse it as `Event::Unknown`.
const UNKNOWN: &str = "example.not_in_the_catalog";

/// `# Examples` and a fenced doctest of `code`.
fn example(code: &str) -> String {
    format!("# Examples\n\n```\n{code}\n```")
}

/// Statements binding `event`, an unknown event parsed from a body shaped as the provider's.
fn unknown_event(p: &Provider) -> String {
    let mut payload = serde_json::Map::new();
    if let Some(field) = &p.envelope.event_type_field {
        payload.insert(field.clone(), serde_json::Value::String(UNKNOWN.into()));
    }
    let mut body = serde_json::Value::Object(payload);
    if let Some(wrapper) = &p.envelope.wrapper {
        body = serde_json::json!({ wrapper.clone(): body });
    }
    let body = format!("let body = {:?};", body.to_string());
    match &p.envelope.event_type_field {
        Some(_) => format!("{body}\nlet event = Event::parse(body.as_bytes()).unwrap();"),
        // The body does not say which event it is: the subscription does.
        None => format!("{body}\nlet event = Event::parse_as({UNKNOWN:?}, body.as_bytes()).unwrap();"),
    }
}

/// The path of the provider's module, or of one of its api modules.
fn path(p: &Provider, api: Option<&str>) -> String {
    match api {
        Some(api) => format!("{}::{}::{api}", p.lib, p.module),
        None => format!("{}::{}", p.lib, p.module),
    }
}

pub fn event(p: &Provider) -> String {
    example(&format!(
        "use {}::Event;\n\n{}\nassert!(matches!(event, Event::Unknown(_)));\n// An event owns its text when it must outlive the body.\nlet owned: Event<'static> = event.into_owned();\nassert!(!owned.event_type().is_known());",
        path(p, None),
        unknown_event(p)
    ))
}

pub fn handler(p: &Provider, api: Option<&str>) -> String {
    example(&format!(
        "use {provider}::Event;\nuse {here}::{{dispatch, Handler}};\n\n/// Counts what it receives.\nstruct Count(usize);\n\nimpl Handler for Count {{\n    type Output = ();\n    fn on_event(&mut self, _event: Event<'_>) {{\n        self.0 += 1;\n    }}\n}}\n\n{event}\nlet mut count = Count(0);\ndispatch(&mut count, event);\nassert_eq!(count.0, 1);",
        provider = path(p, None),
        here = path(p, api),
        event = unknown_event(p)
    ))
}

pub fn async_handler(p: &Provider, api: Option<&str>) -> String {
    example(&format!(
        "use {lib}::Delivery;\nuse {provider}::Event;\nuse {here}::{{dispatch_async, AsyncHandler}};\n\n/// Shared by every request: `&self`, no lock.\nstruct Log;\n\nimpl AsyncHandler for Log {{\n    type Output = Result<(), String>;\n    async fn on_event(&self, delivery: &Delivery<'_>, event: Event<'_>) -> Result<(), String> {{\n        println!(\"{{}} ({{}})\", event.event_type(), delivery.id);\n        Ok(())\n    }}\n}}\n\n/// What a request handler awaits.\nasync fn handle(event: Event<'_>) -> Result<(), String> {{\n    dispatch_async(&Log, Delivery::default(), event).await\n}}\n# let _ = handle;",
        lib = p.lib,
        provider = path(p, None),
        here = path(p, api),
    ))
}

pub fn router(p: &Provider) -> String {
    example(&format!(
        "use {lib}::Delivery;\nuse {provider}::{{AsyncHandler, Event, Router}};\n\nstruct Fallback;\n\nimpl AsyncHandler for Fallback {{\n    type Output = ();\n    async fn on_event(&self, _: &Delivery<'_>, _: Event<'_>) {{}}\n}}\n\n// Once, at start-up; add one handler per api with its `with_` method.\nlet router: Router<()> = Router::new(Fallback);\n# let _ = router;",
        lib = p.lib,
        provider = path(p, None),
    ))
}

/// A scheme of the user's own (a provider whose signing the crate does not implement takes one),
/// and a verifier built with it.
fn own_scheme(p: &Provider) -> String {
    format!(
        "use std::borrow::Cow;\n\nuse {lib}::{{Headers, Scheme, VerifyError}};\nuse {provider}::Verifier;\n\n/// Trusts every body (a real scheme checks a signature in `headers`).\nstruct TrustAll;\n\nimpl Scheme for TrustAll {{\n    fn verify<'b>(&self, _: &dyn Headers, body: &'b [u8]) -> Result<Cow<'b, str>, VerifyError> {{\n        std::str::from_utf8(body).map(Cow::Borrowed).map_err(|_| VerifyError::NotUtf8)\n    }}\n}}\n\nlet verifier = Verifier::with_scheme(TrustAll);\nlet headers: Vec<(&str, &str)> = Vec::new();",
        lib = p.lib,
        provider = path(p, None)
    )
}

pub fn verifier(p: &Provider, key: Option<&str>) -> String {
    match key {
        Some(key) => example(&format!(
            "use {provider}::Verifier;\n\nlet verifier = Verifier::new({key:?})?; // once, and shared\nlet headers: Vec<(&str, &str)> = Vec::new();\n// A request without its signature never verifies.\nassert!(verifier.verify(&headers, b\"{{}}\").is_err());\n# Ok::<(), {lib}::KeyError>(())",
            provider = path(p, None),
            lib = p.lib
        )),
        None => verified(p),
    }
}

pub fn verified(p: &Provider) -> String {
    example(&format!(
        "{}\nlet verified = verifier.verify(&headers, b\"{{}}\").unwrap();\nassert_eq!(verified.body(), \"{{}}\");\nlet _id = verified.delivery_id(); // from what was verified",
        own_scheme(p)
    ))
}

pub fn testing(p: &Provider, key: &str) -> String {
    example(&format!(
        "use {provider}::{{testing, EventType, Verifier, EVENTS}};\n\nlet key = {key:?};\nif let Some(info) = EVENTS.first() {{\n    let signed = testing::sign_fixture(key, &EventType::from_wire(info.event_type)).unwrap();\n    let verified = Verifier::new(key).unwrap().verify(&signed.headers, &signed.body).unwrap();\n    assert!(!verified.body().is_empty());\n}}",
        provider = path(p, None)
    ))
}
