//! Which workspace the command works on, found at run time.
//!
//! A path baked in at compile time (`env!("CARGO_MANIFEST_DIR")`) would be wrong for a binary
//! built in one checkout and run from another, which a target directory shared between
//! checkouts makes possible: `cargo xtask codegen` would then read and write the other
//! checkout's files. `cargo run` sets `CARGO_MANIFEST_DIR` for the process it starts to the
//! package it was asked to run, in the checkout it was run from, so that is asked first; run
//! some other way, the workspace is the nearest folder above the current one whose `Cargo.toml`
//! has a `[workspace]` table.

use std::path::{Path, PathBuf};

/// The workspace root, and how to show paths in it.
#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    /// Whether the current directory is the root, so default paths can be shown short
    /// (`spec/apideck/pos.yaml`), which keeps messages stable.
    at_root: bool,
}

impl Workspace {
    /// Finds the workspace this command is run for.
    pub fn find() -> Result<Self, String> {
        let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
        let from_cargo = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).and_then(|xtask| xtask.parent().map(Path::to_path_buf));
        let root = from_cargo
            .filter(|dir| is_workspace_root(dir))
            .or_else(|| cwd.ancestors().find(|dir| is_workspace_root(dir)).map(Path::to_path_buf))
            .ok_or_else(|| format!("no workspace found: no Cargo.toml with a [workspace] table in {} or above it", cwd.display()))?;
        let at_root = same_dir(&cwd, &root);
        Ok(Workspace { root, at_root })
    }

    /// The workspace root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `given`, or the workspace's own `name`.
    pub fn path_or(&self, given: Option<PathBuf>, name: &str) -> PathBuf {
        given.unwrap_or_else(|| if self.at_root { PathBuf::from(name) } else { self.root.join(name) })
    }

    /// The catalog: `given`, or the workspace's `spec/`.
    pub fn spec(&self, given: Option<PathBuf>) -> PathBuf {
        self.path_or(given, "spec")
    }
}

fn is_workspace_root(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|toml| toml.lines().any(|l| l.trim() == "[workspace]"))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_root_has_a_workspace_table() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        assert!(!is_workspace_root(dir.path()));
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        assert!(is_workspace_root(dir.path()));
    }
}
