//! The tooling around the catalog: its JSON Schema and the readable CATALOG.md.

use std::collections::BTreeSet;
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
    let crate_file = workspace_root().join("spec/crate.yaml");
    let files: Vec<PathBuf> = yaml_files(&workspace_root().join("spec"))
        .into_iter()
        .chain(yaml_files(Path::new("catalogs/edge")))
        .chain([crate_file.clone()])
        .collect();
    assert!(files.len() > 2, "{files:?}");
    for path in &files {
        let errors: Vec<String> = validator.iter_errors(&as_json(path)).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
    for path in yaml_files(&workspace_root().join("spec")) {
        let first = std::fs::read_to_string(&path).unwrap().lines().next().unwrap_or_default().to_string();
        assert_eq!(first, webhook_codegen::schema::MODELINE, "{} does not point at the schema", path.display());
    }
    let first = std::fs::read_to_string(&crate_file).unwrap().lines().next().unwrap_or_default().to_string();
    assert_eq!(first, "# yaml-language-server: $schema=catalog.schema.json", "spec/crate.yaml does not point at the schema");
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
    let events = webhook_events::apideck::EVENTS.len() + webhook_events::pack::EVENTS.len();
    assert!(text.contains(&format!("{events} events from 2 providers.")), "{}", text.lines().take(5).collect::<Vec<_>>().join("\n"));
    for info in webhook_events::apideck::EVENTS {
        let variant = format!("{:?}", webhook_events::apideck::EventType::from_wire(info.event_type));
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", info.event_type)))
            .unwrap_or_else(|| panic!("{} missing", info.event_type));
        assert!(row.contains(&format!("`apideck::EventType::{variant}`")) && row.contains(info.status.as_str()), "{row}");
    }
    assert!(text.contains("| `pos.modifier_group.created`<br>alias `pos.modifier-group.created` |"));
}

// ---------------------------------------------------------------- drift against upstream

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} has no `{from}`", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn xtask(args: &[&std::ffi::OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(args)
        .current_dir(workspace_root())
        .output()
        .unwrap()
}

/// The drift report of the shipped catalog against the kept snapshot of Apideck's specs agrees,
/// difference by difference, with what the generated crate knows; and the command's exit status
/// says whether any difference needs a decision. Derived from both sides, so it holds whatever
/// events the catalog has.
#[test]
fn the_drift_report_of_the_shipped_catalog_agrees_with_the_generated_crate() {
    use webhook_catalog_tools::drift;
    use webhook_events::apideck::{EventType, EVENTS};
    let upstream = webhook_tests::upstream("apideck-openapi");
    let catalog = webhook_codegen::load_catalog(&workspace_root().join("spec")).unwrap();
    let report = drift::compare(&catalog, "apideck", &upstream).unwrap();
    assert_eq!(report.catalog_events, EVENTS.len());
    assert_eq!(report.upstream_events, upstream.events.len());

    // Upstream names the crate does not know are exactly the ones reported missing or renamed.
    let unknown: BTreeSet<&str> = upstream.events.keys().map(String::as_str).filter(|n| !EventType::from_wire(n).is_known()).collect();
    let reported: BTreeSet<&str> = report
        .apis
        .values()
        .flat_map(|d| d.missing.iter().map(String::as_str).chain(d.renamed.iter().map(|(up, _)| up.as_str())))
        .collect();
    assert_eq!(reported, unknown, "{report}");
    // Catalog events reported as absent upstream are, under every name, and carry their own status.
    for (name, status) in report.apis.values().flat_map(|d| &d.extra) {
        let info = EventType::from_wire(name).info().unwrap();
        assert_eq!(info.status.as_str(), status.as_str(), "{name}");
        assert!(std::iter::once(&info.event_type).chain(info.aliases).all(|n| !upstream.events.contains_key(*n)), "{name}");
    }

    let output = xtask(&["import".as_ref()]);
    assert_eq!(output.status.code(), Some(i32::from(report.needs_attention())), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout), format!("{report}\n"));
}

/// A snapshot made from the catalog itself: every event named upstream, every fixture its example.
fn upstream_of(catalog: &webhook_codegen::ir::Catalog, provider: &str) -> webhook_catalog_tools::drift::Upstream {
    let mut up = webhook_catalog_tools::drift::Upstream::default();
    up.sources.insert("spec.yml".into(), "1".into());
    let p = catalog.providers.iter().find(|p| p.name == provider).unwrap();
    for e in &p.events {
        up.events.entry(e.wire.clone()).or_default().insert("spec.yml".into());
        let example = webhook_catalog_tools::drift::Example { file: "spec.yml".into(), entry: e.variant.clone(), body: e.fixture.clone() };
        up.examples.insert(e.wire.clone(), example);
    }
    up
}

/// Each kind of change between a catalog and upstream is reported for what it is, by the library
/// and by the command line reading a saved snapshot, and `--write` adds exactly the missing events.
#[test]
fn drift_reports_exactly_what_changed_and_write_adds_the_missing_events() {
    use webhook_catalog_tools::drift;
    use webhook_codegen::ir::Status;
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("spec");
    copy_dir(Path::new("catalogs/edge"), &spec);
    let upstream = upstream_of(&webhook_codegen::load_catalog(&spec).unwrap(), "edge");
    assert!(drift::compare(&webhook_codegen::load_catalog(&spec).unwrap(), "edge", &upstream).unwrap().is_empty());

    // One event removed, one added, one announced, one renamed, one example changed.
    let api = spec.join("edge/match.yaml");
    edit(&api, "  match.activity.created:\n", "");
    edit(&api, "  match.option.created:\n", "  match.option.created: { example: { kind: b } }\n  match.thing.created:\n");
    edit(&api, "  match.type.created:\n", "  match.types.created:\n  match.later.created: { status: upcoming }\n");

    let report = drift::compare(&webhook_codegen::load_catalog(&spec).unwrap(), "edge", &upstream).unwrap();
    assert_eq!(report.apis.keys().collect::<Vec<_>>(), ["match"], "{report}");
    let d = &report.apis["match"];
    assert_eq!(d.missing, ["match.activity.created"], "{report}");
    assert_eq!(d.extra, [("match.later.created".to_string(), Status::Upcoming), ("match.thing.created".to_string(), Status::Available)]);
    assert_eq!(d.renamed, [("match.type.created".to_string(), "match.types.created".to_string())]);
    assert_eq!(d.examples.len(), 1, "{report}");
    assert_eq!(d.examples[0].0, "match.option.created");
    assert!(d.examples[0].2.contains("`payload.kind` is \"b\" in the catalog, \"a\" upstream"), "{report}");
    assert!(report.needs_attention());

    // The command line says the same from a saved snapshot, and exits 1.
    let snapshot = temp.path().join("upstream.json");
    std::fs::write(&snapshot, upstream.to_snapshot()).unwrap();
    let args: Vec<&std::ffi::OsStr> = vec![
        "import".as_ref(),
        "--spec".as_ref(),
        spec.as_os_str(),
        "--upstream".as_ref(),
        snapshot.as_os_str(),
        "--provider".as_ref(),
        "edge".as_ref(),
    ];
    let output = xtask(&args);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout, format!("{report}\n"));
    assert!(stdout.contains("upstream, not in the catalog:   match.activity.created"), "{stdout}");
    assert!(stdout.contains("match.later.created (marked upcoming: expected)"), "{stdout}");
    assert!(stdout.contains("5 differences (some need a decision)"), "{stdout}");

    // Only an expected gap left: reported, exit 0.
    edit(&api, "  match.option.created: { example: { kind: b } }\n  match.thing.created:\n", "  match.option.created:\n");
    edit(&api, "  match.types.created:", "  match.type.created:");
    let text = std::fs::read_to_string(&api).unwrap();
    std::fs::write(&api, format!("{text}  match.activity.created:\n")).unwrap();
    let output = xtask(&args);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(String::from_utf8_lossy(&output.stdout).contains("1 difference (all expected)"));

    // --write adds the missing event at the end of the api's events, every other line untouched.
    edit(&api, "  match.activity.created:\n", "");
    let report = drift::compare(&webhook_codegen::load_catalog(&spec).unwrap(), "edge", &upstream).unwrap();
    let before = std::fs::read_to_string(&api).unwrap();
    let written = drift::write_missing(&spec, "edge", &report).unwrap();
    assert_eq!(written, std::slice::from_ref(&api));
    assert_eq!(std::fs::read_to_string(&api).unwrap(), format!("{before}  match.activity.created:\n"));
    let again = drift::compare(&webhook_codegen::load_catalog(&spec).unwrap(), "edge", &upstream).unwrap();
    assert!(!again.needs_attention(), "{again}");

    // ...and the catalog still generates a crate that compiles.
    let out = temp.path().join("crate");
    webhook_codegen::run(&spec, &out, webhook_codegen::ensure::Mode::Write, &webhook_tests::settings_anywhere()).unwrap();
    std::fs::copy(workspace_root().join("Cargo.lock"), out.join("Cargo.lock")).unwrap();
    let status = std::process::Command::new(env!("CARGO"))
        .args(["check", "--quiet"])
        .current_dir(&out)
        .env("CARGO_TARGET_DIR", workspace_root().join("target/edge-check"))
        .status()
        .unwrap();
    assert!(status.success(), "the catalog written by --write does not compile");
}

// ---------------------------------------------------------------- semver-aware diff

fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(["-c", "user.email=test@example.invalid", "-c", "user.name=test", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

#[test]
fn diff_classifies_each_change_by_its_semver_effect() {
    use webhook_catalog_tools::catalog_diff::{self, Semver};
    use webhook_codegen::load_catalog;
    let repo = tempfile::tempdir().unwrap();
    let spec = repo.path().join("spec");
    copy_dir(Path::new("catalogs/edge"), &spec);
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);

    let diff = |base: &str| {
        let (_keep, old) = catalog_diff::catalog_at(&spec, base).unwrap();
        catalog_diff::diff(&load_catalog(&old).unwrap(), &load_catalog(&spec).unwrap())
    };
    assert!(diff("HEAD").is_empty());
    assert_eq!(catalog_diff::markdown(&[], "HEAD"), "## Catalog changes against `HEAD`\n\nNo changes to the catalog.\n");

    let api = spec.join("edge/match.yaml");
    edit(&api, "  match.activity.created:\n", "");
    edit(
        &api,
        "  match.type.created:\n",
        "  match.type.created: { description: \"Event broadcast when a type is made.\" }\n  match.thing.created:\n",
    );
    edit(&api, "  match.time-off-request.created:", "  match.leave-request.created: { aliases: [match.time-off-request.created] }");
    edit(
        &api,
        "  match.ghost.created: { status: undocumented }",
        "  match.spirit.created: { status: undocumented, aliases: [match.ghost.created], rust_name: MatchGhostCreated }",
    );
    edit(&api, "  match.option.created:", "  match.option.created: { status: deprecated }");
    edit(&spec.join("edge/provider.yaml"), "      string: { type: string, description: A field named like `String`. }", "      string: { type: string, description: A field named like `String`. }\n      note: { type: string, description: A new field. }");

    let changes = diff("HEAD");
    let find = |subject: &str, kind: &str| {
        changes.iter().find(|c| c.subject == subject && c.kind == kind).unwrap_or_else(|| panic!("no {kind} {subject} in {changes:#?}"))
    };
    assert_eq!(find("`match.activity.created`", "removed").semver, Semver::Major);
    assert_eq!(find("`match.thing.created`", "added").semver, Semver::Minor);
    assert_eq!(find("`match.time-off-request.created`", "renamed").semver, Semver::Major, "the Rust variant changed");
    assert_eq!(find("`match.ghost.created`", "renamed").semver, Semver::Minor, "wire alias and Rust variant both kept");
    assert_eq!(find("`match.option.created`", "changed").semver, Semver::Minor);
    assert_eq!(find("`match.type.created`", "changed").semver, Semver::Patch);
    assert_eq!(find("payload `box`", "changed").semver, Semver::Minor);
    assert_eq!(changes.len(), 7, "{changes:#?}");
    assert!(
        !changes.iter().any(|c| c.subject == "`match.leave-request.created`" || c.subject == "`match.spirit.created`"),
        "a rename is not also an addition"
    );

    let markdown = catalog_diff::markdown(&changes, "HEAD");
    assert!(markdown.contains("**Semver: major** for `webhook-events` (2 major, 4 minor, 1 patch)."), "{markdown}");
    assert!(markdown.contains("| major | removed | edge | `match.activity.created` | `EventType::MatchActivityCreated` is gone and the name parses as `Unknown` |"), "{markdown}");
}

// ---------------------------------------------------------------- AsyncAPI export

#[test]
fn asyncapi_documents_describe_every_event_and_pass_the_official_parser() {
    let catalog = webhook_codegen::load_catalog(&workspace_root().join("spec")).unwrap();
    let documents = webhook_codegen::asyncapi::export(&catalog);
    assert_eq!(documents.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["apideck.asyncapi.json", "pack.asyncapi.json"]);

    // Every event is an operation with its message, headers and documented example.
    let apideck: serde_json::Value = serde_json::from_str(&documents[0].1).unwrap();
    assert_eq!(apideck["asyncapi"], "3.0.0");
    assert_eq!(apideck["operations"].as_object().unwrap().len(), webhook_events::apideck::EVENTS.len());
    let message = &apideck["components"]["messages"]["PosOrderCreated"];
    assert_eq!(message["name"], "pos.order.created");
    assert_eq!(message["headers"]["properties"]["x-apideck-event-type"]["const"], "pos.order.created");
    let fixture: serde_json::Value =
        serde_json::from_str(webhook_events::apideck::fixtures::get(&webhook_events::apideck::EventType::PosOrderCreated).unwrap())
            .unwrap();
    assert_eq!(message["examples"][0]["payload"], fixture);
    assert_eq!(
        apideck["components"]["schemas"]["ConnectionEvent"]["properties"]["entity"]["$ref"],
        "#/components/schemas/ConsumerConnection"
    );

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, text) in &documents {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        files.push(path);
    }
    // A negative control: an operation naming a message that does not exist must fail.
    let mut broken = apideck.clone();
    broken["operations"]["receivePosOrderCreated"]["messages"][0]["$ref"] = "#/channels/apideckWebhooks/messages/NoSuchMessage".into();
    let broken_path = dir.path().join("broken.asyncapi.json");
    std::fs::write(&broken_path, serde_json::to_string(&broken).unwrap()).unwrap();

    let checker = workspace_root().join("tests/asyncapi");
    let has_node = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !has_node || !checker.join("node_modules/@asyncapi/parser").is_dir() {
        let message = "`node` or @asyncapi/parser is missing (run `npm ci --prefix tests/asyncapi`), so the exported AsyncAPI documents were not validated";
        webhook_tests::skipped(message);
        return;
    }
    let run = |paths: &[PathBuf]| std::process::Command::new("node").arg(checker.join("validate.mjs")).args(paths).output().unwrap();
    let output = run(&files);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the AsyncAPI parser found errors:\n{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(stdout.matches(": 0 errors").count(), 2, "{stdout}");
    let output = run(&[broken_path]);
    assert!(!output.status.success(), "the parser accepted a broken document:\n{}", String::from_utf8_lossy(&output.stdout));
}
