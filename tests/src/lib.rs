//! Helpers shared by the workspace tests: where things are, and the upstream examples.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// The shared folder beside the project (vendor pages and specs), or `WEBHOOK_SHARED_DIR`.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WEBHOOK_SHARED_DIR") {
        return PathBuf::from(dir);
    }
    let dir = workspace_root().join("../shared");
    assert!(dir.is_dir(), "the upstream material is missing: expected {} (or set WEBHOOK_SHARED_DIR)", dir.display());
    dir
}

/// One documented example from an OpenAPI spec's `x-webhooks`.
#[derive(Debug)]
pub struct UpstreamExample {
    /// The spec file, e.g. `pos.yml`.
    pub file: String,
    /// The entry's name, e.g. `OrderCreated`.
    pub name: String,
    /// Its `x-apideck-event-type`.
    pub event_type: String,
    /// The example body.
    pub body: serde_json::Value,
}

/// Every documented example in `reference/apideck-openapi/*.yml`.
pub fn openapi_examples() -> Vec<UpstreamExample> {
    let dir = shared_dir().join("reference/apideck-openapi");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the OpenAPI specs")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("a spec file");
        let spec: serde_yaml::Value = serde_yaml::from_str(&text).expect("a YAML spec");
        let Some(webhooks) = spec.get("x-webhooks").and_then(|w| w.as_mapping()) else { continue };
        for (name, entry) in webhooks {
            let Some(post) = entry.get("post") else { continue };
            let event_type = post["x-apideck-event-type"].as_str().expect("x-apideck-event-type").to_string();
            let example = &post["requestBody"]["content"]["application/json"]["example"];
            out.push(UpstreamExample {
                file: path.file_name().unwrap().to_string_lossy().into_owned(),
                name: name.as_str().expect("a string key").to_string(),
                event_type,
                body: serde_json::to_value(example).expect("YAML example as JSON"),
            });
        }
    }
    out
}

/// The example bodies of a vendor page: every JSON object that follows a `Payload` line.
pub fn seed_examples(file: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(shared_dir().join("seeds").join(file)).expect("a seed page");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Payload\n{") {
        let start = i + "Payload\n".len();
        let mut stream = serde_json::Deserializer::from_str(&rest[start..]).into_iter::<serde_json::Value>();
        let value = stream.next().expect("a JSON example").expect("valid JSON");
        out.push(value);
        rest = &rest[start + stream.byte_offset()..];
    }
    out
}

/// The README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExample;
