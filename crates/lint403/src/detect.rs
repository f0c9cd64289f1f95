//! Which server a file is written for: by name first, then by the
//! directories it sits in, then by what its lines look like.

use std::path::Path;

use lint403_core::Dialect;

/// How sure the detection is; a directory walk keeps only files detected
/// by name or directory, or by content when they carry a config extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Name,
    Directory,
    Content,
}

/// Whether a walk should look at a file at all: configuration names and
/// extensions, and files in the directories that hold extension-less
/// site files (`sites-enabled/default`).
pub fn is_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if is_htaccess_name(&lower) || is_web_config_variant(&lower) {
        return true;
    }
    let extension = Path::new(&lower)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    if matches!(
        extension,
        "conf" | "config" | "vhost" | "nginx" | "htaccess"
    ) {
        return true;
    }
    extension.is_empty() && in_directory_named(path, |dir| dir.starts_with("sites-"))
}

fn is_htaccess_name(lower: &str) -> bool {
    lower == ".htaccess"
        || lower.starts_with(".htaccess.")
        || lower == "htaccess"
        || lower == "htaccess.txt"
}

/// Copies and templates of a web.config (`web.config.txt`,
/// `root-web-config`): IIS only reads `web.config`, but these are what a
/// project ships and a user renames.
fn is_web_config_variant(lower: &str) -> bool {
    lower.contains("web.config") || lower.contains("web-config")
}

fn in_directory_named(path: &Path, test: impl Fn(&str) -> bool) -> bool {
    path.parent()
        .into_iter()
        .flat_map(Path::ancestors)
        .filter_map(|dir| dir.file_name()?.to_str())
        .any(|dir| test(&dir.to_ascii_lowercase()))
}

/// Detects the dialect of `path` whose text is `text`.
pub fn detect(path: &Path, text: &str) -> Option<(Dialect, Evidence)> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if is_htaccess_name(&name) || matches!(name.as_str(), "httpd.conf" | "apache2.conf") {
        return Some((Dialect::Apache, Evidence::Name));
    }
    if name == "nginx.conf" {
        return Some((Dialect::Nginx, Evidence::Name));
    }
    if name == "web.config" {
        return Some((Dialect::Iis, Evidence::Name));
    }
    if name.ends_with(".config") {
        return lint403_iis::looks_like_iis_config(text)
            .then_some((Dialect::Iis, Evidence::Content));
    }
    if in_directory_named(path, |dir| matches!(dir, "apache2" | "apache" | "httpd")) {
        return Some((Dialect::Apache, Evidence::Directory));
    }
    if in_directory_named(path, |dir| dir == "nginx") {
        return Some((Dialect::Nginx, Evidence::Directory));
    }
    if text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with("<?xml")
        && lint403_iis::looks_like_iis_config(text)
    {
        return Some((Dialect::Iis, Evidence::Content));
    }
    by_content(text).map(|dialect| (dialect, Evidence::Content))
}

/// Scores lines that only one of the two line-based dialects writes.
fn by_content(text: &str) -> Option<Dialect> {
    let (mut nginx, mut apache) = (0usize, 0usize);
    for line in text.lines().take(2000) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if line.ends_with(';') || line.ends_with('{') || line == "}" {
            nginx += 1;
        }
        if matches!(
            first,
            "server" | "location" | "upstream" | "listen" | "server_name" | "root" | "proxy_pass"
        ) {
            nginx += 2;
        }
        if line.starts_with('<') && !line.starts_with("<!--") {
            apache += 2;
        }
        if APACHE_WORDS
            .iter()
            .any(|word| first.eq_ignore_ascii_case(word))
        {
            apache += 2;
        }
    }
    match nginx.cmp(&apache) {
        std::cmp::Ordering::Greater => Some(Dialect::Nginx),
        std::cmp::Ordering::Less => Some(Dialect::Apache),
        std::cmp::Ordering::Equal => None,
    }
}

const APACHE_WORDS: &[&str] = &[
    "RewriteEngine",
    "RewriteRule",
    "RewriteCond",
    "Require",
    "Order",
    "Allow",
    "Deny",
    "Options",
    "DirectoryIndex",
    "ServerName",
    "ServerAlias",
    "DocumentRoot",
    "AllowOverride",
    "Header",
    "SetEnvIf",
    "SetEnvIfNoCase",
    "ErrorDocument",
    "AuthType",
    "AuthName",
    "AuthUserFile",
    "Redirect",
    "RedirectMatch",
    "AddType",
    "AddHandler",
    "ExpiresActive",
    "ExpiresByType",
    "LoadModule",
    "Include",
    "IncludeOptional",
    "Listen",
    "Satisfy",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn dialect(path: &str, text: &str) -> Option<Dialect> {
        detect(Path::new(path), text).map(|(dialect, _)| dialect)
    }

    #[test]
    fn by_name() {
        assert_eq!(dialect("x/.htaccess", ""), Some(Dialect::Apache));
        assert_eq!(dialect("x/nginx.conf", ""), Some(Dialect::Nginx));
        assert_eq!(dialect("x/Web.config", ""), Some(Dialect::Iis));
        assert_eq!(
            dialect("etc/apache2/apache2.conf", ""),
            Some(Dialect::Apache)
        );
    }

    #[test]
    fn by_directory() {
        assert_eq!(dialect("etc/nginx/conf.d/a.conf", ""), Some(Dialect::Nginx));
        assert_eq!(
            dialect("etc/httpd/conf.d/a.conf", ""),
            Some(Dialect::Apache)
        );
    }

    #[test]
    fn by_content() {
        let nginx = "server {\n  listen 80;\n  location / { deny all; }\n}\n";
        let apache = "<VirtualHost *:80>\n  ServerName x\n  Require all granted\n</VirtualHost>\n";
        assert_eq!(
            dialect("sites-enabled/default", nginx),
            Some(Dialect::Nginx)
        );
        assert_eq!(dialect("conf.d/site.conf", apache), Some(Dialect::Apache));
        assert_eq!(dialect("conf.d/empty.conf", "\n"), None);
        let xml = "<?xml version=\"1.0\"?>\n<configuration></configuration>";
        assert_eq!(dialect("app/Site.config", xml), Some(Dialect::Iis));
        assert_eq!(dialect("app/packages.config", "<packages/>"), None);
        assert_eq!(dialect("cms/web.config.txt", xml), Some(Dialect::Iis));
        assert_eq!(dialect("tpl/root-web-config", xml), Some(Dialect::Iis));
    }

    #[test]
    fn candidates() {
        assert!(is_candidate(Path::new("a/b.conf")));
        assert!(is_candidate(Path::new("sites-enabled/default")));
        assert!(is_candidate(Path::new(".htaccess")));
        assert!(!is_candidate(Path::new("README.md")));
        assert!(!is_candidate(Path::new("src/main")));
        assert!(is_candidate(Path::new("joomla/web.config.txt")));
        assert!(is_candidate(Path::new("templates/root-web-config")));
    }
}
