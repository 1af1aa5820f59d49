//! `cargo xtask bench-codegen` and `cargo xtask bench-compile`: the generator at scale and the
//! generated crate's compile time, each run several times and reported as medians and ratios
//! measured in the same run. Run from a release build (`cargo run --release -p xtask -- ...`) so
//! the generator is measured as users run it. Results and method: BENCHMARKS.md.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::synth;

const RUNS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("timings are finite"));
    v[v.len() / 2]
}

fn scratch(name: &str) -> PathBuf {
    // Outside the workspace: a generated crate inside it would be taken for a workspace member.
    let dir = std::env::temp_dir().join(format!("webhook-bench-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Peak RSS in kB and the two phases' seconds, from `codegen --stats` output.
fn parse_stats(stdout: &str) -> Option<(f64, f64, f64)> {
    let phases = stdout.lines().find(|l| l.contains("generating"))?;
    let nums: Vec<f64> = phases.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let peak = stdout.lines().find(|l| l.contains("peak resident"))?;
    let kb: f64 = peak.split_whitespace().rev().nth(4)?.parse().ok()?;
    Some((nums[0], nums[2], kb))
}

pub fn codegen() -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    println!("codegen at scale: median of {RUNS} runs, each into a new output directory\n");
    println!("| events | generate (s) | write (s) | total (s) | peak memory (MiB) |");
    println!("|---:|---:|---:|---:|---:|");
    let mut totals = Vec::new();
    for n in [1_000usize, 10_000] {
        let spec = scratch(&format!("synth-{n}-spec"));
        synth::write(n, &spec).map_err(|e| e.to_string())?;
        let (mut gen, mut write, mut total, mut mem) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for run in 0..RUNS {
            let out = scratch(&format!("synth-{n}-out-{run}"));
            let started = Instant::now();
            let output = Command::new(&exe)
                .args(["codegen", "--stats", "--spec"])
                .arg(&spec)
                .arg("--out")
                .arg(&out)
                .output()
                .map_err(|e| e.to_string())?;
            total.push(started.elapsed().as_secs_f64());
            let stdout = String::from_utf8_lossy(&output.stdout);
            let (g, w, kb) = parse_stats(&stdout).ok_or_else(|| format!("no stats in: {stdout}"))?;
            gen.push(g);
            write.push(w);
            mem.push(kb / 1024.0);
            let _ = std::fs::remove_dir_all(&out);
        }
        let t = median(total);
        totals.push(t);
        println!("| {n} | {:.2} | {:.2} | {:.2} | {:.0} |", median(gen), median(write), t, median(mem));
        let _ = std::fs::remove_dir_all(&spec);
    }
    println!("\nratio 10,000 / 1,000 events (total wall time): {:.1}x (linear would be 10x)", totals[1] / totals[0]);
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()))
}

/// Median seconds of rebuilding the crate whose `src/lib.rs` is `lib`, dependencies already built.
fn rebuild(dir: &Path, lib: &Path, args: &[&str], target: Option<&Path>) -> Result<f64, String> {
    let build = |quiet: bool| -> Result<f64, String> {
        let mut cmd = cargo();
        // Incremental compilation would reuse the unchanged crate and time nothing.
        cmd.arg("build").args(args).current_dir(dir).env("CARGO_INCREMENTAL", "0");
        if quiet {
            cmd.arg("--quiet");
        }
        if let Some(t) = target {
            cmd.env("CARGO_TARGET_DIR", t);
        }
        let started = Instant::now();
        let status = cmd.status().map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("cargo build {args:?} failed in {}", dir.display()));
        }
        Ok(started.elapsed().as_secs_f64())
    };
    build(true)?; // dependencies
    let mut times = Vec::new();
    for _ in 0..RUNS {
        // Touching lib.rs makes cargo rebuild this crate alone.
        let text = std::fs::read_to_string(lib).map_err(|e| e.to_string())?;
        std::fs::write(lib, text).map_err(|e| e.to_string())?;
        times.push(build(true)?);
    }
    Ok(median(times))
}

pub fn compile(workspace: &crate::Workspace) -> Result<(), String> {
    let root = workspace.root().to_path_buf();
    let lib = root.join("generated/src/lib.rs");
    let synth_spec = scratch("compile-spec");
    let synth_out = scratch("compile-crate");
    synth::write(1_000, &synth_spec).map_err(|e| e.to_string())?;
    let settings = webhook_codegen::Settings {
        runtime: webhook_codegen::RuntimeDependency::Path(workspace.runtime_path_from(&synth_out)?),
        ..Default::default()
    };
    webhook_codegen::run(&synth_spec, &synth_out, webhook_codegen::ensure::Mode::Write, &settings).map_err(|e| e.to_string())?;
    std::fs::copy(root.join("Cargo.lock"), synth_out.join("Cargo.lock")).map_err(|e| e.to_string())?;
    let synth_target = root.join("target/bench-compile");
    let synth_lib = synth_out.join("src/lib.rs");

    println!("compile time of the generated crate alone (dependencies built), median of {RUNS} rebuilds\n");
    println!("| crate | debug (s) | release (s) |");
    println!("|---|---:|---:|");
    let p = ["-p", "webhook-events"];
    let shipped = (rebuild(&root, &lib, &p, None)?, rebuild(&root, &lib, &[&p[..], &["--release"]].concat(), None)?);
    let catalog = webhook_codegen::load_catalog(&root.join("spec")).map_err(|e| e.to_string())?;
    let pos_events = catalog.providers.iter().flat_map(|p| p.events.iter().filter(move |e| p.apis[e.api].feature == "apideck-pos")).count();
    println!("| shipped catalog, all features ({} events) | {:.2} | {:.2} |", catalog.event_count(), shipped.0, shipped.1);
    let pos = [&p[..], &["--no-default-features", "--features", "apideck-pos"]].concat();
    let one = (rebuild(&root, &lib, &pos, None)?, rebuild(&root, &lib, &[&pos[..], &["--release"]].concat(), None)?);
    println!("| shipped catalog, `apideck-pos` alone ({pos_events} events) | {:.2} | {:.2} |", one.0, one.1);
    let big =
        (rebuild(&synth_out, &synth_lib, &[], Some(&synth_target))?, rebuild(&synth_out, &synth_lib, &["--release"], Some(&synth_target))?);
    println!("| synthetic, 1,000 events | {:.2} | {:.2} |", big.0, big.1);
    println!(
        "\nratio 1,000-event crate / shipped crate: debug {:.1}x, release {:.1}x (target <= 10x)",
        big.0 / shipped.0,
        big.1 / shipped.1
    );

    // The crate's share of a build from nothing (its dependencies included), in a fresh target dir.
    for (profile, args, alone) in [("debug", vec![], shipped.0), ("release", vec!["--release"], shipped.1)] {
        let target = scratch(&format!("fresh-{profile}"));
        let mut cmd = cargo();
        cmd.args(["build", "--quiet", "-p", "webhook-events"])
            .args(&args)
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_INCREMENTAL", "0");
        let started = Instant::now();
        if !cmd.status().map_err(|e| e.to_string())?.success() {
            return Err("a build from nothing failed".to_string());
        }
        let total = started.elapsed().as_secs_f64();
        println!("{profile}: build from nothing {total:.1} s, of which the crate {alone:.2} s ({:.0}%)", 100.0 * alone / total);
        let _ = std::fs::remove_dir_all(&target);
    }
    let _ = std::fs::remove_dir_all(&synth_spec);
    let _ = std::fs::remove_dir_all(&synth_out);
    Ok(())
}
