//! Parse throughput over every file under a directory (a development aid;
//! `cargo xtask bench` is the official measurement).
//! Usage: `cargo run --release --example parse_speed -- DIR`

use std::hint::black_box;
use std::time::{Duration, Instant};

fn files(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(source) = lint403_core::read::read_source(&path) {
            out.push(source.text);
        }
    }
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: parse_speed DIR");
        std::process::exit(2);
    };
    let mut texts = Vec::new();
    files(std::path::Path::new(&dir), &mut texts);
    let bytes: usize = texts.iter().map(String::len).sum();
    let started = Instant::now();
    let mut rounds = 0usize;
    while rounds == 0 || started.elapsed() < Duration::from_secs(3) {
        for text in &texts {
            black_box(lint403_nginx::parse(black_box(text)));
        }
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "a throughput figure")]
    let rate = (bytes * rounds) as f64 / 1e6 / seconds;
    println!(
        "{} files, {bytes} bytes, {rounds} rounds: {rate:.1} MB/s",
        texts.len()
    );
}
