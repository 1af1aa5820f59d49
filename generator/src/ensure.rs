//! Step 4 of 4: make the output directory hold exactly the generated files, or (check mode) say
//! how it differs. Every file is already in memory when this runs, so a broken catalog can never
//! leave the directory half written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Write the files, or only compare them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write changed and missing files, remove orphans.
    Write,
    /// Change nothing; report differences.
    Check,
}

/// How one file differs from what the generator produces.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Difference {
    /// The file exists with other contents.
    Stale,
    /// The generator produces it but it does not exist.
    Missing,
    /// It exists but the generator does not produce it.
    Orphan,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so the command line can align the list with `{:<8}`.
        f.pad(match self {
            Difference::Stale => "stale",
            Difference::Missing => "missing",
            Difference::Orphan => "orphan",
        })
    }
}

/// What a run found and did.
#[derive(Debug, Default)]
pub struct Report {
    /// Files that differed (in check mode) or were fixed (in write mode), sorted.
    pub differences: Vec<(PathBuf, Difference)>,
    /// Files already as generated.
    pub unchanged: usize,
}

/// Folders inside the output directory that belong to builds, not to the crate.
const IGNORED_DIRS: [&str; 1] = ["target"];

/// Brings `out_dir` in line with `files` (paths relative to it), or compares in check mode.
///
/// Refuses to touch a non-empty directory that is not a generated crate (its `Cargo.toml` lacks the
/// generated header), so a mistyped `--out` cannot delete someone's files as orphans.
pub fn ensure(out_dir: &Path, files: &BTreeMap<PathBuf, String>, mode: Mode) -> io::Result<Report> {
    let existing = list(out_dir)?;
    if mode == Mode::Write && !existing.is_empty() && !is_generated_crate(out_dir) {
        return Err(io::Error::other(format!(
            "{} is not empty and is not a generated crate (no `Cargo.toml` starting with the @generated header); refusing to write into it",
            out_dir.display()
        )));
    }
    let mut report = Report::default();
    for (path, contents) in files {
        // The listing already says which files exist; only those are read.
        if !existing.contains(path) {
            report.differences.push((path.clone(), Difference::Missing));
            continue;
        }
        let full = out_dir.join(path);
        match fs::read(&full) {
            Ok(bytes) if bytes == contents.as_bytes() => report.unchanged += 1,
            Ok(_) => report.differences.push((path.clone(), Difference::Stale)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => report.differences.push((path.clone(), Difference::Missing)),
            Err(e) => return Err(e),
        }
    }
    for path in existing.difference(&files.keys().cloned().collect()) {
        report.differences.push((path.clone(), Difference::Orphan));
    }
    report.differences.sort();
    if mode == Mode::Write {
        write_all(out_dir, files, &report.differences)?;
    }
    Ok(report)
}

/// Applies the differences: removes orphans, writes the rest, on all cores (a catalog of
/// thousands of events means thousands of fixture files, and file creation dominates).
fn write_all(out_dir: &Path, files: &BTreeMap<PathBuf, String>, differences: &[(PathBuf, Difference)]) -> io::Result<()> {
    let mut dirs: BTreeSet<&Path> = BTreeSet::new();
    for (path, difference) in differences {
        if *difference != Difference::Orphan {
            dirs.insert(path.parent().unwrap_or(Path::new("")));
        }
    }
    for dir in dirs {
        fs::create_dir_all(out_dir.join(dir))?;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(differences.len().max(1));
    let chunk = differences.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = differences
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || -> io::Result<()> {
                    for (path, difference) in part {
                        let full = out_dir.join(path);
                        match difference {
                            Difference::Orphan => fs::remove_file(&full)?,
                            // A new file has no old content to protect: write it in place.
                            Difference::Missing => fs::write(&full, files[path].as_bytes())?,
                            Difference::Stale => write_atomically(&full, files[path].as_bytes())?,
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| w.join().expect("a writer panicked"))
    })?;
    for (path, difference) in differences {
        if *difference == Difference::Orphan {
            remove_empty_parents(out_dir, &out_dir.join(path))?;
        }
    }
    Ok(())
}

fn is_generated_crate(dir: &Path) -> bool {
    fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|s| s.starts_with("# @generated by `cargo xtask codegen`"))
}

/// Every file under `dir`, relative to it; empty when `dir` does not exist.
fn list(dir: &Path) -> io::Result<BTreeSet<PathBuf>> {
    let mut out = BTreeSet::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d)? {
            let path = entry?.path();
            let relative = path.strip_prefix(dir).expect("listed under dir").to_path_buf();
            if path.is_dir() {
                if !(d == dir && IGNORED_DIRS.iter().any(|i| relative == Path::new(i))) {
                    stack.push(path);
                }
            } else {
                out.insert(relative);
            }
        }
    }
    Ok(out)
}

/// Writes through a temporary file and a rename, so an interrupted run never leaves a truncated file.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path.parent().expect("a file in the output directory has a parent");
    let tmp = parent.join(format!(".{}.tmp", path.file_name().expect("a file name").to_string_lossy()));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

/// Removes the directories an orphan leaves empty, up to `root`. Several orphans share
/// directories, so one may already be gone.
fn remove_empty_parents(root: &Path, file: &Path) -> io::Result<()> {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root {
            break;
        }
        match fs::read_dir(d) {
            Ok(mut entries) => {
                if entries.next().is_some() {
                    break;
                }
                fs::remove_dir(d)?;
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        dir = d.parent();
    }
    Ok(())
}

/// Brings one file outside the output directory in line (the catalog's JSON Schema), or compares
/// it in check mode; `None` when it is already as generated.
pub fn ensure_one(path: &Path, contents: &str, mode: Mode) -> io::Result<Option<Difference>> {
    let difference = match fs::read(path) {
        Ok(bytes) if bytes == contents.as_bytes() => return Ok(None),
        Ok(_) => Difference::Stale,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Difference::Missing,
        Err(e) => return Err(e),
    };
    if mode == Mode::Write {
        write_atomically(path, contents.as_bytes())?;
    }
    Ok(Some(difference))
}
