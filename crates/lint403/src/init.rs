//! `lint403 init`: a commented starter `.lint403.yaml`.

/// The starter file. Every key is shown; the active ones are the defaults,
/// so the file changes nothing until it is edited.
pub const STARTER: &str = r#"# Configuration of lint403 — https://github.com/lint403/lint403/blob/main/docs/configuration.md
# Keys and values are checked: a typo is an error, not a silent no-op.

# Codes to report: codes (A001), names (acl-entry-shadowed) or prefixes (A, A2).
# Leave it out to report everything.
# select: [A, B, S, R, I, T, P]

# Codes never to report.
ignore: []

# Severity per code: error | warning | info.
# severity:
#   B001: error

# Lowest severity that makes `lint403 check` exit 1: error | warning | info | none.
failure-threshold: warning

# Codes to ignore in some files (globs relative to this file; `**` spans directories).
# per-file-ignores:
#   "vendor/**": [P]

# Force a dialect where detection cannot tell (nginx | apache | iis).
# dialects:
#   "deploy/proxy/*.conf": nginx

# Where absolute paths of the server (includes, document roots) live in this repository.
# paths:
#   /etc/nginx: deploy/nginx
#   /var/www/example: site

# Facts rules need that the files do not show.
# site:
#   names: [example.com]
#   ipv6: true
#   behind-proxy: [10.0.0.0/8]
#   apache-version: "2.4"

# Requests that must stay allowed or denied, traced on every check
# (METHOD /path [from IP] [host HOST] [referer URL] [user NAME] [header "Name: value"]).
# expect:
#   - config: deploy/nginx/nginx.conf
#     allow: ["GET /.well-known/acme-challenge/t", "GET /"]
#     deny: ["GET /.git/config", "GET /admin/ from 203.0.113.7"]
"#;
