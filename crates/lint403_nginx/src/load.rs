//! Reading a configuration with everything it includes.
//!
//! nginx's `include` (`ngx_conf_include`) resolves a relative path against
//! the configuration prefix, which is the directory of the main
//! configuration file (not the directory of the including file); expands
//! the path with `glob(3)` only when it contains `*`, `?` or `[`, silently
//! accepting a glob that matches nothing; and fails on a plain path that
//! does not exist. The included file's directives stand in the context of
//! the `include` directive.
//!
//! lint403 adds what nginx lacks: cycle detection, a depth limit and a limit
//! on the files one glob or one configuration may pull in.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use lint403_core::codes::{FILE_UNREADABLE, INCLUDE_CYCLE, INCLUDE_UNRESOLVED, LIMIT_EXCEEDED};
use lint403_core::glob::{self, GlobError};
use lint403_core::{read, CheckOptions, Diagnostic, FileId, Severity, SourceMap, Span, TextRange};

use crate::directives::{self, Context, EntriesKind};
use crate::syntax::{
    parse, BodyKind, Directive, DirectiveEnd, Item, SyntaxError, SyntaxTree, Word,
};

/// Keyed by paths and file ids, asked for every include of every file.
type HashMap<K, V> = std::collections::HashMap<K, V, lint403_core::hashing::FastHash>;
type HashSet<K> = std::collections::HashSet<K, lint403_core::hashing::FastHash>;

/// Includes nested deeper than this are not followed.
pub const MAX_INCLUDE_DEPTH: usize = 64;
/// One include glob may match at most this many files.
pub const MAX_GLOB_MATCHES: usize = 50_000;
/// One configuration may pull in at most this many files in all.
pub const MAX_FILES: usize = 100_000;

/// One file read by [`load`].
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub id: FileId,
    pub tree: SyntaxTree,
    /// What the tokenizer and block grammar refused (also in
    /// [`LoadedConfig::diagnostics`]).
    pub syntax_errors: Vec<SyntaxError>,
}

/// One `include` directive and the files it pulled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeLink {
    /// The file that holds the directive.
    pub file: FileId,
    /// The directive's name (`include`), which identifies it in its file.
    pub directive: TextRange,
    /// The directive from its name to its argument (what diagnostics
    /// about the include point at).
    pub head: TextRange,
    /// The path argument as nginx reads it.
    pub pattern: String,
    /// The files read, in nginx's order (a glob's matches sorted). Files
    /// that would close a cycle are left out.
    pub targets: Vec<FileId>,
}

/// A configuration with its includes resolved: what later passes (the
/// model, location selection) read.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub root: FileId,
    /// The context of the root file's top-level directives: `main` for a
    /// main configuration, else what `options.context` says or what the
    /// fragment's directives imply.
    pub root_context: Context,
    /// Whether the root file is a fragment (not a main configuration).
    pub fragment: bool,
    /// The directory relative include paths were resolved against.
    pub include_root: PathBuf,
    /// Every file read, the root first, in the order first reached.
    pub files: Vec<LoadedFile>,
    pub includes: Vec<IncludeLink>,
    /// Syntax errors of every file, and the includes that could not be
    /// followed.
    pub diagnostics: Vec<Diagnostic>,
    file_index: HashMap<FileId, usize>,
    link_index: HashMap<(FileId, usize), usize>,
    /// [`LoadedConfig::block_count`], counted once: the lowering and the
    /// rules' block tree both ask, at the same time, on different threads.
    blocks: std::sync::OnceLock<usize>,
}

impl LoadedConfig {
    pub fn file(&self, id: FileId) -> Option<&LoadedFile> {
        self.file_index
            .get(&id)
            .and_then(|&index| self.files.get(index))
    }

    /// The link of the `include` directive `directive` in `file`.
    pub fn include(&self, file: FileId, directive: &Directive) -> Option<&IncludeLink> {
        self.link_index
            .get(&(file, directive.name.range().start))
            .and_then(|&index| self.includes.get(index))
    }

    /// The files an `include` directive pulled in (empty for any other
    /// directive, or an include that loaded nothing).
    pub fn include_targets(&self, file: FileId, directive: &Directive) -> &[FileId] {
        self.include(file, directive)
            .map_or(&[], |link| link.targets.as_slice())
    }

    /// How many blocks of directives the configuration holds, nested ones
    /// and those of the files included, read from the root as nginx reads
    /// it (a file already open on the way is not entered again): one
    /// scope or tree node each, counted before building them so their
    /// lists are allocated once.
    pub fn block_count(&self, sources: &SourceMap) -> usize {
        *self.blocks.get_or_init(|| {
            self.blocks_in_file(sources, self.root, &mut Vec::new(), &mut HashMap::default())
                .0
        })
    }

    /// The blocks of `file`, and whether an include cycle was cut on the
    /// way: then the count depends on which files are open and is not
    /// kept in `counted`, else a snippet included by every server is
    /// counted once.
    fn blocks_in_file(
        &self,
        sources: &SourceMap,
        file: FileId,
        files_open: &mut Vec<FileId>,
        counted: &mut HashMap<FileId, usize>,
    ) -> (usize, bool) {
        if files_open.contains(&file) {
            return (0, true);
        }
        if let Some(&count) = counted.get(&file) {
            return (count, false);
        }
        let Some(loaded) = self.file(file) else {
            return (0, false);
        };
        files_open.push(file);
        let text = sources.get(file).text.as_str();
        let found = self.blocks_in(sources, file, text, &loaded.tree.items, files_open, counted);
        files_open.pop();
        if !found.1 {
            counted.insert(file, found.0);
        }
        found
    }

    fn blocks_in(
        &self,
        sources: &SourceMap,
        file: FileId,
        text: &str,
        items: &[Item],
        files_open: &mut Vec<FileId>,
        counted: &mut HashMap<FileId, usize>,
    ) -> (usize, bool) {
        let mut count = 0;
        let mut cut = false;
        for item in items {
            let Item::Directive(directive) = item else {
                continue;
            };
            if directive.is_named(text, "include") {
                for &target in self.include_targets(file, directive) {
                    let (inner, inner_cut) =
                        self.blocks_in_file(sources, target, files_open, counted);
                    count += inner;
                    cut |= inner_cut;
                }
                continue;
            }
            if let Some(block) = directive.block() {
                if block.kind == BodyKind::Directives {
                    let (inner, inner_cut) =
                        self.blocks_in(sources, file, text, &block.items, files_open, counted);
                    count += 1 + inner;
                    cut |= inner_cut;
                }
            }
        }
        (count, cut)
    }
}

/// An `include` as it stands in a tree, before resolution.
struct IncludeRef {
    name: TextRange,
    head: TextRange,
    path: Word,
    /// `geo` opens its include path as is, without glob expansion.
    glob: bool,
}

/// Reads `file` (already in `sources`) and every file it includes, parsing
/// each once.
pub fn load(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> LoadedConfig {
    let root_path = sources.get(file).path.clone();
    let root_output = parse(&sources.get(file).text);
    let main_by_name = root_path
        .file_name()
        .is_some_and(|name| name == "nginx.conf");
    let main_by_content = root_output.tree.directives().any(|directive| {
        let name = directive.name(&sources.get(file).text);
        let name = name.trim_start_matches('\u{feff}');
        matches!(name, "http" | "events" | "worker_processes")
    });
    let explicit = options.context.as_deref().and_then(Context::from_option);
    let fragment = !(main_by_name || main_by_content) && explicit != Some(Context::Main);
    let include_root = options
        .include_root
        .clone()
        .unwrap_or_else(|| default_include_root(&root_path, fragment));

    let mut loader = Loader {
        options,
        include_root: include_root.clone(),
        files: Vec::new(),
        includes: Vec::new(),
        diagnostics: Vec::new(),
        by_key: HashMap::default(),
        known_paths: sources
            .iter()
            .map(|(id, source)| (source.path.clone().into_os_string(), id))
            .collect(),
        file_budget_reported: false,
        prefetched: HashMap::default(),
        reached: HashSet::default(),
        keys: HashMap::default(),
    };
    loader.add_parsed(file, &root_path, root_output);
    loader.follow_includes(sources, file, &root_path);

    let file_index: HashMap<FileId, usize> = loader
        .files
        .iter()
        .enumerate()
        .map(|(index, loaded)| (loaded.id, index))
        .collect();
    let link_index = loader
        .includes
        .iter()
        .enumerate()
        .map(|(index, link)| ((link.file, link.directive.start), index))
        .collect();
    let mut config = LoadedConfig {
        root: file,
        root_context: Context::Main,
        fragment,
        include_root,
        files: loader.files,
        includes: loader.includes,
        diagnostics: loader.diagnostics,
        file_index,
        link_index,
        blocks: std::sync::OnceLock::new(),
    };
    config.root_context = match explicit {
        Some(context) => context,
        None if !fragment => Context::Main,
        None => fragment_context(&config, sources),
    };
    config
}

/// The prefix nginx would use: the main configuration's directory. For a
/// fragment, the nearest ancestor directory holding an `nginx.conf`, else
/// the fragment's own directory.
fn default_include_root(path: &Path, fragment: bool) -> PathBuf {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !fragment {
        return directory;
    }
    let absolute = std::path::absolute(&directory).unwrap_or_else(|_| directory.clone());
    absolute
        .ancestors()
        .find(|ancestor| ancestor.join("nginx.conf").is_file())
        .map_or(directory, Path::to_path_buf)
}

/// The outermost context in which the fragment (with what it includes)
/// gets the fewest directive errors: a fragment never gets an error for
/// being a fragment.
fn fragment_context(config: &LoadedConfig, sources: &SourceMap) -> Context {
    let mut best = (usize::MAX, Context::Main);
    for context in directives::DIRECTIVE_CONTEXTS {
        let errors = crate::validate::check_directives_in(config, sources, context).len();
        if errors < best.0 {
            best = (errors, context);
        }
        if errors == 0 {
            break;
        }
    }
    best.1
}

/// The loader's path maps are keyed by a path's bytes (`OsString`), not by
/// `PathBuf`: a `Path` hashes component by component, and every include of
/// a snippet looks its path up in several maps. Equal bytes are one path;
/// two spellings of one file still meet in [`Loader::by_key`], keyed by the
/// canonical path.
struct Loader<'o> {
    options: &'o CheckOptions,
    include_root: PathBuf,
    files: Vec<LoadedFile>,
    includes: Vec<IncludeLink>,
    diagnostics: Vec<Diagnostic>,
    /// Files read so far, by canonical path.
    by_key: HashMap<OsString, FileId>,
    /// Files the caller already had in the source map, by path.
    known_paths: HashMap<OsString, FileId>,
    file_budget_reported: bool,
    /// Files of a glob include read, keyed and parsed ahead, on every core:
    /// `include conf.d/*.conf;` names hundreds of files, and reading them
    /// one after the other left the other cores idle. Taken out in reading
    /// order by [`Loader::reach`], so the outcome is unchanged.
    prefetched: HashMap<OsString, Prefetched>,
    /// Include paths already reached, as written: a glob included again
    /// (in every `server`) is not read ahead again, and a file included
    /// again is known to exist.
    reached: HashSet<OsString>,
    /// [`canonical_key`] of each path reached so far: a snippet included
    /// by every `server` is resolved once, not once per include (each
    /// resolution is a system call per path component).
    keys: HashMap<OsString, PathBuf>,
}

/// What [`Loader::reach`] would do first to a file: its cycle key, its
/// text and its tree.
struct Prefetched {
    key: PathBuf,
    /// The file, its tree and its `include` directives (found on the
    /// reading thread too).
    read: std::io::Result<(
        lint403_core::SourceFile,
        crate::syntax::ParseOutput,
        Vec<IncludeRef>,
    )>,
}

/// Globs that match fewer files are read in turn.
const PREFETCH_MIN_FILES: usize = 8;

/// Threads that read a glob's files ahead of the threads that parse them:
/// where the kernel's caches do not hold the files, a parser waited on
/// the disk for each file in turn (the scale-100 benchmark's nginx part:
/// its loading took 0.45 s with both cores two-thirds busy, against 0.2 s
/// with the files cached).
const PREFETCH_READERS: usize = 4;

/// A file read ahead, until its parser takes it.
type ReadSlot = std::sync::Mutex<Option<std::io::Result<lint403_core::SourceFile>>>;

/// A file whose includes are being followed.
struct Frame {
    file: FileId,
    key: PathBuf,
    refs: Vec<IncludeRef>,
    next_ref: usize,
    /// Paths of the current include still to read, with the link they
    /// belong to.
    pending: VecDeque<PathBuf>,
    link: usize,
    depth: usize,
}

impl Loader<'_> {
    fn add_parsed(&mut self, id: FileId, path: &Path, output: crate::syntax::ParseOutput) {
        self.diagnostics.extend(output.diagnostics(id));
        let key = self.key_of(path);
        self.by_key.insert(key.into_os_string(), id);
        self.files.push(LoadedFile {
            id,
            tree: output.tree,
            syntax_errors: output.errors,
        });
    }

    /// Depth-first, one target at a time, so that only the files on the
    /// current include chain count as a cycle (two files of one glob may
    /// include each other's siblings freely).
    fn follow_includes(&mut self, sources: &mut SourceMap, root: FileId, root_path: &Path) {
        let mut stack: Vec<Frame> = Vec::new();
        let mut on_stack: HashSet<OsString> = HashSet::default();
        let root_key = canonical_key(root_path);
        on_stack.insert(root_key.clone().into_os_string());
        stack.push(self.frame(sources, root, root_key, 0, None));
        while let Some(top) = stack.last_mut() {
            if let Some(path) = top.pending.pop_front() {
                let (file, link, depth) = (top.file, top.link, top.depth);
                if let Some(frame) = self.reach(sources, &path, file, link, depth, &on_stack) {
                    on_stack.insert(frame.key.clone().into_os_string());
                    stack.push(frame);
                }
                continue;
            }
            if let Some(include) = top.refs.get(top.next_ref) {
                top.next_ref += 1;
                let (file, name, head, path, glob) = (
                    top.file,
                    include.name,
                    include.head,
                    include.path.clone(),
                    include.glob,
                );
                let (link, paths) = self.resolve(sources, file, (name, head), &path, glob);
                self.prefetch(&paths);
                if let Some(top) = stack.last_mut() {
                    top.link = link;
                    top.pending = paths.into();
                }
                continue;
            }
            if let Some(done) = stack.pop() {
                on_stack.remove(done.key.as_os_str());
            }
        }
    }

    /// `refs`: the file's includes when they were found while it was read.
    fn frame(
        &self,
        sources: &SourceMap,
        file: FileId,
        key: PathBuf,
        depth: usize,
        refs: Option<Vec<IncludeRef>>,
    ) -> Frame {
        let refs = refs.unwrap_or_else(|| {
            self.files
                .last()
                .filter(|loaded| loaded.id == file)
                .map(|loaded| include_refs(&loaded.tree, &sources.get(file).text))
                .unwrap_or_default()
        });
        Frame {
            file,
            key,
            refs,
            next_ref: 0,
            pending: VecDeque::new(),
            link: 0,
            depth,
        }
    }

    /// Resolves one include directive into the paths to read; reports what
    /// cannot be followed.
    fn resolve(
        &mut self,
        sources: &SourceMap,
        file: FileId,
        (name, head): (TextRange, TextRange),
        argument: &Word,
        may_glob: bool,
    ) -> (usize, Vec<PathBuf>) {
        let text = &sources.get(file).text;
        let pattern = argument.value(text).into_owned();
        let link = self.includes.len();
        self.includes.push(IncludeLink {
            file,
            directive: name,
            head,
            pattern: pattern.clone(),
            targets: Vec::new(),
        });
        let span = Span::new(file, argument.range());
        let written = Path::new(&pattern);
        let path = if written.is_absolute() {
            let Some(mapped) = self.options.map_absolute(written) else {
                self.diagnostics.push(
                    Diagnostic::new(
                        INCLUDE_UNRESOLVED,
                        span,
                        format!(
                            "include \"{pattern}\" is an absolute path on the server; lint403 \
                             does not read it, so what it holds is not checked"
                        ),
                    )
                    .with_severity(Severity::Info)
                    .with_label("not read")
                    .with_help(format!(
                        "map the server's directory into this repository in .lint403.yaml, \
                         e.g. `paths: {{\"{}\": \"deploy/nginx\"}}`",
                        written
                            .parent()
                            .map_or_else(|| "/etc/nginx".into(), |p| p.display().to_string())
                    )),
                );
                return (link, Vec::new());
            };
            mapped
        } else {
            self.include_root.join(written)
        };
        if may_glob && glob::has_wildcard(&pattern) {
            return match glob::expand(&path, MAX_GLOB_MATCHES) {
                Ok(paths) => (link, paths),
                Err(GlobError::TooManyMatches(limit)) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            LIMIT_EXCEEDED,
                            span,
                            format!(
                                "include \"{pattern}\" matches more than {limit} files; lint403 \
                                 reads none of them"
                            ),
                        )
                        .with_label("too many matches")
                        .with_help("narrow the glob (e.g. `conf.d/*.conf`)"),
                    );
                    (link, Vec::new())
                }
                Err(GlobError::Io(error)) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            FILE_UNREADABLE,
                            span,
                            format!("cannot expand include \"{}\": {error}", path.display()),
                        )
                        .with_label("unreadable")
                        .with_help("make the directory readable, or fix the path"),
                    );
                    (link, Vec::new())
                }
            };
        }
        // A path reached before exists (a snippet included by every
        // `location` is looked up once, not once per include).
        if !self.reached.contains(path.as_os_str()) && path.symlink_metadata().is_err() {
            self.diagnostics.push(
                Diagnostic::new(
                    INCLUDE_UNRESOLVED,
                    span,
                    format!(
                        "open() \"{}\" failed (2: No such file or directory)",
                        std::path::absolute(&path)
                            .unwrap_or_else(|_| path.clone())
                            .display()
                    ),
                )
                .with_severity(Severity::Error)
                .with_label("no such file")
                .with_help(format!(
                    "nginx refuses to start when a plain include is missing: create the file, \
                     or fix the path (relative paths are resolved against {}, the directory \
                     of the main configuration, not against the including file)",
                    self.include_root.display()
                )),
            );
            return (link, Vec::new());
        }
        (link, vec![path])
    }

    /// Reads one target of an include (or links to it when already read).
    /// Returns a frame to follow its own includes when it is new.
    fn reach(
        &mut self,
        sources: &mut SourceMap,
        path: &Path,
        from: FileId,
        link: usize,
        depth: usize,
        on_stack: &HashSet<OsString>,
    ) -> Option<Frame> {
        let span = self
            .includes
            .get(link)
            .map_or(Span::new(from, TextRange::empty(0)), |link| {
                Span::new(from, link.head)
            });
        let prefetched = self.prefetched.remove(path.as_os_str());
        if !self.reached.contains(path.as_os_str()) {
            self.reached.insert(path.as_os_str().to_owned());
        }
        let key = match &prefetched {
            Some(ahead) => {
                self.keys
                    .insert(path.as_os_str().to_owned(), ahead.key.clone());
                ahead.key.clone()
            }
            None => self.key_of(path),
        };
        if on_stack.contains(key.as_os_str()) {
            let pattern = self
                .includes
                .get(link)
                .map_or(String::new(), |link| link.pattern.clone());
            self.diagnostics.push(
                Diagnostic::new(
                    INCLUDE_CYCLE,
                    span,
                    format!(
                        "include \"{pattern}\" reads \"{}\", which is already being read: the \
                         files include each other",
                        path.display()
                    ),
                )
                .with_label("closes an include cycle")
                .with_help(
                    "nginx has no cycle check: it includes these files over and over until it \
                     crashes (nginx 1.22 `nginx -t` dies with a segmentation fault); remove one \
                     of the includes",
                ),
            );
            return None;
        }
        if let Some(&id) = self.by_key.get(key.as_os_str()) {
            self.push_target(link, id);
            return None;
        }
        if depth + 1 > MAX_INCLUDE_DEPTH {
            self.diagnostics.push(
                Diagnostic::new(
                    LIMIT_EXCEEDED,
                    span,
                    format!(
                        "includes are nested more than {MAX_INCLUDE_DEPTH} levels deep; \
                         \"{}\" is not read",
                        path.display()
                    ),
                )
                .with_label("too deep")
                .with_help("flatten the include chain"),
            );
            return None;
        }
        if self.files.len() >= MAX_FILES {
            if !self.file_budget_reported {
                self.file_budget_reported = true;
                self.diagnostics.push(
                    Diagnostic::new(
                        LIMIT_EXCEEDED,
                        span,
                        format!(
                            "the configuration includes more than {MAX_FILES} files; the rest \
                             are not read"
                        ),
                    )
                    .with_label("too many files")
                    .with_help("check the include globs"),
                );
            }
            return None;
        }
        let (read, parsed) = match prefetched.map(|ahead| ahead.read) {
            Some(Ok((source, output, refs))) => (Ok(source), Some((output, refs))),
            Some(Err(error)) => (Err(error), None),
            None => (read::read_source(path), None),
        };
        let (id, parsed) = if let Some(&known) = self.known_paths.get(path.as_os_str()) {
            // The caller's copy of the file is the one read.
            (known, None)
        } else {
            match read {
                Ok(source) => (sources.add(source), parsed),
                Err(error) => {
                    self.diagnostics.push(
                        Diagnostic::new(
                            FILE_UNREADABLE,
                            span,
                            format!("cannot read included file \"{}\": {error}", path.display()),
                        )
                        .with_label("unreadable")
                        .with_help(
                            "an include must name regular files; fix the path, or make the \
                             file readable",
                        ),
                    );
                    return None;
                }
            }
        };
        let (output, refs) = match parsed {
            Some((output, refs)) => (output, Some(refs)),
            None => (parse(&sources.get(id).text), None),
        };
        self.add_parsed(id, path, output);
        self.push_target(link, id);
        Some(self.frame(sources, id, key, depth + 1, refs))
    }

    /// Reads, keys and parses the files of one include on every core, when
    /// there are enough of them to be worth it (see [`Loader::prefetched`]).
    fn prefetch(&mut self, paths: &[PathBuf]) {
        if paths.len() < PREFETCH_MIN_FILES {
            return;
        }
        let budget = MAX_FILES.saturating_sub(self.files.len());
        let wanted: Vec<&PathBuf> = paths
            .iter()
            .filter(|path| {
                !self.known_paths.contains_key(path.as_os_str())
                    && !self.reached.contains(path.as_os_str())
                    && !self.prefetched.contains_key(path.as_os_str())
            })
            .take(budget)
            .collect();
        let threads = lint403_core::cores::available().min(wanted.len());
        if threads <= 1 {
            return;
        }
        // Each file is read by whichever thread comes first: a reader
        // ahead of the parsers, or the parser that needs it (a `OnceLock`
        // being filled makes the other wait).
        let reads: Vec<std::sync::OnceLock<ReadSlot>> =
            wanted.iter().map(|_| std::sync::OnceLock::new()).collect();
        let read_at = |index: usize| {
            reads.get(index).map(|slot| {
                slot.get_or_init(|| std::sync::Mutex::new(Some(read::read_source(wanted[index]))))
            })
        };
        let next_read = std::sync::atomic::AtomicUsize::new(0);
        let all_parsed = std::sync::atomic::AtomicBool::new(false);
        let indexes: Vec<usize> = (0..wanted.len()).collect();
        let done = std::thread::scope(|scope| {
            for _ in 0..PREFETCH_READERS {
                scope.spawn(|| {
                    while !all_parsed.load(std::sync::atomic::Ordering::Relaxed) {
                        let index = next_read.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if read_at(index).is_none() {
                            return;
                        }
                    }
                });
            }
            let done = lint403_core::cores::map(&indexes, threads, |&index| {
                let path = wanted[index];
                let taken = read_at(index).and_then(|slot| {
                    slot.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .take()
                });
                let read = taken
                    .unwrap_or_else(|| read::read_source(path))
                    .map(|source| {
                        let output = parse(&source.text);
                        let refs = include_refs(&output.tree, &source.text);
                        (source, output, refs)
                    });
                (
                    path.as_os_str().to_owned(),
                    Prefetched {
                        key: canonical_key(path),
                        read,
                    },
                )
            });
            all_parsed.store(true, std::sync::atomic::Ordering::Relaxed);
            done
        });
        self.prefetched.extend(done);
    }

    fn key_of(&mut self, path: &Path) -> PathBuf {
        if let Some(key) = self.keys.get(path.as_os_str()) {
            return key.clone();
        }
        let key = canonical_key(path);
        self.keys.insert(path.as_os_str().to_owned(), key.clone());
        key
    }

    fn push_target(&mut self, link: usize, id: FileId) {
        if let Some(link) = self.includes.get_mut(link) {
            link.targets.push(id);
        }
    }
}

/// The identity of a file for cycle detection: its canonical path when it
/// has one (so a symlink and its target are one file).
fn canonical_key(path: &Path) -> PathBuf {
    lint403_core::paths::canonical_or_same(path)
}

/// The `include FILE;` directives of a tree that nginx would follow: in
/// directive bodies, in unknown blocks (third-party modules), and in the
/// bodies of `map`, `geo` and `types`; not in Lua code.
fn include_refs(tree: &SyntaxTree, text: &str) -> Vec<IncludeRef> {
    let mut refs = Vec::new();
    // (items, entries kind of the body, or None for directives)
    let mut stack: Vec<(&[Item], Option<EntriesKind>)> = vec![(&tree.items, None)];
    while let Some((items, entries)) = stack.pop() {
        for item in items {
            let directive = match item {
                Item::Directive(directive) => directive,
                Item::OrphanBlock(block) => {
                    stack.push((&block.items, None));
                    continue;
                }
                _ => continue,
            };
            let name = directive.name(text);
            if name == "include" {
                let usable = entries.is_none_or(EntriesKind::supports_include);
                if let ([path], DirectiveEnd::Semicolon(_), true) =
                    (&*directive.args, &directive.end(), usable)
                {
                    refs.push(IncludeRef {
                        name: directive.name.range(),
                        head: directive.head_range(),
                        path: path.clone(),
                        glob: entries.is_none_or(EntriesKind::include_globs),
                    });
                }
            }
            if let Some(block) = directive.block() {
                match block.kind {
                    BodyKind::Directives => stack.push((&block.items, None)),
                    BodyKind::Entries => {
                        stack.push((&block.items, EntriesKind::for_directive(&name)));
                    }
                    BodyKind::Lua | BodyKind::TooDeep => {}
                }
            }
        }
    }
    refs.sort_by_key(|include| include.name.start);
    refs
}
