//! Helpers shared by the workspace tests: where things are, and the upstream material in
//! `tests/upstream/`. Nothing here reads outside the repository.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ sits in the workspace").to_path_buf()
}

/// An upstream snapshot kept in `tests/upstream/<source>/webhooks.json` (see its README).
pub fn upstream(source: &str) -> webhook_codegen::drift::Upstream {
    let path = upstream_snapshot(source);
    webhook_codegen::drift::Upstream::from_snapshot(&path).unwrap_or_else(|e| panic!("{e}"))
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
