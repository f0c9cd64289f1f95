//! `lint403 check`: read, detect, hand each file to its dialect, collect.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use lint403_core::{
    codes, read, CheckOptions, CheckOutput, Diagnostic, Dialect, FileId, SourceMap, Span, TextRange,
};

use lint403_rules::{Loaded, RuleContext};

use crate::config::Config;
use crate::detect::{self, Evidence};
use crate::discover::{self, Found};

/// What the user asked `check` to do.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    pub paths: Vec<PathBuf>,
    /// `--dialect`: `None` detects per file.
    pub dialect: Option<Dialect>,
    /// `--context`: the context of fragments' top-level directives.
    pub context: Option<String>,
    /// `.lint403.yaml` (the defaults when there is none).
    pub config: Config,
    /// `check -`: the text read from standard input and the file name it
    /// stands for (`--stdin-filename`), which decides the dialect and
    /// where its relative includes are looked up.
    pub stdin: Option<(PathBuf, Vec<u8>)>,
    /// Skip files named on the command line whose dialect cannot be told
    /// (what a pre-commit hook passes), instead of reporting them.
    pub ignore_undetected: bool,
    /// What directory walks leave out (`.gitignore`, `--exclude`).
    pub exclusions: discover::Exclusions,
}

/// One checked file, for the `files` list of the report.
#[derive(Debug, Clone)]
pub struct CheckedFile {
    pub file: FileId,
    pub dialect: Dialect,
    pub parsed: bool,
}

/// Everything a front end needs to render a run.
#[derive(Debug, Default)]
pub struct Report {
    pub sources: SourceMap,
    pub files: Vec<CheckedFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files named on the command line whose dialect could not be told.
    pub undetected: Vec<PathBuf>,
}

/// Where a file to check comes from.
enum Input {
    /// Found inside a directory that was named.
    Found,
    /// Named on the command line (a file whose dialect cannot be told is
    /// reported).
    Named,
    /// Read from standard input.
    Stdin(lint403_core::SourceFile),
}

/// Runs `check` over the requested paths.
pub fn check(request: &CheckRequest) -> Report {
    lint403_core::paths::forget();
    let mut report = Report::default();
    let mut pending = Vec::new();
    if let Some((name, bytes)) = &request.stdin {
        pending.push((
            name.clone(),
            Input::Stdin(read::decode(name, bytes.clone())),
        ));
    }
    let paths: Vec<PathBuf> = request
        .paths
        .iter()
        .filter(|path| path.as_os_str() != "-")
        .cloned()
        .collect();
    for found in discover::discover(&paths, &request.exclusions) {
        match found {
            Found::File { path, explicit } => {
                let input = if explicit { Input::Named } else { Input::Found };
                pending.push((path, input));
            }
            Found::Broken { path, reason } => {
                unreadable(&mut report, &path, &reason);
            }
        }
    }
    // Main configurations first, so that the fragments they include are
    // checked in their real context and not a second time on their own;
    // then every other file no main configuration pulled in. Each phase
    // checks its files in parallel; the results are merged in this order,
    // a file already checked through an earlier file's includes skipped,
    // so the outcome is that of checking them one after the other.
    pending.sort_by_key(|(path, _)| !is_main_config(path));
    let split = pending
        .iter()
        .position(|(path, _)| !is_main_config(path))
        .unwrap_or(pending.len());
    let mut rest = pending.split_off(split);
    // `.htaccess` files last: their rules look for the server
    // configuration that grants their overrides and for the `.htaccess`
    // files of parent directories, so they come in waves by depth, each
    // seeing every file checked before it.
    let htaccess_at = stable_partition(&mut rest, |(path, _)| !is_htaccess(path));
    let mut htaccess = rest.split_off(htaccess_at);
    htaccess.sort_by_key(|(path, _)| path.components().count());
    let mut phases = vec![(pending, false), (rest, false)];
    while !htaccess.is_empty() {
        let depth = htaccess[0].0.components().count();
        let deeper = htaccess
            .iter()
            .position(|(path, _)| path.components().count() != depth)
            .unwrap_or(htaccess.len());
        let next = htaccess.split_off(deeper);
        phases.push((std::mem::replace(&mut htaccess, next), true));
    }
    let warmed: Vec<PathBuf> = phases
        .iter()
        .flat_map(|(phase, _)| phase)
        .filter(|(_, input)| !matches!(input, Input::Stdin(_)))
        .map(|(path, _)| path.clone())
        .collect();
    let warming = Warming::new(&warmed);
    std::thread::scope(|scope| {
        for _ in 0..WARMING_THREADS {
            scope.spawn(|| warming.work());
        }
        check_phases(request, phases, &mut report);
        warming.stop();
    });
    for (file, reason) in report.sources.unpark() {
        let path = report.sources.get(file).path.display().to_string();
        report.diagnostics.push(
            Diagnostic::new(
                codes::FILE_UNREADABLE,
                Span::new(file, TextRange::empty(0)),
                format!(
                    "cannot read {path} again to show its findings: {reason}; \
                     they are listed without its text"
                ),
            )
            .with_help("check again once the file is no longer being changed"),
        );
    }
    let dialect_of = |path: &Path| request.dialect.or_else(|| request.config.dialect_of(path));
    crate::expect::check(&request.config, &mut report, &dialect_of);
    let files: Vec<(FileId, Dialect)> = report
        .files
        .iter()
        .map(|entry| (entry.file, entry.dialect))
        .collect();
    crate::suppress::apply(
        &report.sources,
        &files,
        &crate::docs::codes(),
        &|code| !request.config.never_reports(code),
        &mut report.diagnostics,
    );
    apply_config(&mut report, &request.config);
    sort_diagnostics(&mut report);
    let sources = &report.sources;
    report
        .files
        .sort_by(|a, b| sources.get(a.file).path.cmp(&sources.get(b.file).path));
    report
}

/// Checks the phases in order, each phase's files in parallel, merging
/// the units into `report` in the order a one-by-one run takes them.
fn check_phases(
    request: &CheckRequest,
    phases: Vec<(Vec<(PathBuf, Input)>, bool)>,
    report: &mut Report,
) {
    let mut merged = Merged::default();
    let mut phases = phases.into_iter();
    while let Some((phase, seeded)) = phases.next() {
        let phase: Vec<(PathBuf, Input)> = phase
            .into_iter()
            .filter(|(path, _)| {
                let canonical = merged.canonical(path);
                !merged.seen.contains(&canonical)
            })
            .collect();
        if phase.is_empty() {
            continue;
        }
        // Only now that another phase is to run: the last one keeps its
        // texts, which the report needs next, rather than reading them
        // again (the nginx part of the scale-100 benchmark read 44 MB
        // twice at its end).
        merged.park_waiting(report);
        let base = if seeded {
            report.sources.frozen()
        } else {
            SourceMap::new()
        };
        // A phase of one file that reads every file still to check is the
        // run's last work.
        let still_to_check: Option<HashSet<PathBuf>> = (phase.len() == 1).then(|| {
            phases
                .as_slice()
                .iter()
                .flat_map(|(later, _)| later)
                .filter_map(|(path, _)| {
                    let canonical = merged.canonical(path);
                    (!merged.seen.contains(&canonical)).then_some(canonical)
                })
                .collect()
        });
        let units = checked_apart_by_size(phase, |(path, input), beside_large| {
            check_file(
                request,
                path,
                input,
                base.clone(),
                beside_large,
                still_to_check.as_ref(),
            )
        });
        for unit in units {
            merged.add(report, unit);
        }
    }
}

/// Threads that read the run's files ahead of the threads that check
/// them, into a buffer of their own, keeping nothing.
const WARMING_THREADS: usize = 4;

/// The run's files read ahead of the check, in the order the phases take
/// them, so that the kernel's caches hold them when a check reads one:
/// where they did not (a machine that gave its caches back), each of the
/// 2,400 `.htaccess` files of the scale-100 benchmark kept a core waiting
/// on the disk. Reading changes nothing the check sees: what it checks is
/// what it reads itself.
struct Warming<'a> {
    paths: &'a [PathBuf],
    next: std::sync::atomic::AtomicUsize,
    stopped: std::sync::atomic::AtomicBool,
}

impl<'a> Warming<'a> {
    fn new(paths: &'a [PathBuf]) -> Warming<'a> {
        Warming {
            paths,
            next: std::sync::atomic::AtomicUsize::new(0),
            stopped: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn work(&self) {
        let mut buffer = vec![0; 64 * 1024];
        while !self.stopped.load(std::sync::atomic::Ordering::Relaxed) {
            let index = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(path) = self.paths.get(index) else {
                return;
            };
            read::warm(path, &mut buffer);
        }
    }

    fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `select`, `ignore`, `per-file-ignores` and `severity` of the config.
fn apply_config(report: &mut Report, config: &Config) {
    let sources = &report.sources;
    // Per file and code, not per diagnostic: a per-file glob is matched on
    // the path relative to the configuration, which resolves links.
    let mut decided: std::collections::HashMap<(FileId, &'static str), bool> =
        std::collections::HashMap::new();
    report.diagnostics.retain(|diagnostic| {
        *decided
            .entry((diagnostic.span.file, diagnostic.code.code))
            .or_insert_with(|| {
                config.reports(&diagnostic.code, &sources.get(diagnostic.span.file).path)
            })
    });
    for diagnostic in &mut report.diagnostics {
        diagnostic.severity = config.severity_of(&diagnostic.code, diagnostic.severity);
    }
}

/// `is_last_work` says, once a file is loaded, whether nothing is checked
/// after it: its findings then need not be gathered for a next file.
fn check_one(
    sources: &mut SourceMap,
    file: FileId,
    dialect: Dialect,
    options: &CheckOptions,
    config: &Config,
    is_last_work: &dyn Fn(&SourceMap) -> bool,
) -> CheckOutput {
    let (mut output, lints) = match dialect {
        Dialect::Nginx => {
            let loaded = lint403_nginx::load(sources, file, options);
            let sources: &SourceMap = sources;
            let large = lint403_rules::is_large(sources, Loaded::Nginx(&loaded));
            if large {
                // nginx's own directive checks beside the rules, not before.
                let checked = std::thread::scope(|scope| {
                    let validation = scope.spawn(|| lint403_nginx::check_loaded(&loaded, sources));
                    let lints = lint(sources, Loaded::Nginx(&loaded), config, large);
                    let output = validation
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (output, lints)
                });
                let checked = if is_last_work(sources) {
                    checked
                } else {
                    gathered(checked)
                };
                lint403_core::cores::dispose(loaded);
                lint403_core::pattern::forget_unused();
                checked
            } else {
                let output = lint403_nginx::check_loaded(&loaded, sources);
                (output, lint(sources, Loaded::Nginx(&loaded), config, large))
            }
        }
        Dialect::Apache => {
            let loaded = lint403_apache::load(sources, file, options);
            let output = lint403_apache::check_loaded(&loaded);
            let large = lint403_rules::is_large(sources, Loaded::Apache(&loaded));
            let lints = lint(sources, Loaded::Apache(&loaded), config, large);
            if large {
                let checked = if is_last_work(sources) {
                    (output, lints)
                } else {
                    gathered((output, lints))
                };
                lint403_core::cores::dispose(loaded);
                lint403_core::pattern::forget_unused();
                checked
            } else {
                (output, lints)
            }
        }
        Dialect::Iis => {
            let loaded = lint403_iis::load(sources, file, options);
            let output = lint403_iis::check_loaded(&loaded);
            let large = lint403_rules::is_large(sources, Loaded::Iis(&loaded));
            (output, lint(sources, Loaded::Iis(&loaded), config, large))
        }
    };
    output.diagnostics.extend(lints);
    output
}

/// A large configuration's findings copied into fresh memory before its
/// trees are freed (unless nothing is checked after it): made by the rules while the trees were built and
/// read, they are spread over the memory the trees took, and every page
/// one of them stays on can be neither given back to the system nor
/// reused whole by the next large file (with freed memory given back at
/// once, 244 MiB stayed resident after the scale-100 benchmark's nginx
/// configuration without the copy, 183 MiB with it).
fn gathered((output, lints): (CheckOutput, Vec<Diagnostic>)) -> (CheckOutput, Vec<Diagnostic>) {
    let copy = |diagnostics: &[Diagnostic]| diagnostics.to_vec();
    (
        CheckOutput {
            diagnostics: copy(&output.diagnostics),
            ..output
        },
        copy(&lints),
    )
}

/// The rules' findings; a `large` configuration's model is freed on the
/// side ([`lint403_core::cores::dispose`]).
fn lint(sources: &SourceMap, loaded: Loaded<'_>, config: &Config, large: bool) -> Vec<Diagnostic> {
    let context = RuleContext::new(sources, loaded).with_facts(&config.site);
    let found = lint403_rules::run_where(&context, |rule| !config.never_reports(&rule.code));
    if large {
        // Freed beside the block tree, which is dropped here.
        if let Some(model) = context.into_model() {
            lint403_core::cores::dispose(model);
        }
    }
    found
}

/// What checking one file (and what it includes) produced, with sources
/// of its own so that files can be checked on several threads.
enum Unit {
    Checked {
        path: PathBuf,
        sources: SourceMap,
        /// How many files `sources` was seeded with: the report's first
        /// files, under the same ids.
        seeded: usize,
        file: FileId,
        dialect: Dialect,
        output: CheckOutput,
        /// Whether the texts it read may be set aside once it is merged
        /// ([`SourceMap::park`]).
        parkable: bool,
    },
    Unreadable {
        path: PathBuf,
        reason: String,
    },
    Undetected(PathBuf),
    Skipped,
}

/// Moves the items `keep` says to the front (in order, and the others
/// after them in order) and returns how many were kept.
fn stable_partition<T>(items: &mut Vec<T>, keep: impl Fn(&T) -> bool) -> usize {
    let (front, back): (Vec<T>, Vec<T>) = items.drain(..).partition(|item| keep(item));
    let kept = front.len();
    items.extend(front);
    items.extend(back);
    kept
}

/// A checked unit that read at least this much text from disk has its
/// files' texts set aside when a later phase has files to check
/// ([`SourceMap::park`]) and read again when the run is done: the size at which its rules run on every core
/// ([`lint403_rules::is_large`]); a repository of small files keeps its
/// texts and reads each file once. An Apache unit keeps its texts: the
/// rules of a `.htaccess` load a main server configuration again, with
/// the files it includes, from the run's sources.
const PARKED_MIN_BYTES: usize = 256 * 1024;

fn is_htaccess(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name.to_string_lossy().eq_ignore_ascii_case(".htaccess"))
}

/// Checks one file in a source map of its own, seeded with `sources`
/// (files other units checked that this one's rules may consult).
///
/// A file checked `beside_large` (a large file of its phase) sets aside
/// the texts it read from disk as soon as it is done
/// ([`SourceMap::park`]): its results wait for the large file, and its
/// texts would sit under that file's peak.
fn check_file(
    request: &CheckRequest,
    path: PathBuf,
    input: Input,
    sources: SourceMap,
    beside_large: bool,
    still_to_check: Option<&HashSet<PathBuf>>,
) -> Unit {
    let seeded = sources.len();
    let explicit = !matches!(input, Input::Found);
    let from_disk = !matches!(input, Input::Stdin(_));
    let source = match input {
        Input::Stdin(source) => source,
        Input::Found | Input::Named => match read::read_source(&path) {
            Ok(source) => source,
            Err(error) => {
                return Unit::Unreadable {
                    path,
                    reason: error.to_string(),
                }
            }
        },
    };
    let detected = request
        .dialect
        .or_else(|| request.config.dialect_of(&path))
        .map(|dialect| (dialect, Evidence::Name))
        .or_else(|| detect::detect(&path, &source.text));
    let Some((dialect, _)) = detected else {
        return if explicit && !request.ignore_undetected {
            Unit::Undetected(path)
        } else {
            Unit::Skipped
        };
    };
    let mut sources = sources;
    let file = sources.add(source);
    let options = CheckOptions {
        context: request.context.clone(),
        include_root: request.config.include_root.clone(),
        follow_absolute_includes: false,
        path_map: request.config.paths.clone(),
    };
    let is_last_work =
        |sources: &SourceMap| still_to_check.is_some_and(|left| reads_all(sources, seeded, left));
    let output = check_one(
        &mut sources,
        file,
        dialect,
        &options,
        &request.config,
        &is_last_work,
    );
    let read: usize = sources
        .iter()
        .skip(seeded)
        .map(|(_, source)| source.text.len())
        .sum();
    let parkable =
        from_disk && (read >= PARKED_MIN_BYTES || beside_large) && dialect != Dialect::Apache;
    if parkable && beside_large {
        let own: Vec<FileId> = sources
            .iter()
            .skip(seeded)
            .filter(|(_, source)| {
                !lint403_rules::walk::run_sources::is_read_by_htaccess_rules(&source.path)
            })
            .map(|(id, _)| id)
            .collect();
        for id in own {
            sources.park(id);
        }
    }
    Unit::Checked {
        path,
        sources,
        seeded,
        file,
        dialect,
        output,
        parkable,
    }
}

/// Whether the files `sources` read itself (past its first `seeded`)
/// include every path of `paths` (resolved paths).
fn reads_all(sources: &SourceMap, seeded: usize, paths: &HashSet<PathBuf>) -> bool {
    if paths.is_empty() {
        return true;
    }
    let read: HashSet<PathBuf> = sources
        .iter()
        .skip(seeded)
        .map(|(_, source)| lint403_core::paths::canonical_or_same(&source.path))
        .collect();
    paths.iter().all(|path| read.contains(path))
}

/// The merge of units into one report, in order.
#[derive(Default)]
struct Merged {
    /// Canonical paths of every file checked so far (roots and includes).
    seen: HashSet<PathBuf>,
    /// Report file of each path, so a file read by two units is one file.
    ids: std::collections::HashMap<PathBuf, FileId>,
    listed: HashSet<FileId>,
    /// Resolved paths, by the path as found or read (as written: a path's
    /// own `Hash` reads it component by component).
    canonical:
        std::collections::HashMap<std::ffi::OsString, PathBuf, lint403_core::hashing::FastHash>,
    /// Report files whose texts may be set aside ([`SourceMap::park`])
    /// once a later phase has files to check.
    waiting_to_park: Vec<FileId>,
}

impl Merged {
    /// `path` with its links resolved, each path resolved once per run
    /// (a phase looks again at every file the earlier ones checked).
    fn canonical(&mut self, path: &Path) -> PathBuf {
        if let Some(known) = self.canonical.get(path.as_os_str()) {
            return known.clone();
        }
        let resolved = lint403_core::paths::canonical_or_same(path);
        self.canonical
            .insert(path.as_os_str().to_os_string(), resolved.clone());
        resolved
    }

    fn park_waiting(&mut self, report: &mut Report) {
        for id in self.waiting_to_park.drain(..) {
            report.sources.park(id);
        }
    }

    /// Marks `path` as checked; `false` when it was already.
    fn first_sight(&mut self, path: &Path) -> bool {
        let canonical = self.canonical(path);
        self.seen.insert(canonical)
    }

    fn add(&mut self, report: &mut Report, unit: Unit) {
        match unit {
            Unit::Skipped => {}
            Unit::Undetected(path) => {
                if self.first_sight(&path) {
                    report.undetected.push(path);
                }
            }
            Unit::Unreadable { path, reason } => {
                if self.first_sight(&path) {
                    let id = unreadable(report, &path, &reason);
                    self.ids.insert(path, id);
                }
            }
            Unit::Checked {
                path,
                sources,
                seeded,
                file,
                dialect,
                output,
                parkable,
            } => {
                if !self.first_sight(&path) {
                    // Checked already, in the context of an earlier file.
                    return;
                }
                // The files the unit was seeded with are the report's own,
                // under the same ids; only what it read itself is looked
                // up (looking up every seeded file made a run of
                // `.htaccess` files quadratic).
                let mut map: Vec<FileId> = (0..seeded)
                    .map(|index| FileId(u32::try_from(index).unwrap_or(u32::MAX)))
                    .collect();
                for (id, source) in sources.iter().skip(seeded) {
                    let known = report.sources.len();
                    let id = *self
                        .ids
                        .entry(source.path.clone())
                        .or_insert_with(|| report.sources.add_shared(sources.shared(id)));
                    if parkable
                        && id.0 as usize >= known
                        && !lint403_rules::walk::run_sources::is_read_by_htaccess_rules(
                            &source.path,
                        )
                    {
                        self.waiting_to_park.push(id);
                    }
                    map.push(id);
                }
                let remap = |id: FileId| map[id.0 as usize];
                let parsed: HashSet<FileId> = output.parsed.iter().copied().map(remap).collect();
                for checked in std::iter::once(file).chain(output.included.iter().copied()) {
                    let id = remap(checked);
                    self.first_sight(&report.sources.get(id).path);
                    if self.listed.insert(id) {
                        report.files.push(CheckedFile {
                            file: id,
                            dialect,
                            parsed: parsed.contains(&id),
                        });
                    }
                }
                report
                    .diagnostics
                    .extend(output.diagnostics.into_iter().map(|mut diagnostic| {
                        diagnostic.span.file = remap(diagnostic.span.file);
                        for label in &mut diagnostic.related {
                            label.span.file = remap(label.span.file);
                        }
                        diagnostic
                    }));
            }
        }
    }
}

/// A file at least this large is checked with at most one small file of
/// its phase beside it ([`checked_apart_by_size`]): it runs its rules on
/// every core itself ([`lint403_rules::is_large`]), and checked beside a
/// thousand small files it held its peak while their sources and findings
/// piled up (scale-100 benchmark: 30–35 MiB more at the whole check's
/// peak).
const CHECKED_ALONE_BYTES: u64 = 1 << 20;

/// A file of a phase waiting for a thread, then its result.
type Cell<R> = (Option<(PathBuf, Input)>, Option<R>);

/// `work` over a phase's files, the results in the order of `phase`: the
/// large ones one at a time, each on every core, and beside them one
/// thread working through the small ones, which every core takes up once
/// the large ones are done. A large file's check has stretches on one
/// core (reading and parsing a 15 MB virtual-host file, its sections'
/// context checks), where the other cores had nothing to do. `work` is
/// told whether a small file is checked beside a large one: its results
/// then wait under the large file's peak, so it sets its texts aside.
fn checked_apart_by_size<R: Send>(
    phase: Vec<(PathBuf, Input)>,
    work: impl Fn((PathBuf, Input), bool) -> R + Sync,
) -> Vec<R> {
    let (alone, together): (Vec<_>, Vec<_>) =
        phase
            .into_iter()
            .enumerate()
            .partition(|(_, (path, input))| {
                !matches!(input, Input::Stdin(_))
                    && std::fs::metadata(path).is_ok_and(|meta| meta.len() >= CHECKED_ALONE_BYTES)
            });
    if alone.is_empty() {
        return parallel_map(
            together.into_iter().map(|(_, item)| item).collect(),
            |item| work(item, false),
        );
    }
    let (indexes, items): (Vec<usize>, Vec<_>) = together.into_iter().unzip();
    // Each cell is handed to exactly one thread, which takes its item out
    // and leaves the result.
    let cells: Vec<std::sync::Mutex<Cell<R>>> = items
        .into_iter()
        .map(|item| std::sync::Mutex::new((Some(item), None)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let large_done = std::sync::atomic::AtomicBool::new(false);
    let work_through = || loop {
        let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(cell) = cells.get(index) else {
            return;
        };
        let beside = !large_done.load(std::sync::atomic::Ordering::Acquire);
        let lock = || {
            cell.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let item = lock().0.take();
        if let Some(item) = item {
            let result = work(item, beside);
            lock().1 = Some(result);
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let helper = scope.spawn(work_through);
        let done: Vec<(usize, R)> = alone
            .into_iter()
            .map(|(index, item)| (index, work(item, false)))
            .collect();
        large_done.store(true, std::sync::atomic::Ordering::Release);
        let more = lint403_core::cores::available().saturating_sub(1).max(1);
        lint403_core::cores::map(&vec![(); more], more, |()| work_through());
        if let Err(panic) = helper.join() {
            std::panic::resume_unwind(panic);
        }
        done
    });
    done.extend(indexes.into_iter().zip(cells).filter_map(|(index, cell)| {
        let (_, result) = cell
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        result.map(|result| (index, result))
    }));
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

/// `work` over `items` on every core, results in the order of `items`
/// ([`lint403_core::cores::map`], with each item moved into its work).
fn parallel_map<T: Send, R: Send>(items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R> {
    // Each cell is handed to exactly one thread, which takes its item out.
    let cells: Vec<std::sync::Mutex<Option<T>>> = items
        .into_iter()
        .map(|item| std::sync::Mutex::new(Some(item)))
        .collect();
    lint403_core::cores::map(&cells, lint403_core::cores::available(), |cell| {
        cell.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .map(&work)
    })
    .into_iter()
    .flatten()
    .collect()
}

fn unreadable(report: &mut Report, path: &Path, reason: &str) -> FileId {
    let file = report.sources.add_unreadable(path);
    report.diagnostics.push(
        Diagnostic::new(
            codes::FILE_UNREADABLE,
            Span::new(file, TextRange::empty(0)),
            format!("cannot read {}: {reason}", path.display()),
        )
        .with_help("make the path a readable regular file, or exclude it from the check"),
    );
    file
}

/// A file the server starts from (not a fragment it includes).
pub(crate) fn is_main_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| {
            let name = name.to_ascii_lowercase();
            matches!(name.as_str(), "nginx.conf" | "httpd.conf" | "apache2.conf")
        })
}

/// Where a finding sorts: its file's rank by path, line, column, code.
type Place = (usize, usize, usize, &'static str);

/// Findings one thread takes at a time in [`by_blocks`].
const FINDINGS_PER_BLOCK: usize = 2048;

/// `work` on the findings a block at a time, on every core, the results
/// in order: a large run's tens of thousands of findings took a fifth of a
/// second on one core at its end (placing them for the sort and writing
/// their lines), while the others stood idle.
pub(crate) fn by_blocks<R: Send>(
    diagnostics: &[Diagnostic],
    work: impl Fn(&[Diagnostic]) -> R + Sync,
) -> Vec<R> {
    let blocks: Vec<&[Diagnostic]> = diagnostics.chunks(FINDINGS_PER_BLOCK).collect();
    lint403_core::cores::map(&blocks, lint403_core::cores::available(), |block| {
        work(block)
    })
}

/// Stable order: path, line, column, code; duplicates dropped.
pub fn sort_diagnostics(report: &mut Report) {
    let sources = &report.sources;
    // Files are ranked by path once: comparing two paths goes component by
    // component, and a large run sorts tens of thousands of findings.
    let mut files: Vec<FileId> = report
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic.span.file)
        .collect();
    files.sort_unstable();
    files.dedup();
    files.sort_by(|a, b| sources.get(*a).path.cmp(&sources.get(*b).path));
    let mut rank_of = std::collections::HashMap::with_capacity(files.len());
    let mut rank = 0;
    for (index, file) in files.iter().enumerate() {
        if index > 0 && sources.get(files[index - 1]).path != sources.get(*file).path {
            rank += 1;
        }
        rank_of.insert(*file, rank);
    }
    let places: Vec<Place> = by_blocks(&report.diagnostics, |block| {
        block
            .iter()
            .map(|diagnostic| {
                let at = sources
                    .get(diagnostic.span.file)
                    .line_col(diagnostic.span.range.start);
                let rank = rank_of.get(&diagnostic.span.file).copied().unwrap_or(0);
                (rank, at.line, at.column, diagnostic.code.code)
            })
            .collect::<Vec<Place>>()
    })
    .concat();
    let mut keyed: Vec<(Place, Diagnostic)> = places
        .into_iter()
        .zip(report.diagnostics.drain(..))
        .collect();
    // Stable: findings that tie keep the order their checks gave them.
    keyed.sort_by(|(a, first), (b, second)| {
        a.cmp(b).then_with(|| first.message.cmp(&second.message))
    });
    report
        .diagnostics
        .extend(keyed.into_iter().map(|(_, diagnostic)| diagnostic));
    report.diagnostics.dedup();
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{checked_apart_by_size, reads_all, Input, CHECKED_ALONE_BYTES};

    /// A unit is the run's last work when it read every file still to
    /// check (through a link too), its seeded files not counted.
    #[test]
    fn the_last_work_reads_every_file_still_to_check() {
        use lint403_core::{SourceFile, SourceMap};
        let dir = std::env::temp_dir().join(format!("lint403-last-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("conf.d")).unwrap_or_default();
        for name in [
            "nginx.conf",
            "conf.d/a.conf",
            "conf.d/b.conf",
            "seeded.conf",
        ] {
            std::fs::write(dir.join(name), "events {}\n").unwrap_or_default();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.join("conf.d"), dir.join("linked")).unwrap_or_default();
        let resolved = |name: &str| lint403_core::paths::canonical_or_same(&dir.join(name));
        let mut sources = SourceMap::new();
        sources.add(SourceFile::from_bytes(dir.join("seeded.conf"), Vec::new()));
        for name in ["nginx.conf", "linked/a.conf"] {
            sources.add(SourceFile::from_bytes(dir.join(name), Vec::new()));
        }
        let left = |names: &[&str]| names.iter().map(|name| resolved(name)).collect();
        assert!(reads_all(&sources, 1, &left(&[])));
        assert!(reads_all(&sources, 1, &left(&["conf.d/a.conf"])));
        assert!(!reads_all(
            &sources,
            1,
            &left(&["conf.d/a.conf", "conf.d/b.conf"])
        ));
        assert!(!reads_all(&sources, 1, &left(&["seeded.conf"])));
        assert!(reads_all(&sources, 0, &left(&["seeded.conf"])));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A large file is checked with at most one small file beside it, which
    /// is told so; the results come in the phase's order all the same.
    #[test]
    fn small_files_are_checked_one_at_a_time_beside_a_large_one() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let dir = std::env::temp_dir().join(format!("lint403-apart-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let large = usize::try_from(CHECKED_ALONE_BYTES).unwrap_or(1 << 20);
        let sizes = [10, 20, large, 30, 40, 50, 60];
        let phase: Vec<(PathBuf, Input)> = sizes
            .iter()
            .enumerate()
            .map(|(index, &size)| {
                let path = dir.join(format!("{index}.conf"));
                std::fs::write(&path, "#".repeat(size)).expect("write");
                (path, Input::Found)
            })
            .collect();
        let large_running = AtomicBool::new(false);
        let small_running = AtomicUsize::new(0);
        let most_beside = AtomicUsize::new(0);
        let told_wrong = AtomicBool::new(false);
        let results = checked_apart_by_size(phase, |(path, _), beside| {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned());
            if name.as_deref() == Some("2.conf") {
                large_running.store(true, Ordering::SeqCst);
                // Until a small file has run beside it (or long enough
                // that none ever will).
                let since = std::time::Instant::now();
                while most_beside.load(Ordering::SeqCst) == 0
                    && since.elapsed() < std::time::Duration::from_secs(10)
                {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
                large_running.store(false, Ordering::SeqCst);
                told_wrong.fetch_or(beside, Ordering::SeqCst);
            } else {
                let running = small_running.fetch_add(1, Ordering::SeqCst) + 1;
                if large_running.load(Ordering::SeqCst) {
                    most_beside.fetch_max(running, Ordering::SeqCst);
                    told_wrong.fetch_or(!beside, Ordering::SeqCst);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
                small_running.fetch_sub(1, Ordering::SeqCst);
            }
            name
        });
        let _ = std::fs::remove_dir_all(&dir);
        let names: Vec<String> = (0..sizes.len())
            .map(|index| format!("{index}.conf"))
            .collect();
        assert_eq!(results, names.iter().cloned().map(Some).collect::<Vec<_>>());
        assert_eq!(
            most_beside.load(Ordering::SeqCst),
            1,
            "one small file at a time beside the large one"
        );
        assert!(!told_wrong.load(Ordering::SeqCst));
    }
}
