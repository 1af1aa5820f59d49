//! `cargo xtask`: the project's command line. `codegen` generates the `webhook-events` crate from
//! the catalog (or checks it is fresh); the other commands are the tools around the catalog. A thin
//! shell over `webhook_codegen`: each command parses its flags, calls the library, and prints.

mod bench;
mod root;
mod synth;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand};
use webhook_codegen::ensure::{Difference, Mode};

use root::Workspace;

/// The project's command line: generate the crate from the catalog, and keep the catalog true.
///
/// Relative paths given as flags are taken from the current directory; the defaults are the
/// workspace's own `spec/` and `generated/`, wherever the command is run from.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", version, disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate the crate from the catalog, or check that it is up to date (`--check`).
    Codegen(CodegenArgs),
    /// The catalog's changes since a git revision, as markdown with their semver effect.
    Diff(DiffArgs),
    /// Export the catalog in another format.
    #[command(subcommand)]
    Export(Export),
    /// Drift between the catalog and a vendor's published OpenAPI specs.
    ///
    /// Exit status: 0 when the catalog and upstream agree, or differ only by events the catalog
    /// marks `upcoming` or `undocumented`; 1 when a difference needs a decision; 2 on an error.
    Import(ImportArgs),
    /// Write a synthetic catalog of N events (for benchmarks).
    Synth(SynthArgs),
    /// Benchmark the generator at scale (run with `--release`; see BENCHMARKS.md).
    BenchCodegen,
    /// Benchmark the generated crate's compile time (run with `--release`; see BENCHMARKS.md).
    BenchCompile,
}

/// Where the catalog is.
#[derive(Debug, Args)]
struct SpecArg {
    /// The catalog [default: spec/ in the workspace]
    #[arg(long, value_name = "DIR")]
    spec: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CodegenArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// The generated crate [default: generated/ in the workspace]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write nothing; exit 1 if the output differs from what the catalog gives.
    #[arg(long)]
    check: bool,
    /// Also print the time of each phase and this process's peak memory.
    #[arg(long)]
    stats: bool,
    /// Depend on this published version of `webhook-runtime` instead of the workspace's
    /// `runtime/` by path.
    #[arg(long, value_name = "VERSION")]
    runtime_version: Option<String>,
    /// The generated package's name, over the catalog's `crate.yaml`.
    #[arg(long, value_name = "NAME")]
    crate_name: Option<String>,
    /// The generated package's version, over the catalog's `crate.yaml`.
    #[arg(long, value_name = "VERSION")]
    crate_version: Option<String>,
}

#[derive(Debug, Args)]
struct DiffArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// The git revision to compare against (a commit, branch or tag).
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    base: String,
}

#[derive(Debug, Subcommand)]
enum Export {
    /// One AsyncAPI 3.0 document per provider, for documentation sites and other languages.
    Asyncapi(ExportArgs),
}

#[derive(Debug, Args)]
struct ExportArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Where to write the documents (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct ImportArgs {
    #[command(flatten)]
    spec: SpecArg,
    /// Apideck-style OpenAPI files (`x-webhooks`, `*EventType` enums, `WebhookEventType`).
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "upstream")]
    openapi: Vec<PathBuf>,
    /// A snapshot of upstream written by `--save` [default: the workspace's
    /// tests/upstream/apideck-openapi/webhooks.json]
    #[arg(long, value_name = "FILE")]
    upstream: Option<PathBuf>,
    /// Write what was read from `--openapi` as a snapshot (the webhook-relevant part only).
    #[arg(long, value_name = "FILE", requires = "openapi")]
    save: Option<PathBuf>,
    /// The catalog's provider to compare.
    #[arg(long, value_name = "NAME", default_value = "apideck")]
    provider: String,
    /// Add the events upstream has and the catalog lacks to their api files.
    #[arg(long)]
    write: bool,
}

#[derive(Debug, Args)]
struct SynthArgs {
    /// How many events.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    events: u32,
    /// Where to write the catalog (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let workspace = match Workspace::find() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Codegen(args) => codegen(&workspace, args),
        Command::Diff(args) => catalog_diff(&workspace.spec(args.spec.spec), &args.base),
        Command::Export(Export::Asyncapi(args)) => export_asyncapi(&workspace.spec(args.spec.spec), &args.out),
        Command::Import(args) => import(&workspace, args),
        Command::Synth(args) => match synth::write(args.events as usize, &args.out) {
            Ok(n) => {
                println!("synth: {n} events in {}", args.out.display());
                ExitCode::SUCCESS
            }
            Err(e) => fail(format!("cannot write {}: {e}", args.out.display())),
        },
        Command::BenchCodegen => bench::codegen().map_or_else(fail, |()| ExitCode::SUCCESS),
        Command::BenchCompile => bench::compile(&workspace).map_or_else(fail, |()| ExitCode::SUCCESS),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

fn export_asyncapi(spec: &Path, out: &Path) -> ExitCode {
    let catalog = match webhook_codegen::load_catalog(spec) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        return fail(format!("cannot create {}: {e}", out.display()));
    }
    for (name, text) in webhook_codegen::asyncapi::export(&catalog) {
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            return fail(format!("cannot write {}: {e}", path.display()));
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

fn catalog_diff(spec: &Path, base: &str) -> ExitCode {
    use webhook_catalog_tools::catalog_diff;
    let result = (|| -> Result<String, String> {
        let (_keep, base_spec) = catalog_diff::catalog_at(spec, base)?;
        let before = webhook_codegen::load_catalog(&base_spec).map_err(|e| format!("the catalog at `{base}` does not load:\n{e}"))?;
        let after = webhook_codegen::load_catalog(spec).map_err(|e| e.to_string())?;
        Ok(catalog_diff::markdown(&catalog_diff::diff(&before, &after), base))
    })();
    match result {
        Ok(markdown) => {
            print!("{markdown}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// The snapshot of Apideck's published specs the repository keeps.
const UPSTREAM_SNAPSHOT: &str = "tests/upstream/apideck-openapi/webhooks.json";

fn import(workspace: &Workspace, args: ImportArgs) -> ExitCode {
    use webhook_catalog_tools::drift;
    let spec = workspace.spec(args.spec.spec);
    let result = (|| {
        let upstream = if args.openapi.is_empty() {
            drift::Upstream::from_snapshot(&workspace.path_or(args.upstream, UPSTREAM_SNAPSHOT))?
        } else {
            drift::read_upstream(&args.openapi)?
        };
        if let Some(path) = &args.save {
            std::fs::write(path, upstream.to_snapshot()).map_err(|e| drift::DriftError::Spec(path.clone(), e.to_string()))?;
            println!("wrote {}", path.display());
        }
        let catalog = webhook_codegen::load_catalog(&spec).map_err(drift::DriftError::Catalog)?;
        drift::compare(&catalog, &args.provider, &upstream)
    })();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!("{report}");
    if !report.needs_attention() {
        return ExitCode::SUCCESS;
    }
    if args.write {
        match drift::write_missing(&spec, &args.provider, &report) {
            Ok(files) => {
                for f in files {
                    println!("wrote {}", f.display());
                }
                println!("run `cargo xtask codegen`, then review the diff");
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    ExitCode::FAILURE
}

fn codegen(workspace: &Workspace, args: CodegenArgs) -> ExitCode {
    let started = Instant::now();
    let spec = workspace.spec(args.spec.spec);
    let out = workspace.path_or(args.out, "generated");
    let runtime = match args.runtime_version {
        Some(version) => webhook_codegen::RuntimeDependency::Version(version),
        None => match workspace.runtime_path_from(&out) {
            Ok(path) => webhook_codegen::RuntimeDependency::Path(path),
            Err(e) => return fail(e),
        },
    };
    let catalog = match workspace.relative_from(&out, &spec) {
        Ok(path) => path,
        Err(e) => return fail(e),
    };
    let identity = webhook_codegen::validate::identity::Overrides { name: args.crate_name, version: args.crate_version };
    let settings = webhook_codegen::Settings { runtime, catalog, identity };
    let code = codegen_inner(&spec, &out, args.check, args.stats, &settings);
    if args.stats {
        println!("stats: {:.3} s wall, {} peak resident memory", started.elapsed().as_secs_f64(), peak_memory());
    }
    code
}

/// The process's peak resident set size (Linux's `VmHWM`).
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l["VmHWM:".len()..].trim().to_string()))
        .unwrap_or_else(|| "unknown".to_string())
}

fn codegen_inner(spec: &Path, out_dir: &Path, check: bool, stats: bool, settings: &webhook_codegen::Settings) -> ExitCode {
    let mode = if check { Mode::Check } else { Mode::Write };
    let summary = match webhook_codegen::run(spec, out_dir, mode, settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if stats {
        println!(
            "stats: {:.3} s generating {} files in memory, {:.3} s comparing and writing them",
            summary.generating.as_secs_f64(),
            summary.files,
            summary.writing.as_secs_f64()
        );
    }
    let (schema_path, schema) = &summary.schema;
    let (report, out) = (&summary.report, out_dir.display());
    if check {
        if let Some(difference) = &schema {
            eprintln!("error: {difference:<8} {} (the catalog's JSON Schema)", schema_path.display());
            if report.differences.is_empty() {
                eprintln!("run `cargo xtask codegen` to regenerate it");
                return ExitCode::FAILURE;
            }
        }
        if report.differences.is_empty() {
            println!("codegen --check: {out} is up to date ({} events, {} files)", summary.events, report.unchanged);
            return ExitCode::SUCCESS;
        }
        eprintln!("error: {out} is out of date with the catalog:");
        for (path, difference) in &report.differences {
            eprintln!("  {difference:<8} {}", path.display());
        }
        eprintln!("run `cargo xtask codegen` to regenerate it, then review and commit the diff");
        return ExitCode::FAILURE;
    }
    let removed = report.differences.iter().filter(|(_, d)| *d == Difference::Orphan).count();
    let written = report.differences.len() - removed + usize::from(schema.is_some());
    println!(
        "codegen: {} events, {} files written, {} unchanged, {} removed ({out})",
        summary.events,
        written,
        report.unchanged + usize::from(schema.is_none()),
        removed
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
