//! Every kind of broken catalog gets an error naming the file, line and column, what is wrong
//! and what to do; and nothing is written. The messages are insta snapshots: read them as a user
//! would.

use std::path::Path;

use webhook_codegen::ensure::Mode;

/// The error text for a catalog under `catalogs/bad/`. Paths are relative to this package, so the
/// text is the same on every machine.
fn errors(case: &str) -> String {
    let spec = Path::new("catalogs/bad").join(case);
    assert!(spec.is_dir(), "no such case: {}", spec.display());
    match webhook_codegen::generate(&spec, &webhook_tests::workspace_settings()) {
        Ok(_) => panic!("`{case}` generated without error"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

macro_rules! case {
    ($name:ident, $place:expr) => {
        #[test]
        fn $name() {
            let text = errors(stringify!($name));
            assert!(text.contains($place), "the error does not point at `{}`:\n{text}", $place);
            assert!(text.contains("= help: "), "the error says nothing about what to do:\n{text}");
            assert!(text.ends_with("nothing was written"), "{text}");
            insta::assert_snapshot!(stringify!($name), text);
        }
    };
}

case!(yaml_syntax, "catalogs/bad/yaml_syntax/shop/orders.yaml:5:1");
case!(not_utf8, "catalogs/bad/not_utf8/shop/orders.yaml:4:44");
case!(unknown_key, "catalogs/bad/unknown_key/shop/orders.yaml:4:");
case!(missing_key, "catalogs/bad/missing_key/shop/orders.yaml:1:1");
case!(wrong_type, "catalogs/bad/wrong_type/shop/orders.yaml:4:");
case!(duplicate_event, "catalogs/bad/duplicate_event/shop/orders.yaml:6:3");
case!(duplicate_across_files, "catalogs/bad/duplicate_across_files/depot/fulfilment.yaml:4:3");
case!(alias_equals_event, "catalogs/bad/alias_equals_event/shop/invoices.yaml:4:");
case!(rust_name_collision, "catalogs/bad/rust_name_collision/shop/orders.yaml:5:3");
case!(bad_url_placeholder, "catalogs/bad/bad_url_placeholder/shop/orders.yaml:3:1");
case!(malformed_event_name, "catalogs/bad/malformed_event_name/shop/orders.yaml:5:3");
case!(empty_catalog, "catalogs/bad/empty_catalog");
case!(empty_events, "catalogs/bad/empty_events");
case!(missing_provider_file, "catalogs/bad/missing_provider_file/shop");
case!(undescribable_action, "catalogs/bad/undescribable_action/shop/orders.yaml:4:3");
case!(unknown_field_type, "catalogs/bad/unknown_field_type/shop/provider.yaml:13:");
case!(wrong_api, "catalogs/bad/wrong_api/shop/orders.yaml:4:3");
case!(bad_crate_file, "catalogs/bad/bad_crate_file/crate.yaml:1:1");
case!(api_module_collision, "catalogs/bad/api_module_collision/shop/b.yaml:1:1");
case!(feature_collision, "catalogs/bad/feature_collision/shop/provider.yaml:1:1");
case!(nameless_field, "catalogs/bad/nameless_field/shop/provider.yaml:13:7");
case!(empty_enum, "catalogs/bad/empty_enum/shop/provider.yaml:15:3");
case!(validation_is_event, "catalogs/bad/validation_is_event/shop/provider.yaml:8:1");
case!(payload_without_event_type, "catalogs/bad/payload_without_event_type/shop/provider.yaml:9:3");
case!(example_misfit, "catalogs/bad/example_misfit/shop/orders.yaml:4:3");
case!(multiline_title, "catalogs/bad/multiline_title/shop/provider.yaml:2:1");
case!(reserved_method, "catalogs/bad/reserved_method/shop/orders.yaml:5:3");
case!(api_method_collision, "catalogs/bad/api_method_collision/shop/orders.yaml:5:3");
case!(validation_without_body, "catalogs/bad/validation_without_body/shop/provider.yaml:8:1");
case!(long_name, "catalogs/bad/long_name/shop/orders.yaml:5:3");

#[test]
fn every_bad_catalog_has_a_test() {
    let mut cases: Vec<String> =
        std::fs::read_dir("catalogs/bad").unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    cases.sort();
    let source = std::fs::read_to_string("errors.rs").unwrap();
    for case in cases {
        assert!(source.contains(&format!("case!({case},")), "catalogs/bad/{case} has no test");
    }
}

#[test]
fn a_broken_catalog_writes_nothing() {
    // An output directory holding a good generated crate, then a run over every broken catalog.
    let out = tempfile::tempdir().unwrap();
    webhook_codegen::run(Path::new("catalogs/edge"), out.path(), Mode::Write, &webhook_tests::settings_anywhere()).unwrap();
    let before = snapshot_dir(out.path());
    for entry in std::fs::read_dir("catalogs/bad").unwrap() {
        let spec = entry.unwrap().path();
        let result = webhook_codegen::run(&spec, out.path(), Mode::Write, &webhook_tests::settings_anywhere());
        assert!(matches!(result, Err(webhook_codegen::RunError::Catalog(_))), "{}", spec.display());
        assert_eq!(snapshot_dir(out.path()), before, "{} changed the output directory", spec.display());
    }
}

fn snapshot_dir(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}
