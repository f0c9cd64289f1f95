//! The shared model ("rule AST"): one vocabulary for nginx, Apache httpd
//! and IIS, so that a rule written once checks all three and the tracer
//! walks one shape.
//!
//! Each dialect crate *lowers* its include-resolved syntax tree into a
//! [`Model`]: sites, nested [`Scope`]s with a [`Matcher`], and in each scope
//! the [`Rule`]s in evaluation order, every one with the span it came from.
//! How a scope's access rules combine with its parent's is data
//! ([`Inheritance`]), not code. Which scopes apply to a request is the
//! dialect's [`Selector`]; the evaluation of conditions and access lists
//! that all servers share is here.

use std::net::{IpAddr, SocketAddr};

use crate::dialect::Dialect;
use crate::net::Cidr;
use crate::pattern::Pattern;
use crate::request::Request;
use crate::source::Span;
use crate::verdict::Step;

/// Index of a scope in [`Model::scopes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub usize);

/// Index of a site in [`Model::sites`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SiteId(pub usize);

/// One configuration, lowered.
#[derive(Debug, Clone)]
pub struct Model {
    pub dialect: Dialect,
    pub sites: Vec<Site>,
    pub scopes: Vec<Scope>,
    /// Rules that stand outside every site and apply to all of them
    /// (nginx `http`-level `map`/`geo`, Apache server-wide `SetEnvIf`).
    pub global: Vec<Rule>,
    /// What lowering could not represent, with where and why. A tracer
    /// that reaches such a place answers "unknown".
    pub gaps: Vec<Gap>,
    /// [`Model::global`] indexed by the variable a rule sets (or, for a
    /// `Setting`, its first word), built on first use.
    global_index: std::sync::OnceLock<std::collections::HashMap<String, Vec<usize>>>,
    /// Patterns a tracer builds from the words of `Setting`s, by source.
    patterns: PatternCache,
    /// [`Model::scopes`] by [`ScopeKind`], built on first use.
    kind_index: std::sync::OnceLock<Vec<Vec<ScopeId>>>,
    /// Each scope's children by [`ScopeKind`], built on first use.
    children_index: std::sync::OnceLock<ChildrenIndex>,
    /// [`Model::gaps`] by file, by start, built on first use.
    gap_index: std::sync::OnceLock<GapIndex>,
    /// What the dialect's tracer reads out of the rules once and keeps for
    /// every later request ([`Model::tracer_memo`]).
    tracer_memo: TracerMemo,
}

/// Where a model's lists ended at one moment ([`Model::mark`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelMark {
    sites: usize,
    scopes: usize,
    global: usize,
    gaps: usize,
}

impl ModelMark {
    /// The scopes the model held at the mark.
    pub fn scopes(&self) -> usize {
        self.scopes
    }

    /// The sites the model held at the mark.
    pub fn sites(&self) -> usize {
        self.sites
    }
}

/// [`Model::tracer_memo`]'s slot; like [`PatternCache`], a copy of the
/// model starts without it.
#[derive(Default)]
struct TracerMemo(std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>);

impl Clone for TracerMemo {
    fn clone(&self) -> TracerMemo {
        TracerMemo::default()
    }
}

impl std::fmt::Debug for TracerMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TracerMemo")
    }
}

/// For each file, `(start, index in Model::gaps)` sorted by start; and the
/// gaps whose range ends before it starts, which a search by start cannot
/// bound (none, from a lowering).
#[derive(Debug, Default, Clone)]
struct GapIndex {
    by_file: std::collections::HashMap<crate::source::FileId, Vec<(usize, usize)>>,
    reversed: Vec<usize>,
}

/// Each scope's children grouped by kind, in their order, without a hash
/// per lookup (a tracer asks at every directory of every request).
#[derive(Debug, Default, Clone)]
struct ChildrenIndex {
    /// Per scope, its range of [`ChildrenIndex::groups`].
    by_scope: Vec<(u32, u32)>,
    /// A kind and its range of [`ChildrenIndex::children`].
    groups: Vec<(ScopeKind, u32, u32)>,
    children: Vec<ScopeId>,
}

impl ChildrenIndex {
    fn of(scopes: &[Scope]) -> ChildrenIndex {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        let mut index = ChildrenIndex {
            by_scope: Vec::with_capacity(scopes.len()),
            ..ChildrenIndex::default()
        };
        let mut kinds: Vec<(ScopeKind, ScopeId)> = Vec::new();
        for scope in scopes {
            kinds.clear();
            kinds.extend(
                scope
                    .children
                    .iter()
                    .filter_map(|child| scopes.get(child.0).map(|found| (found.kind, *child))),
            );
            // Stable: children of one kind keep their order.
            kinds.sort_by_key(|(kind, _)| *kind as usize);
            let first_group = index.groups.len();
            for (kind, child) in &kinds {
                let at = offset(index.children.len());
                // The last group is this scope's when it was opened here.
                let own_group = index.groups.len() > first_group;
                match index.groups.last_mut() {
                    Some((last, _, end)) if own_group && last == kind => *end = at + 1,
                    _ => index.groups.push((*kind, at, at + 1)),
                }
                index.children.push(*child);
            }
            index
                .by_scope
                .push((offset(first_group), offset(index.groups.len())));
        }
        index
    }

    fn get(&self, parent: ScopeId, kind: ScopeKind) -> &[ScopeId] {
        let Some(&(start, end)) = self.by_scope.get(parent.0) else {
            return &[];
        };
        self.groups
            .get(start as usize..end as usize)
            .unwrap_or_default()
            .iter()
            .find(|(own, _, _)| *own == kind)
            .and_then(|&(_, from, to)| self.children.get(from as usize..to as usize))
            .unwrap_or_default()
    }
}

/// Patterns compiled for one model, shared by every trace through it: a
/// tracer that builds a [`Pattern`] per rule per request pays for a fresh
/// matching cache each time, which costs far more than the match.
#[derive(Default)]
struct PatternCache {
    /// Indexed by case-insensitivity.
    /// Hashed with [`crate::hashing::FastHash`]: asked for every rewrite
    /// rule of every traced request, `SipHash` of the pattern cost more
    /// than most matches.
    by_source: [std::sync::RwLock<
        std::collections::HashMap<String, std::sync::Arc<Pattern>, crate::hashing::FastHash>,
    >; 2],
}

impl Clone for PatternCache {
    /// A copy of a model starts without compiled patterns: they are a
    /// cache, rebuilt on use.
    fn clone(&self) -> PatternCache {
        PatternCache::default()
    }
}

impl std::fmt::Debug for PatternCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatternCache")
    }
}

/// Something of the configuration the model leaves out.
#[derive(Debug, Clone)]
pub struct Gap {
    pub span: Span,
    pub reason: String,
}

/// One nginx `server`, Apache `<VirtualHost>` (or the main server), IIS site.
#[derive(Debug, Clone)]
pub struct Site {
    pub span: Span,
    pub listen: Vec<Listen>,
    /// Server names (`server_name`, `ServerName` + `ServerAlias`, IIS
    /// bindings' host names) as written: exact, `*.example.com`,
    /// `.example.com`, or `~regex` for nginx.
    pub names: Vec<String>,
    /// Document roots as written in the configuration (deploy paths).
    pub document_roots: Vec<String>,
    /// The scope that holds the site's own rules and every nested scope.
    pub root: ScopeId,
}

/// One listening socket of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// `None`: every address (`listen 80`, `*:80`); an unspecified
    /// address (`[::]`) is every address of that family.
    pub address: Option<IpAddr>,
    pub port: u16,
    pub default_server: bool,
    pub tls: bool,
    pub span: Option<Span>,
}

impl Listen {
    /// Whether a connection to `local` is accepted by this socket. An
    /// unspecified address (`[::]`) accepts every address of its family.
    pub fn accepts(&self, local: SocketAddr) -> bool {
        self.port == local.port()
            && self.address.is_none_or(|address| {
                address == local.ip()
                    || (address.is_unspecified() && address.is_ipv6() == local.ip().is_ipv6())
            })
    }

    pub fn is_ipv6(&self) -> bool {
        self.address.is_some_and(|address| address.is_ipv6())
    }
}

/// A region of the URL or file space, with its rules.
#[derive(Debug, Clone)]
pub struct Scope {
    pub kind: ScopeKind,
    pub matcher: Matcher,
    /// The whole block.
    pub span: Span,
    /// The opening line (`location ~ \.php$ {`, `<Directory /srv>`).
    pub head: Span,
    pub parent: Option<ScopeId>,
    pub children: Vec<ScopeId>,
    /// In evaluation order.
    pub rules: Vec<Rule>,
    /// How this scope's access rules combine with what it inherits.
    pub access_inheritance: Inheritance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// nginx `http`, Apache main server config, IIS `applicationHost`.
    Global,
    /// nginx `server`, Apache `<VirtualHost>`, IIS site root.
    Server,
    /// nginx `location`, Apache `<Location>`/`<LocationMatch>`.
    Location,
    /// Apache `<Directory>`/`<DirectoryMatch>`.
    Directory,
    /// Apache `<Files>`/`<FilesMatch>`.
    Files,
    /// An Apache `.htaccess` file.
    Htaccess,
    /// An IIS `<location path>` or a folder's own `web.config`.
    IisLocation,
    /// nginx `limit_except`, Apache `<LimitExcept>`.
    LimitExcept,
    /// Apache `<Limit>`.
    Limit,
    /// nginx `if`, Apache `<If>`/`<ElseIf>`/`<Else>`.
    If,
}

/// What a scope matches.
#[derive(Debug, Clone)]
pub enum Matcher {
    All,
    /// nginx `location = /x`.
    Exact(String),
    /// nginx `location /x`, Apache `<Location /x>`, IIS `<location path>`.
    Prefix(String),
    /// nginx `location ^~ /x`.
    PrefixNoRegex(String),
    /// A URI regex (nginx `~`/`~*`, Apache `<LocationMatch>`).
    Regex(Pattern),
    /// nginx `location @name` (reached only by internal redirects).
    Named(String),
    /// Apache `<Files glob>`: the last path segment.
    FileName(String),
    /// Apache `<FilesMatch>`.
    FileRegex(Pattern),
    /// Apache `<Directory glob>`: a filesystem directory and below.
    Dir(String),
    /// Apache `<DirectoryMatch>`.
    DirRegex(Pattern),
    /// nginx `limit_except` (`except: true`), Apache `<Limit>`/`<LimitExcept>`.
    Methods {
        methods: Vec<String>,
        except: bool,
    },
    /// nginx `if`, Apache `<If>` (boxed: a condition is several times the
    /// size of the other matchers, and a large configuration has hundreds
    /// of thousands of scopes).
    If(Box<Condition>),
}

/// How a scope's access rules combine with the parent's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inheritance {
    /// A scope with access rules of its own replaces the inherited ones
    /// (nginx `allow`/`deny`, Apache 2.2 `Allow`/`Deny`); one without
    /// inherits them whole.
    #[default]
    Replace,
    /// Apache `AuthMerging Off|And|Or`.
    Merge(AuthMerging),
    /// IIS: the parent's rules are evaluated first, then the child's.
    ParentFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMerging {
    Off,
    And,
    Or,
}

/// One rule with the span it was written at.
#[derive(Debug, Clone)]
pub struct Rule {
    pub span: Span,
    pub kind: RuleKind,
}

/// Its large payloads (conditions, patterns) are boxed, and no variant holds
/// more than 56 bytes (a few lists and texts are boxed slices and strings
/// for it): a configuration of ten thousand sites lowers into millions of
/// rules, most of them small.
#[derive(Debug, Clone)]
pub enum RuleKind {
    /// nginx `allow`/`deny`, Apache `Require` / `Allow from` / `Deny from`,
    /// IIS `ipSecurity` entries and `<allow>`/`<deny>` authorization rules.
    /// `negated` is Apache `Require not`.
    Access {
        action: Action,
        subject: Subject,
        negated: bool,
    },
    /// Apache `<RequireAll>`/`<RequireAny>`/`<RequireNone>`.
    Combine { op: CombineOp, children: Vec<Rule> },
    /// Apache 2.2 `Order`.
    Order(Order),
    /// nginx `satisfy`, Apache `Satisfy`.
    Satisfy(Satisfy),
    /// A response chosen by the configuration: nginx `return 403`,
    /// `RewriteRule … [F]`, `RedirectMatch 403`, IIS `CustomResponse`
    /// (`status` 403 is the forbidding case; other statuses are kept so
    /// the tracer knows the request ends there).
    Respond {
        status: u16,
        substatus: Option<u16>,
        when: Box<Condition>,
    },
    /// nginx `valid_referers`; what sets `$invalid_referer`.
    RefererPolicy {
        none: bool,
        blocked: bool,
        server_names: bool,
        hosts: Box<[String]>,
        regexes: Vec<Pattern>,
    },
    /// Apache `SetEnvIf`, nginx `map`/`geo`/`set`.
    SetVar {
        name: String,
        value: Box<str>,
        when: Box<Condition>,
    },
    /// Directory listing and index files.
    Listing {
        autoindex: Option<bool>,
        index_files: Option<Vec<String>>,
    },
    /// An authentication requirement (or `off`).
    Auth {
        kind: AuthKind,
        realm: Option<Box<str>>,
        user_file: Option<Box<str>>,
        enabled: bool,
    },
    /// A TLS requirement (IIS `sslFlags="Ssl"`, Apache `SSLRequireSSL`).
    TlsRequirement { required: bool },
    /// nginx `rewrite`, Apache `RewriteRule` without `[F]`, IIS rewrite.
    Rewrite {
        pattern: Box<Pattern>,
        target: Box<str>,
        flags: Box<[String]>,
        when: Box<Condition>,
    },
    /// A setting only the dialect's own tracer interprets (`root`,
    /// `try_files`, `Options`, `AllowOverride`, `internal`, …), kept with
    /// its words so nothing is silently dropped.
    Setting {
        name: std::borrow::Cow<'static, str>,
        args: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// Everyone (`all`, `*`, `Require all granted|denied`).
    All,
    Ip(Cidr),
    /// nginx `unix:`.
    Unix,
    /// Apache `Require host` / `Allow from .example.com`.
    Host(String),
    /// Apache `Require env` / `Allow from env=`.
    Env(String),
    User(Vec<String>),
    Group(Vec<String>),
    ValidUser,
    /// IIS `?`.
    Anonymous,
    Method(Vec<String>),
    /// Apache `Require expr`, IIS roles/verbs combinations.
    Expr(Box<Condition>),
    /// A provider lint403 does not model (`Require ldap-…`); the words.
    Unknown(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CombineOp {
    All,
    Any,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    DenyAllow,
    AllowDeny,
    MutualFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Satisfy {
    All,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthKind {
    Basic,
    Digest,
    /// nginx `auth_request`: decided by a subrequest lint403 cannot see.
    Subrequest,
    Windows,
    Forms,
    Anonymous,
    Other(Box<str>),
}

/// A test over the request (and variables set earlier).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Always,
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// A request header, by lower-case name.
    Header {
        name: String,
        test: TextTest,
    },
    ClientIp(Cidr),
    Method(Vec<String>),
    /// The (normalized) URI path.
    Path(TextTest),
    Query(TextTest),
    /// A variable: nginx `$var`, Apache environment variable, IIS server
    /// variable, looked up through the tracer's [`Variables`].
    Var {
        name: String,
        test: TextTest,
    },
    /// A filesystem test on a path (nginx `if (-f $request_filename)`,
    /// `mod_rewrite` `RewriteCond %{REQUEST_FILENAME} -d`). The path may hold
    /// the dialect's variables; only a tracer with a filesystem view can
    /// evaluate it, so [`Condition::eval`] answers `None`.
    File {
        path: String,
        test: FileTest,
    },
    /// Something lint403 does not evaluate; the source text.
    Unknown(String),
}

/// What a [`Condition::File`] asks of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileTest {
    /// Exists (file, directory or anything else).
    Exists,
    /// A regular file.
    File,
    Directory,
    Executable,
}

/// A test of one text value (absent values are `None`).
#[derive(Debug, Clone, PartialEq)]
pub enum TextTest {
    Matches(Pattern),
    Equals {
        value: String,
        case_insensitive: bool,
    },
    Prefix(String),
    /// Absent or empty (nginx: a variable is false when empty or `0`; use
    /// [`TextTest::Truthy`] for that).
    Empty,
    Present,
    /// nginx `if ($var)`: set, not empty and not `"0"`.
    Truthy,
}

/// Where a tracer looks variables up.
pub trait Variables {
    fn get(&self, name: &str) -> Option<String>;
}

impl<S: std::hash::BuildHasher> Variables for std::collections::HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name).cloned()
    }
}

impl TextTest {
    /// `None` when the answer cannot be known (a pattern lint403 cannot run).
    pub fn test(&self, value: Option<&str>) -> Option<bool> {
        match self {
            TextTest::Matches(pattern) => pattern.is_match(value.unwrap_or("")),
            TextTest::Equals {
                value: expected,
                case_insensitive,
            } => Some(value.is_some_and(|value| {
                if *case_insensitive {
                    value.eq_ignore_ascii_case(expected)
                } else {
                    value == expected
                }
            })),
            TextTest::Prefix(prefix) => Some(value.is_some_and(|value| value.starts_with(prefix))),
            TextTest::Empty => Some(value.is_none_or(str::is_empty)),
            TextTest::Present => Some(value.is_some_and(|value| !value.is_empty())),
            TextTest::Truthy => Some(value.is_some_and(|value| !value.is_empty() && value != "0")),
        }
    }
}

impl Condition {
    /// `Some(holds)`, or `None` when lint403 cannot tell.
    pub fn eval(&self, request: &Request, variables: &dyn Variables) -> Option<bool> {
        match self {
            Condition::Always => Some(true),
            Condition::All(parts) => {
                let mut known = true;
                for part in parts {
                    match part.eval(request, variables) {
                        Some(false) => return Some(false),
                        None => known = false,
                        Some(true) => {}
                    }
                }
                known.then_some(true)
            }
            Condition::Any(parts) => {
                let mut known = true;
                for part in parts {
                    match part.eval(request, variables) {
                        Some(true) => return Some(true),
                        None => known = false,
                        Some(false) => {}
                    }
                }
                known.then_some(false)
            }
            Condition::Not(inner) => inner.eval(request, variables).map(|holds| !holds),
            Condition::Header { name, test } => test.test(request.header(name)),
            Condition::ClientIp(cidr) => Some(cidr.contains(request.client_ip)),
            Condition::Method(methods) => Some(
                methods
                    .iter()
                    .any(|method| method.eq_ignore_ascii_case(&request.method)),
            ),
            Condition::Path(test) => test.test(Some(request.path())),
            Condition::Query(test) => test.test(request.query()),
            Condition::Var { name, test } => test.test(variables.get(name).as_deref()),
            Condition::File { .. } | Condition::Unknown(_) => None,
        }
    }
}

/// The first entry of a first-match access list (nginx `allow`/`deny`,
/// IIS `ipSecurity`) that matches the client, with its action. `Err` when
/// an entry lint403 cannot evaluate comes before any match.
pub fn first_match<'r>(
    rules: impl IntoIterator<Item = &'r Rule>,
    client: IpAddr,
) -> Result<Option<(&'r Rule, Action)>, &'r Rule> {
    for rule in rules {
        let RuleKind::Access {
            action, subject, ..
        } = &rule.kind
        else {
            continue;
        };
        let matched = match subject {
            Subject::All => true,
            Subject::Ip(cidr) => cidr.contains(client),
            Subject::Unix => false,
            _ => return Err(rule),
        };
        if matched {
            return Ok(Some((rule, *action)));
        }
    }
    Ok(None)
}

/// The scopes that apply to one request, in the order the server merges
/// them (outermost first), with the steps that explain the choice.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub site: Option<SiteId>,
    pub scopes: Vec<ScopeId>,
    pub steps: Vec<Step>,
    /// Set when the choice depends on something lint403 cannot evaluate.
    pub unknown: Option<String>,
}

/// Which scopes apply to a request, by one server's own rules: nginx picks
/// one location by precedence; Apache merges every matching section in its
/// fixed order; IIS merges `<location>`s and folder web.configs top-down.
pub trait Selector {
    fn select(&self, model: &Model, request: &Request) -> Selection;
}

impl Model {
    pub fn new(dialect: Dialect) -> Model {
        Model {
            dialect,
            sites: Vec::new(),
            scopes: Vec::new(),
            global: Vec::new(),
            gaps: Vec::new(),
            global_index: std::sync::OnceLock::new(),
            patterns: PatternCache::default(),
            kind_index: std::sync::OnceLock::new(),
            children_index: std::sync::OnceLock::new(),
            gap_index: std::sync::OnceLock::new(),
            tracer_memo: TracerMemo::default(),
        }
    }

    /// What a tracer derives from the model's rules (the Apache tracer:
    /// each scope's rewrite list with its flags and patterns read), built
    /// by `build` on the first request and shared by every later one.
    /// `None` when a value of another type was kept first: a model keeps
    /// one, and the caller builds its own for the request. Like the
    /// indexes above, ask once the model is complete.
    pub fn tracer_memo<T: std::any::Any + Send + Sync>(
        &self,
        build: impl FnOnce(&Model) -> T,
    ) -> Option<&T> {
        self.tracer_memo
            .0
            .get_or_init(|| Box::new(build(self)))
            .downcast_ref()
    }

    /// The gaps whose span lies within `span`, in the order of
    /// [`Model::gaps`], without looking at the others (a tracer asks for
    /// every section a request goes through, and a large configuration
    /// has thousands of gaps). Built on first use: ask once the model is
    /// complete.
    pub fn gaps_within(&self, span: Span) -> impl Iterator<Item = &Gap> {
        let index = self.gap_index.get_or_init(|| {
            let mut index = GapIndex::default();
            for (position, gap) in self.gaps.iter().enumerate() {
                if gap.span.range.end < gap.span.range.start {
                    index.reversed.push(position);
                } else {
                    index
                        .by_file
                        .entry(gap.span.file)
                        .or_default()
                        .push((gap.span.range.start, position));
                }
            }
            for starts in index.by_file.values_mut() {
                starts.sort_unstable();
            }
            index
        });
        let within = |gap: &Gap| {
            gap.span.file == span.file
                && gap.span.range.start >= span.range.start
                && gap.span.range.end <= span.range.end
        };
        let mut found: Vec<usize> = index
            .by_file
            .get(&span.file)
            .map(|starts| {
                let first = starts.partition_point(|(start, _)| *start < span.range.start);
                starts[first..]
                    .iter()
                    .take_while(|(start, _)| *start <= span.range.end)
                    .map(|(_, position)| *position)
                    .filter(|position| {
                        self.gaps
                            .get(*position)
                            .is_some_and(|gap| gap.span.range.end <= span.range.end)
                    })
                    .collect()
            })
            .unwrap_or_default();
        found.extend(
            index
                .reversed
                .iter()
                .copied()
                .filter(|position| self.gaps.get(*position).is_some_and(within)),
        );
        found.sort_unstable();
        found
            .into_iter()
            .filter_map(|position| self.gaps.get(position))
    }

    /// The children of `parent` that are of `kind`, in order, without
    /// looking at the others (an Apache main server has a child per
    /// virtual host, and a tracer looks for `<Directory>` sections among
    /// them at every directory of every request). Built on first use: ask
    /// once the model is complete.
    pub fn children_of_kind(&self, parent: ScopeId, kind: ScopeKind) -> &[ScopeId] {
        self.children_index
            .get_or_init(|| ChildrenIndex::of(&self.scopes))
            .get(parent, kind)
    }

    /// The scopes of one kind, in order, without scanning every scope (a
    /// tracer looks for an `.htaccess` scope at every directory of every
    /// request). Built on first use: ask once the model is complete.
    pub fn scopes_of_kind(&self, kind: ScopeKind) -> &[ScopeId] {
        let index = self.kind_index.get_or_init(|| {
            let mut index: Vec<Vec<ScopeId>> = Vec::new();
            for (position, scope) in self.scopes.iter().enumerate() {
                let slot = scope.kind as usize;
                if index.len() <= slot {
                    index.resize_with(slot + 1, Vec::new);
                }
                index[slot].push(ScopeId(position));
            }
            index
        });
        index.get(kind as usize).map_or(&[], Vec::as_slice)
    }

    /// The pattern of `source`, built once per model and shared by every
    /// request traced through it (with its compiled engine and matching
    /// cache).
    pub fn pattern(&self, source: &str, case_insensitive: bool) -> std::sync::Arc<Pattern> {
        let map = &self.patterns.by_source[usize::from(case_insensitive)];
        if let Some(found) = map.read().ok().and_then(|map| map.get(source).cloned()) {
            return found;
        }
        let built = std::sync::Arc::new(Pattern::new(source, case_insensitive));
        match map.write() {
            Ok(mut map) => map
                .entry(source.to_string())
                .or_insert_with(|| built)
                .clone(),
            Err(_) => built,
        }
    }

    /// The rules of [`Model::global`] about the variable `name` — the
    /// `SetVar`s that set it and the `Setting`s whose first word is it —
    /// in order, without scanning every global rule (a configuration of
    /// thousands of servers has tens of thousands of `map` entries).
    pub fn global_about(&self, name: &str) -> impl Iterator<Item = &Rule> {
        let index = self.global_index.get_or_init(|| {
            let mut index: std::collections::HashMap<String, Vec<usize>> =
                std::collections::HashMap::new();
            for (position, rule) in self.global.iter().enumerate() {
                let key = match &rule.kind {
                    RuleKind::SetVar { name, .. } => Some(name.clone()),
                    RuleKind::Setting { args, .. } => args.first().cloned(),
                    _ => None,
                };
                if let Some(key) = key {
                    index.entry(key).or_default().push(position);
                }
            }
            index
        });
        index
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|position| self.global.get(*position))
    }

    /// Gives back the room the lowering's pushes left in the model's
    /// lists (a rule is a few hundred bytes, and a configuration has one
    /// per directive): call once the model is complete.
    pub fn shrink_to_fit(&mut self) {
        for scope in &mut self.scopes {
            crate::fit::exactly_in(&mut scope.rules);
            crate::fit::exactly_in(&mut scope.children);
        }
        crate::fit::exactly_in(&mut self.scopes);
        crate::fit::exactly_in(&mut self.sites);
        crate::fit::exactly_in(&mut self.global);
        crate::fit::exactly_in(&mut self.gaps);
    }

    /// How far the model's lists reach now, to go back to with
    /// [`Model::truncate`].
    pub fn mark(&self) -> ModelMark {
        ModelMark {
            sites: self.sites.len(),
            scopes: self.scopes.len(),
            global: self.global.len(),
            gaps: self.gaps.len(),
        }
    }

    /// Drops every site, scope, global rule and gap added since `mark`,
    /// and the children the scopes before it were given since: the model
    /// is the one it was at the mark (a lowering that hands out a few
    /// servers at a time keeps the part they share and replaces the
    /// rest). The indexes built on use are rebuilt on the next use; the
    /// compiled patterns, kept by source, stay.
    pub fn truncate(&mut self, mark: &ModelMark) {
        self.sites.truncate(mark.sites);
        self.scopes.truncate(mark.scopes);
        self.global.truncate(mark.global);
        self.gaps.truncate(mark.gaps);
        for scope in &mut self.scopes {
            scope.children.retain(|child| child.0 < mark.scopes);
        }
        self.global_index = std::sync::OnceLock::new();
        self.kind_index = std::sync::OnceLock::new();
        self.children_index = std::sync::OnceLock::new();
        self.gap_index = std::sync::OnceLock::new();
        self.tracer_memo = TracerMemo::default();
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id.0]
    }

    pub fn site(&self, id: SiteId) -> &Site {
        &self.sites[id.0]
    }

    /// Adds a scope under `parent` and returns its id.
    pub fn add_scope(&mut self, parent: Option<ScopeId>, scope: Scope) -> ScopeId {
        let id = ScopeId(self.scopes.len());
        self.kind_index.take();
        self.children_index.take();
        self.scopes.push(Scope { parent, ..scope });
        if let Some(parent) = parent {
            self.scopes[parent.0].children.push(id);
        }
        id
    }

    /// `id` and its ancestors, innermost first.
    pub fn ancestry(&self, id: ScopeId) -> impl Iterator<Item = ScopeId> + '_ {
        std::iter::successors(Some(id), |id| self.scope(*id).parent)
    }

    /// Every scope under `id` (itself included), depth first in order.
    pub fn descendants(&self, id: ScopeId) -> Vec<ScopeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(next) = stack.pop() {
            out.push(next);
            stack.extend(self.scope(next).children.iter().rev());
        }
        out
    }
}

impl Scope {
    pub fn new(kind: ScopeKind, matcher: Matcher, span: Span, head: Span) -> Scope {
        Scope {
            kind,
            matcher,
            span,
            head,
            parent: None,
            children: Vec::new(),
            rules: Vec::new(),
            access_inheritance: Inheritance::Replace,
        }
    }

    /// The rules that are access rules (entries, combinations, order).
    pub fn access_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|rule| {
            matches!(
                rule.kind,
                RuleKind::Access { .. } | RuleKind::Combine { .. } | RuleKind::Order(_)
            )
        })
    }

    /// The last `Setting` named `name` (case-insensitively).
    pub fn setting(&self, name: &str) -> Option<(&Rule, &[String])> {
        self.rules.iter().rev().find_map(|rule| match &rule.kind {
            RuleKind::Setting { name: own, args } if own.eq_ignore_ascii_case(name) => {
                Some((rule, args.as_slice()))
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::source::{FileId, TextRange};

    /// A large configuration lowers into millions of rules: the largest
    /// variant decides the size of every one of them.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_rule_stays_small() {
        assert!(
            std::mem::size_of::<RuleKind>() <= 64,
            "{}",
            std::mem::size_of::<RuleKind>()
        );
        assert!(
            std::mem::size_of::<Rule>() <= 88,
            "{}",
            std::mem::size_of::<Rule>()
        );
    }

    fn span(file: u32, start: usize, end: usize) -> Span {
        Span::new(FileId(file), TextRange { start, end })
    }

    /// A main scope with interleaved children of several kinds, gaps in
    /// two files and out of order, one with a reversed range.
    fn model() -> Model {
        let mut model = Model::new(Dialect::Apache);
        let scope =
            |kind, at: usize| Scope::new(kind, Matcher::All, span(0, at, at + 10), span(0, at, at));
        let main = model.add_scope(None, scope(ScopeKind::Global, 0));
        for (index, kind) in [
            ScopeKind::Server,
            ScopeKind::Directory,
            ScopeKind::Server,
            ScopeKind::Limit,
            ScopeKind::Directory,
            ScopeKind::LimitExcept,
        ]
        .into_iter()
        .enumerate()
        {
            model.add_scope(Some(main), scope(kind, index * 10));
        }
        for (file, start, end) in [
            (0, 30, 35),
            (1, 0, 5),
            (0, 5, 8),
            (0, 12, 11),
            (0, 20, 40),
            (0, 0, 100),
        ] {
            model.gaps.push(Gap {
                span: span(file, start, end),
                reason: format!("{file}:{start}-{end}"),
            });
        }
        model
    }

    /// The memo is built once and kept; another type is refused rather
    /// than mistaken for it; a copy of the model builds its own.
    #[test]
    fn a_tracer_memo_is_built_once_per_model() {
        let model = model();
        let builds = std::cell::Cell::new(0);
        let build = |model: &Model| {
            builds.set(builds.get() + 1);
            model.scopes.len()
        };
        assert_eq!(model.tracer_memo(build), Some(&model.scopes.len()));
        assert_eq!(model.tracer_memo(build), Some(&model.scopes.len()));
        assert_eq!(builds.get(), 1);
        assert_eq!(model.tracer_memo(|_| "another type"), None);
        let copy = model.clone();
        assert_eq!(copy.tracer_memo(|_| "another type"), Some(&"another type"));
        assert_eq!(builds.get(), 1);
    }

    /// Truncated to a mark, the model is the one it was there, and its
    /// indexes answer for it, not for what was dropped.
    #[test]
    fn a_model_truncated_to_a_mark_is_the_model_at_the_mark() {
        let mut model = model();
        let before = format!("{model:?}");
        let servers_before = model
            .children_of_kind(ScopeId(0), ScopeKind::Server)
            .to_vec();
        let mark = model.mark();
        let extra = model.add_scope(
            Some(ScopeId(0)),
            Scope::new(
                ScopeKind::Server,
                Matcher::All,
                span(0, 50, 60),
                span(0, 50, 50),
            ),
        );
        model.add_scope(
            Some(extra),
            Scope::new(
                ScopeKind::Directory,
                Matcher::All,
                span(0, 52, 58),
                span(0, 52, 52),
            ),
        );
        model.gaps.push(Gap {
            span: span(0, 51, 52),
            reason: "dropped".into(),
        });
        // The indexes built here know the added scopes and gap.
        let servers = model
            .children_of_kind(ScopeId(0), ScopeKind::Server)
            .to_vec();
        assert_eq!(servers.len(), servers_before.len() + 1);
        let gaps = model.gaps_within(span(0, 0, 100)).count();
        model.truncate(&mark);
        assert_eq!(format!("{model:?}"), before);
        assert_eq!(
            model.children_of_kind(ScopeId(0), ScopeKind::Server),
            servers_before.as_slice()
        );
        assert_eq!(model.gaps_within(span(0, 0, 100)).count(), gaps - 1);
        assert_eq!(model.mark(), mark);
    }

    #[test]
    fn indexes_answer_what_a_scan_answers() {
        let model = model();
        let main = ScopeId(0);
        for kind in [
            ScopeKind::Server,
            ScopeKind::Directory,
            ScopeKind::Limit,
            ScopeKind::LimitExcept,
            ScopeKind::Files,
        ] {
            let scanned: Vec<ScopeId> = model
                .scope(main)
                .children
                .iter()
                .copied()
                .filter(|child| model.scope(*child).kind == kind)
                .collect();
            assert_eq!(model.children_of_kind(main, kind), scanned.as_slice());
            let all: Vec<ScopeId> = (0..model.scopes.len())
                .map(ScopeId)
                .filter(|id| model.scope(*id).kind == kind)
                .collect();
            assert_eq!(model.scopes_of_kind(kind), all.as_slice());
        }
        for within in [
            span(0, 0, 100),
            span(0, 10, 40),
            span(0, 11, 12),
            span(1, 0, 5),
            span(2, 0, 9),
        ] {
            let scanned: Vec<&str> = model
                .gaps
                .iter()
                .filter(|gap| {
                    gap.span.file == within.file
                        && gap.span.range.start >= within.range.start
                        && gap.span.range.end <= within.range.end
                })
                .map(|gap| gap.reason.as_str())
                .collect();
            let indexed: Vec<&str> = model
                .gaps_within(within)
                .map(|gap| gap.reason.as_str())
                .collect();
            assert_eq!(indexed, scanned, "{within:?}");
        }
        assert_eq!(model.gaps_within(span(0, 0, 100)).count(), 5);
    }

    #[test]
    fn adding_a_scope_renews_the_indexes() {
        let mut model = model();
        assert_eq!(
            model.children_of_kind(ScopeId(0), ScopeKind::Files).len(),
            0
        );
        model.add_scope(
            Some(ScopeId(0)),
            Scope::new(ScopeKind::Files, Matcher::All, span(0, 0, 1), span(0, 0, 0)),
        );
        assert_eq!(
            model.children_of_kind(ScopeId(0), ScopeKind::Files).len(),
            1
        );
        assert_eq!(model.scopes_of_kind(ScopeKind::Files).len(), 1);
    }

    #[test]
    fn one_pattern_per_source() {
        let model = model();
        let first = model.pattern(r"\.jpg$", true);
        assert!(std::sync::Arc::ptr_eq(
            &first,
            &model.pattern(r"\.jpg$", true)
        ));
        assert!(!std::sync::Arc::ptr_eq(
            &first,
            &model.pattern(r"\.jpg$", false)
        ));
        assert_eq!(first.is_match("/A.JPG"), Some(true));
    }
}
