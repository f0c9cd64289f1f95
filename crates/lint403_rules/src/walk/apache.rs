//! Apache httpd: directives and sections in reading order, `Include`s followed.
//!
//! Every node of the loaded configuration is visited in the order httpd
//! reads it: a section's opening line, then its body, then (for
//! [`Event::Leave`]) its end; an `Include` is visited itself, then the
//! files it pulled in, in its place. Each visit knows the sections that
//! enclose it, outermost first, across files.

use lint403_apache::syntax::{Comment, Directive, Node, Section, SectionKind, Word};
use lint403_apache::{Context, LoadedConfig};
use lint403_core::{FileId, SourceMap, Span, TextRange};

/// What is visited.
#[derive(Clone, Copy)]
pub enum Event<'a> {
    /// A directive line.
    Directive(&'a Directive),
    /// A comment line (with the lines it swallowed).
    Comment(&'a Comment),
    /// A section's opening line; its body is visited next.
    Enter(&'a Section),
    /// The end of a section's body.
    Leave(&'a Section),
}

/// One node and where it stands.
pub struct Visit<'a, 'p> {
    pub file: FileId,
    /// The text of `file`.
    pub text: &'a str,
    pub event: Event<'a>,
    /// Enclosing sections, outermost first (across files). For
    /// [`Event::Enter`] and [`Event::Leave`] the section itself is not in it.
    pub parents: &'p [Parent<'a>],
    /// The context of the loaded file's top level (`Htaccess` for a
    /// `.htaccess` file).
    pub context: Context,
}

/// An enclosing section.
#[derive(Clone, Copy)]
pub struct Parent<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub section: &'a Section,
}

impl<'a> Parent<'a> {
    pub fn kind(&self) -> SectionKind {
        self.section.kind
    }

    /// The section name without `<`.
    pub fn name(&self) -> &'a str {
        self.section.open.name(self.text)
    }

    /// The opening tag's argument values.
    pub fn args(&self) -> Vec<&'a str> {
        self.section.open.arg_values(self.text).collect()
    }

    /// The opening line, from `<` to the `>`.
    pub fn open_span(&self) -> Span {
        open_span(self.file, self.section)
    }
}

/// The span of a section's opening tag (without text after its `>`).
pub fn open_span(file: FileId, section: &Section) -> Span {
    let start = section.open.name_word.raw().start;
    let end = section
        .open
        .gt
        .map_or(section.open.line.last_piece().end, |gt| gt.end);
    Span::new(file, TextRange::new(start, end.max(start)))
}

impl<'a> Visit<'a, '_> {
    /// The directive, for a directive visit.
    pub fn directive(&self) -> Option<&'a Directive> {
        match self.event {
            Event::Directive(directive) => Some(directive),
            _ => None,
        }
    }

    /// The directive's name, for a directive visit.
    pub fn name(&self) -> Option<&'a str> {
        self.directive().map(|directive| directive.name(self.text))
    }

    /// Whether this is the directive `name` (case-insensitively).
    pub fn is(&self, name: &str) -> bool {
        self.name()
            .is_some_and(|own| own.eq_ignore_ascii_case(name))
    }

    /// The argument values of a directive or section opener.
    pub fn args(&self) -> Vec<&'a str> {
        let text = self.text;
        match self.event {
            Event::Directive(directive) => directive.arg_values(text).collect(),
            Event::Enter(section) | Event::Leave(section) => {
                section.open.arg_values(text).collect()
            }
            Event::Comment(_) => Vec::new(),
        }
    }

    /// The argument words of a directive or section opener.
    pub fn words(&self) -> &'a [Word] {
        match self.event {
            Event::Directive(directive) => &directive.args,
            Event::Enter(section) | Event::Leave(section) => &section.open.args,
            Event::Comment(_) => &[],
        }
    }

    /// The span of a directive's name, or of a section's opening tag.
    pub fn name_span(&self) -> Span {
        match self.event {
            Event::Directive(directive) => Span::new(self.file, directive.name_word.raw()),
            Event::Enter(section) | Event::Leave(section) => open_span(self.file, section),
            Event::Comment(comment) => Span::new(self.file, comment.text),
        }
    }

    /// The whole directive line (name and arguments).
    pub fn span(&self) -> Span {
        match self.event {
            Event::Directive(directive) => {
                let start = directive.name_word.raw().start;
                let end = directive
                    .args_range()
                    .end
                    .max(directive.name_word.raw().end);
                Span::new(self.file, TextRange::new(start, end))
            }
            _ => self.name_span(),
        }
    }

    /// The span of argument `index` as written, or the name's.
    pub fn arg_span(&self, index: usize) -> Span {
        self.words()
            .get(index)
            .map_or_else(|| self.name_span(), |word| Span::new(self.file, word.raw()))
    }

    /// The innermost enclosing section.
    pub fn parent(&self) -> Option<&Parent<'a>> {
        self.parents.last()
    }

    /// Whether this stands in a `.htaccess` file.
    pub fn in_htaccess(&self) -> bool {
        self.context == Context::Htaccess
    }

    /// Whether some enclosing section is of `kind`.
    pub fn inside(&self, kind: SectionKind) -> bool {
        self.parents.iter().any(|parent| parent.kind() == kind)
    }
}

/// Calls `visit` for every node of the configuration in reading order,
/// includes followed in place.
pub fn walk<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    mut visit: impl FnMut(&Visit<'a, '_>),
) {
    if config.files.is_empty() {
        return;
    }
    let mut state = State {
        config,
        sources,
        parents: Vec::new(),
        open: Vec::new(),
    };
    state.file(0, &mut visit);
}

/// Calls `visit` for every directive (not sections or comments).
pub fn directives<'a>(
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    mut visit: impl FnMut(&Visit<'a, '_>, &'a Directive),
) {
    walk(config, sources, |node| {
        if let Event::Directive(directive) = node.event {
            visit(node, directive);
        }
    });
}

struct State<'a> {
    config: &'a LoadedConfig,
    sources: &'a SourceMap,
    parents: Vec<Parent<'a>>,
    /// Indices of the loaded files being walked (no cycles).
    open: Vec<usize>,
}

impl<'a> State<'a> {
    fn file(&mut self, index: usize, visit: &mut impl FnMut(&Visit<'a, '_>)) {
        if self.open.contains(&index) {
            return;
        }
        let Some(loaded) = self.config.files.get(index) else {
            return;
        };
        self.open.push(index);
        let text = self.sources.get(loaded.file).text.as_str();
        self.nodes(loaded.file, text, &loaded.tree.nodes, visit);
        self.open.pop();
    }

    fn emit(
        &self,
        file: FileId,
        text: &'a str,
        event: Event<'a>,
        visit: &mut impl FnMut(&Visit<'a, '_>),
    ) {
        visit(&Visit {
            file,
            text,
            event,
            parents: &self.parents,
            context: self.config.context,
        });
    }

    fn nodes(
        &mut self,
        file: FileId,
        text: &'a str,
        nodes: &'a [Node],
        visit: &mut impl FnMut(&Visit<'a, '_>),
    ) {
        for node in nodes {
            match node {
                Node::Directive(directive) => {
                    self.emit(file, text, Event::Directive(directive), visit);
                    for target in directive.included() {
                        self.file(target.loaded, visit);
                    }
                }
                Node::Comment(comment) => self.emit(file, text, Event::Comment(comment), visit),
                Node::Section(section) => {
                    self.emit(file, text, Event::Enter(section), visit);
                    // Nesting is bounded by the parser (deeper sections are flat).
                    self.parents.push(Parent {
                        file,
                        text,
                        section,
                    });
                    self.nodes(file, text, &section.body, visit);
                    self.parents.pop();
                    self.emit(file, text, Event::Leave(section), visit);
                }
                Node::Blank(_) | Node::Close(_) => {}
            }
        }
    }
}

/// What the server configuration checked in the same run says about the
/// directory of a `.htaccess`: the `AllowOverride` and `AllowOverrideList`
/// in effect there.
#[derive(Debug, Clone)]
pub struct HtaccessOverrides {
    /// The `<Directory>` path whose `AllowOverride` decides (`None`: the
    /// default, nothing set for this directory).
    pub directory: Option<String>,
    /// The deciding `AllowOverride` line, when it lies in a file of the
    /// run's source map.
    pub span: Option<Span>,
    /// The classes granted, lower case (`all`, `authconfig`, `options=…`);
    /// empty for `None` (httpd's default since 2.3.9).
    pub classes: Vec<String>,
    /// `Nonfatal=` values, lower case.
    pub nonfatal: Vec<String>,
    /// Directives `AllowOverrideList` admits, lower case.
    pub list: Vec<String>,
    /// The main configuration file that was consulted.
    pub server_config: FileId,
}

impl HtaccessOverrides {
    /// Whether httpd reads the `.htaccess` at all.
    pub fn reads_htaccess(&self) -> bool {
        !self.classes.is_empty() || !self.list.is_empty()
    }

    /// Whether class `class` (`authconfig`, `limit`, `fileinfo`,
    /// `indexes`, `options`) is granted.
    pub fn grants(&self, class: &str) -> bool {
        self.classes.iter().any(|granted| {
            granted == "all"
                || granted == class
                || (class == "options" && granted.starts_with("options="))
        })
    }
}

/// One `<Directory>` of a server configuration, with the override lines in
/// its body.
struct DirectorySection {
    path: String,
    /// Which section (see [`parent_id`]).
    id: usize,
    /// Reading order.
    order: usize,
    allow_override: Option<(Vec<String>, Span)>,
    list: Option<Vec<String>>,
}

/// The overrides in effect for the `.htaccess` file `htaccess`, from a main
/// server configuration (`httpd.conf`, `apache2.conf`) already in
/// `sources`. `None` when no such configuration is in the run, or when it
/// does not serve the `.htaccess`'s directory (no `<Directory>` or
/// `DocumentRoot` maps onto it): then nothing is known, and rules must not
/// guess.
///
/// Deploy paths of the configuration (`/var/www/html`) are matched against
/// the `.htaccess`'s path on disk either as they are, or below a directory
/// that also holds the configuration (a tree that mirrors the target
/// filesystem: `etc/apache2/apache2.conf`, `var/www/html/.htaccess`).
pub fn htaccess_overrides(sources: &SourceMap, htaccess: FileId) -> Option<HtaccessOverrides> {
    let htaccess_path = super::run_sources::canonical_path(&sources.get(htaccess).path);
    let htaccess_dir = htaccess_path.parent()?.to_path_buf();
    let servers = super::run_sources::main_configurations(sources, htaccess);
    for server in servers {
        if let Some(found) = overrides_from(sources, server, &htaccess_dir) {
            return Some(found);
        }
    }
    None
}

fn overrides_from(
    sources: &SourceMap,
    server: FileId,
    htaccess_dir: &std::path::Path,
) -> Option<HtaccessOverrides> {
    // Load the server configuration again, in a copy of the source map
    // (so that its file ids are the run's).
    let mut copy = SourceMap::new();
    for (_, source) in sources.iter() {
        copy.add(source.clone());
    }
    let known = sources.len();
    let config = lint403_apache::load(&mut copy, server, &lint403_core::CheckOptions::default());
    let server_path = super::run_sources::canonical_path(&sources.get(server).path);
    let roots: Vec<std::path::PathBuf> = server_path
        .ancestors()
        .skip(1)
        .map(std::path::Path::to_path_buf)
        .collect();
    let maps_onto = |deploy: &str| -> bool {
        let relative = deploy.trim_start_matches('/');
        roots.iter().any(|root| {
            let mapped = if relative.is_empty() {
                root.clone()
            } else {
                root.join(relative)
            };
            htaccess_dir.starts_with(&mapped)
        })
    };
    let mut sections: Vec<DirectorySection> = Vec::new();
    let mut docroot_maps = false;
    let mut order = 0;
    walk(&config, &copy, |visit| {
        order += 1;
        match visit.event {
            Event::Directive(directive) if directive.is(visit.text, "DocumentRoot") => {
                if let Some(root) = directive.arg_values(visit.text).next() {
                    let root = root.trim_end_matches('/');
                    if !root.is_empty() && maps_onto(root) {
                        docroot_maps = true;
                    }
                }
            }
            Event::Directive(directive)
                if directive.is(visit.text, "AllowOverride")
                    || directive.is(visit.text, "AllowOverrideList") =>
            {
                let Some(parent) = visit
                    .parents
                    .iter()
                    .rev()
                    .find(|parent| !parent.kind().is_conditional())
                else {
                    return;
                };
                if parent.kind() != SectionKind::Directory {
                    return;
                }
                let args = parent.args();
                let [path] = args.as_slice() else {
                    return;
                };
                if path.starts_with('~') || path.contains(['*', '?', '[']) {
                    return;
                }
                let path = path.trim_end_matches('/').to_string();
                let values: Vec<String> = directive
                    .arg_values(visit.text)
                    .map(str::to_ascii_lowercase)
                    .collect();
                let id = parent_id(parent);
                if !sections.iter().any(|section| section.id == id) {
                    sections.push(DirectorySection {
                        path: path.clone(),
                        id,
                        order,
                        allow_override: None,
                        list: None,
                    });
                }
                let Some(entry) = sections.iter_mut().rev().find(|section| section.id == id) else {
                    return;
                };
                if directive.is(visit.text, "AllowOverride") {
                    let span = Span::new(
                        visit.file,
                        directive.name_word.raw().cover(directive.args_range()),
                    );
                    entry.allow_override = Some((values, span));
                } else {
                    entry.list = Some(values);
                }
            }
            _ => {}
        }
    });
    let mut applying: Vec<&DirectorySection> = sections
        .iter()
        .filter(|section| maps_onto(&section.path))
        .collect();
    if applying.iter().any(|section| !section.path.is_empty()) {
        docroot_maps = true;
    }
    if !docroot_maps {
        return None;
    }
    applying.sort_by_key(|section| {
        (
            std::path::Path::new(&section.path).components().count(),
            section.order,
        )
    });
    let mut result = HtaccessOverrides {
        directory: None,
        span: None,
        classes: Vec::new(),
        nonfatal: Vec::new(),
        list: Vec::new(),
        server_config: server,
    };
    for section in applying {
        if let Some((values, span)) = &section.allow_override {
            result.directory = Some(if section.path.is_empty() {
                "/".to_string()
            } else {
                section.path.clone()
            });
            result.span = if (span.file.0 as usize) < known {
                Some(*span)
            } else {
                None
            };
            result.classes.clear();
            result.nonfatal.clear();
            for value in values {
                if let Some(nonfatal) = value.strip_prefix("nonfatal=") {
                    result
                        .nonfatal
                        .extend(nonfatal.split(',').map(str::to_string));
                } else if value != "none" {
                    result.classes.push(value.clone());
                }
            }
        }
        if let Some(list) = &section.list {
            result.list = list
                .iter()
                .filter(|name| *name != "none")
                .cloned()
                .collect();
        }
    }
    Some(result)
}

/// A section's identity: its file and its opening tag's offset.
fn parent_id(parent: &Parent<'_>) -> usize {
    (parent.file.0 as usize) << 40 | parent.section.open.line.range().start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &std::path::Path, text: &str) {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(path, text);
    }

    fn load(sources: &mut SourceMap, path: &std::path::Path) -> Option<(FileId, LoadedConfig)> {
        let source = lint403_core::read::read_source(path).ok()?;
        let file = sources.add(source);
        let config = lint403_apache::load(sources, file, &lint403_core::CheckOptions::default());
        Some((file, config))
    }

    #[test]
    fn walks_in_reading_order_through_includes() {
        let dir = std::env::temp_dir().join(format!("lint403-walk-apache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir.join("apache2.conf"),
            "<Directory \"/srv\">\n    Include conf.d/*.conf\n    # note\n    Options None\n</Directory>\n",
        );
        write(
            &dir.join("conf.d/a.conf"),
            "<Files x>\nRequire all denied\n</Files>\n",
        );
        let mut sources = SourceMap::new();
        let Some((_, config)) = load(&mut sources, &dir.join("apache2.conf")) else {
            panic!("fixture not loaded");
        };
        let mut seen = Vec::new();
        walk(&config, &sources, |visit| {
            let parents: Vec<&str> = visit.parents.iter().map(Parent::name).collect();
            let what = match visit.event {
                Event::Directive(directive) => directive.name(visit.text).to_string(),
                Event::Comment(_) => "#".to_string(),
                Event::Enter(section) => format!("<{}", section.open.name(visit.text)),
                Event::Leave(section) => format!("</{}", section.open.name(visit.text)),
            };
            seen.push(format!("{}:{what}", parents.join("/")));
        });
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            seen,
            [
                ":<Directory",
                "Directory:Include",
                "Directory:<Files",
                "Directory/Files:Require",
                "Directory:</Files",
                "Directory:#",
                "Directory:Options",
                ":</Directory",
            ]
        );
    }

    #[test]
    fn overrides_from_a_mirrored_tree() {
        let dir =
            std::env::temp_dir().join(format!("lint403-walk-overrides-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        write(
            &dir.join("etc/apache2/apache2.conf"),
            "DocumentRoot /var/www/html\n<Directory />\n    AllowOverride None\n</Directory>\n<Directory /var/www/html/app>\n    AllowOverride AuthConfig Nonfatal=Override\n</Directory>\n",
        );
        write(&dir.join("var/www/html/.htaccess"), "Require all denied\n");
        write(
            &dir.join("var/www/html/app/sub/.htaccess"),
            "Require all denied\n",
        );
        write(&dir.join("elsewhere/.htaccess"), "Require all denied\n");
        let mut sources = SourceMap::new();
        let loaded = load(&mut sources, &dir.join("etc/apache2/apache2.conf"));
        let top = load(&mut sources, &dir.join("var/www/html/.htaccess"));
        let app = load(&mut sources, &dir.join("var/www/html/app/sub/.htaccess"));
        let elsewhere = load(&mut sources, &dir.join("elsewhere/.htaccess"));
        let (Some(_), Some((top, _)), Some((app, _)), Some((elsewhere, _))) =
            (loaded, top, app, elsewhere)
        else {
            panic!("fixture not loaded");
        };
        let top = htaccess_overrides(&sources, top);
        let app = htaccess_overrides(&sources, app);
        let elsewhere = htaccess_overrides(&sources, elsewhere);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(top.as_ref().is_some_and(|found| !found.reads_htaccess()));
        assert!(app.as_ref().is_some_and(|found| found.grants("authconfig")
            && !found.grants("fileinfo")
            && found.nonfatal == ["override"]
            && found.directory.as_deref() == Some("/var/www/html/app")));
        assert!(elsewhere.is_none());
    }
}
