//! `cargo xtask codegen [--check] [--spec DIR] [--out DIR]`: generate the `webhook-events` crate
//! from the catalog, or check that it is up to date. A thin shell over `webhook_codegen`.

mod bench;
mod synth;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use webhook_codegen::ensure::{Difference, Mode};

const USAGE: &str = "usage: cargo xtask codegen [--check] [--spec DIR] [--out DIR] [--stats]
       cargo xtask diff [--base REV] [--spec DIR]
       cargo xtask export asyncapi --out DIR
       cargo xtask import --openapi FILE... [--spec DIR] [--provider NAME] [--write]
       cargo xtask synth --events N --out DIR
       cargo run --release -p xtask -- bench-codegen | bench-compile

codegen: generate the crate from the catalog
  --check      write nothing; exit 1 if the output differs from what the catalog gives
  --spec DIR   the catalog (default: spec/ in the workspace)
  --out DIR    the generated crate (default: generated/ in the workspace)
  --stats      also print wall time and peak memory of this process

export asyncapi: one AsyncAPI 3.0 document per provider, into DIR

diff: the catalog's changes since REV (default HEAD) as markdown, with their semver effect

import: report drift between the catalog and OpenAPI specs (exit 1 when there is any)
  --openapi FILE...  Apideck-style specs (x-webhooks, *EventType enums, WebhookEventType)
  --provider NAME    the catalog's provider to compare (default: apideck)
  --write            add the events upstream has and the catalog lacks to their api files

synth: write a synthetic catalog of N events (for benchmarks)

bench-codegen, bench-compile: the benchmarks of BENCHMARKS.md (run with --release)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => match parse(&args[1..]) {
            Ok(options) => codegen(options),
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("synth") => match parse_synth(&args[1..]) {
            Ok((events, out)) => match synth::write(events, &out) {
                Ok(n) => {
                    println!("synth: {n} events in {}", out.display());
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: cannot write {}: {e}", out.display());
                    ExitCode::FAILURE
                }
            },
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("diff") => {
            let mut base = "HEAD".to_string();
            let root = workspace_root();
            let mut spec = relative_to(&root, "spec");
            let mut it = args[1..].iter();
            while let Some(arg) = it.next() {
                match (arg.as_str(), it.next()) {
                    ("--base", Some(rev)) => base = rev.clone(),
                    ("--spec", Some(dir)) => spec = PathBuf::from(dir),
                    _ => {
                        eprintln!("error: unknown or incomplete argument `{arg}`\n\n{USAGE}");
                        return ExitCode::from(2);
                    }
                }
            }
            catalog_diff(&spec, &base)
        }
        Some("export") => match (args.get(1).map(String::as_str), args.get(2).map(String::as_str), args.get(3)) {
            (Some("asyncapi"), Some("--out"), Some(out)) => export_asyncapi(Path::new(out)),
            _ => {
                eprintln!("error: usage: cargo xtask export asyncapi --out DIR\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some("import") => match parse_import(&args[1..]) {
            Ok(options) => import(options),
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        },
        Some(command @ ("bench-codegen" | "bench-compile")) => {
            let result = if command == "bench-codegen" { bench::codegen() } else { bench::compile() };
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("-h" | "--help") | None => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => {
            eprintln!("error: unknown command `{other}`\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn parse_synth(args: &[String]) -> Result<(usize, PathBuf), String> {
    let (mut events, mut out) = (None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it.next().ok_or_else(|| format!("`{arg}` needs a value"))?;
        match arg.as_str() {
            "--events" => events = Some(value.parse::<usize>().map_err(|_| format!("`--events` takes a number, not `{value}`"))?),
            "--out" => out = Some(PathBuf::from(value)),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    match (events, out) {
        (Some(0), _) => Err("`--events` must be at least 1".to_string()),
        (Some(e), Some(o)) => Ok((e, o)),
        _ => Err("synth needs `--events N` and `--out DIR`".to_string()),
    }
}

fn export_asyncapi(out: &Path) -> ExitCode {
    let root = workspace_root();
    let catalog = match webhook_codegen::load_catalog(&relative_to(&root, "spec")) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let documents = webhook_codegen::asyncapi::export(&catalog);
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    for (name, text) in documents {
        let path = out.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

fn catalog_diff(spec: &Path, base: &str) -> ExitCode {
    use webhook_codegen::catalog_diff;
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
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

struct ImportOptions {
    openapi: Vec<PathBuf>,
    spec: PathBuf,
    provider: String,
    write: bool,
}

fn parse_import(args: &[String]) -> Result<ImportOptions, String> {
    let root = workspace_root();
    let mut options = ImportOptions { openapi: Vec::new(), spec: relative_to(&root, "spec"), provider: "apideck".into(), write: false };
    let mut it = args.iter().peekable();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--openapi" => {
                while let Some(file) = it.next_if(|a| !a.starts_with("--")) {
                    options.openapi.push(PathBuf::from(file));
                }
            }
            "--spec" => options.spec = PathBuf::from(it.next().ok_or("`--spec` needs a directory")?),
            "--provider" => options.provider = it.next().ok_or("`--provider` needs a name")?.clone(),
            "--write" => options.write = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.openapi.is_empty() {
        return Err("import needs `--openapi FILE...`".to_string());
    }
    Ok(options)
}

fn import(options: ImportOptions) -> ExitCode {
    use webhook_codegen::drift;
    let result = (|| {
        let upstream = drift::read_upstream(&options.openapi)?;
        let catalog = webhook_codegen::load_catalog(&options.spec).map_err(drift::DriftError::Catalog)?;
        drift::compare(&catalog, &options.provider, &upstream)
    })();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    println!("{report}");
    if report.is_empty() {
        return ExitCode::SUCCESS;
    }
    if options.write {
        match drift::write_missing(&options.spec, &options.provider, &report) {
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

struct Options {
    stats: bool,
    check: bool,
    spec: PathBuf,
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Options, String> {
    // Paths the user gives are relative to where they ran the command; defaults are relative to the
    // workspace, and shown that way (`spec/apideck/pos.yaml`), which keeps messages short and stable.
    let root = workspace_root();
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let mut options = Options { stats: false, check: false, spec: relative_to(&root, "spec"), out: relative_to(&root, "generated") };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => options.check = true,
            "--stats" => options.stats = true,
            "--spec" | "--out" => {
                let value = it.next().ok_or_else(|| format!("`{arg}` needs a directory"))?;
                let path = cwd.join(value);
                if arg == "--spec" {
                    options.spec = path;
                } else {
                    options.out = path;
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(options)
}

/// The workspace this xtask belongs to.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf()
}

/// `root/name`, shortened to `name` when the current directory is the workspace root.
fn relative_to(root: &Path, name: &str) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) if cwd == root => PathBuf::from(name),
        _ => root.join(name),
    }
}

fn codegen(options: Options) -> ExitCode {
    let started = Instant::now();
    let code = codegen_inner(&options);
    if options.stats {
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

fn codegen_inner(options: &Options) -> ExitCode {
    let mode = if options.check { Mode::Check } else { Mode::Write };
    let summary = match webhook_codegen::run(&options.spec, &options.out, mode) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if options.stats {
        println!(
            "stats: {:.3} s generating {} files in memory, {:.3} s comparing and writing them",
            summary.generating.as_secs_f64(),
            summary.files,
            summary.writing.as_secs_f64()
        );
    }
    // The catalog's JSON Schema sits next to the catalog, for the modeline in every file.
    let schema_path = options.spec.join(webhook_codegen::schema::FILE_NAME);
    let schema = match webhook_codegen::ensure::ensure_one(&schema_path, &webhook_codegen::schema::catalog_schema(), mode) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {}: {e}", schema_path.display());
            return ExitCode::FAILURE;
        }
    };
    let (report, out) = (&summary.report, options.out.display());
    if options.check {
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
