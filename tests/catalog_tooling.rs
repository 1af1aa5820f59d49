//! The tooling around the catalog: its JSON Schema and the readable CATALOG.md.

use std::path::{Path, PathBuf};

use webhook_tests::workspace_root;

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for provider in std::fs::read_dir(dir).unwrap() {
        let provider = provider.unwrap().path();
        if provider.is_dir() {
            for f in std::fs::read_dir(&provider).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "yaml") {
                    out.push(f);
                }
            }
        }
    }
    out.sort();
    out
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace_root().join("spec/catalog.schema.json")).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn as_json(path: &Path) -> serde_json::Value {
    let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(yaml).unwrap()
}

#[test]
fn the_schema_is_the_generators() {
    assert_eq!(
        std::fs::read_to_string(workspace_root().join("spec/catalog.schema.json")).unwrap(),
        webhook_codegen::schema::catalog_schema(),
        "spec/catalog.schema.json is stale; run `cargo xtask codegen`"
    );
}

#[test]
fn every_catalog_file_validates_against_the_schema_and_points_at_it() {
    let validator = validator();
    let files: Vec<PathBuf> = yaml_files(&workspace_root().join("spec")).into_iter().chain(yaml_files(Path::new("catalogs/edge"))).collect();
    assert!(files.len() >= 14, "{files:?}");
    for path in &files {
        let errors: Vec<String> = validator.iter_errors(&as_json(path)).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    for path in yaml_files(&workspace_root().join("spec")) {
        let first = std::fs::read_to_string(&path).unwrap().lines().next().unwrap_or_default().to_string();
        assert_eq!(first, webhook_codegen::schema::MODELINE, "{} does not point at the schema", path.display());
    }
}

#[test]
fn the_schema_catches_what_the_loader_refuses() {
    let validator = validator();
    // An unknown key, a wrong type, a missing key: each file the loader refuses, the schema refuses too.
    for case in ["unknown_key", "wrong_type", "missing_key"] {
        let path = Path::new("catalogs/bad").join(case).join("shop/orders.yaml");
        assert!(!validator.is_valid(&as_json(&path)), "the schema accepts catalogs/bad/{case}");
    }
    let bad_name = serde_json::json!({ "api": "x", "title": "X", "events": { "Not A Name": null } });
    assert!(!validator.is_valid(&bad_name));
}

#[test]
fn catalog_md_lists_every_event_with_its_variant_and_status() {
    let text = std::fs::read_to_string(workspace_root().join("generated/CATALOG.md")).unwrap();
    assert!(text.contains("140 events from 2 providers."));
    for info in webhook_events::apideck::EVENTS {
        let variant = format!("{:?}", webhook_events::apideck::EventType::from_wire(info.event_type));
        let row = text.lines().find(|l| l.starts_with(&format!("| `{}`", info.event_type))).unwrap_or_else(|| panic!("{} missing", info.event_type));
        assert!(row.contains(&format!("`apideck::EventType::{variant}`")) && row.contains(info.status.as_str()), "{row}");
    }
    assert!(text.contains("| `pos.modifier_group.created`<br>alias `pos.modifier-group.created` |"));
}
