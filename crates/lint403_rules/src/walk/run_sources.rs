//! The other files of a run, as the rules of each `.htaccess` look for
//! them (the `.htaccess` files of its parent directories, the main server
//! configurations): indexed once per phase of the run, not scanned and
//! resolved again for every `.htaccess` of it.

use std::path::Path;

use lint403_core::{FileId, SourceFile, SourceMap};

/// The files that can hold a parent scope of a `.htaccess` in `own_dir`,
/// in file order: the non-empty `.htaccess` files of its ancestor
/// directories (symbolic links resolved) and the non-empty main
/// configurations. Looked up through [`SourceIndex`], not by resolving
/// every file of the run for every `.htaccess` of it.
pub fn parent_candidates(sources: &SourceMap, own_dir: &Path) -> Vec<FileId> {
    let index = indexed(sources);
    let Some(known) = index.as_ref() else {
        return Vec::new();
    };
    let mut found: Vec<FileId> = own_dir
        .ancestors()
        .filter_map(|dir| known.htaccess_in.get(dir))
        .flatten()
        .chain(&known.main_configs)
        .copied()
        .collect();
    // Files past the indexed ones, looked at one by one.
    for (id, source) in sources.iter().skip(known.files.len()) {
        if let Some(kind) = candidate_kind(source) {
            let ancestor = match &kind {
                Candidate::Htaccess(dir) => own_dir.starts_with(dir),
                Candidate::MainConfig => true,
            };
            if ancestor {
                found.push(id);
            }
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// The index of `sources` but for its last file (the `.htaccess` being
/// checked, which the other `.htaccess` files of a phase of the run do not
/// share), reused while the run's files are the same.
fn indexed(sources: &SourceMap) -> std::sync::MutexGuard<'static, Option<SourceIndex>> {
    let mut index = SOURCE_INDEX
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let shared = sources.len().saturating_sub(1);
    let reusable = index.as_ref().is_some_and(|known| {
        known.files.len() >= shared
            && (known.covers_frozen_part_of(sources)
                || known.common_prefix(sources) == known.files.len())
    });
    if !reusable {
        // Another run, or the next phase of this one.
        *index = Some(SourceIndex::of(sources, shared));
    }
    index
}

/// The non-empty files of `sources` named as a main configuration
/// (`httpd.conf`, `apache2.conf`), other than `except`, in file order.
pub fn main_configurations(sources: &SourceMap, except: FileId) -> Vec<FileId> {
    let index = indexed(sources);
    let indexed_count = index.as_ref().map_or(0, |known| known.files.len());
    let named = index
        .as_ref()
        .map(|known| known.named_main.as_slice())
        .unwrap_or_default();
    named
        .iter()
        .copied()
        .chain(
            sources
                .iter()
                .skip(indexed_count)
                .filter(|(_, source)| is_named_main(source))
                .map(|(id, _)| id),
        )
        .filter(|&id| id != except)
        .collect()
}

/// A non-empty file named as a main configuration, whatever its links
/// resolve to.
fn is_named_main(source: &SourceFile) -> bool {
    !source.text.is_empty() && lint403_apache::is_main_config_name(&source.path)
}

/// Whether the rules of a `.htaccess` may read the file at `path` from
/// the run's sources ([`parent_candidates`], [`main_configurations`]): a
/// file whose resolved name is `.htaccess`, or a main configuration. Such
/// a file keeps its text for the whole run; any other may have it set
/// aside (`SourceMap::park`) once checked.
pub fn is_read_by_htaccess_rules(path: &Path) -> bool {
    lint403_apache::is_main_config_name(path)
        || canonical_path(path).file_name() == Some(std::ffi::OsStr::new(".htaccess"))
}

/// What a file of the run can be to [`parent_candidates`].
enum Candidate {
    /// A `.htaccess`, with its directory.
    Htaccess(std::path::PathBuf),
    MainConfig,
}

/// The test of [`parent_candidates`], file by file: a non-empty file whose
/// resolved name is `.htaccess`, else a non-empty main configuration.
fn candidate_kind(source: &SourceFile) -> Option<Candidate> {
    if source.text.is_empty() {
        return None;
    }
    let path = canonical_path(&source.path);
    if path.file_name() == Some(std::ffi::OsStr::new(".htaccess")) {
        return path
            .parent()
            .map(|dir| Candidate::Htaccess(dir.to_path_buf()));
    }
    lint403_apache::is_main_config_name(&source.path).then_some(Candidate::MainConfig)
}

/// The candidates among the first files of a source map, with the files
/// themselves held (so that a map is recognised by the identity of its
/// files, which cannot be reused while held).
struct SourceIndex {
    files: Vec<std::sync::Arc<SourceFile>>,
    /// The map indexed, which holds its shared part.
    indexed: SourceMap,
    htaccess_in: std::collections::HashMap<std::path::PathBuf, Vec<FileId>>,
    main_configs: Vec<FileId>,
    /// The files [`is_named_main`] takes.
    named_main: Vec<FileId>,
}

impl SourceIndex {
    fn of(sources: &SourceMap, count: usize) -> SourceIndex {
        let mut index = SourceIndex {
            files: Vec::with_capacity(count),
            indexed: sources.clone(),
            htaccess_in: std::collections::HashMap::new(),
            main_configs: Vec::new(),
            named_main: Vec::new(),
        };
        for (id, source) in sources.iter().take(count) {
            index.files.push(sources.shared(id));
            if is_named_main(source) {
                index.named_main.push(id);
            }
            match candidate_kind(source) {
                Some(Candidate::Htaccess(dir)) => {
                    index.htaccess_in.entry(dir).or_default().push(id);
                }
                Some(Candidate::MainConfig) => index.main_configs.push(id),
                None => {}
            }
        }
        index
    }

    /// Whether the indexed files are exactly the shared part of `sources`
    /// (the files a phase of a run seeds each `.htaccess` with): known
    /// without comparing them one by one.
    fn covers_frozen_part_of(&self, sources: &SourceMap) -> bool {
        self.indexed.shares_frozen_with(sources) && self.files.len() == sources.frozen_len()
    }

    /// How many of the indexed files `sources` starts with.
    fn common_prefix(&self, sources: &SourceMap) -> usize {
        self.files
            .iter()
            .zip(sources.iter())
            .take_while(|(known, (_, source))| std::ptr::eq(known.as_ref(), *source))
            .count()
    }
}

/// The index of the last source map asked about: every `.htaccess` of a
/// phase of a run is checked against the same files.
static SOURCE_INDEX: std::sync::Mutex<Option<SourceIndex>> = std::sync::Mutex::new(None);

thread_local! {
    /// Canonical paths already resolved: every `.htaccess` of a run looks
    /// at every other file of the run, and resolving each again made the
    /// work quadratic in system calls.
    /// Keyed by the path as written: a path's own `Hash` reads it
    /// component by component.
    static CANONICAL: std::cell::RefCell<CanonicalCache> = std::cell::RefCell::default();
}

type CanonicalCache = std::collections::HashMap<
    std::ffi::OsString,
    std::path::PathBuf,
    lint403_core::hashing::FastHash,
>;

/// How many resolved paths a thread keeps before it starts over.
const CANONICAL_LIMIT: usize = 1 << 16;

/// `path` with symbolic links resolved (itself when it cannot be).
pub fn canonical_path(path: &std::path::Path) -> std::path::PathBuf {
    CANONICAL.with(|cache| {
        if let Some(known) = cache.borrow().get(path.as_os_str()) {
            return known.clone();
        }
        let resolved = lint403_core::paths::canonical_or_same(path);
        let mut cache = cache.borrow_mut();
        if cache.len() >= CANONICAL_LIMIT {
            cache.clear();
        }
        cache.insert(path.as_os_str().to_os_string(), resolved.clone());
        resolved
    })
}
