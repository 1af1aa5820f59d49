//! The generator's output for a catalog of edge cases (keyword and std-shadowing names,
//! four-segment events, irregular plurals, hyphen and underscore entities, aliases, every status),
//! as insta snapshots, and compiled with clippy so the snapshots are known to be valid Rust.

use std::path::Path;
use std::process::Command;

use webhook_codegen::ensure::Mode;
use webhook_tests::workspace_root;

#[test]
fn edge_catalog_output() {
    let generated = webhook_codegen::generate(Path::new("catalogs/edge"), &webhook_tests::workspace_settings()).unwrap();
    for (path, text) in &generated.files {
        let name = path.to_string_lossy().replace(['/', '\\'], "__");
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn edge_catalog_output_compiles_cleanly() {
    let out = tempfile::tempdir().unwrap();
    webhook_codegen::run(Path::new("catalogs/edge"), out.path(), Mode::Write, &webhook_tests::settings_anywhere()).unwrap();
    // The workspace's lock file pins the same dependency versions, so nothing is resolved anew.
    std::fs::copy(workspace_root().join("Cargo.lock"), out.path().join("Cargo.lock")).unwrap();
    // Outside the workspace (a temp dir), with its own target dir kept between runs so that only
    // the edge crate itself is rebuilt.
    let status = Command::new(env!("CARGO"))
        .args(["clippy", "--quiet", "--all-targets", "--all-features", "--", "-D", "warnings"])
        .current_dir(out.path())
        .env("CARGO_TARGET_DIR", workspace_root().join("target/edge-check"))
        .status()
        .unwrap();
    assert!(status.success(), "the edge catalog's crate does not build cleanly");
}
