//! Drift between the catalog and a vendor's published OpenAPI specs (Apideck's style: the
//! `x-webhooks` entries, the `*EventType` enums, `WebhookEventType`), per api: events upstream
//! that the catalog lacks, events the catalog has that upstream lacks, names upstream spells
//! differently (alias candidates), and documented examples that disagree with the catalog's
//! fixtures. `write_missing` adds the missing events to their api files without touching any
//! existing line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use webhook_codegen::ir::{Catalog, Provider, Status};
use webhook_codegen::Diagnostics;

/// What upstream documents: the webhook-relevant part of a vendor's OpenAPI files.
///
/// Serialized, it is the compact snapshot a repository keeps instead of the specs themselves
/// ([`Upstream::to_snapshot`]): sorted, one event a line, so the diff of an upstream update
/// shows exactly the events and examples that changed.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// Each file read, with its `info.version`.
    pub sources: BTreeMap<String, String>,
    /// Every event name in the specs' enums and `x-webhooks`, with the files naming it.
    pub events: BTreeMap<String, BTreeSet<String>>,
    /// The documented example body of each event.
    pub examples: BTreeMap<String, Example>,
}

/// One documented example event.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// The spec file, e.g. `pos.yml`.
    pub file: String,
    /// The `x-webhooks` entry, e.g. `OrderCreated`.
    pub entry: String,
    /// The example body.
    pub body: serde_json::Value,
}

impl Example {
    fn place(&self) -> String {
        format!("{} {}", self.file, self.entry)
    }
}

impl Upstream {
    /// The snapshot's text: JSON with keys sorted, one source and one event a line, each
    /// example pretty-printed, ending in a newline.
    pub fn to_snapshot(&self) -> String {
        fn compact<T: serde::Serialize>(value: &T) -> String {
            let value = serde_json::to_value(value).expect("a snapshot is plain data");
            serde_json::to_string(&webhook_codegen::json::sorted(&value)).expect("a JSON value always serializes")
        }
        fn section<T>(out: &mut String, name: &str, entries: &BTreeMap<String, T>, value: impl Fn(&T) -> String, last: bool) {
            out.push_str(&format!("  {}: {{", compact(&name)));
            for (i, (key, entry)) in entries.iter().enumerate() {
                out.push_str(if i == 0 { "\n" } else { ",\n" });
                out.push_str(&format!("    {}: {}", compact(key), value(entry)));
            }
            out.push_str(if entries.is_empty() { "}" } else { "\n  }" });
            out.push_str(if last { "\n" } else { ",\n" });
        }
        let mut out = String::from("{\n");
        section(&mut out, "events", &self.events, compact, false);
        section(
            &mut out,
            "examples",
            &self.examples,
            |example| {
                let value = serde_json::to_value(example).expect("a snapshot is plain data");
                webhook_codegen::json::pretty(&value).trim_end().replace('\n', "\n    ")
            },
            false,
        );
        section(&mut out, "sources", &self.sources, compact, true);
        out.push_str("}\n");
        out
    }

    /// Reads a snapshot written by [`Upstream::to_snapshot`].
    pub fn from_snapshot(path: &Path) -> Result<Upstream, DriftError> {
        let text = fs::read_to_string(path).map_err(|e| DriftError::Spec(path.to_path_buf(), e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| DriftError::Spec(path.to_path_buf(), format!("not an upstream snapshot: {e}")))
    }

    /// The event names a file names, e.g. `webhook.yml`'s `WebhookEventType`.
    pub fn events_in<'a>(&'a self, file: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.events.iter().filter(move |(_, files)| files.contains(file)).map(|(name, _)| name.as_str())
    }
}

/// Why the comparison could not be made.
#[derive(Debug)]
pub enum DriftError {
    /// A spec file could not be read or parsed.
    Spec(PathBuf, String),
    /// The catalog is broken.
    Catalog(Diagnostics),
    /// The catalog has no such provider.
    NoProvider(String),
}

impl fmt::Display for DriftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftError::Spec(p, e) => write!(f, "error: cannot read {}: {e}", p.display()),
            DriftError::Catalog(d) => write!(f, "{d}"),
            DriftError::NoProvider(p) => write!(f, "error: the catalog has no provider `{p}`"),
        }
    }
}

impl std::error::Error for DriftError {}

/// Reads the event names and examples of Apideck-style OpenAPI files.
pub fn read_upstream(files: &[PathBuf]) -> Result<Upstream, DriftError> {
    let mut up = Upstream::default();
    for path in files {
        let text = fs::read_to_string(path).map_err(|e| DriftError::Spec(path.clone(), e.to_string()))?;
        let spec: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| DriftError::Spec(path.clone(), e.to_string()))?;
        let file = path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        let version = spec.get("info").and_then(|i| i.get("version")).and_then(|v| v.as_str()).unwrap_or("unknown");
        up.sources.insert(file.clone(), version.to_string());
        let mut names = BTreeSet::new();
        if let Some(schemas) = spec.get("components").and_then(|c| c.get("schemas")).and_then(|s| s.as_mapping()) {
            for (name, schema) in schemas {
                let name = name.as_str().unwrap_or_default();
                if name.ends_with("EventType") {
                    collect_enum(schema, &mut names);
                } else if name.ends_with("WebhookEvent") {
                    // POS has no `PosEventType`: its list is the event_type enum inside its event schema.
                    collect_event_type_enums(schema, &mut names);
                }
            }
        }
        if let Some(hooks) = spec.get("x-webhooks").and_then(|w| w.as_mapping()) {
            for (entry, hook) in hooks {
                let Some(post) = hook.get("post") else { continue };
                let Some(event) = post.get("x-apideck-event-type").and_then(|e| e.as_str()) else { continue };
                names.insert(event.to_string());
                let example = &post["requestBody"]["content"]["application/json"]["example"];
                if let Ok(body) = serde_json::to_value(example) {
                    if !body.is_null() {
                        let entry = entry.as_str().unwrap_or_default().to_string();
                        up.examples.insert(event.to_string(), Example { file: file.clone(), entry, body });
                    }
                }
            }
        }
        for name in names.into_iter().filter(|n| n != "*") {
            up.events.entry(name).or_default().insert(file.clone());
        }
    }
    Ok(up)
}

fn collect_enum(schema: &serde_yaml::Value, out: &mut BTreeSet<String>) {
    if let Some(values) = schema.get("enum").and_then(|e| e.as_sequence()) {
        out.extend(values.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
}

fn collect_event_type_enums(schema: &serde_yaml::Value, out: &mut BTreeSet<String>) {
    match schema {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                if k.as_str() == Some("event_type") {
                    collect_enum(v, out);
                }
                collect_event_type_enums(v, out);
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| collect_event_type_enums(v, out)),
        _ => {}
    }
}

/// The drift of one api.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ApiDrift {
    /// Upstream names the catalog lacks.
    pub missing: Vec<String>,
    /// Catalog events upstream lacks under any of their names, with their status.
    pub extra: Vec<(String, Status)>,
    /// Upstream names the catalog spells differently: (upstream, catalog event).
    pub renamed: Vec<(String, String)>,
    /// Events whose documented example differs from the catalog's fixture: (event, where, what).
    pub examples: Vec<(String, String, String)>,
}

impl ApiDrift {
    fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.renamed.is_empty() && self.examples.is_empty()
    }

    /// Whether any difference asks for a decision. An event the catalog marks `upcoming` or
    /// `undocumented` is expected to be absent upstream: it is reported, and needs none.
    fn needs_attention(&self) -> bool {
        !self.missing.is_empty()
            || !self.renamed.is_empty()
            || !self.examples.is_empty()
            || self.extra.iter().any(|(_, status)| !expected_upstream_gap(*status))
    }
}

/// Whether a catalog event with this status may be missing upstream.
fn expected_upstream_gap(status: Status) -> bool {
    matches!(status, Status::Upcoming | Status::Undocumented)
}

/// The drift of a provider, by api.
#[derive(Debug, Default)]
pub struct Drift {
    /// By api id; apis without drift are absent.
    pub apis: BTreeMap<String, ApiDrift>,
    /// Upstream event names seen.
    pub upstream_events: usize,
    /// Catalog events of the provider.
    pub catalog_events: usize,
}

impl Drift {
    /// Whether the catalog and upstream agree.
    pub fn is_empty(&self) -> bool {
        self.apis.is_empty()
    }

    /// Whether any difference asks for a decision: everything but events the catalog itself
    /// marks as absent upstream (`upcoming`, `undocumented`).
    pub fn needs_attention(&self) -> bool {
        self.apis.values().any(ApiDrift::needs_attention)
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} upstream events, {} in the catalog", self.upstream_events, self.catalog_events)?;
        if self.is_empty() {
            return write!(f, "no drift");
        }
        for (api, d) in &self.apis {
            writeln!(f, "\napi `{api}`:")?;
            for name in &d.missing {
                writeln!(f, "  upstream, not in the catalog:   {name}")?;
            }
            for (name, status) in &d.extra {
                let why = match status {
                    Status::Upcoming => "marked upcoming: expected",
                    Status::Undocumented => "marked undocumented: expected",
                    Status::Available | Status::Deprecated => "new, or removed upstream",
                };
                writeln!(f, "  in the catalog, not upstream:   {name} ({why})")?;
            }
            for (up, ours) in &d.renamed {
                writeln!(f, "  spelled differently upstream:   {up} (catalog: {ours}; add it as an alias?)")?;
            }
            for (event, place, what) in &d.examples {
                writeln!(f, "  example differs ({place}):   {event}: {what}")?;
            }
        }
        let n: usize = self.apis.values().map(|d| d.missing.len() + d.extra.len() + d.renamed.len() + d.examples.len()).sum();
        let attention = if self.needs_attention() { "some need a decision" } else { "all expected" };
        write!(f, "\n{n} difference{} ({attention})", if n == 1 { "" } else { "s" })
    }
}

/// One spelling for names that differ only by separator or by a plural entity:
/// `crm.notes.updated` and `accounting.purchase-order.created` match their catalog events.
fn normalize(name: &str) -> String {
    let mut parts: Vec<String> = name.split('.').map(|s| s.replace('-', "_")).collect();
    if parts.len() >= 3 {
        let entity = &mut parts[1];
        if let Some(stem) = entity.strip_suffix('s') {
            *entity = stem.to_string();
        }
    }
    parts.join(".")
}

/// Compares a provider of the catalog with upstream.
pub fn compare(catalog: &Catalog, provider: &str, upstream: &Upstream) -> Result<Drift, DriftError> {
    let p: &Provider = catalog.providers.iter().find(|p| p.name == provider).ok_or_else(|| DriftError::NoProvider(provider.to_string()))?;
    let mut drift = Drift { upstream_events: upstream.events.len(), catalog_events: p.events.len(), ..Drift::default() };
    let mut known: BTreeMap<&str, &str> = BTreeMap::new(); // every catalog name and alias → event
    let mut normalized: BTreeMap<String, &str> = BTreeMap::new();
    for e in &p.events {
        for name in std::iter::once(&e.wire).chain(&e.aliases) {
            known.insert(name, &e.wire);
            normalized.insert(normalize(name), &e.wire);
        }
    }
    let api_of = |name: &str| name.split('.').next().unwrap_or_default().to_string();
    for name in upstream.events.keys() {
        if known.contains_key(name.as_str()) {
            continue;
        }
        let d = drift.apis.entry(api_of(name)).or_default();
        match normalized.get(&normalize(name)) {
            Some(ours) => d.renamed.push((name.clone(), ours.to_string())),
            None => d.missing.push(name.clone()),
        }
    }
    let renamed_targets: BTreeSet<String> = drift.apis.values().flat_map(|d| d.renamed.iter().map(|(_, ours)| ours.clone())).collect();
    for e in &p.events {
        let upstream_has = std::iter::once(&e.wire).chain(&e.aliases).any(|n| upstream.events.contains_key(n));
        if !upstream_has && !renamed_targets.contains(&e.wire) {
            drift.apis.entry(p.apis[e.api].wire.clone()).or_default().extra.push((e.wire.clone(), e.status));
        }
    }
    for (event, example) in &upstream.examples {
        let Some(ours) = known.get(event.as_str()).and_then(|w| p.events.iter().find(|e| e.wire == *w)) else { continue };
        if let Some(what) = example_difference(&ours.fixture, &example.body) {
            drift.apis.entry(api_of(event)).or_default().examples.push((event.clone(), example.place(), what));
        }
    }
    drift.apis.retain(|_, d| !d.is_empty());
    Ok(drift)
}

/// How a documented example differs from the catalog's fixture, field by field, or `None`.
fn example_difference(ours: &serde_json::Value, theirs: &serde_json::Value) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let mut diffs = Vec::new();
    diff_values("", ours, theirs, &mut diffs);
    Some(diffs.join("; "))
}

fn diff_values(path: &str, ours: &serde_json::Value, theirs: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value::Object;
    match (ours, theirs) {
        (Object(a), Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for k in keys {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => diff_values(&p, x, y, out),
                    (Some(_), None) => out.push(format!("`{p}` only in the catalog")),
                    (None, Some(_)) => out.push(format!("`{p}` only upstream")),
                    (None, None) => {}
                }
            }
        }
        (a, b) if a != b => out.push(format!("`{path}` is {a} in the catalog, {b} upstream")),
        _ => {}
    }
}

/// Adds every missing event to its api's file under `spec_dir/provider/`, as a new `name:` line at
/// the end of its `events:` mapping; creates the api file when there is none. Existing lines and
/// comments are left as they are. Returns the files changed.
pub fn write_missing(spec_dir: &Path, provider: &str, drift: &Drift) -> std::io::Result<Vec<PathBuf>> {
    let dir = spec_dir.join(provider);
    let mut changed = Vec::new();
    for (api, d) in &drift.apis {
        if d.missing.is_empty() {
            continue;
        }
        let path = find_api_file(&dir, api)?.unwrap_or_else(|| dir.join(format!("{api}.yaml")));
        let mut text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!(
                "{}\n# Added by `cargo xtask import`: review the title and description.\napi: {api}\ntitle: {api}\nevents:\n",
                webhook_codegen::schema::MODELINE
            ),
            Err(e) => return Err(e),
        };
        let last_top_level = text.lines().rev().find(|l| !l.is_empty() && !l.starts_with([' ', '#', '\t']));
        if !last_top_level.is_some_and(|l| l.starts_with("events:")) {
            return Err(std::io::Error::other(format!(
                "{}: `events:` is not the last key, so new events cannot be appended safely; add them by hand: {}",
                path.display(),
                d.missing.join(", ")
            )));
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
        for name in &d.missing {
            text.push_str(&format!("  {name}:\n"));
        }
        fs::write(&path, text)?;
        changed.push(path);
    }
    Ok(changed)
}

/// The file whose `api:` is `api`.
fn find_api_file(dir: &Path, api: &str) -> std::io::Result<Option<PathBuf>> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = fs::read_to_string(&path)?;
            if text.lines().any(|l| l.trim_end() == format!("api: {api}")) {
                return Ok(Some(path));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_snapshot_reads_back_as_what_was_written() {
        let mut up = super::Upstream::default();
        up.sources.insert("a.yml".into(), "1.0".into());
        up.events.entry("a.b.created".into()).or_default().extend(["a.yml".to_string(), "z.yml".to_string()]);
        up.events.entry("a.b.deleted".into()).or_default().insert("a.yml".into());
        let body = serde_json::json!({ "payload": { "z": [1, { "y": "\u{e9}\"" }], "a": null } });
        up.examples.insert("a.b.created".into(), super::Example { file: "a.yml".into(), entry: "Created".into(), body });
        let text = up.to_snapshot();
        assert_eq!(serde_json::from_str::<super::Upstream>(&text).unwrap(), up, "{text}");
        assert!(text.contains("\n    \"a.b.created\": [\"a.yml\",\"z.yml\"],\n"), "one event a line:\n{text}");
        assert_eq!(serde_json::from_str::<super::Upstream>(&super::Upstream::default().to_snapshot()).unwrap(), super::Upstream::default());
    }

    #[test]
    fn normalizing_matches_older_spellings() {
        assert_eq!(super::normalize("crm.notes.updated"), super::normalize("crm.note.updated"));
        assert_eq!(super::normalize("accounting.purchase-order.created"), super::normalize("accounting.purchase_order.created"));
        assert_ne!(super::normalize("crm.note.updated"), super::normalize("crm.lead.updated"));
    }
}
