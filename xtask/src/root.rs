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

    /// The path from the crate at `out` to the workspace's `runtime/`, as its `Cargo.toml` says it:
    /// `../runtime` for the workspace's own `generated/`, whatever the machine.
    pub fn runtime_path_from(&self, out: &Path) -> Result<String, String> {
        self.relative_from(out, &self.root.join("runtime"))
    }

    /// The path from directory `from` to `to`, with `/` on every system, so that what the
    /// generated files say of it is the same on every machine.
    pub fn relative_from(&self, from: &Path, to: &Path) -> Result<String, String> {
        Ok(relative(&absolute(from)?, &absolute(to)?).to_string_lossy().replace('\\', "/"))
    }

    /// The catalog: `given`, or the workspace's `spec/`.
    pub fn spec(&self, given: Option<PathBuf>) -> PathBuf {
        self.path_or(given, "spec")
    }
}

/// `path` made absolute and free of `.`, `..` and links, as far as it exists.
fn absolute(path: &Path) -> Result<PathBuf, String> {
    let path = std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // The deepest existing ancestor resolves links; the rest is appended as given.
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        rest.push(existing.file_name().ok_or_else(|| format!("{}: no existing ancestor", path.display()))?);
        existing = existing.parent().ok_or_else(|| format!("{}: no existing ancestor", path.display()))?;
    }
    let mut resolved = existing.canonicalize().map_err(|e| format!("{}: {e}", existing.display()))?;
    resolved.extend(rest.iter().rev());
    Ok(resolved)
}

/// The relative path from directory `from` to `to`, both absolute.
fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part);
    }
    out
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
    fn relative_paths_climb_to_the_common_ancestor() {
        assert_eq!(relative(Path::new("/w/generated"), Path::new("/w/runtime")), Path::new("../runtime"));
        assert_eq!(relative(Path::new("/tmp/x/crate"), Path::new("/w/runtime")), Path::new("../../../w/runtime"));
        assert_eq!(relative(Path::new("/w"), Path::new("/w/runtime")), Path::new("runtime"));
    }

    #[test]
    fn a_workspace_root_has_a_workspace_table() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"x\"\n").unwrap();
        assert!(!is_workspace_root(dir.path()));
        std::fs::write(dir.path().join("Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        assert!(is_workspace_root(dir.path()));
    }
}
