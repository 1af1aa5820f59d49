//! Helpers shared by the workspace tests: where things are, and the upstream material in
//! `tests/upstream/`. Nothing here reads outside the repository.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// Says that a test did not run, where the person running it sees it: libtest captures the
/// `eprintln!` of a passing test, but not writes to the process's standard error itself. Under
/// `CI=true` a skip is a failure instead: CI installs everything the tests use.
pub fn skipped(message: &str) {
    assert!(std::env::var_os("CI").is_none(), "{message} (CI must run it)");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("\n*** SKIPPED: {message}. ***\n").as_bytes());
}

/// The settings `cargo xtask codegen` uses for the workspace's own `generated/`: the runtime by
/// its path relative to the crate.
pub fn workspace_settings() -> webhook_codegen::Settings {
    webhook_codegen::Settings {
        runtime: webhook_codegen::RuntimeDependency::Path("../runtime".into()),
        catalog: "../spec".into(),
        identity: Default::default(),
    }
}

/// Settings for a crate generated anywhere else (a temporary directory): the workspace's runtime
/// by its absolute path, so the crate builds where it is.
pub fn settings_anywhere() -> webhook_codegen::Settings {
    let runtime = workspace_root().join("runtime");
    webhook_codegen::Settings {
        runtime: webhook_codegen::RuntimeDependency::Path(runtime.to_string_lossy().into_owned()),
        ..Default::default()
    }
}

/// How many cases a property test runs: `default`, or `PROPTEST_CASES` for a longer run.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(default)
}

/// A test for a generated crate's `tests/` folder: every fixture parses back into its own
/// event, and serializes back equal with every number's digits kept.
pub fn fixtures_test(catalog: &webhook_codegen::ir::Catalog) -> String {
    let mut out = String::from(
        r#"//! Written by the workspace tests: every fixture parses back into its own event.

/// The number literals of a JSON text, in order of their appearance: text, not values, so a
/// rounded digit is seen.
fn numbers(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Number(n) => out.push(n.to_string()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| numbers(v, out)),
        serde_json::Value::Object(map) => map.values().for_each(|v| numbers(v, out)),
        _ => {}
    }
}

/// The value without `null` members: an optional field that is `null` reads as absent and
/// serializes back absent (as `spec/README.md` says).
fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect()),
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn same(body: &str, back: &str, what: &str) {
    let original = without_nulls(serde_json::from_str(body).unwrap());
    let again = without_nulls(serde_json::from_str(back).unwrap());
    assert_eq!(again, original, "{what} does not serialize back equal");
    let (mut a, mut b) = (Vec::new(), Vec::new());
    numbers(&original, &mut a);
    numbers(&again, &mut b);
    a.sort();
    b.sort();
    assert_eq!(a, b, "{what}: numbers changed");
}
"#,
    );
    for (n, p) in catalog.providers.iter().enumerate() {
        let m = &p.module;
        // A body that names its event parses as that event without being told.
        let by_body = if p.envelope.event_type_field.is_some() {
            r#"let event = p::Event::parse(body.as_bytes()).unwrap_or_else(|e| panic!("{}: {e}\n{body}", info.event_type));
        assert_eq!(event.event_type(), event_type, "{} by its body", info.event_type);
        let read: p::Event<'static> = serde_json::from_str(&serde_json::to_string(&event).unwrap()).unwrap();
        assert_eq!(read, event, "{} does not read back equal", info.event_type);"#
        } else {
            ""
        };
        out.push_str(&format!(
            r#"
/// The fixtures of `{m}`.
#[test]
fn fixtures_parse_back_{n}() {{
    use webhook_events::{m} as p;
    assert!(!p::EVENTS.is_empty());
    for info in p::EVENTS {{
        let event_type = p::EventType::from_wire(info.event_type);
        let body = p::fixtures::get(&event_type).unwrap_or_else(|| panic!("no fixture for {{}}", info.event_type));
        let event = p::Event::parse_as(info.event_type, body.as_bytes()).unwrap_or_else(|e| panic!("{{}}: {{e}}\n{{body}}", info.event_type));
        assert_eq!(event.event_type(), event_type, "{{}}", info.event_type);
        assert!(!matches!(event, p::Event::Unknown(_)), "{{}} parsed as unknown", info.event_type);
        same(body, &serde_json::to_string(&event).unwrap(), info.event_type);
        let owned: p::Event<'static> = event.clone().into_owned();
        assert_eq!(owned, event, "{{}}: the owned event differs", info.event_type);
        {by_body}
    }}
}}
"#
        ));
    }
    out
}

/// An upstream snapshot kept in `tests/upstream/<source>/webhooks.json` (see its README).
pub fn upstream(source: &str) -> webhook_catalog_tools::drift::Upstream {
    let path = upstream_snapshot(source);
    webhook_catalog_tools::drift::Upstream::from_snapshot(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// The path of an upstream snapshot.
pub fn upstream_snapshot(source: &str) -> PathBuf {
    workspace_root().join("tests/upstream").join(source).join("webhooks.json")
}

/// Every upstream source the repository keeps.
pub const UPSTREAM_SOURCES: &[&str] = &["apideck-openapi", "apideck-pages", "pack-pages"];

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExample;
