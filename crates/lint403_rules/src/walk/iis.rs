//! IIS: elements of each web.config in document order, `configSource` followed.
//!
//! A section element carrying `configSource="x.config"` is visited as the
//! root element of the file it names (the file that really holds the
//! section), in the place of the stub; when that file could not be loaded,
//! the stub itself is visited. Element names are compared by local name
//! (VS2005-era files put a default namespace on `<configuration>`), and
//! attributes by their exact, case-sensitive name, as IIS reads them.

use lint403_core::{FileId, SourceMap, Span};
use lint403_iis::{Attribute, Element, LoadedConfig, Node};

use crate::RuleContext;

/// An element and where it stands.
pub struct Visit<'a, 'p> {
    pub file: FileId,
    pub element: &'a Element,
    /// Enclosing elements, outermost (`configuration`) first, across
    /// `configSource` files.
    pub parents: &'p [Parent<'a>],
    /// The element path (see [`Visit::path`]).
    element_path: &'p str,
}

/// An enclosing element.
#[derive(Clone, Copy)]
pub struct Parent<'a> {
    pub file: FileId,
    pub element: &'a Element,
}

impl Parent<'_> {
    pub fn name(&self) -> &str {
        self.element.name.local()
    }

    pub fn span(&self) -> Span {
        Span::new(self.file, self.element.start_tag)
    }
}

impl<'a, 'p> Visit<'a, 'p> {
    /// The element's local name (`ipSecurity`).
    pub fn name(&self) -> &'a str {
        self.element.name.local()
    }

    /// The element path without `<location>` wrappers, e.g.
    /// `configuration/system.webServer/security/ipSecurity`.
    pub fn path(&self) -> &'p str {
        self.element_path
    }

    /// Whether the element is a URL Rewrite rule list
    /// (`system.webServer/rewrite/rules` or `…/globalRules`).
    pub fn is_rewrite_rule_list(&self) -> bool {
        let name = self.name();
        name == "rules" && self.path_ends_with("system.webServer/rewrite/rules")
            || name == "globalRules" && self.path_ends_with("system.webServer/rewrite/globalRules")
    }

    /// Whether the element path ends with `suffix` at a `/` boundary
    /// (`system.webServer/security/ipSecurity`).
    pub fn path_ends_with(&self, suffix: &str) -> bool {
        let path = self.path();
        path == suffix
            || path
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('/'))
    }

    /// The innermost enclosing element.
    pub fn parent(&self) -> Option<&Parent<'a>> {
        self.parents.last()
    }

    /// The innermost enclosing `<location>`.
    pub fn location(&self) -> Option<&Parent<'a>> {
        self.parents.iter().rev().find(|p| p.name() == "location")
    }

    /// The `path` of the innermost enclosing `<location>`; `None` outside
    /// any location, and for `path=""` or `path="."` (the current level).
    pub fn location_path(&self) -> Option<&'a str> {
        let location = self.location()?;
        let path = location.element.attribute_value("path")?;
        let path = path.trim_matches('/');
        (!path.is_empty() && path != ".").then_some(path)
    }

    /// A URL prefix for the requests this element governs: `/` or
    /// `/<location path>/`.
    pub fn url_prefix(&self) -> String {
        match self.location_path() {
            Some(path) => format!("/{}/", path.trim_start_matches("~/")),
            None => "/".to_owned(),
        }
    }

    /// The attribute with this exact (case-sensitive) name.
    pub fn attr(&self, name: &str) -> Option<&'a Attribute> {
        self.element.attribute(name)
    }

    /// The decoded value of the attribute with this exact name.
    pub fn attr_value(&self, name: &str) -> Option<&'a str> {
        self.element.attribute_value(name)
    }

    /// The start tag.
    pub fn span(&self) -> Span {
        Span::new(self.file, self.element.start_tag)
    }

    pub fn name_span(&self) -> Span {
        Span::new(self.file, self.element.name_range)
    }

    /// The value (inside the quotes) of an attribute, else the name.
    pub fn attr_span(&self, name: &str) -> Span {
        self.attr(name)
            .map_or_else(|| self.name_span(), |a| Span::new(self.file, a.value_range))
    }

    /// A span in this element's file.
    pub fn span_of(&self, range: lint403_core::TextRange) -> Span {
        Span::new(self.file, range)
    }

    /// Whether the file holding the element is `applicationHost.config`
    /// (server level, where locked sections and `globalRules` belong).
    pub fn in_application_host(&self, sources: &SourceMap) -> bool {
        let root = self.parents.first().map_or(self.file, |p| p.file);
        sources.get(root).path.file_name().is_some_and(|name| {
            name.to_string_lossy()
                .eq_ignore_ascii_case("applicationHost.config")
        })
    }
}

/// Child elements of `element` with this local name, in order.
pub fn children<'e>(element: &'e Element, name: &'e str) -> impl Iterator<Item = &'e Element> {
    element
        .child_elements()
        .filter(move |child| child.name.local() == name)
}

/// The first child element with this local name.
pub fn child<'e>(element: &'e Element, name: &str) -> Option<&'e Element> {
    element
        .child_elements()
        .find(|child| child.name.local() == name)
}

/// An IIS boolean value (`true`/`false` in any case).
pub fn is_true(value: Option<&str>, default: bool) -> bool {
    match value.map(str::trim) {
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        _ => default,
    }
}

/// The enabled rules of a rule list in evaluation order, after the list's
/// own `<clear/>` and `<remove name>`.
pub fn enabled_rules(list: &Element) -> Vec<RewriteRule<'_>> {
    let mut rules: Vec<RewriteRule<'_>> = Vec::new();
    for child in list.child_elements() {
        match child.name.local() {
            "clear" => rules.clear(),
            "remove" => {
                let removed = child.attribute_value("name");
                rules.retain(|rule| rule.name != removed);
            }
            "rule" => rules.push(RewriteRule::read(child)),
            _ => {}
        }
    }
    rules.retain(|rule| rule.enabled);
    rules
}

/// One URL Rewrite `<rule>` read from its element.
pub struct RewriteRule<'a> {
    pub element: &'a Element,
    pub name: Option<&'a str>,
    /// `enabled` (default true).
    pub enabled: bool,
    /// `stopProcessing` (default false).
    pub stop_processing: bool,
    /// `patternSyntax` (default `ECMAScript`), as written.
    pub pattern_syntax: &'a str,
    /// The `<match>` element.
    pub matcher: Option<&'a Element>,
    /// `match@url`.
    pub url: Option<&'a Attribute>,
    /// `match@negate` (default false).
    pub negate: bool,
    /// The `<add>` children of `<conditions>`.
    pub conditions: Vec<&'a Element>,
    /// `conditions@logicalGrouping` (default `MatchAll`), as written.
    pub logical_grouping: &'a str,
    /// The `<action>` element.
    pub action: Option<&'a Element>,
}

impl<'a> RewriteRule<'a> {
    pub fn read(element: &'a Element) -> RewriteRule<'a> {
        let matcher = child(element, "match");
        let conditions_element = child(element, "conditions");
        RewriteRule {
            element,
            name: element.attribute_value("name"),
            enabled: is_true(element.attribute_value("enabled"), true),
            stop_processing: is_true(element.attribute_value("stopProcessing"), false),
            pattern_syntax: element
                .attribute_value("patternSyntax")
                .unwrap_or("ECMAScript")
                .trim(),
            matcher,
            url: matcher.and_then(|m| m.attribute("url")),
            negate: is_true(matcher.and_then(|m| m.attribute_value("negate")), false),
            conditions: conditions_element
                .map(|c| children(c, "add").collect())
                .unwrap_or_default(),
            logical_grouping: conditions_element
                .and_then(|c| c.attribute_value("logicalGrouping"))
                .unwrap_or("MatchAll")
                .trim(),
            action: child(element, "action"),
        }
    }

    /// The action type as written (`CustomResponse`), `None` without one.
    pub fn action_type(&self) -> Option<&'a str> {
        self.action
            .and_then(|a| a.attribute_value("type"))
            .map(str::trim)
    }

    /// Whether the action ends the request (`Redirect`, `CustomResponse`,
    /// `AbortRequest`), so later rules do not run.
    pub fn is_terminal(&self) -> bool {
        self.action_type().is_some_and(|t| {
            ["Redirect", "CustomResponse", "AbortRequest"]
                .iter()
                .any(|k| t.eq_ignore_ascii_case(k))
        })
    }

    pub fn syntax_is(&self, syntax: &str) -> bool {
        self.pattern_syntax.eq_ignore_ascii_case(syntax)
    }

    /// A relative path (no leading `/`) that the rule's ECMAScript URL
    /// pattern takes, from a few typical ones; `None` when none matches.
    pub fn sample_path(&self) -> Option<&'static str> {
        let url = self.url?;
        if !self.syntax_is("ECMAScript") {
            return None;
        }
        let re = crate::regexes::get(
            &url.value,
            is_true(
                self.matcher.and_then(|m| m.attribute_value("ignoreCase")),
                true,
            ),
        )?;
        [
            "",
            "index.html",
            "logo.png",
            "photo.jpg",
            "video.mp4",
            "downloads/file.zip",
            "doc.pdf",
            "index.php",
        ]
        .into_iter()
        .find(|candidate| re.is_match(candidate) != self.negate)
    }

    /// Whether the rule's `<match>` takes every URL (`.*`, `(.*)`, `^`,
    /// `^(.*)$`, an empty pattern, Wildcard `*`), not negated.
    pub fn matches_every_url(&self) -> bool {
        let Some(url) = self.url else {
            return false;
        };
        if self.negate {
            return false;
        }
        let pattern = url.value.trim();
        if self.syntax_is("Wildcard") {
            return pattern == "*";
        }
        if self.syntax_is("ExactMatch") {
            return false;
        }
        matches!(
            pattern,
            "" | ".*" | "(.*)" | "^" | "^.*" | "^(.*)" | ".*$" | "^.*$" | "^(.*)$" | "(.*)$"
        )
    }
}

/// Calls `visit` for every element of the configuration in document
/// order, a `configSource` section replaced by the root of its file.
/// The order is found once per configuration ([`RuleContext::iis_elements`]):
/// twenty rules walk every web.config, and finding it anew for each
/// (following `configSource`) cost a sixth of the IIS part's
/// instructions (callgrind on one core, scale-10 benchmark: 386 M → 320 M).
pub fn walk<'a>(context: &RuleContext<'a>, mut visit: impl FnMut(&Visit<'a, '_>)) {
    let Some(elements) = context.iis_elements() else {
        return;
    };
    let mut parents: Vec<Parent<'a>> = Vec::new();
    // The path, and its length before each open element added its name
    // (the paths are built here rather than kept: a deep document's would
    // take memory in proportion to its depth times its size).
    let mut path = String::new();
    let mut path_lengths: Vec<usize> = Vec::new();
    for &(parent, depth) in &elements.entries {
        let depth = depth as usize;
        parents.truncate(depth);
        if let Some(&length) = path_lengths.get(depth) {
            path.truncate(length);
        }
        path_lengths.truncate(depth);
        let before = path.len();
        let name = parent.element.name.local();
        path.push_str(name);
        visit(&Visit {
            file: parent.file,
            element: parent.element,
            parents: &parents,
            element_path: &path,
        });
        if name == "location" {
            path.truncate(before);
        } else {
            path.push('/');
        }
        path_lengths.push(before);
        parents.push(parent);
    }
}

/// The elements of a configuration in the order [`walk`] visits them,
/// each with how many elements enclose it.
pub struct Elements<'a> {
    entries: Vec<(Parent<'a>, u32)>,
}

impl<'a> Elements<'a> {
    /// The elements of `config`, walked from its root document.
    pub fn of(config: &'a LoadedConfig) -> Elements<'a> {
        let mut elements = Elements {
            entries: Vec::new(),
        };
        let Some(document) = config.document(config.root) else {
            return elements;
        };
        let mut state = State {
            parents: Vec::new(),
            pending: Vec::new(),
        };
        enter(
            config,
            config.root,
            &document.root,
            &mut state,
            &mut elements,
        );
        while let Some(children) = state.pending.last_mut() {
            match children.next() {
                Some(Node::Element(element)) => {
                    let file = state.parents.last().map_or(config.root, |p| p.file);
                    enter(config, file, element, &mut state, &mut elements);
                }
                Some(_) => {}
                None => {
                    state.pending.pop();
                    state.parents.pop();
                }
            }
        }
        elements
    }
}

/// The finding walk's explicit stack.
struct State<'a> {
    parents: Vec<Parent<'a>>,
    pending: Vec<std::slice::Iter<'a, Node>>,
}

fn enter<'a>(
    config: &'a LoadedConfig,
    file: FileId,
    element: &'a Element,
    state: &mut State<'a>,
    elements: &mut Elements<'a>,
) {
    let (file, element) = resolve(config, file, element, &state.parents);
    // At most the number of elements read, far below u32::MAX.
    let depth = u32::try_from(state.parents.len()).unwrap_or(u32::MAX);
    let parent = Parent { file, element };
    elements.entries.push((parent, depth));
    state.parents.push(parent);
    state.pending.push(element.children.iter());
}

/// The element that really holds the section: the root of the
/// `configSource` file when it was loaded (and is not already open).
fn resolve<'a>(
    config: &'a LoadedConfig,
    file: FileId,
    element: &'a Element,
    parents: &[Parent<'a>],
) -> (FileId, &'a Element) {
    if element.attribute("configSource").is_none() {
        return (file, element);
    }
    let Some(target) = config.config_source_target(file, element.start_tag) else {
        return (file, element);
    };
    if target == file || parents.iter().any(|p| p.file == target) {
        return (file, element);
    }
    match config.document(target) {
        Some(document) => (target, &document.root),
        None => (file, element),
    }
}

/// Runs one rule's check over a web.config text (unit tests).
#[cfg(test)]
pub(crate) fn run_check(
    check: fn(&crate::RuleContext<'_>, &mut Vec<lint403_core::Diagnostic>),
    text: &str,
) -> Vec<lint403_core::Diagnostic> {
    let mut sources = SourceMap::new();
    let file = sources.add(lint403_core::SourceFile::from_bytes(
        "/tmp/site/web.config",
        text.as_bytes().to_vec(),
    ));
    let config = lint403_iis::load(&mut sources, file, &lint403_core::CheckOptions::default());
    let context = crate::RuleContext::new(&sources, crate::Loaded::Iis(&config));
    let mut out = Vec::new();
    check(&context, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lint403_core::CheckOptions;

    fn paths(text: &str) -> Vec<(String, Option<String>)> {
        let mut sources = SourceMap::new();
        let file = sources.add(lint403_core::SourceFile::from_bytes(
            "web.config",
            text.as_bytes().to_vec(),
        ));
        let config = lint403_iis::load(&mut sources, file, &CheckOptions::default());
        let context = crate::RuleContext::new(&sources, crate::Loaded::Iis(&config));
        let mut out = Vec::new();
        walk(&context, |visit| {
            out.push((
                visit.path().to_owned(),
                visit.location_path().map(str::to_owned),
            ));
        });
        out
    }

    #[test]
    fn paths_skip_location_and_know_it() {
        let got = paths(
            r#"<configuration><location path="admin"><system.webServer><security><ipSecurity/></security></system.webServer></location></configuration>"#,
        );
        let last = got.last().cloned().unwrap_or_default();
        assert_eq!(
            last,
            (
                "configuration/system.webServer/security/ipSecurity".to_owned(),
                Some("admin".to_owned())
            )
        );
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn deep_nesting_is_walked_without_recursion() {
        let depth = 10_000;
        let text = format!(
            "<configuration>{}{}</configuration>",
            "<a>".repeat(depth),
            "</a>".repeat(depth)
        );
        assert_eq!(paths(&text).len(), depth + 1);
    }

    #[test]
    fn namespaced_root_is_matched_by_local_name() {
        let got = paths(
            r#"<configuration xmlns="http://schemas.microsoft.com/.NetConfiguration/v2.0"><system.webServer/></configuration>"#,
        );
        assert_eq!(got[1].0, "configuration/system.webServer");
    }
}
