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
