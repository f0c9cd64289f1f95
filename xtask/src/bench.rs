//! `cargo xtask bench [--scale N]`: parser throughput and memory on the
//! synthetic repository of `bench/gen.py`, side by side with `nginx -t` on
//! the same nginx tree. A benchmark, not a test: it prints figures and
//! fails only when it cannot run.
//!
//! Throughput is one core's: every file of a dialect is parsed in turn
//! on this thread, repeated until at least a second has passed. Peak
//! memory is measured in a child process (`xtask bench-peak DIALECT DIR`)
//! that reads every file of the dialect and keeps every tree alive, the
//! way a check of the whole tree does, and reports its own `VmHWM`.

// Byte counts become MB/s figures: f64's 52-bit mantissa is exact far
// beyond any input this measures.
#![allow(clippy::cast_precision_loss)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lint403_core::{read, Dialect, SourceFile};

use crate::option;

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    if let Some(scales) = option(args, "--check-scales") {
        return whole_check(root, &scales);
    }
    let scale = option(args, "--scale").unwrap_or_else(|| "10".to_string());
    let data = generate(root, &scale)?;
    println!(
        "input: {} (gen.py --scale {scale} --seed 1)",
        data.display()
    );
    println!("| dialect | files | MB | parse MB/s (1 core) | peak RSS MiB | 2 × input + 50 MiB |");
    println!("|---|---|---|---|---|---|");
    let exe = std::env::current_exe().map_err(|error| error.to_string())?;
    for dialect in Dialect::ALL {
        let files = load(&data, dialect);
        let bytes: usize = files.iter().map(|file| file.text.len()).sum();
        let rate = throughput(&files, dialect);
        let peak = peak_rss(&exe, dialect, &data)?;
        let budget = 2.0 * mib(bytes) + 50.0;
        println!(
            "| {dialect} | {} | {:.2} | {rate:.0} | {peak:.1} | {budget:.1} |",
            files.len(),
            bytes as f64 / 1e6,
        );
    }
    nginx_side_by_side(&data);
    Ok(())
}

/// The child of [`run`]: parse everything of one dialect, keep it, report.
pub fn peak(args: &[String]) -> Result<(), String> {
    let (Some(dialect), Some(dir)) = (args.first(), args.get(1)) else {
        return Err("bench-peak DIALECT DIR".to_string());
    };
    let dialect = Dialect::from_name(dialect).ok_or("unknown dialect")?;
    let files = load(Path::new(dir), dialect);
    let kept: Vec<Box<dyn std::any::Any>> = files
        .iter()
        .map(|file| parse(dialect, &file.text))
        .collect();
    black_box(&kept);
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let hwm = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .ok_or("no VmHWM in /proc/self/status")?;
    println!("{}", hwm / 1024.0);
    Ok(())
}

fn parse(dialect: Dialect, text: &str) -> Box<dyn std::any::Any> {
    match dialect {
        Dialect::Nginx => Box::new(lint403_nginx::parse(text)),
        Dialect::Apache => Box::new(lint403_apache::parse(text)),
        Dialect::Iis => Box::new(lint403_iis::parse(text)),
    }
}

fn throughput(files: &[SourceFile], dialect: Dialect) -> f64 {
    let bytes: usize = files.iter().map(|file| file.text.len()).sum();
    let started = Instant::now();
    let mut rounds = 0usize;
    while rounds == 0 || started.elapsed() < Duration::from_secs(1) {
        for file in files {
            black_box(parse(dialect, black_box(&file.text)));
        }
        rounds += 1;
    }
    (bytes * rounds) as f64 / 1e6 / started.elapsed().as_secs_f64()
}

fn peak_rss(exe: &Path, dialect: Dialect, data: &Path) -> Result<f64, String> {
    let output = Command::new(exe)
        .args(["bench-peak", dialect.as_str()])
        .arg(data)
        .output()
        .map_err(|error| error.to_string())?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| {
            format!(
                "bench-peak {dialect} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        })
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}

/// Every file under `data/<dialect>/`: the generator writes each
/// dialect's tree there (nginx's includes `mime.types` and snippets, which
/// have no `.conf` name, so detection by name would miss them).
fn load(data: &Path, dialect: Dialect) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    let mut stack = vec![data.join(dialect.as_str())];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .filter_map(|path| read::read_source(path).ok())
        .collect()
}

fn generate(root: &Path, scale: &str) -> Result<PathBuf, String> {
    let out = root.join(format!("target/bench-data/scale{scale}"));
    if out.join("nginx/nginx.conf").exists() {
        return Ok(out);
    }
    let generator = shared_dir(root)
        .map(|shared| shared.join("bench/gen.py"))
        .filter(|path| path.exists())
        .ok_or("bench/gen.py not found: set LINT403_SHARED to the shared folder")?;
    let status = Command::new("python3")
        .arg(&generator)
        .arg("--out")
        .arg(&out)
        .args(["--scale", scale, "--seed", "1", "--force"])
        .status()
        .map_err(|error| format!("cannot run python3: {error}"))?;
    if status.success() {
        Ok(out)
    } else {
        Err(format!("{} failed", generator.display()))
    }
}

fn shared_dir(root: &Path) -> Option<PathBuf> {
    std::env::var_os("LINT403_SHARED")
        .map(PathBuf::from)
        .into_iter()
        .chain([root.join("../shared"), PathBuf::from("/work/shared")])
        .find(|dir| dir.join("bench").is_dir())
}

/// `cargo xtask bench --check-scales 10,100`: the whole `lint403 check`
/// (release build, every rule, all cores) on each scale of the synthetic
/// repository, side by side with what a user would otherwise run on the
/// same files — `nginx -t` and `crossplane parse` on the nginx part, `cat`
/// over every file — as ratios, with peak memory, and how time grows from
/// one scale to the next.
fn whole_check(root: &Path, scales: &str) -> Result<(), String> {
    let lint403 = release_binary(root)?;
    let mut previous: Option<(f64, f64)> = None;
    for scale in scales.split(',') {
        let data = generate(root, scale.trim())?;
        let files = all_files(&data);
        let bytes: u64 = files
            .iter()
            .filter_map(|path| std::fs::metadata(path).ok())
            .map(|meta| meta.len())
            .sum();
        println!(
            "\n## scale {scale}: {} files, {:.1} MB ({})",
            files.len(),
            bytes as f64 / 1e6,
            data.display()
        );
        println!("| command | wall s (median of 3) | peak RSS MiB |");
        println!("|---|---|---|");
        let check = |part: &Path| {
            let mut command = Command::new(&lint403);
            command.arg("check").arg(part).args([
                "--format",
                "concise",
                "--exit-zero",
                "--isolated",
                "-o",
                "/dev/null",
            ]);
            command
        };
        let mut nginx_t = Command::new("nginx");
        let prefix = std::env::temp_dir().join(format!("lint403-bench-t-{}", std::process::id()));
        let _ = std::fs::create_dir_all(prefix.join("logs"));
        nginx_t
            .args(["-t", "-q", "-p"])
            .arg(&prefix)
            .arg("-c")
            .arg(data.join("nginx/nginx.conf"));
        let mut crossplane = Command::new("crossplane");
        crossplane
            .arg("parse")
            .arg(data.join("nginx/nginx.conf"))
            .arg("-o")
            .arg("/dev/null");
        let mut cat = Command::new("cat");
        cat.args(&files);
        let measured = measure_in_turn(&[
            ("lint403 check (all three dialects)", &check(&data)),
            ("lint403 check nginx/", &check(&data.join("nginx"))),
            ("nginx -t (nginx/)", &nginx_t),
            ("crossplane parse (nginx/)", &crossplane),
            ("cat (every file)", &cat),
        ]);
        let _ = std::fs::remove_dir_all(&prefix);
        let [whole, nginx_part, nginx, crossplane, cat] = measured[..] else {
            return Err("a measurement went missing".to_string());
        };
        println!();
        let ratio = |name: &str,
                     other: Option<(f64, f64)>,
                     ours: Option<(f64, f64)>,
                     goal: &str| match (other, ours) {
            (Some((theirs, _)), Some((mine, _))) => {
                println!("- {name}: {:.1}× ({goal})", theirs / mine);
            }
            _ => println!("- {name}: not measured (a command did not run)"),
        };
        ratio(
            "nginx -t / lint403 check nginx/",
            nginx,
            nginx_part,
            "goal ≥ 10×",
        );
        ratio(
            "crossplane parse / lint403 check nginx/",
            crossplane,
            nginx_part,
            "goal ≥ 20×",
        );
        if let (Some((ours, _)), Some((theirs, _))) = (whole, cat) {
            println!("- lint403 check / cat: {:.1}× (goal ≤ 10×)", ours / theirs);
        }
        if let Some((_, peak)) = whole {
            println!("- peak memory of the whole check: {peak:.0} MiB (goal ≤ 300 MiB)");
        }
        if let (Some((time, size)), Some((now, _))) = (previous, whole) {
            println!(
                "- growth from the previous scale: input {:.1}×, time {:.1}×",
                bytes as f64 / size,
                now / time
            );
        }
        previous = whole.map(|(time, _)| (time, bytes as f64));
    }
    Ok(())
}

/// Runs the commands three times each, in turn (the first, the second,
/// …, then the first again), and prints each one's median wall time and
/// largest peak RSS (from GNU time when installed). In turn, not each three
/// times in a row: a shared host's speed drifts over a run of a minute, and
/// the ratios compare commands measured under the same drift.
fn measure_in_turn(commands: &[(&str, &Command)]) -> Vec<Option<(f64, f64)>> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); commands.len()];
    let mut peaks: Vec<f64> = vec![0.0; commands.len()];
    let mut failed: Vec<Option<String>> = vec![None; commands.len()];
    for _ in 0..3 {
        for (index, (_, command)) in commands.iter().enumerate() {
            if failed[index].is_some() {
                continue;
            }
            match run_once(command) {
                Ok((elapsed, peak)) => {
                    times[index].push(elapsed);
                    peaks[index] = peaks[index].max(peak);
                }
                Err(reason) => failed[index] = Some(reason),
            }
        }
    }
    commands
        .iter()
        .enumerate()
        .map(|(index, (label, _))| {
            if let Some(reason) = &failed[index] {
                println!("| {label} | {reason} | |");
                return None;
            }
            let runs = &mut times[index];
            runs.sort_by(f64::total_cmp);
            let median = runs[runs.len() / 2];
            let peak = peaks[index];
            let peak_text = if peak > 0.0 {
                format!("{peak:.0}")
            } else {
                "n/a".to_string()
            };
            println!("| {label} | {median:.3} | {peak_text} |");
            Some((median, peak))
        })
        .collect()
}

/// One run of `command`: wall seconds and peak RSS in MiB (0 without GNU
/// time), or why it did not run.
fn run_once(command: &Command) -> Result<(f64, f64), String> {
    let time = Path::new("/usr/bin/time");
    let mut run = if time.exists() {
        let mut wrapped = Command::new(time);
        wrapped
            .args(["-f", "%M", "-o", "/dev/stderr", "--"])
            .arg(command.get_program())
            .args(command.get_args());
        wrapped
    } else {
        let mut plain = Command::new(command.get_program());
        plain.args(command.get_args());
        plain
    };
    let started = Instant::now();
    let Ok(output) = run.stdout(std::process::Stdio::null()).output() else {
        return Err("not run (not installed)".to_string());
    };
    let elapsed = started.elapsed().as_secs_f64();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "failed: {}",
            stderr.lines().rev().nth(1).unwrap_or("").trim()
        ));
    }
    let peak = String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()
        .and_then(|line| line.trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0);
    Ok((elapsed, peak))
}

fn all_files(data: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(data)
        .into_iter()
        .flatten()
        .filter(|entry| entry.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.sort();
    files
}

/// Builds and finds the release `lint403` binary.
fn release_binary(root: &Path) -> Result<PathBuf, String> {
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "--quiet", "--bin", "lint403"])
        .current_dir(root)
        .status()
        .map_err(|error| error.to_string())?;
    if !status.success() {
        return Err("cargo build --release failed".to_string());
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let binary = target.join("release/lint403");
    binary
        .exists()
        .then_some(binary)
        .ok_or_else(|| "release binary not found".to_string())
}

/// `nginx -t` on the same nginx tree, timed the same way (median of 3).
fn nginx_side_by_side(data: &Path) {
    let prefix = std::env::temp_dir().join(format!("lint403-bench-ngx-{}", std::process::id()));
    let _ = std::fs::create_dir_all(prefix.join("logs"));
    let mut times = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let status = Command::new("nginx")
            .arg("-t")
            .arg("-q")
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(data.join("nginx/nginx.conf"))
            .status();
        if !status.is_ok_and(|status| status.success()) {
            println!("nginx -t: not run (missing binary or config refused)");
            return;
        }
        times.push(started.elapsed().as_secs_f64());
    }
    let _ = std::fs::remove_dir_all(&prefix);
    times.sort_by(f64::total_cmp);
    let bytes: usize = load(data, Dialect::Nginx)
        .iter()
        .map(|f| f.text.len())
        .sum();
    let median = times[1];
    println!(
        "nginx -t on the same nginx tree: {median:.3} s wall, {:.1} MB/s",
        bytes as f64 / 1e6 / median
    );
}
