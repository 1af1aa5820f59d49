//! Errors about a catalog, printed the way rustc prints its own: what, where, and what to do.

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a catalog file. Lines and columns count from 1.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// The file, as the user named it (relative to where the spec directory was given).
    pub file: PathBuf,
    /// The line, from 1; 0 when the problem concerns the file as a whole.
    pub line: usize,
    /// The column, from 1; 0 when unknown.
    pub column: usize,
}

impl Location {
    /// A location for a whole file, with no line.
    pub fn file(file: &Path) -> Self {
        Location { file: file.to_path_buf(), line: 0, column: 0 }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Forward slashes on every machine, so messages (and their snapshots) do not depend on the OS.
        let file = self.file.to_string_lossy().replace('\\', "/");
        match (self.line, self.column) {
            (0, _) => write!(f, "{file}"),
            (line, 0) => write!(f, "{file}:{line}"),
            (line, column) => write!(f, "{file}:{line}:{column}"),
        }
    }
}

/// One problem found in a catalog.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in one line.
    pub message: String,
    /// Where it is.
    pub location: Location,
    /// Other places that explain the problem (e.g. where a duplicate was first defined).
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message and a place.
    pub fn new(location: Location, message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), location, notes: Vec::new(), help: None }
    }

    /// Adds a note line.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        write!(f, "  --> {}", self.location)?;
        for note in &self.notes {
            write!(f, "\n   = note: {note}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n   = help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found in a catalog, sorted by place so the output is stable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Sorts by location then message, and removes exact repeats.
    pub fn sorted(mut list: Vec<Diagnostic>) -> Self {
        list.sort_by(|a, b| (&a.location, &a.message).cmp(&(&b.location, &b.message)));
        list.dedup();
        Diagnostics(list)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "{d}")?;
        }
        let n = self.0.len();
        write!(f, "error: the catalog has {n} error{}; nothing was written", if n == 1 { "" } else { "s" })
    }
}

impl std::error::Error for Diagnostics {}
