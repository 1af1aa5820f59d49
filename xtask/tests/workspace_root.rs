//! The workspace is found at run time: a binary built in one checkout, run for another (as a
//! target directory shared between checkouts makes happen), reads and writes only the other's
//! files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A second checkout: a workspace manifest and a small catalog, nothing generated yet.
fn other_checkout() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/catalogs/edge/plain");
    let spec = dir.path().join("spec/plain");
    std::fs::create_dir_all(&spec).unwrap();
    for entry in std::fs::read_dir(catalog).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, spec.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("xtask/src")).unwrap();
    dir
}

fn this_checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn cargo_run_in_another_checkout_works_on_that_checkout() {
    let other = other_checkout();
    // What `cargo run` sets for the process when run in the other checkout.
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["codegen", "--check"])
        .current_dir(other.path())
        .env("CARGO_MANIFEST_DIR", other.path().join("xtask"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // It compared the other checkout's (missing) crate with the other checkout's catalog.
    assert!(stderr.contains("missing") && stderr.contains("src/plain/mod.rs"), "{stderr}");
    assert!(!stderr.contains("src/apideck/"), "it read this checkout's catalog:\n{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("codegen")
        .current_dir(other.path())
        .env("CARGO_MANIFEST_DIR", other.path().join("xtask"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(other.path().join("generated/src/plain/mod.rs").is_file());
    assert!(!this_checkout().join("generated/src/plain").exists(), "it wrote into this checkout");
}

#[test]
fn run_outside_cargo_it_uses_the_workspace_above_the_current_directory() {
    let other = other_checkout();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("codegen")
        .current_dir(other.path().join("spec/plain"))
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(other.path().join("generated/src/plain/mod.rs").is_file());

    let nowhere = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("codegen")
        .current_dir(nowhere.path())
        .env_remove("CARGO_MANIFEST_DIR")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no workspace found"));
}
