//! Which module defines a directive, and which `AllowOverride` class a
//! `.htaccess` needs for it (httpd's command tables, `req_override`).
//! Used to tell "Invalid command" (no loaded module defines it: 500) from
//! "not allowed here" (the class is not granted: 500) from a directive the
//! tracer simply does not model.

/// An `AllowOverride` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    AuthConfig,
    FileInfo,
    Indexes,
    Limit,
    Options,
    /// Never allowed in `.htaccess` (server or `<Directory>` only).
    ServerOnly,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::AuthConfig => "AuthConfig",
            Class::FileInfo => "FileInfo",
            Class::Indexes => "Indexes",
            Class::Limit => "Limit",
            Class::Options => "Options",
            Class::ServerOnly => "(server config)",
        }
    }
}

use Class::{AuthConfig, FileInfo, Indexes, Limit, Options, ServerOnly};

/// `(directive, module, class)`; the module is the `LoadModule` symbol
/// (`core` for the server core and modules Debian compiles in).
const TABLE: &[(&str, &str, Class)] = &[
    // core (and compiled-in modules)
    ("AcceptPathInfo", "core", FileInfo),
    ("AccessFileName", "core", ServerOnly),
    ("AddDefaultCharset", "core", FileInfo),
    ("AddOutputFilterByType", "filter_module", FileInfo),
    ("AllowEncodedSlashes", "core", ServerOnly),
    ("AllowOverride", "core", ServerOnly),
    ("AllowOverrideList", "core", ServerOnly),
    ("CGIPassAuth", "core", AuthConfig),
    ("CGIVar", "core", FileInfo),
    ("ContentDigest", "core", Options),
    ("DefaultType", "core", FileInfo),
    ("Define", "core", ServerOnly),
    ("DocumentRoot", "core", ServerOnly),
    ("EnableMMAP", "core", FileInfo),
    ("EnableSendfile", "core", FileInfo),
    ("Error", "core", FileInfo),
    ("ErrorDocument", "core", FileInfo),
    ("FileETag", "core", FileInfo),
    ("ForceType", "core", FileInfo),
    ("HostnameLookups", "core", ServerOnly),
    ("Include", "core", ServerOnly),
    ("IncludeOptional", "core", ServerOnly),
    ("LimitRequestBody", "core", FileInfo),
    ("LimitXMLRequestBody", "core", FileInfo),
    ("LogLevel", "core", ServerOnly),
    ("Options", "core", Options),
    ("QualifyRedirectURL", "core", FileInfo),
    ("RLimitCPU", "core", FileInfo),
    ("RLimitMEM", "core", FileInfo),
    ("RLimitNPROC", "core", FileInfo),
    ("ServerSignature", "core", FileInfo),
    ("SetHandler", "core", FileInfo),
    ("SetInputFilter", "core", FileInfo),
    ("SetOutputFilter", "core", FileInfo),
    ("UnDefine", "core", ServerOnly),
    // mod_authz_core
    ("Require", "authz_core_module", AuthConfig),
    ("AuthMerging", "authz_core_module", AuthConfig),
    (
        "AuthzSendForbiddenOnFailure",
        "authz_core_module",
        AuthConfig,
    ),
    // mod_authn_core
    ("AuthType", "authn_core_module", AuthConfig),
    ("AuthName", "authn_core_module", AuthConfig),
    // mod_auth_basic
    ("AuthBasicProvider", "auth_basic_module", AuthConfig),
    ("AuthBasicAuthoritative", "auth_basic_module", AuthConfig),
    ("AuthBasicFake", "auth_basic_module", AuthConfig),
    (
        "AuthBasicUseDigestAlgorithm",
        "auth_basic_module",
        AuthConfig,
    ),
    // mod_authn_file, mod_authz_groupfile, mod_authz_user
    ("AuthUserFile", "authn_file_module", AuthConfig),
    ("AuthGroupFile", "authz_groupfile_module", AuthConfig),
    // mod_access_compat
    ("Order", "access_compat_module", Limit),
    ("Allow", "access_compat_module", Limit),
    ("Deny", "access_compat_module", Limit),
    ("Satisfy", "access_compat_module", AuthConfig),
    // mod_rewrite
    ("RewriteEngine", "rewrite_module", FileInfo),
    ("RewriteOptions", "rewrite_module", FileInfo),
    ("RewriteBase", "rewrite_module", FileInfo),
    ("RewriteCond", "rewrite_module", FileInfo),
    ("RewriteRule", "rewrite_module", FileInfo),
    ("RewriteMap", "rewrite_module", ServerOnly),
    // mod_setenvif
    ("SetEnvIf", "setenvif_module", FileInfo),
    ("SetEnvIfNoCase", "setenvif_module", FileInfo),
    ("SetEnvIfExpr", "setenvif_module", FileInfo),
    ("BrowserMatch", "setenvif_module", FileInfo),
    ("BrowserMatchNoCase", "setenvif_module", FileInfo),
    // mod_dir
    ("DirectoryIndex", "dir_module", Indexes),
    ("DirectoryIndexRedirect", "dir_module", Indexes),
    ("DirectorySlash", "dir_module", Indexes),
    ("DirectoryCheckHandler", "dir_module", Indexes),
    ("FallbackResource", "dir_module", Indexes),
    // mod_autoindex
    ("AddAlt", "autoindex_module", Indexes),
    ("AddAltByEncoding", "autoindex_module", Indexes),
    ("AddAltByType", "autoindex_module", Indexes),
    ("AddDescription", "autoindex_module", Indexes),
    ("AddIcon", "autoindex_module", Indexes),
    ("AddIconByEncoding", "autoindex_module", Indexes),
    ("AddIconByType", "autoindex_module", Indexes),
    ("DefaultIcon", "autoindex_module", Indexes),
    ("HeaderName", "autoindex_module", Indexes),
    ("IndexHeadInsert", "autoindex_module", Indexes),
    ("IndexIgnore", "autoindex_module", Indexes),
    ("IndexIgnoreReset", "autoindex_module", Indexes),
    ("IndexOptions", "autoindex_module", Indexes),
    ("IndexOrderDefault", "autoindex_module", Indexes),
    ("IndexStyleSheet", "autoindex_module", Indexes),
    ("ReadmeName", "autoindex_module", Indexes),
    // mod_mime
    ("AddCharset", "mime_module", FileInfo),
    ("AddEncoding", "mime_module", FileInfo),
    ("AddHandler", "mime_module", FileInfo),
    ("AddInputFilter", "mime_module", FileInfo),
    ("AddLanguage", "mime_module", FileInfo),
    ("AddOutputFilter", "mime_module", FileInfo),
    ("AddType", "mime_module", FileInfo),
    ("DefaultLanguage", "mime_module", FileInfo),
    ("RemoveCharset", "mime_module", FileInfo),
    ("RemoveEncoding", "mime_module", FileInfo),
    ("RemoveHandler", "mime_module", FileInfo),
    ("RemoveType", "mime_module", FileInfo),
    ("TypesConfig", "mime_module", ServerOnly),
    // mod_alias
    ("Alias", "alias_module", ServerOnly),
    ("AliasMatch", "alias_module", ServerOnly),
    ("Redirect", "alias_module", FileInfo),
    ("RedirectMatch", "alias_module", FileInfo),
    ("RedirectPermanent", "alias_module", FileInfo),
    ("RedirectTemp", "alias_module", FileInfo),
    ("ScriptAlias", "alias_module", ServerOnly),
    ("ScriptAliasMatch", "alias_module", ServerOnly),
    // mod_headers
    ("Header", "headers_module", FileInfo),
    ("RequestHeader", "headers_module", FileInfo),
    // mod_env
    ("PassEnv", "env_module", FileInfo),
    ("SetEnv", "env_module", FileInfo),
    ("UnsetEnv", "env_module", FileInfo),
    // mod_ssl
    ("SSLRequireSSL", "ssl_module", AuthConfig),
    ("SSLRequire", "ssl_module", AuthConfig),
    ("SSLOptions", "ssl_module", Options),
    // mod_expires, mod_deflate, mod_negotiation (common in .htaccess)
    ("ExpiresActive", "expires_module", Indexes),
    ("ExpiresByType", "expires_module", Indexes),
    ("ExpiresDefault", "expires_module", Indexes),
    ("ForceLanguagePriority", "negotiation_module", FileInfo),
    ("LanguagePriority", "negotiation_module", FileInfo),
];

/// The module and class of a directive httpd knows, if lint403 knows it.
pub fn lookup(name: &str) -> Option<(&'static str, Class)> {
    TABLE_BY_NAME
        .get(name)
        .map(|(_, module, class)| (*module, *class))
}

static TABLE_BY_NAME: std::sync::LazyLock<crate::names::ByName<(&str, &str, Class)>> =
    std::sync::LazyLock::new(|| crate::names::ByName::new(TABLE, |(name, _, _)| name));
