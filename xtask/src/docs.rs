//! `cargo xtask docs [--check]`: writes `docs/rules/<CODE>.md` for every
//! rule and parse code and the index `docs/codes.md`, from the registry and
//! the rules' own doc comments, so the pages can never drift from the
//! code. `--check` fails when a page on disk differs from what would be
//! written, or when a page has no code behind it.

use std::path::{Path, PathBuf};

use lint403::docs::{entries, render, table, GENERATED};

pub fn run(root: &Path, check: bool) -> Result<(), String> {
    let pages = pages(root);
    let mut stale = Vec::new();
    for (path, text) in &pages {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current == *text {
            continue;
        }
        if check {
            stale.push(path.display().to_string());
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
            }
            std::fs::write(path, text)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if let Ok(listing) = std::fs::read_dir(root.join("docs/rules")) {
        for entry in listing.flatten() {
            let path = entry.path();
            if !pages.iter().any(|(page, _)| *page == path) {
                stale.push(format!("{} (no such code)", path.display()));
            }
        }
    }
    if stale.is_empty() {
        if check {
            println!("docs are up to date");
        }
        Ok(())
    } else {
        Err(format!(
            "generated docs are stale, run `cargo xtask docs`:\n  {}",
            stale.join("\n  ")
        ))
    }
}

fn pages(root: &Path) -> Vec<(PathBuf, String)> {
    let mut pages: Vec<(PathBuf, String)> = entries()
        .iter()
        .map(|entry| {
            (
                root.join("docs/rules")
                    .join(format!("{}.md", entry.code().code)),
                format!("{GENERATED}\n{}", render(entry)),
            )
        })
        .collect();
    pages.push((
        root.join("docs/codes.md"),
        format!(
            "{GENERATED}\n# Rules and codes\n\nEvery diagnostic lint403 prints has one of these codes. \
             Codes and names are stable: suppressions and CI configurations may name either. \
             `lint403 rule CODE` prints a page in the terminal.\n\n{}",
            table()
        ),
    ));
    pages
}
