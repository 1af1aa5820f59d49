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
    let files: Vec<PathBuf> =
        yaml_files(&workspace_root().join("spec")).into_iter().chain(yaml_files(Path::new("catalogs/edge"))).collect();
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
        let row = text
            .lines()
            .find(|l| l.starts_with(&format!("| `{}`", info.event_type)))
            .unwrap_or_else(|| panic!("{} missing", info.event_type));
        assert!(row.contains(&format!("`apideck::EventType::{variant}`")) && row.contains(info.status.as_str()), "{row}");
    }
    assert!(text.contains("| `pos.modifier_group.created`<br>alias `pos.modifier-group.created` |"));
}

// ---------------------------------------------------------------- drift against upstream

fn openapi_files() -> Vec<PathBuf> {
    let dir = webhook_tests::shared_dir().join("reference/apideck-openapi");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "yml")).collect();
    files.sort();
    files
}

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

#[test]
fn the_shipped_catalog_has_no_drift_against_the_published_specs() {
    use webhook_codegen::drift;
    let upstream = drift::read_upstream(&openapi_files()).unwrap();
    let catalog = webhook_codegen::load_catalog(&workspace_root().join("spec")).unwrap();
    let report = drift::compare(&catalog, "apideck", &upstream).unwrap();
    assert!(report.is_empty(), "{report}");
    assert_eq!(report.catalog_events, 137);

    let mut args: Vec<std::ffi::OsString> = vec!["import".into(), "--openapi".into()];
    args.extend(openapi_files().into_iter().map(Into::into));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let output = xtask(&refs);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("no drift"));
}

#[test]
fn drift_reports_exactly_what_changed_and_write_adds_the_missing_events() {
    use webhook_codegen::drift;
    let temp = tempfile::tempdir().unwrap();
    let spec = temp.path().join("spec");
    copy_dir(&workspace_root().join("spec"), &spec);
    // One event removed, one added, one renamed, one example changed.
    edit(&spec.join("apideck/crm.yaml"), "  crm.lead.deleted:\n", "");
    edit(&spec.join("apideck/crm.yaml"), "  crm.note.created:\n", "  crm.note.created:\n  crm.meeting.created:\n");
    edit(&spec.join("apideck/hris.yaml"), "  hris.employee.terminated:", "  hris.employees.terminated:");
    edit(&spec.join("apideck/vault.yaml"), "{ example: { entity: { state: available } } }", "{ example: { entity: { state: added } } }");

    let upstream = drift::read_upstream(&openapi_files()).unwrap();
    let report = drift::compare(&webhook_codegen::load_catalog(&spec).unwrap(), "apideck", &upstream).unwrap();
    assert_eq!(report.apis.keys().collect::<Vec<_>>(), ["crm", "hris", "vault"], "{report}");
    let crm = &report.apis["crm"];
    assert_eq!(crm.missing, ["crm.lead.deleted"]);
    assert_eq!(crm.extra, ["crm.meeting.created"]);
    assert!(crm.renamed.is_empty() && crm.examples.is_empty());
    let hris = &report.apis["hris"];
    assert_eq!(hris.renamed, [("hris.employee.terminated".to_string(), "hris.employees.terminated".to_string())]);
    assert!(hris.missing.is_empty() && hris.extra.is_empty());
    let vault = &report.apis["vault"];
    assert_eq!(vault.examples.len(), 1, "{report}");
    assert_eq!(vault.examples[0].0, "vault.connection.deleted");
    assert!(vault.examples[0].2.contains("`payload.entity.state` is \"added\" in the catalog, \"available\" upstream"), "{report}");

    // The command line says the same, and exits 1.
    let mut args: Vec<std::ffi::OsString> = vec!["import".into(), "--spec".into(), spec.clone().into(), "--openapi".into()];
    args.extend(openapi_files().into_iter().map(Into::into));
    let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
    let output = xtask(&refs);
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("upstream, not in the catalog:   crm.lead.deleted"), "{stdout}");
    assert!(stdout.contains("4 differences"), "{stdout}");

    // --write adds the missing event at the end of the api's events, every other line untouched.
    let before = std::fs::read_to_string(spec.join("apideck/crm.yaml")).unwrap();
    let written = drift::write_missing(&spec, "apideck", &report).unwrap();
    assert_eq!(written, [spec.join("apideck/crm.yaml")]);
    let after = std::fs::read_to_string(spec.join("apideck/crm.yaml")).unwrap();
    assert_eq!(after, format!("{before}  crm.lead.deleted:\n"));
    let again = drift::compare(&webhook_codegen::load_catalog(&spec).unwrap(), "apideck", &upstream).unwrap();
    assert!(again.apis.get("crm").is_none_or(|d| d.missing.is_empty()), "{again}");

    // ...and the catalog still generates a crate that compiles.
    let out = temp.path().join("crate");
    webhook_codegen::run(&spec, &out, webhook_codegen::ensure::Mode::Write).unwrap();
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
    use webhook_codegen::catalog_diff::{self, Semver};
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
    assert_eq!(apideck["operations"].as_object().unwrap().len(), 137);
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
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("\n*** SKIPPED: {message}. ***\n");
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
