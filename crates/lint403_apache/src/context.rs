//! Where httpd allows each directive: the `req_override` classes of core's
//! and the common modules' command tables, the extra checks their handlers
//! make (`ap_check_cmd_context`), and a walk that reports a directive in a
//! context httpd refuses, in httpd's words.

use crate::syntax::{Node, SectionKind};

/// The context the top level of a file stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// The main server configuration (outside any section).
    Server,
    /// Inside a `<VirtualHost>`.
    VirtualHost,
    /// Inside a `<Directory>`.
    Directory,
    /// A `.htaccess` file (assuming `AllowOverride All`).
    Htaccess,
}

impl Context {
    /// The `--context` / `CheckOptions::context` spelling.
    pub fn from_name(name: &str) -> Option<Context> {
        match name.to_ascii_lowercase().as_str() {
            "server" | "main" | "server config" => Some(Context::Server),
            "virtualhost" | "vhost" | "virtual host" => Some(Context::VirtualHost),
            "directory" | "dir" => Some(Context::Directory),
            "htaccess" | ".htaccess" => Some(Context::Htaccess),
            _ => None,
        }
    }

    /// The `--context` spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Server => "server",
            Context::VirtualHost => "virtualhost",
            Context::Directory => "directory",
            Context::Htaccess => "htaccess",
        }
    }
}

// `req_override` classes (httpd's http_config.h).
const RSRC_CONF: u16 = 1 << 0;
const ACCESS_CONF: u16 = 1 << 1;
const OR_LIMIT: u16 = 1 << 2;
const OR_OPTIONS: u16 = 1 << 3;
const OR_FILEINFO: u16 = 1 << 4;
const OR_AUTHCFG: u16 = 1 << 5;
const OR_INDEXES: u16 = 1 << 6;
const OR_ALL: u16 = OR_LIMIT | OR_OPTIONS | OR_FILEINFO | OR_AUTHCFG | OR_INDEXES;

// Checks a handler makes beyond the override classes.
/// Executed while reading (`EXEC_ON_READ`): only the file's own context
/// counts, not the sections around it.
const EXEC_ON_READ: u16 = 1 << 0;
const NOT_IN_VIRTUALHOST: u16 = 1 << 1;
const NOT_IN_LIMIT: u16 = 1 << 2;
const NOT_IN_LOCATION: u16 = 1 << 3;
/// `ServerAlias`: refused outside a `<VirtualHost>`.
const VIRTUALHOST_ONLY: u16 = 1 << 4;
/// `<Else>`/`<ElseIf>`: must follow `<If>`/`<ElseIf>` in the same scope.
const AFTER_IF: u16 = 1 << 5;
const GLOBAL_ONLY: u16 = NOT_IN_VIRTUALHOST | NOT_IN_LIMIT;

/// One entry of httpd's command tables.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// httpd's spelling; sections start with `<`.
    pub name: &'static str,
    /// The module that defines it (`core` for the server core).
    pub module: &'static str,
    overrides: u16,
    checks: u16,
}

const fn command(name: &'static str, module: &'static str, overrides: u16, checks: u16) -> Command {
    Command {
        name,
        module,
        overrides,
        checks,
    }
}

/// The directives and sections whose placement matters for a 403, with
/// the classes httpd 2.4 gives them.
pub const COMMANDS: &[Command] = &[
    // core: sections
    command("<Directory", "core", RSRC_CONF, 0),
    command("<DirectoryMatch", "core", RSRC_CONF, 0),
    command("<Location", "core", RSRC_CONF, 0),
    command("<LocationMatch", "core", RSRC_CONF, 0),
    command("<Files", "core", OR_ALL, NOT_IN_LIMIT | NOT_IN_LOCATION),
    command(
        "<FilesMatch",
        "core",
        OR_ALL,
        NOT_IN_LIMIT | NOT_IN_LOCATION,
    ),
    command("<If", "core", OR_ALL, NOT_IN_LIMIT),
    command("<ElseIf", "core", OR_ALL, NOT_IN_LIMIT | AFTER_IF),
    command("<Else", "core", OR_ALL, NOT_IN_LIMIT | AFTER_IF),
    command("<Limit", "core", OR_LIMIT | OR_AUTHCFG, NOT_IN_LIMIT),
    command("<LimitExcept", "core", OR_LIMIT | OR_AUTHCFG, NOT_IN_LIMIT),
    command("<VirtualHost", "core", RSRC_CONF, GLOBAL_ONLY),
    command("<IfModule", "core", OR_ALL, EXEC_ON_READ),
    command("<IfDefine", "core", OR_ALL, EXEC_ON_READ),
    command("<IfFile", "core", OR_ALL, EXEC_ON_READ),
    command("<IfDirective", "core", OR_ALL, EXEC_ON_READ),
    command("<IfSection", "core", OR_ALL, EXEC_ON_READ),
    command("<IfVersion", "mod_version", OR_ALL, EXEC_ON_READ),
    command("<RequireAll", "mod_authz_core", OR_AUTHCFG, 0),
    command("<RequireAny", "mod_authz_core", OR_AUTHCFG, 0),
    command("<RequireNone", "mod_authz_core", OR_AUTHCFG, 0),
    // core: directives
    command("Include", "core", RSRC_CONF | ACCESS_CONF, EXEC_ON_READ),
    command(
        "IncludeOptional",
        "core",
        RSRC_CONF | ACCESS_CONF,
        EXEC_ON_READ,
    ),
    command("Define", "core", RSRC_CONF, EXEC_ON_READ),
    command("UnDefine", "core", RSRC_CONF, EXEC_ON_READ),
    command("ServerRoot", "core", RSRC_CONF, EXEC_ON_READ),
    command("DocumentRoot", "core", RSRC_CONF, 0),
    command("ServerName", "core", RSRC_CONF, 0),
    command("ServerAlias", "core", RSRC_CONF, VIRTUALHOST_ONLY),
    command("Listen", "mpm_common", RSRC_CONF, GLOBAL_ONLY),
    command("Options", "core", OR_OPTIONS, 0),
    command("AllowOverride", "core", ACCESS_CONF, 0),
    command("AllowOverrideList", "core", ACCESS_CONF, 0),
    command("ErrorDocument", "core", OR_FILEINFO, 0),
    command("AuthType", "mod_authn_core", OR_AUTHCFG, 0),
    command("AuthName", "mod_authn_core", OR_AUTHCFG, 0),
    // mod_authz_core
    command("Require", "mod_authz_core", OR_AUTHCFG, 0),
    command("AuthMerging", "mod_authz_core", OR_AUTHCFG, 0),
    command(
        "AuthzSendForbiddenOnFailure",
        "mod_authz_core",
        OR_AUTHCFG,
        0,
    ),
    // mod_access_compat (its table spells these in lower case, and so do
    // httpd's messages)
    command("order", "mod_access_compat", OR_LIMIT, 0),
    command("allow", "mod_access_compat", OR_LIMIT, 0),
    command("deny", "mod_access_compat", OR_LIMIT, 0),
    command("Satisfy", "mod_access_compat", OR_AUTHCFG, 0),
    // authentication providers
    command("AuthBasicProvider", "mod_auth_basic", OR_AUTHCFG, 0),
    command("AuthUserFile", "mod_authn_file", OR_AUTHCFG, 0),
    command("AuthGroupFile", "mod_authz_groupfile", OR_AUTHCFG, 0),
    // mod_dir
    command("DirectoryIndex", "mod_dir", OR_INDEXES, 0),
    command("DirectorySlash", "mod_dir", OR_INDEXES, 0),
    command("FallbackResource", "mod_dir", OR_INDEXES, 0),
    // mod_rewrite
    command("RewriteEngine", "mod_rewrite", OR_FILEINFO, 0),
    command("RewriteOptions", "mod_rewrite", OR_FILEINFO, 0),
    command("RewriteBase", "mod_rewrite", OR_FILEINFO, 0),
    command("RewriteCond", "mod_rewrite", OR_FILEINFO, 0),
    command("RewriteRule", "mod_rewrite", OR_FILEINFO, 0),
    command("RewriteMap", "mod_rewrite", RSRC_CONF, 0),
    // mod_setenvif
    command("SetEnvIf", "mod_setenvif", OR_FILEINFO, 0),
    command("SetEnvIfNoCase", "mod_setenvif", OR_FILEINFO, 0),
    command("SetEnvIfExpr", "mod_setenvif", OR_FILEINFO, 0),
    command("BrowserMatch", "mod_setenvif", OR_FILEINFO, 0),
    command("BrowserMatchNoCase", "mod_setenvif", OR_FILEINFO, 0),
    // mod_alias
    command("Redirect", "mod_alias", OR_FILEINFO, 0),
    command("RedirectMatch", "mod_alias", OR_FILEINFO, 0),
    command("RedirectPermanent", "mod_alias", OR_FILEINFO, 0),
    command("RedirectTemp", "mod_alias", OR_FILEINFO, 0),
    // mod_headers
    command("Header", "mod_headers", OR_FILEINFO, 0),
    command("RequestHeader", "mod_headers", OR_FILEINFO, 0),
];

/// The table entry for `name` (case-insensitive; sections as `<Name`).
pub fn find_command(name: &str) -> Option<&'static Command> {
    COMMANDS_BY_NAME.get(name)
}

static COMMANDS_BY_NAME: std::sync::LazyLock<crate::names::ByName<Command>> =
    std::sync::LazyLock::new(|| crate::names::ByName::new(COMMANDS, |command| command.name));

/// The scope a line is read in.
#[derive(Debug, Clone)]
#[allow(clippy::struct_excessive_bools)] // Each flag is an independent fact httpd's cmd_parms carries.
pub(crate) struct Scope {
    overrides: u16,
    in_virtualhost: bool,
    in_limit: bool,
    in_location: bool,
    /// Inside a section that has a name httpd prints ("not allowed in
    /// <Directory> context"): its canonical name without `<`.
    parent: Option<&'static str>,
    /// The last `<If>`-family section read in this scope.
    pub last_if: Option<SectionKind>,
    /// A section lint403 does not know: its body is not checked.
    unknown: bool,
    /// The override classes of the file itself, for `EXEC_ON_READ`
    /// directives, which httpd runs before it nests anything.
    file_overrides: u16,
    /// The body of a conditional section or an included file: part of the
    /// enclosing scope.
    spliced: bool,
}

/// Overrides at the top of the main server configuration.
const SERVER_OVERRIDES: u16 = (RSRC_CONF | OR_ALL) & !(OR_AUTHCFG | OR_LIMIT);
/// Inside `<Directory>`, `<Location>`, `<Files>`, `<If>`.
const SECTION_OVERRIDES: u16 = OR_ALL | ACCESS_CONF;
/// A `.htaccess` under `AllowOverride All`.
const HTACCESS_OVERRIDES: u16 = OR_ALL;

impl Scope {
    pub fn top(context: Context) -> Scope {
        let (overrides, in_virtualhost, parent, file_overrides) = match context {
            Context::Server => (SERVER_OVERRIDES, false, None, SERVER_OVERRIDES),
            Context::VirtualHost => (
                SERVER_OVERRIDES,
                true,
                Some("VirtualHost"),
                SERVER_OVERRIDES,
            ),
            Context::Directory => (
                SECTION_OVERRIDES,
                false,
                Some("Directory"),
                SERVER_OVERRIDES,
            ),
            Context::Htaccess => (HTACCESS_OVERRIDES, false, None, HTACCESS_OVERRIDES),
        };
        Scope {
            overrides,
            in_virtualhost,
            in_limit: false,
            in_location: false,
            parent,
            last_if: None,
            unknown: false,
            file_overrides,
            spliced: false,
        }
    }

    /// The scope of a conditional section's body or an included file:
    /// httpd splices them into the enclosing section.
    pub fn spliced(&self) -> Scope {
        let mut inner = self.clone();
        inner.spliced = true;
        inner
    }

    /// Whether this scope continues `parent` (see [`Scope::spliced`]).
    pub fn is_spliced_into(&self, _parent: &Scope) -> bool {
        self.spliced
    }

    fn htaccess(&self) -> bool {
        self.file_overrides == HTACCESS_OVERRIDES
    }

    /// The scope of the body of a section of `kind` opened in `self`.
    pub fn enter(&self, kind: SectionKind) -> Scope {
        if kind.is_conditional() {
            return self.spliced();
        }
        let mut inner = self.clone();
        inner.last_if = None;
        inner.spliced = false;
        let Some(name) = kind.canonical_name() else {
            inner.unknown = true;
            return inner;
        };
        inner.parent = Some(name);
        match kind {
            SectionKind::Directory
            | SectionKind::DirectoryMatch
            | SectionKind::Files
            | SectionKind::FilesMatch
            | SectionKind::If
            | SectionKind::ElseIf
            | SectionKind::Else
            | SectionKind::Proxy
            | SectionKind::ProxyMatch
                if !self.htaccess() =>
            {
                inner.overrides = SECTION_OVERRIDES;
            }
            SectionKind::Location | SectionKind::LocationMatch => {
                inner.in_location = true;
                if !self.htaccess() {
                    inner.overrides = SECTION_OVERRIDES;
                }
            }
            SectionKind::Limit | SectionKind::LimitExcept => inner.in_limit = true,
            SectionKind::VirtualHost => inner.in_virtualhost = true,
            SectionKind::RequireAll | SectionKind::RequireAny | SectionKind::RequireNone => {
                inner.overrides = OR_AUTHCFG;
            }
            _ => {}
        }
        inner
    }
}

/// Checks one directive read in `scope` (sections are named `<Name`):
/// httpd's message and a help line when httpd refuses it there.
pub(crate) fn check_command(name: &str, scope: &Scope) -> Option<(String, String)> {
    if scope.unknown {
        return None;
    }
    let command = find_command(name)?;
    let shown = command.name;
    let gt = if shown.starts_with('<') { ">" } else { "" };
    if command.checks & EXEC_ON_READ != 0 {
        if command.overrides & scope.file_overrides == 0 {
            return Some((
                format!("{shown} not allowed here"),
                format!(
                    "{shown}{gt} cannot be used in a .htaccess file (httpd answers 500 for every request below it); move it to the server configuration"
                ),
            ));
        }
        return None;
    }
    if command.overrides & scope.overrides == 0 {
        let message = match scope.parent {
            Some(parent) => format!("{shown} not allowed in <{parent}> context"),
            None => format!("{shown} not allowed here"),
        };
        return Some((message, placement_help(command, scope)));
    }
    if command.checks & NOT_IN_VIRTUALHOST != 0 && scope.in_virtualhost {
        return Some((
            format!("{shown}{gt} cannot occur within <VirtualHost> section"),
            format!("move {shown}{gt} out of the <VirtualHost>, to the main server configuration"),
        ));
    }
    if command.checks & NOT_IN_LIMIT != 0 && scope.in_limit {
        return Some((
            format!("{shown}{gt} cannot occur within <Limit> or <LimitExcept> section"),
            format!("move {shown}{gt} out of the <Limit>/<LimitExcept> section; to restrict methods inside it use `Require method`"),
        ));
    }
    if command.checks & NOT_IN_LOCATION != 0 && scope.in_location {
        return Some((
            format!("{shown}{gt} cannot occur within <Location> section"),
            format!("{shown}{gt} matches file names, <Location> URLs: use <LocationMatch> with a pattern, or put {shown}{gt} in a <Directory>"),
        ));
    }
    if command.checks & VIRTUALHOST_ONLY != 0 && !scope.in_virtualhost {
        return Some((
            format!("{shown} only used in <VirtualHost>"),
            "put ServerAlias inside the <VirtualHost> whose names it adds to".to_string(),
        ));
    }
    if command.checks & AFTER_IF != 0
        && !matches!(scope.last_if, Some(SectionKind::If | SectionKind::ElseIf))
    {
        return Some((
            "<Else> or <ElseIf> section without previous <If> or <ElseIf> section in same scope".to_string(),
            "put the <Else>/<ElseIf> right after the <If> or <ElseIf> it continues, in the same section".to_string(),
        ));
    }
    None
}

fn placement_help(command: &Command, scope: &Scope) -> String {
    let name = command.name;
    let gt = if name.starts_with('<') { ">" } else { "" };
    let overrides = command.overrides;
    let class = if overrides & OR_AUTHCFG != 0 {
        " (AuthConfig)"
    } else if overrides & OR_LIMIT != 0 {
        " (Limit)"
    } else if overrides & OR_FILEINFO != 0 {
        " (FileInfo)"
    } else {
        ""
    };
    if scope.htaccess() && overrides & (RSRC_CONF | ACCESS_CONF) != 0 && overrides & OR_ALL == 0 {
        return format!(
            "{name}{gt} cannot be used in a .htaccess file (httpd answers 500 for every request below it); move it to the server configuration"
        );
    }
    if overrides & RSRC_CONF != 0 && overrides & OR_ALL == 0 {
        return format!("{name}{gt} belongs to the server or <VirtualHost> level, outside <Directory>, <Location> and <Files>");
    }
    if overrides == ACCESS_CONF {
        return format!("{name}{gt} only works inside a <Directory> section");
    }
    if overrides & (OR_AUTHCFG | OR_LIMIT) != 0 && overrides & RSRC_CONF == 0 {
        return format!(
            "put {name}{gt}{class} inside a <Directory>, <Location> or <Files> section (or a .htaccess file), not at the server or <VirtualHost> level"
        );
    }
    format!("move {name}{gt} to a context where httpd allows it")
}

/// The section kind of a node, for `<Else>` bookkeeping.
pub(crate) fn if_family(node: &Node) -> Option<SectionKind> {
    match node {
        Node::Section(section)
            if matches!(
                section.kind,
                SectionKind::If | SectionKind::ElseIf | SectionKind::Else
            ) =>
        {
            Some(section.kind)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lookup by length finds what a scan of the table in order finds,
    /// in any case.
    #[test]
    fn commands_are_found_as_by_a_scan_of_the_table() {
        for command in COMMANDS {
            for name in [
                command.name.to_string(),
                command.name.to_ascii_uppercase(),
                command.name.to_ascii_lowercase(),
            ] {
                let scanned = COMMANDS
                    .iter()
                    .find(|known| known.name.eq_ignore_ascii_case(&name));
                assert_eq!(
                    format!("{:?}", find_command(&name)),
                    format!("{scanned:?}"),
                    "{name}"
                );
            }
        }
        assert!(find_command("NoSuchDirective").is_none());
        assert!(find_command("").is_none());
    }

    fn message(name: &str, scope: &Scope) -> Option<String> {
        check_command(name, scope).map(|(message, _)| message)
    }

    #[test]
    fn httpd_wording() {
        let server = Scope::top(Context::Server);
        assert_eq!(
            message("Require", &server).as_deref(),
            Some("Require not allowed here")
        );
        assert_eq!(message("RewriteEngine", &server), None);
        let directory = server.enter(SectionKind::Directory);
        assert_eq!(
            message("<Directory", &directory).as_deref(),
            Some("<Directory not allowed in <Directory> context")
        );
        assert_eq!(
            message("Listen", &directory).as_deref(),
            Some("Listen not allowed in <Directory> context")
        );
        let vhost = server.enter(SectionKind::VirtualHost);
        assert_eq!(
            message("<VirtualHost", &vhost).as_deref(),
            Some("<VirtualHost> cannot occur within <VirtualHost> section")
        );
        let location = server.enter(SectionKind::Location);
        assert_eq!(
            message("<Files", &location).as_deref(),
            Some("<Files> cannot occur within <Location> section")
        );
        let htaccess = Scope::top(Context::Htaccess);
        assert_eq!(
            message("<Directory", &htaccess).as_deref(),
            Some("<Directory not allowed here")
        );
        assert_eq!(
            message("Include", &htaccess).as_deref(),
            Some("Include not allowed here")
        );
        assert_eq!(message("<IfModule", &htaccess), None);
        assert_eq!(message("Define", &directory), None);
        let require_all = directory.enter(SectionKind::RequireAll);
        assert_eq!(
            message("Options", &require_all).as_deref(),
            Some("Options not allowed in <RequireAll> context")
        );
    }
}
