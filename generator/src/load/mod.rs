//! Step 1 of 4: read the catalog's files into the raw model, with the place of every node.
//!
//! Layout: `<spec>/<provider>/provider.yaml` plus one `<spec>/<provider>/<api>.yaml` per api, and
//! optionally `<spec>/crate.yaml`, the generated crate's identity.
//! Every file is read and parsed even after an error, so one run reports every broken file.

mod locate;
pub mod raw;

use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Location};
pub use locate::Positions;
use raw::{RawApi, RawCrate, RawProvider};

/// The name of the optional file naming the generated crate.
pub const CRATE_FILE: &str = "crate.yaml";

/// The help line shared by every error about the shape of a file.
const FORMAT_HELP: &str = "the catalog format is described in spec/README.md";

/// A catalog file, read and parsed.
#[derive(Debug)]
pub struct SourceFile<T> {
    /// The path to show in messages.
    pub path: PathBuf,
    /// Where each node starts.
    pub positions: Positions,
    /// The parsed content.
    pub value: T,
}

impl<T> SourceFile<T> {
    /// The location of the node at `node_path`, or of the file when the node is not found.
    pub fn at(&self, node_path: &str) -> Location {
        match self.positions.get(node_path) {
            Some((line, column)) => Location { file: self.path.clone(), line, column },
            None => Location::file(&self.path),
        }
    }
}

/// One provider's files.
#[derive(Debug)]
pub struct RawProviderFiles {
    /// `provider.yaml`.
    pub provider: SourceFile<RawProvider>,
    /// The api files, sorted by file name.
    pub apis: Vec<SourceFile<RawApi>>,
}

/// A whole catalog, read.
#[derive(Debug)]
pub struct RawCatalog {
    /// `crate.yaml`, if the catalog has one.
    pub krate: Option<SourceFile<RawCrate>>,
    /// Every provider, sorted by folder name.
    pub providers: Vec<RawProviderFiles>,
}

/// Reads the catalog under `spec_dir`. Paths in messages start with `spec_dir` as given.
pub fn load(spec_dir: &Path) -> Result<RawCatalog, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let entries = match sorted_entries(spec_dir) {
        Ok(e) => e,
        Err(e) => {
            return Err(vec![Diagnostic::new(Location::file(spec_dir), format!("cannot read the catalog directory: {e}"))
                .help("pass the directory holding one folder per provider with `--spec DIR`")])
        }
    };
    let crate_path = spec_dir.join(CRATE_FILE);
    let krate = if crate_path.is_file() { read::<RawCrate>(&crate_path, &mut errors) } else { None };
    let mut providers = Vec::new();
    for dir in entries.into_iter().filter(|p| p.is_dir()) {
        let provider_path = dir.join("provider.yaml");
        let api_paths: Vec<PathBuf> = match sorted_entries(&dir) {
            Ok(files) => files
                .into_iter()
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .filter(|p| p.file_name() != provider_path.file_name())
                .collect(),
            Err(e) => {
                errors.push(Diagnostic::new(Location::file(&dir), format!("cannot read the provider directory: {e}")));
                continue;
            }
        };
        if !provider_path.is_file() {
            errors.push(
                Diagnostic::new(Location::file(&dir), "provider file missing: this folder has no `provider.yaml`")
                    .help("add `provider.yaml` with the provider's envelope, headers and url base, or remove the folder"),
            );
            continue;
        }
        let provider = read::<RawProvider>(&provider_path, &mut errors);
        let apis: Vec<_> = api_paths.iter().filter_map(|p| read::<RawApi>(p, &mut errors)).collect();
        if let Some(provider) = provider {
            providers.push(RawProviderFiles { provider, apis });
        }
    }
    if errors.is_empty() {
        Ok(RawCatalog { krate, providers })
    } else {
        Err(errors)
    }
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>()?;
    // Sorted so that the order of errors and of generated items never depends on the file system.
    out.sort();
    Ok(out)
}

fn read<T: serde::de::DeserializeOwned>(path: &Path, errors: &mut Vec<Diagnostic>) -> Option<SourceFile<T>> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            errors.push(Diagnostic::new(Location::file(path), format!("cannot read the file: {e}")));
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = valid.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            errors.push(
                Diagnostic::new(
                    Location { file: path.to_path_buf(), line, column },
                    format!("the file is not valid UTF-8 (byte 0x{:02x})", e.as_bytes()[valid.len()]),
                )
                .help("save the file as UTF-8"),
            );
            return None;
        }
    };
    match serde_yaml::from_str::<T>(&text) {
        Ok(value) => Some(SourceFile { path: path.to_path_buf(), positions: Positions::of(&text), value }),
        Err(e) => {
            errors.push(yaml_error(path, &e));
            None
        }
    }
}

/// Turns a serde_yaml error into a diagnostic, moving its "at line L column C" into the location.
fn yaml_error(path: &Path, e: &serde_yaml::Error) -> Diagnostic {
    let full = e.to_string();
    // serde_yaml appends "at line L column C" for the place it reports; that place becomes the
    // location, and any other place it mentions ("while scanning a quoted scalar at line 2 column 8")
    // stays in the message.
    let message = match (e.location(), full.find(" at line ")) {
        (Some(l), Some(i)) => {
            let place = format!(" at line {} column {}", l.line(), l.column());
            let rest = full[i..].strip_prefix(place.as_str()).unwrap_or(&full[i..]);
            format!("{}{}", &full[..i], rest)
        }
        _ => full.clone(),
    };
    let location = match e.location() {
        Some(l) => Location { file: path.to_path_buf(), line: l.line(), column: l.column() },
        None => Location::file(path),
    };
    let help = if message.contains("unknown field") {
        format!("remove the key or correct its spelling; {FORMAT_HELP}")
    } else if message.contains("missing field") {
        format!("add the key; {FORMAT_HELP}")
    } else if ["invalid type", "invalid value", "invalid length"].iter().any(|m| message.contains(m)) {
        format!("give the value the type the message names; {FORMAT_HELP}")
    } else {
        "fix the YAML syntax at this place".to_string()
    };
    let message = match message.split_once(": ") {
        // serde_yaml prefixes the path of the node (`events.pos.order.created: ...`); keep it, it helps.
        Some((node, rest)) if !node.contains(' ') => format!("{rest} (in `{node}`)"),
        _ => message,
    };
    Diagnostic::new(location, message).help(help)
}
