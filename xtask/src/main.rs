//! `cargo xtask codegen [--check] [--spec DIR] [--out DIR]`: generate the `webhook-events` crate
//! from the catalog, or check that it is up to date. A thin shell over `webhook_codegen`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use webhook_codegen::ensure::{Difference, Mode};

const USAGE: &str = "usage: cargo xtask codegen [--check] [--spec DIR] [--out DIR]

  --check      write nothing; exit 1 if the output differs from what the catalog gives
  --spec DIR   the catalog (default: spec/ in the workspace)
  --out DIR    the generated crate (default: generated/ in the workspace)";

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

struct Options {
    check: bool,
    spec: PathBuf,
    out: PathBuf,
}

fn parse(args: &[String]) -> Result<Options, String> {
    // Paths the user gives are relative to where they ran the command; defaults are relative to the
    // workspace, and shown that way (`spec/apideck/pos.yaml`), which keeps messages short and stable.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits in the workspace").to_path_buf();
    let cwd = std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let mut options = Options { check: false, spec: relative_to(&root, "spec"), out: relative_to(&root, "generated") };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--check" => options.check = true,
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

/// `root/name`, shortened to `name` when the current directory is the workspace root.
fn relative_to(root: &Path, name: &str) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) if cwd == root => PathBuf::from(name),
        _ => root.join(name),
    }
}

fn codegen(options: Options) -> ExitCode {
    let mode = if options.check { Mode::Check } else { Mode::Write };
    let summary = match webhook_codegen::run(&options.spec, &options.out, mode) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (report, out) = (&summary.report, options.out.display());
    if options.check {
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
    println!(
        "codegen: {} events, {} files written, {} unchanged, {} removed ({out})",
        summary.events,
        report.differences.len() - removed,
        report.unchanged,
        removed
    );
    ExitCode::SUCCESS
}
