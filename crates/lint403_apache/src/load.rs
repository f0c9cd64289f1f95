//! Reading a configuration the way httpd does: the file, then every file
//! its `Include`/`IncludeOptional` directives pull in (at the point where
//! they stand, sharing `Define`d variables), then the context check over
//! the whole include-resolved tree.

use std::collections::{HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};

use lint403_core::glob::{has_wildcard, matches_name};
use lint403_core::read::read_source;
use lint403_core::{
    codes, CheckOptions, CheckOutput, Diagnostic, FileId, Severity, SourceMap, Span, TextRange,
};

use crate::context::{check_command, if_family, Context, Scope};
use crate::syntax::{
    parse_with, Defines, Directive, IncludeTarget, Node, ParseOptions, ParsedFile, ReadHook,
};

/// httpd's `AP_MAX_INCLUDE_DEPTH`.
pub const MAX_INCLUDE_DEPTH: usize = 128;

/// Files one `Include` may pull in before lint403 stops expanding it.
pub const MAX_INCLUDE_MATCHES: usize = 50_000;

/// How deep a directory given to `Include` is walked.
const MAX_DIRECTORY_DEPTH: usize = 64;

/// One file read while loading, with its tree.
#[derive(Debug, Clone)]
pub struct LoadedFile {
    /// The file in the source map.
    pub file: FileId,
    /// Its tree, read with the variables defined at that point.
    pub tree: ParsedFile,
    /// Index in [`LoadedConfig::files`] of the file whose `Include` read
    /// this one; `None` for the file that was checked.
    pub included_from: Option<usize>,
}

/// A configuration with its includes resolved.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// `files[0]` is the file that was loaded; the others were read through
    /// includes (a file included twice appears twice: httpd reads it twice,
    /// possibly with other variables defined).
    pub files: Vec<LoadedFile>,
    /// The context the top level of `files[0]` was checked in.
    pub context: Context,
    /// Parse, include and context problems, in no particular order.
    pub diagnostics: Vec<Diagnostic>,
    /// The variables defined at the end of reading.
    pub defines: Defines,
}

impl LoadedConfig {
    /// The file that was loaded.
    pub fn root(&self) -> Option<&LoadedFile> {
        self.files.first()
    }
}

/// Whether a file name looks like a `.htaccess` file (`.htaccess`,
/// `.htaccess.dist`, `htaccess.txt`, `dir__.htaccess`), not a `*.conf`.
pub fn is_htaccess_name(path: &Path) -> bool {
    let Some(name) = path
        .file_name()
        .map(|name| name.to_string_lossy().to_ascii_lowercase())
    else {
        return false;
    };
    let is_conf = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("conf"));
    name.contains("htaccess") && !is_conf
}

/// Whether a file name is that of httpd's main configuration.
pub fn is_main_config_name(path: &Path) -> bool {
    // Asked of every file of a run for every `.htaccess` in it: no
    // allocation.
    let Some(name) = path.file_name() else {
        return false;
    };
    let name = name.as_encoded_bytes();
    let ends_with = |suffix: &[u8]| {
        name.len() >= suffix.len() && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    };
    ends_with(b"httpd.conf") || ends_with(b"apache2.conf")
}

/// Stack for the reading thread: each level of include nesting holds a
/// parser on the stack (httpd reads includes recursively too), and a
/// chain [`MAX_INCLUDE_DEPTH`] deep must fit even in a debug build.
const LOADER_STACK: usize = 64 * 1024 * 1024;

/// Reads `file` (already in `sources`) and everything it includes.
pub fn load(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> LoadedConfig {
    // A `.htaccess` includes nothing, so its nesting is that of its own
    // sections (at most `MAX_SECTION_DEPTH`), which any thread's stack
    // holds: a run of thousands of them spawned a thread for each.
    if reads_no_includes(&sources.get(file).path, options) {
        return load_here(sources, file, options);
    }
    // Reserve the stack include nesting needs on a thread of our own (the
    // memory is only committed as it is used).
    let spawned = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("lint403-apache-load".to_string())
            .stack_size(LOADER_STACK)
            .spawn_scoped(scope, || load_here(sources, file, options));
        handle.map(std::thread::ScopedJoinHandle::join)
    });
    match spawned {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        // No thread available: read on this one.
        Err(_) => load_here(sources, file, options),
    }
}

/// Whether `path` is read in `.htaccess` context, where httpd (and the
/// loader) reads no `Include`.
fn reads_no_includes(path: &Path, options: &CheckOptions) -> bool {
    match options.context.as_deref().and_then(Context::from_name) {
        Some(context) => context == Context::Htaccess,
        None => is_htaccess_name(path),
    }
}

fn load_here(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> LoadedConfig {
    let path = sources.get(file).path.clone();
    let requested = options.context.as_deref().and_then(Context::from_name);
    let htaccess = reads_no_includes(&path, options);
    let mut diagnostics = Vec::new();
    if let Some(name) = options.context.as_deref() {
        if requested.is_none() {
            diagnostics.push(
                Diagnostic::new(
                    codes::DIRECTIVE_NOT_ALLOWED_HERE,
                    Span::new(file, TextRange::empty(0)),
                    format!("unknown Apache context `{name}`; checking in the context the file's directives imply"),
                )
                .with_severity(Severity::Warning)
                .with_label("unknown context")
                .with_help("use one of: server, virtualhost, directory, htaccess"),
            );
        }
    }
    let mut loader = Loader {
        known: None,
        sources,
        options,
        files: Vec::new(),
        diagnostics,
        current: Vec::new(),
        chain: Vec::new(),
        server_root: None,
        default_root: std::cell::OnceCell::new(),
        root_file: path.clone(),
        htaccess,
    };
    let mut defines = Defines::default();
    loader.read_file(file, None, &mut defines);
    let Loader {
        sources,
        mut files,
        mut diagnostics,
        ..
    } = loader;
    for loaded in &mut files {
        for error in &loaded.tree.errors {
            let mut diagnostic = Diagnostic::new(
                error.code,
                Span::new(loaded.file, error.range),
                error.message.clone(),
            )
            .with_label(error.label.clone())
            .with_help(error.help.clone());
            for (range, message) in &error.related {
                diagnostic =
                    diagnostic.with_related(Span::new(loaded.file, *range), message.clone());
            }
            diagnostics.push(diagnostic);
        }
    }
    let context = requested.unwrap_or_else(|| {
        if htaccess {
            Context::Htaccess
        } else if is_main_config_name(&path) {
            Context::Server
        } else {
            fragment_context(&files, sources)
        }
    });
    diagnostics.extend(context_diagnostics(&files, sources, context));
    LoadedConfig {
        files,
        context,
        diagnostics,
        defines,
    }
}

/// Parses `file`, follows its includes and checks contexts.
pub fn check(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> CheckOutput {
    check_loaded(&load(sources, file, options))
}

/// The result of [`check`] for a configuration already loaded, so that a
/// caller that also lints the loaded trees reads every file once.
pub fn check_loaded(loaded: &LoadedConfig) -> CheckOutput {
    let Some(file) = loaded.root().map(|root| root.file) else {
        return CheckOutput {
            diagnostics: loaded.diagnostics.clone(),
            ..CheckOutput::default()
        };
    };
    let mut with_syntax_error = HashSet::new();
    for diagnostic in &loaded.diagnostics {
        if diagnostic.code == codes::SYNTAX_ERROR {
            with_syntax_error.insert(diagnostic.span.file);
        }
    }
    let mut parsed = Vec::new();
    let mut included = Vec::new();
    let mut seen_parsed = HashSet::new();
    let mut seen_included = HashSet::new();
    for (index, loaded_file) in loaded.files.iter().enumerate() {
        let id = loaded_file.file;
        if !with_syntax_error.contains(&id) && seen_parsed.insert(id) {
            parsed.push(id);
        }
        if index > 0 && id != file && seen_included.insert(id) {
            included.push(id);
        }
    }
    CheckOutput {
        diagnostics: loaded.diagnostics.clone(),
        parsed,
        included,
    }
}

/// Walks up from the file's directory to the nearest directory holding
/// `apache2.conf` or `httpd.conf` (the usual `ServerRoot` layouts), else the
/// file's own directory.
fn default_include_root(path: &Path) -> PathBuf {
    let start = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
    let mut dir = start.as_path();
    loop {
        if dir.join("apache2.conf").is_file() || dir.join("httpd.conf").is_file() {
            return dir.to_path_buf();
        }
        match dir.parent() {
            Some(parent) if parent != dir => dir = parent,
            _ => return start,
        }
    }
}

/// The `ServerRoot` includes resolve against.
#[derive(Debug, Clone)]
enum ServerRoot {
    /// A directory lint403 can read.
    Readable(PathBuf),
    /// An absolute path of the deploy target that no path map covers.
    Unmapped(PathBuf),
}

struct Loader<'a> {
    /// Every file of `sources` by path, so each include finds its file in
    /// constant time; built at the first include, since most files
    /// (every `.htaccess`) include nothing, and a `.htaccess` checked late
    /// in a run has thousands of files in its source map.
    known: Option<HashMap<PathBuf, FileId>>,
    sources: &'a mut SourceMap,
    options: &'a CheckOptions,
    files: Vec<LoadedFile>,
    diagnostics: Vec<Diagnostic>,
    /// Index in `files` of each file being read, innermost last.
    current: Vec<usize>,
    /// Canonical paths of the files being read, for cycle detection.
    chain: Vec<PathBuf>,
    server_root: Option<ServerRoot>,
    /// [`default_include_root`] of `root_file`, looked for at the first
    /// relative include: a `.htaccess` (most files of a run) has none,
    /// and the walk up asks the disk twice for every directory above it.
    default_root: std::cell::OnceCell<PathBuf>,
    root_file: PathBuf,
    htaccess: bool,
}

/// Why an include pattern resolves to nothing.
enum ResolveError {
    Message(String),
    TooMany,
}

impl Loader<'_> {
    fn read_file(
        &mut self,
        file: FileId,
        included_from: Option<usize>,
        defines: &mut Defines,
    ) -> usize {
        let index = self.files.len();
        self.files.push(LoadedFile {
            file,
            tree: ParsedFile::default(),
            included_from,
        });
        // The tree is built while includes add files to the source map, so
        // the text is read through a handle of its own (not copied).
        let source = self.sources.shared(file);
        let root_of_htaccess = self.htaccess && included_from.is_none();
        // Only an include consults the chain, and a `.htaccess` has none:
        // its path need not be resolved.
        let chained = if root_of_htaccess {
            source.path.clone()
        } else {
            lint403_core::paths::canonical_or_same(&source.path)
        };
        let options = if root_of_htaccess {
            ParseOptions::htaccess()
        } else {
            ParseOptions::default()
        };
        self.chain.push(chained);
        self.current.push(index);
        let tree = parse_with(&source.text, options, defines, self);
        self.current.pop();
        self.chain.pop();
        if let Some(slot) = self.files.get_mut(index) {
            slot.tree = tree;
        }
        index
    }

    fn current_file(&self) -> FileId {
        self.current
            .last()
            .and_then(|&index| self.files.get(index))
            .map_or(FileId(0), |loaded| loaded.file)
    }

    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    fn server_root_directive(&mut self, directive: &Directive, text: &str) {
        let Some(value) = directive.args.first().map(|word| word.value(text)) else {
            return;
        };
        let path = PathBuf::from(value);
        self.server_root = Some(if path.is_absolute() {
            match self.options.map_absolute(&path) {
                Some(mapped) => ServerRoot::Readable(mapped),
                None => ServerRoot::Unmapped(path),
            }
        } else {
            ServerRoot::Readable(self.base().join(path))
        });
    }

    /// Where a relative path of an include is read from.
    fn base(&self) -> PathBuf {
        match &self.server_root {
            Some(ServerRoot::Readable(root) | ServerRoot::Unmapped(root)) => root.clone(),
            None => self.options.include_root.clone().unwrap_or_else(|| {
                self.default_root
                    .get_or_init(|| default_include_root(&self.root_file))
                    .clone()
            }),
        }
    }

    fn include(&mut self, directive: &mut Directive, text: &str, defines: &mut Defines) {
        if self.htaccess && self.current.len() == 1 {
            // httpd refuses Include in .htaccess (reported by the context
            // check); it reads nothing.
            return;
        }
        let optional = directive.is(text, "IncludeOptional");
        let span = Span::new(self.current_file(), directive.line_anchor(text));
        let [argument] = directive.args.as_ref() else {
            let name = if optional {
                "IncludeOptional"
            } else {
                "Include"
            };
            self.report(
                Diagnostic::new(
                    codes::DIRECTIVE_NOT_ALLOWED_HERE,
                    span,
                    format!("{name} takes one argument, Name(s) of the config file(s) to be included; fails if the wildcard does not match at least one file"),
                )
                .with_label("one path expected")
                .with_help("give exactly one path or wildcard; quote a path that contains blanks"),
            );
            return;
        };
        let written = argument.value(text).to_string();
        let argument_span = Span::new(self.current_file(), argument.raw());
        let requested = PathBuf::from(&written);
        let (full, unmapped) = if requested.is_absolute() {
            match self.options.map_absolute(&requested) {
                Some(mapped) => (mapped, None),
                None => (requested.clone(), Some(requested.clone())),
            }
        } else {
            match &self.server_root {
                Some(ServerRoot::Unmapped(root)) => {
                    let joined = root.join(&requested);
                    (joined.clone(), Some(joined))
                }
                _ => (self.base().join(&requested), None),
            }
        };
        if let Some(target) = unmapped {
            self.report(
                Diagnostic::new(
                    codes::INCLUDE_UNRESOLVED,
                    argument_span,
                    format!(
                        "lint403 does not read {}: it is an absolute path on the server this configuration is deployed to",
                        target.display()
                    ),
                )
                .with_severity(Severity::Info)
                .with_label("not read")
                .with_help(format!(
                    "map the directory into this repository with `paths:` in .lint403.yaml, e.g. `paths: {{\"{}\": \"deploy/apache\"}}`",
                    target.parent().unwrap_or(&target).display()
                )),
            );
            return;
        }
        let paths = match resolve_include(&full, optional) {
            Ok(paths) => paths,
            Err(ResolveError::TooMany) => {
                self.report(
                    Diagnostic::new(
                        codes::LIMIT_EXCEEDED,
                        argument_span,
                        format!("`{written}` matches more than {MAX_INCLUDE_MATCHES} files; lint403 reads none of them"),
                    )
                    .with_label("too many files")
                    .with_help("narrow the wildcard (for example `conf.d/*.conf`)"),
                );
                return;
            }
            Err(ResolveError::Message(message)) => {
                self.report(
                    Diagnostic::new(codes::INCLUDE_UNRESOLVED, argument_span, message)
                        .with_severity(Severity::Error)
                        .with_label("includes nothing")
                        .with_help("httpd refuses to start: fix the path, or use `IncludeOptional` if the files may be absent"),
                );
                return;
            }
        };
        for path in paths {
            if let Some(target) = self.include_file(&path, span, defines) {
                directive.add_included(target);
            }
        }
    }

    fn include_file(
        &mut self,
        path: &Path,
        span: Span,
        defines: &mut Defines,
    ) -> Option<IncludeTarget> {
        let canonical = lint403_core::paths::canonical_or_same(path);
        if self.chain.contains(&canonical) {
            self.report(
                Diagnostic::new(
                    codes::INCLUDE_CYCLE,
                    span,
                    format!(
                        "{} is already being read: this include loops (httpd stops with \"Exceeded maximum include depth of {MAX_INCLUDE_DEPTH}, There appears to be a recursion.\")",
                        path.display()
                    ),
                )
                .with_label("includes itself")
                .with_help("remove the include that leads back to a file that is still being read"),
            );
            return None;
        }
        if self.chain.len() >= MAX_INCLUDE_DEPTH {
            self.report(
                Diagnostic::new(
                    codes::LIMIT_EXCEEDED,
                    span,
                    format!("Exceeded maximum include depth of {MAX_INCLUDE_DEPTH}, There appears to be a recursion."),
                )
                .with_label("includes nested too deep")
                .with_help("flatten the chain of includes"),
            );
            return None;
        }
        let sources = &*self.sources;
        let known = self.known.get_or_insert_with(|| {
            sources
                .iter()
                .map(|(id, source)| (source.path.clone(), id))
                .collect()
        });
        let id = match known.get(path) {
            Some(&id) => id,
            None => match read_source(path) {
                Ok(source) => {
                    let id = self.sources.add(source);
                    known.insert(path.to_path_buf(), id);
                    id
                }
                Err(error) => {
                    self.report(unreadable(span, path, &error));
                    return None;
                }
            },
        };
        let parent = self.current.last().copied();
        let loaded = self.read_file(id, parent, defines);
        Some(IncludeTarget { file: id, loaded })
    }
}

fn unreadable(span: Span, path: &Path, error: &io::Error) -> Diagnostic {
    Diagnostic::new(
        codes::FILE_UNREADABLE,
        span,
        format!("Could not open configuration file {}: {error}", path.display()),
    )
    .with_label("cannot be read")
    .with_help("include regular, readable files only (a directory is read file by file only when named without wildcards)")
}

impl ReadHook for Loader<'_> {
    fn exec_on_read(&mut self, directive: &mut Directive, text: &str, defines: &mut Defines) {
        if directive.is(text, "ServerRoot") {
            self.server_root_directive(directive, text);
        } else {
            self.include(directive, text, defines);
        }
    }
}

/// `ap_process_fnmatch_configs`: the first path component with a wildcard
/// is matched against its directory (fnmatch with `FNM_PERIOD`, sorted
/// byte-wise); a directory is read recursively; `optional` forgives what
/// `IncludeOptional` forgives.
fn resolve_include(full: &Path, optional: bool) -> Result<Vec<PathBuf>, ResolveError> {
    let mut found = Vec::new();
    // (path still to resolve); processed depth-first in order.
    let mut pending = vec![full.to_path_buf()];
    while let Some(path) = pending.pop() {
        let mut prefix = PathBuf::new();
        let mut components = path.components();
        let mut wildcard = None;
        for component in components.by_ref() {
            let text = component.as_os_str().to_string_lossy();
            if has_wildcard(&text) {
                wildcard = Some(text.into_owned());
                break;
            }
            prefix.push(component.as_os_str());
        }
        let Some(pattern) = wildcard else {
            literal_path(&path, optional, &mut found)?;
            if found.len() > MAX_INCLUDE_MATCHES {
                return Err(ResolveError::TooMany);
            }
            continue;
        };
        let rest: PathBuf = components.collect();
        let entries = match std::fs::read_dir(&prefix) {
            Ok(entries) => entries,
            Err(error) if optional => {
                let _ = error;
                continue;
            }
            Err(error) => {
                return Err(ResolveError::Message(format!(
                    "Include/IncludeOptional: Could not open directory {}: {}",
                    prefix.display(),
                    os_reason(&error)
                )))
            }
        };
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .filter(|name| matches_name(pattern.as_bytes(), name.as_encoded_bytes()))
            .collect();
        if names.len() > MAX_INCLUDE_MATCHES {
            return Err(ResolveError::TooMany);
        }
        names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        if names.is_empty() && !optional {
            return Err(ResolveError::Message(format!(
                "Include/IncludeOptional: No matches for the wildcard '{pattern}' in '{}', failing",
                prefix.display()
            )));
        }
        let mut next = Vec::with_capacity(names.len());
        for name in names {
            let candidate = prefix.join(name);
            if rest.as_os_str().is_empty() {
                next.push(candidate);
            } else if candidate.is_dir() {
                next.push(candidate.join(&rest));
            }
        }
        // Reverse so that popping keeps httpd's order.
        pending.extend(next.into_iter().rev());
    }
    Ok(found)
}

/// A path without wildcards: a file, or a directory read recursively.
fn literal_path(path: &Path, optional: bool, found: &mut Vec<PathBuf>) -> Result<(), ResolveError> {
    if path.is_dir() {
        return directory_files(path, found);
    }
    if path.symlink_metadata().is_err() {
        if optional {
            return Ok(());
        }
        return Err(ResolveError::Message(format!(
            "Could not open configuration file {}: No such file or directory",
            path.display()
        )));
    }
    // Exists (possibly a FIFO or a dangling link): reading it reports why
    // it cannot be read.
    found.push(path.to_path_buf());
    Ok(())
}

/// Every file below `dir`, dotfiles and backups included, each directory's
/// entries sorted byte-wise (`ap_process_resource_config_nofnmatch`).
fn directory_files(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), ResolveError> {
    let mut visited = HashSet::new();
    let mut pending = vec![(dir.to_path_buf(), 0usize)];
    while let Some((path, depth)) = pending.pop() {
        if !path.is_dir() {
            found.push(path);
            if found.len() > MAX_INCLUDE_MATCHES {
                return Err(ResolveError::TooMany);
            }
            continue;
        }
        let canonical = lint403_core::paths::canonical_or_same(&path);
        if depth > MAX_DIRECTORY_DEPTH || !visited.insert(canonical) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&path) else {
            continue;
        };
        let mut names: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name())
            .collect();
        if names.len() > MAX_INCLUDE_MATCHES {
            return Err(ResolveError::TooMany);
        }
        names.sort_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
        pending.extend(
            names
                .into_iter()
                .rev()
                .map(|name| (path.join(name), depth + 1)),
        );
    }
    Ok(())
}

/// The OS reason without Rust's " (os error N)" suffix, as httpd prints it.
fn os_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text.get(..at).unwrap_or(&text).to_string(),
        None => text,
    }
}

/// A walk position: one file's node list, entered from some scope.
struct WalkFrame<'a> {
    file: usize,
    nodes: std::slice::Iter<'a, Node>,
    scope: Scope,
}

/// Context errors of the whole include-resolved tree read from `context`.
fn context_diagnostics(
    files: &[LoadedFile],
    sources: &SourceMap,
    context: Context,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    walk_contexts(
        files,
        sources,
        context,
        &mut |file, range, message, help| {
            diagnostics.push(
                Diagnostic::new(
                    codes::DIRECTIVE_NOT_ALLOWED_HERE,
                    Span::new(file, range),
                    message,
                )
                .with_label("not allowed here")
                .with_help(help),
            );
        },
    );
    diagnostics
}

fn count_context_errors(files: &[LoadedFile], sources: &SourceMap, context: Context) -> usize {
    let mut count = 0;
    walk_contexts(files, sources, context, &mut |_, _, _, _| count += 1);
    count
}

/// A fragment is read in the outermost context where all its directives
/// are allowed (or, when none fits, where the fewest are refused).
fn fragment_context(files: &[LoadedFile], sources: &SourceMap) -> Context {
    let mut best = (usize::MAX, Context::Server);
    for context in [Context::Server, Context::VirtualHost, Context::Directory] {
        let errors = count_context_errors(files, sources, context);
        if errors == 0 {
            return context;
        }
        if errors < best.0 {
            best = (errors, context);
        }
    }
    best.1
}

fn walk_contexts(
    files: &[LoadedFile],
    sources: &SourceMap,
    context: Context,
    report: &mut dyn FnMut(FileId, TextRange, String, String),
) {
    let Some(root) = files.first() else {
        return;
    };
    let mut stack = vec![WalkFrame {
        file: 0,
        nodes: root.tree.nodes.iter(),
        scope: Scope::top(context),
    }];
    // A section's name as httpd registers it (`<Directory`), written into
    // one buffer rather than formatted anew for each section.
    let mut section_name = String::new();
    while let Some(frame) = stack.last_mut() {
        let Some(node) = frame.nodes.next() else {
            let finished = stack.pop();
            // A conditional section or an included file shares its parent's
            // scope: carry what it saw of <If> back up.
            if let (Some(finished), Some(parent)) = (finished, stack.last_mut()) {
                if finished.scope.is_spliced_into(&parent.scope) {
                    parent.scope.last_if = finished.scope.last_if;
                }
            }
            continue;
        };
        let Some(loaded) = files.get(frame.file) else {
            continue;
        };
        let text = sources.get(loaded.file).text.as_str();
        let file_index = frame.file;
        match node {
            Node::Directive(directive) => {
                let name = directive.name(text);
                if let Some((message, help)) = check_command(name, &frame.scope) {
                    report(loaded.file, directive.name_word.raw(), message, help);
                }
                let scope = frame.scope.clone();
                for target in directive.included().iter().rev() {
                    if let Some(included) = files.get(target.loaded) {
                        stack.push(WalkFrame {
                            file: target.loaded,
                            nodes: included.tree.nodes.iter(),
                            scope: scope.spliced(),
                        });
                    }
                }
            }
            Node::Section(section) => {
                section_name.clear();
                section_name.push('<');
                section_name.push_str(section.open.name(text));
                if let Some((message, help)) = check_command(&section_name, &frame.scope) {
                    report(loaded.file, section.open.name_word.raw(), message, help);
                }
                // httpd only looks at the last <If>-family section registered
                // in the scope; other sections leave the chain as it was.
                if let Some(kind) = if_family(node) {
                    frame.scope.last_if = Some(kind);
                }
                let inner = if section.kind.is_conditional() {
                    frame.scope.spliced()
                } else {
                    frame.scope.enter(section.kind)
                };
                if !section.flattened {
                    stack.push(WalkFrame {
                        file: file_index,
                        nodes: section.body.iter(),
                        scope: inner,
                    });
                }
            }
            Node::Blank(_) | Node::Comment(_) | Node::Close(_) => {}
        }
    }
}
