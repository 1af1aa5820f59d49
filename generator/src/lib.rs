//! Turns a YAML catalog of webhook events into the source of a typed Rust crate.
//!
//! The data flows one way, one module per step:
//!
//! ```text
//! spec/**/*.yaml ─load─▶ raw model ─validate─▶ IR ─emit─▶ files (in memory) ─ensure─▶ disk
//! ```
//!
//! [`generate`] runs the first three and returns every file's bytes, or every problem found;
//! [`ensure`] writes them (or, in check mode, compares them) only once all are ready.

#![deny(missing_docs)]

pub mod asyncapi;
pub mod diagnostic;
pub mod emit;
pub mod ensure;
pub mod ir;
pub mod json;
pub mod load;
pub mod schema;
pub mod scheme;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use diagnostic::{Diagnostic, Diagnostics, Location};

/// Everything one run produces: file contents by path relative to the output directory.
#[derive(Debug)]
pub struct Generated {
    /// Relative path → bytes. Sorted, so iteration order never depends on the machine.
    pub files: BTreeMap<PathBuf, String>,
    /// How many events the catalog declares.
    pub events: usize,
}

/// Where a generated crate finds `webhook-runtime`, the hand-written code it depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeDependency {
    /// A version requirement on the published crate, e.g. `0.1`.
    Version(String),
    /// A path, as written into the crate's `Cargo.toml`: relative to the generated crate, or
    /// absolute.
    Path(String),
}

impl Default for RuntimeDependency {
    /// The version of the runtime released with this generator.
    fn default() -> Self {
        RuntimeDependency::Version(env!("CARGO_PKG_VERSION").to_string())
    }
}

/// What a run needs besides the catalog.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the generated crate finds `webhook-runtime`.
    pub runtime: RuntimeDependency,
    /// How the header of every generated file names the catalog it came from: the catalog's
    /// path relative to the generated crate (`../spec`), so it is the same on every machine.
    pub catalog: String,
    /// The crate's name and version, over the catalog's `crate.yaml`.
    pub identity: validate::identity::Overrides,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { runtime: RuntimeDependency::default(), catalog: "spec".into(), identity: Default::default() }
    }
}

/// Loads and validates a catalog into the IR (what every tool reads). Writes nothing.
pub fn load_catalog(spec_dir: &Path) -> Result<ir::Catalog, Diagnostics> {
    load_catalog_with(spec_dir, &Default::default())
}

/// [`load_catalog`], with the crate's name and version overridden.
pub fn load_catalog_with(spec_dir: &Path, overrides: &validate::identity::Overrides) -> Result<ir::Catalog, Diagnostics> {
    let raw = load::load(spec_dir).map_err(Diagnostics::sorted)?;
    validate::validate(spec_dir, &raw, overrides).map_err(Diagnostics::sorted)
}

/// Loads, validates and emits a catalog. Writes nothing.
pub fn generate(spec_dir: &Path, settings: &Settings) -> Result<Generated, Diagnostics> {
    let catalog = load_catalog_with(spec_dir, &settings.identity)?;
    // Validation makes every name an identifier; should an emitter still fail, the user gets an
    // error (and nothing written) rather than a crash of the tool running the generator.
    let emitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| emit::emit(&catalog, settings)));
    let files = emitted
        .unwrap_or_else(|panic| {
            let what = panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
            Err(vec![Diagnostic::new(
                Location::file(spec_dir),
                format!("internal error: the generator failed: {}", what.unwrap_or_default()),
            )
            .help("please report this with the catalog that caused it")])
        })
        .map_err(Diagnostics::sorted)?;
    Ok(Generated { files, events: catalog.event_count() })
}

/// What [`run`] did.
#[derive(Debug)]
pub struct Summary {
    /// Events in the catalog.
    pub events: usize,
    /// How the output differed (check mode) or what was fixed (write mode).
    pub report: ensure::Report,
    /// How many files were generated.
    pub files: usize,
    /// Time spent generating every file in memory.
    pub generating: std::time::Duration,
    /// Time spent comparing and writing them.
    pub writing: std::time::Duration,
    /// The catalog's JSON Schema beside the catalog (`<spec>/catalog.schema.json`), and how it
    /// differed (check mode) or what was fixed (write mode); `None` when it was as generated.
    pub schema: (PathBuf, Option<ensure::Difference>),
}

/// Why [`run`] failed.
#[derive(Debug)]
pub enum RunError {
    /// The catalog is broken; nothing was written.
    Catalog(Diagnostics),
    /// The output directory could not be read or written.
    Io(std::io::Error),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Catalog(d) => write!(f, "{d}"),
            RunError::Io(e) => write!(f, "error: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Generates from `spec_dir` and brings `out_dir` in line, and the catalog's JSON Schema beside
/// the catalog (or compares both, in check mode). On a catalog error nothing is written.
pub fn run(spec_dir: &Path, out_dir: &Path, mode: ensure::Mode, settings: &Settings) -> Result<Summary, RunError> {
    let started = std::time::Instant::now();
    let generated = generate(spec_dir, settings).map_err(RunError::Catalog)?;
    let generating = started.elapsed();
    let report = ensure::ensure(out_dir, &generated.files, mode).map_err(RunError::Io)?;
    // The schema sits next to the catalog, where every catalog file's modeline points.
    let schema_path = spec_dir.join(schema::FILE_NAME);
    let schema = ensure::ensure_one(&schema_path, &schema::catalog_schema(), mode)
        .map_err(|e| RunError::Io(std::io::Error::new(e.kind(), format!("{}: {e}", schema_path.display()))))?;
    let writing = started.elapsed() - generating;
    Ok(Summary { events: generated.events, report, files: generated.files.len(), generating, writing, schema: (schema_path, schema) })
}
