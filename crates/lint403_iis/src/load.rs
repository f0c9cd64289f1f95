//! Loading a web.config with the files its `configSource` attributes pull
//! in, and the diagnostics about both.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use lint403_core::codes::{
    DIRECTIVE_NOT_ALLOWED_HERE, FILE_UNREADABLE, INCLUDE_CYCLE, INCLUDE_UNRESOLVED, LIMIT_EXCEEDED,
};
use lint403_core::read::read_source;
use lint403_core::{
    CheckOptions, CheckOutput, Diagnostic, FileId, Severity, SourceFile, SourceMap, Span,
    TextEncoding, TextRange,
};

use crate::error::{ErrorKind, SyntaxError};
use crate::parser::parse;
use crate::syntax::{Document, Element, Node};

/// How many `configSource` hops lint403 follows before it stops.
pub const MAX_CONFIG_SOURCE_DEPTH: usize = 64;

/// A web.config and every file reached through `configSource`.
#[derive(Debug)]
pub struct LoadedConfig {
    /// The file that was loaded first.
    pub root: FileId,
    /// One entry per file parsed, the root first.
    pub files: Vec<LoadedFile>,
    /// Every `configSource` attribute found in a well-formed file.
    pub links: Vec<ConfigSourceLink>,
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadedConfig {
    /// The entry of `file`, if it was loaded.
    pub fn file(&self, file: FileId) -> Option<&LoadedFile> {
        self.files.iter().find(|loaded| loaded.file == file)
    }

    /// The well-formed document of `file`.
    pub fn document(&self, file: FileId) -> Option<&Document> {
        self.file(file).and_then(LoadedFile::well_formed_document)
    }

    /// The file that replaces the content of the section element whose
    /// start tag is `element` in `file`.
    pub fn config_source_target(&self, file: FileId, element: TextRange) -> Option<FileId> {
        self.links
            .iter()
            .find(|link| link.from == file && link.element == element)
            .and_then(|link| link.target)
    }
}

/// One parsed file.
#[derive(Debug)]
pub struct LoadedFile {
    pub file: FileId,
    /// The tree: complete when `well_formed`, else the part built up to
    /// the first error (or `None` when the error came before the root).
    pub document: Option<Document>,
    /// No syntax error, no DTD, no bytes invalid in the file's encoding.
    pub well_formed: bool,
}

impl LoadedFile {
    pub fn well_formed_document(&self) -> Option<&Document> {
        if self.well_formed {
            self.document.as_ref()
        } else {
            None
        }
    }
}

/// A section element whose content lives in another file.
#[derive(Debug, Clone)]
pub struct ConfigSourceLink {
    /// The file holding the section element.
    pub from: FileId,
    /// The section element's name as written (`connectionStrings`).
    pub section: String,
    /// The section element's start tag.
    pub element: TextRange,
    /// Indices into `children` from the root element down to the section
    /// element (empty when the root element itself carries the attribute).
    pub element_path: Vec<usize>,
    /// The `configSource="..."` attribute, name to closing quote.
    pub attribute: TextRange,
    /// The raw value inside the quotes.
    pub value_range: TextRange,
    /// The decoded value (`Config\ConnectionStrings.config`).
    pub value: String,
    /// The file loaded for it; `None` when it could not be loaded (a
    /// diagnostic says why).
    pub target: Option<FileId>,
}

/// Parses `file` (already in `sources`) and every file its `configSource`
/// attributes name, reading them with [`read_source`] and adding them to
/// `sources`.
///
/// Relative `configSource` paths are resolved against
/// `options.include_root` when it is set, else against the directory of
/// the file holding the attribute, with `\` and `/` both separators. IIS
/// only accepts relative paths that stay in that directory or below, so an
/// absolute path or a `..` that climbs out is reported (P002) and not read.
pub fn load(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> LoadedConfig {
    let mut loader = Loader {
        sources,
        options,
        config: LoadedConfig {
            root: file,
            files: Vec::new(),
            links: Vec::new(),
            diagnostics: Vec::new(),
        },
        chain: Vec::new(),
        loaded: HashMap::new(),
    };
    let path = identity(&loader.sources.get(file).path);
    loader.loaded.insert(path.clone(), file);
    loader.chain.push(path);
    loader.load_file(file, 0);
    loader.config
}

/// Checks `file` and its `configSource` files: well-formedness, DTDs and
/// the `configSource` links. The contract with the command line.
pub fn check(sources: &mut SourceMap, file: FileId, options: &CheckOptions) -> CheckOutput {
    check_loaded(&load(sources, file, options))
}

/// The result of [`check`] for a configuration already loaded, so that a
/// caller that also lints the loaded documents reads every file once.
pub fn check_loaded(loaded: &LoadedConfig) -> CheckOutput {
    let file = loaded.root;
    CheckOutput {
        parsed: loaded
            .files
            .iter()
            .filter(|loaded| loaded.well_formed)
            .map(|loaded| loaded.file)
            .collect(),
        included: loaded
            .files
            .iter()
            .map(|loaded| loaded.file)
            .filter(|&id| id != file)
            .collect(),
        diagnostics: loaded.diagnostics.clone(),
    }
}

struct Loader<'s, 'o> {
    sources: &'s mut SourceMap,
    options: &'o CheckOptions,
    config: LoadedConfig,
    /// The files being loaded, outermost first (for cycle detection).
    chain: Vec<PathBuf>,
    loaded: HashMap<PathBuf, FileId>,
}

/// A path's identity for cycle detection: canonical when it exists.
fn identity(path: &Path) -> PathBuf {
    lint403_core::paths::canonical_or_same(path)
}

impl Loader<'_, '_> {
    fn load_file(&mut self, file: FileId, depth: usize) {
        let source = self.sources.get(file);
        let output = parse(&source.text);
        let mut first_error = output.error;
        if let Some(encoding_error) = encoding_error(source, output.document.as_ref()) {
            let earlier = first_error
                .as_ref()
                .is_none_or(|error| encoding_error.range.start < error.range.start);
            if earlier {
                first_error = Some(*encoding_error);
            }
        }
        let well_formed = first_error.is_none();
        if let Some(error) = &first_error {
            self.config.diagnostics.push(error.to_diagnostic(file));
        }
        let mut links = Vec::new();
        if let (true, Some(document)) = (well_formed, &output.document) {
            for (path, element) in config_source_elements(document) {
                let Some(attribute) = element.attribute("configSource") else {
                    continue;
                };
                self.check_section_is_bare(file, element);
                links.push(ConfigSourceLink {
                    from: file,
                    section: element.name.as_str().to_owned(),
                    element: element.start_tag,
                    element_path: path,
                    attribute: attribute.range,
                    value_range: attribute.value_range,
                    value: attribute.value.clone(),
                    target: None,
                });
            }
        }
        self.config.files.push(LoadedFile {
            file,
            document: output.document,
            well_formed,
        });
        for mut link in links {
            link.target = self.follow(&link, depth);
            self.config.links.push(link);
        }
    }

    /// .NET: "A section using 'configSource' may contain no other
    /// attributes or elements."
    fn check_section_is_bare(&mut self, file: FileId, element: &Element) {
        let other_attribute = element
            .plain_attributes()
            .find(|attribute| attribute.name.as_str() != "configSource");
        let child = element.child_elements().next();
        let offending = match (other_attribute, child) {
            (Some(attribute), _) => attribute.range,
            (None, Some(child)) => child.start_tag,
            (None, None) => return,
        };
        let name = element.name.as_str();
        self.config.diagnostics.push(
            Diagnostic::new(
                DIRECTIVE_NOT_ALLOWED_HERE,
                Span::new(file, offending),
                format!(
                    "A section using 'configSource' may contain no other attributes or elements: \
                     <{name}> takes its whole content from the configSource file"
                ),
            )
            .with_label("not allowed next to configSource")
            .with_help(format!(
                "move this into the configSource file's <{name}> element, or drop configSource \
                 and keep the section here"
            ))
            .with_related(Span::new(file, element.name_range), "the section element"),
        );
    }

    fn diagnostic(&mut self, diagnostic: Diagnostic) {
        self.config.diagnostics.push(diagnostic);
    }

    /// Resolves, reads and loads the file of one link.
    fn follow(&mut self, link: &ConfigSourceLink, depth: usize) -> Option<FileId> {
        let from = link.from;
        let value_span = Span::new(from, link.value_range);
        let value = link.value.as_str();
        if value.is_empty() {
            // .NET treats an empty configSource as absent.
            return None;
        }
        let relative = match relative_config_source(value) {
            Ok(relative) => relative,
            Err(problem) => {
                self.diagnostic(
                    Diagnostic::new(DIRECTIVE_NOT_ALLOWED_HERE, value_span, problem.message(value))
                        .with_label(problem.label())
                        .with_help(
                            "write a path relative to the web.config's folder that stays in it \
                             or goes down into a sub-folder, e.g. configSource=\"Config\\Rules.config\"",
                        ),
                );
                return None;
            }
        };
        let base = self.options.include_root.clone().unwrap_or_else(|| {
            self.sources
                .get(from)
                .path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        });
        let written = base.join(&relative);
        let Some(path) = find_case_insensitively(&written) else {
            self.diagnostic(
                Diagnostic::new(
                    INCLUDE_UNRESOLVED,
                    value_span,
                    format!(
                        "Unable to open configSource file '{}': it does not exist, so IIS cannot \
                         load the <{}> section",
                        written.display(),
                        link.section
                    ),
                )
                .with_severity(Severity::Error)
                .with_label("file not found")
                .with_help(
                    "create the file (its root element must be the section element), or fix the \
                     path: it is relative to the folder of this file",
                ),
            );
            return None;
        };
        let key = identity(&path);
        if let Some(at) = self.chain.iter().position(|seen| *seen == key) {
            let cycle: Vec<String> = self
                .chain
                .get(at..)
                .unwrap_or_default()
                .iter()
                .chain(std::iter::once(&key))
                .map(|p| p.display().to_string())
                .collect();
            self.diagnostic(
                Diagnostic::new(
                    INCLUDE_CYCLE,
                    value_span,
                    format!("configSource files include each other: {}", cycle.join(" -> ")),
                )
                .with_label("cycle")
                .with_help("a configSource file holds the section's content; remove the configSource that points back"),
            );
            return None;
        }
        if let Some(&id) = self.loaded.get(&key) {
            self.check_root_name(link, id);
            return Some(id);
        }
        if depth + 1 >= MAX_CONFIG_SOURCE_DEPTH {
            self.diagnostic(
                Diagnostic::new(
                    LIMIT_EXCEEDED,
                    value_span,
                    format!(
                        "configSource nesting deeper than {MAX_CONFIG_SOURCE_DEPTH} files; lint403 \
                         stops following here"
                    ),
                )
                .with_label("not followed")
                .with_help(
                    "IIS sections take their content from one configSource file; flatten the chain",
                ),
            );
            return None;
        }
        let source = match read_source(&path) {
            Ok(source) => source,
            Err(error) => {
                self.diagnostic(
                    Diagnostic::new(
                        FILE_UNREADABLE,
                        value_span,
                        format!(
                            "cannot read configSource file '{}': {error}",
                            path.display()
                        ),
                    )
                    .with_label("unreadable")
                    .with_help("point configSource at a regular, readable file"),
                );
                return None;
            }
        };
        let id = self.sources.add(source);
        self.loaded.insert(key.clone(), id);
        self.chain.push(key);
        self.load_file(id, depth + 1);
        self.chain.pop();
        self.check_root_name(link, id);
        Some(id)
    }

    /// IIS reads the configSource file's root element as the section, so
    /// it must carry the section's name.
    fn check_root_name(&mut self, link: &ConfigSourceLink, target: FileId) {
        let Some(document) = self.config.document(target) else {
            return;
        };
        let root = &document.root;
        if root.name.as_str() == link.section {
            return;
        }
        let diagnostic = Diagnostic::new(
            DIRECTIVE_NOT_ALLOWED_HERE,
            Span::new(target, root.name_range),
            format!(
                "The format of a configSource file must be an element containing the name of the \
                 section: expected <{}>, found <{}>",
                link.section,
                root.name.as_str()
            ),
        )
        .with_label(format!("expected <{}>", link.section))
        .with_help(format!(
            "make <{}> the root element of this file (names are case-sensitive)",
            link.section
        ))
        .with_related(
            Span::new(link.from, link.attribute),
            "the section that points here",
        );
        self.diagnostic(diagnostic);
    }
}

/// Every element carrying a `configSource` attribute, with its path of
/// child indices from the root, in document order.
fn config_source_elements(document: &Document) -> Vec<(Vec<usize>, &Element)> {
    let mut found = Vec::new();
    let root = &document.root;
    if root.attribute("configSource").is_some() {
        found.push((Vec::new(), root));
    }
    let mut path: Vec<usize> = Vec::new();
    let mut stack = vec![root.children.iter().enumerate()];
    while let Some(children) = stack.last_mut() {
        let Some((index, node)) = children.next() else {
            stack.pop();
            path.pop();
            continue;
        };
        if let Node::Element(element) = node {
            path.push(index);
            if element.attribute("configSource").is_some() {
                found.push((path.clone(), element));
            }
            stack.push(element.children.iter().enumerate());
        }
    }
    found
}

/// Why a `configSource` value cannot be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathProblem {
    Absolute,
    EscapesDirectory,
}

impl PathProblem {
    fn message(self, value: &str) -> String {
        match self {
            PathProblem::Absolute => format!(
                "The configSource attribute must be a relative physical path: `{value}` is absolute"
            ),
            PathProblem::EscapesDirectory => format!(
                "configSource `{value}` climbs out of the configuration file's folder: IIS only \
                 reads configSource files in that folder or below it"
            ),
        }
    }

    fn label(self) -> &'static str {
        match self {
            PathProblem::Absolute => "absolute path",
            PathProblem::EscapesDirectory => "outside the folder",
        }
    }
}

/// The relative path a `configSource` value names, with `\` and `/` both
/// read as separators and `.` / `..` resolved.
fn relative_config_source(value: &str) -> Result<PathBuf, PathProblem> {
    let drive = matches!(value.as_bytes(), [letter, b':', ..] if letter.is_ascii_alphabetic());
    if value.starts_with(['\\', '/']) || drive || value.contains(':') {
        return Err(PathProblem::Absolute);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in value.split(['\\', '/']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(PathProblem::EscapesDirectory);
                }
            }
            _ => parts.push(part),
        }
    }
    Ok(parts.iter().collect())
}

/// `path` itself when it exists; else the file whose components match it
/// ignoring ASCII case, as on the Windows file systems IIS runs on.
fn find_case_insensitively(path: &Path) -> Option<PathBuf> {
    if path.symlink_metadata().is_ok() {
        return Some(path.to_path_buf());
    }
    let mut found = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => {
                let exact = found.join(name);
                if exact.symlink_metadata().is_ok() {
                    found = exact;
                    continue;
                }
                let wanted = name.to_string_lossy();
                let directory = if found.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    found.clone()
                };
                let matched = std::fs::read_dir(&directory)
                    .ok()?
                    .filter_map(Result::ok)
                    .map(|entry| entry.file_name())
                    .filter(|entry| entry.to_string_lossy().eq_ignore_ascii_case(&wanted))
                    .min()?;
                found.push(matched);
            }
            other => found.push(other.as_os_str()),
        }
    }
    Some(found)
}

/// The first bytes the file's encoding cannot decode, as a syntax error:
/// an XML file without an encoding declaration (or declaring UTF-8 or
/// UTF-16) must be valid in that encoding.
fn encoding_error(source: &SourceFile, document: Option<&Document>) -> Option<Box<SyntaxError>> {
    match source.encoding {
        TextEncoding::Utf8 => {
            let declared = document
                .and_then(Document::declaration)
                .and_then(|declaration| declaration.encoding.as_ref())
                .map(|encoding| encoding.value.to_ascii_lowercase());
            if declared.is_some_and(|name| !name.starts_with("utf")) {
                // A legacy single-byte encoding: the bytes may be fine in it.
                return None;
            }
            if source.bytes().len() != source.text.len() {
                return None;
            }
            let text = source.text.as_bytes();
            let start = source.bytes().iter().zip(text).position(|(a, b)| a != b)?;
            let end = start
                + source
                    .bytes()
                    .iter()
                    .zip(text)
                    .skip(start)
                    .take_while(|(a, b)| a != b)
                    .count();
            Some(invalid_encoding(
                TextRange::new(start, end),
                "these bytes are not valid UTF-8, and the XML declaration names no other encoding",
                "save the file as UTF-8, or declare its real encoding in the XML declaration",
            ))
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let little = source.encoding == TextEncoding::Utf16Le;
            let units = source
                .bytes()
                .get(2..)
                .unwrap_or_default()
                .chunks_exact(2)
                .map(|pair| match pair {
                    [a, b] if little => u16::from_le_bytes([*a, *b]),
                    [a, b] => u16::from_be_bytes([*a, *b]),
                    _ => 0xFFFD,
                });
            let mut offset = 0;
            for decoded in char::decode_utf16(units) {
                match decoded {
                    Ok(c) => offset += c.len_utf8(),
                    Err(_) => {
                        return Some(invalid_encoding(
                            TextRange::new(offset, offset + 3),
                            "an unpaired UTF-16 surrogate: this is not valid UTF-16",
                            "save the file again as UTF-8 or UTF-16 from an editor",
                        ));
                    }
                }
            }
            if source.bytes().len() % 2 == 1 {
                let end = source.text.len();
                return Some(invalid_encoding(
                    TextRange::new(end.saturating_sub(3), end),
                    "the UTF-16 file has an odd number of bytes: its last byte is half a character",
                    "save the file again as UTF-8 or UTF-16 from an editor",
                ));
            }
            None
        }
    }
}

fn invalid_encoding(range: TextRange, what: &str, help: &str) -> Box<SyntaxError> {
    SyntaxError::new(
        ErrorKind::InvalidEncoding,
        range,
        "invalid encoding",
        format!("Configuration file is not well-formed XML: {what}"),
        help,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_resolve_with_both_separators() {
        assert_eq!(
            relative_config_source("Config\\Session.config"),
            Ok(PathBuf::from("Config/Session.config"))
        );
        assert_eq!(
            relative_config_source("a/./b\\..\\c.config"),
            Ok(PathBuf::from("a/c.config"))
        );
        assert_eq!(
            relative_config_source("..\\shared.config"),
            Err(PathProblem::EscapesDirectory)
        );
        assert_eq!(
            relative_config_source("a\\..\\..\\x.config"),
            Err(PathProblem::EscapesDirectory)
        );
        assert_eq!(
            relative_config_source("C:\\inetpub\\x.config"),
            Err(PathProblem::Absolute)
        );
        assert_eq!(
            relative_config_source("\\\\server\\x"),
            Err(PathProblem::Absolute)
        );
        assert_eq!(
            relative_config_source("/etc/x.config"),
            Err(PathProblem::Absolute)
        );
    }
}
