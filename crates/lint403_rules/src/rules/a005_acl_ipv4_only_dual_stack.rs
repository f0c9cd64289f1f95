//! ## What it does
//! Flags an nginx access list that allows only IPv4 addresses and then
//! denies everyone (`deny all`), in a server that listens on IPv6
//! (`listen [::]:…`).
//!
//! ## Why it causes 403
//! nginx keeps separate lists per address family; `deny all` is added to
//! all of them, an IPv4 `allow` only to the IPv4 one. Every client that
//! connects over IPv6 — including the admin whose office network is
//! dual-stack, or `::1` when `localhost` resolves to IPv6 — matches only
//! `deny all` and gets 403.
//!
//! ## Example
//! ```nginx
//! server {
//!     listen [::]:443;
//!     location /admin/ {
//!         allow 198.51.100.0/24;
//!         deny all;
//!     }
//! }
//! ```
//! `GET /admin/` from `2001:db8::7` → 403.
//!
//! ## Fix
//! Add the IPv6 ranges of the same people:
//! ```nginx
//! server {
//!     listen [::]:443;
//!     location /admin/ {
//!         allow 198.51.100.0/24;
//!         allow 2001:db8:100::/48;
//!         deny all;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html>
//! - research B5: `allow 10.0.0.0/8; deny all;` refuses `[::1]` (observed 403)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, Subject};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "A005",
        name: "acl-ipv4-only-dual-stack",
        default_severity: Severity::Warning,
        summary: "an IPv4-only allow list ending in deny all on a server that listens on IPv6",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("a005_acl_ipv4_only_dual_stack.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for index in 0..tree.nodes.len() {
        let list = tree.acl(index);
        let has_v4_allow = list
            .iter()
            .any(|e| e.allow && matches!(e.subject, Subject::Net(net, _) if net.is_ipv4()));
        let has_v6 = list
            .iter()
            .any(|e| matches!(e.subject, Subject::Net(net, _) if net.is_ipv6()));
        if !has_v4_allow || has_v6 {
            continue;
        }
        let client: std::net::IpAddr = "2001:db8::7"
            .parse()
            .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
        let Some(deny) = nginx::decide(list, client).filter(|e| !e.allow) else {
            continue;
        };
        // The server(s) this list applies to.
        let server = tree.server_of(index);
        let servers: Vec<usize> = match server {
            Some(server) => vec![server],
            None => (0..tree.nodes.len())
                .filter(|&s| {
                    tree.kind(s) == "server"
                        && tree.is_within(s, index)
                        && tree.effective_acl(s) == Some(index)
                })
                .collect(),
        };
        let Some(listen) = servers.iter().find_map(|&server| {
            tree.own(server, &["listen"])
                .find(|entry| entry.arg(0).is_some_and(|a| a.starts_with('[')))
                .copied()
        }) else {
            continue;
        };
        let path = tree.sample_path(index);
        let address = listen.arg(0).unwrap_or_default();
        let diagnostic = Diagnostic::new(
                RULE.code,
                deny.entry.head_span(),
                format!(
                    "GET {path} from {client} → 403: the server listens on IPv6 (`listen {address}`) but this list allows only IPv4 addresses, so every IPv6 client meets `deny all`"
                ),
            )
            .with_label("refuses every IPv6 client")
            .with_related(listen.head_span(), "accepts IPv6 clients")
            .with_help("add `allow` entries for the IPv6 ranges of the same clients (e.g. `allow ::1;` for local tools)");
        if server.is_some() {
            out.push(diagnostic);
        } else {
            // A list outside the servers names the first one it reaches.
            context.report_once(&[deny.entry.span()], diagnostic, out);
        }
    }
}
