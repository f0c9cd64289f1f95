//! ## What it does
//! Flags nginx `set_real_ip_from 0.0.0.0/0` (or `::/0`) when an
//! `allow`/`deny` list is in effect in the same scope and the real IP is
//! read from a request header (`real_ip_header`, by default `X-Real-IP`).
//!
//! ## Why it causes 403
//! The realip module replaces the client address before the access phase.
//! Trusting every sender means any client can name the address it wants in
//! the header: `allow 10.0.0.0/8; deny all;` lets in anyone who sends
//! `X-Forwarded-For: 10.0.0.1` (a missing 403), and a `deny` is dodged the
//! same way.
//!
//! ## Example
//! ```nginx
//! server {
//!     set_real_ip_from 0.0.0.0/0;
//!     real_ip_header X-Forwarded-For;
//!     location /admin/ {
//!         allow 10.0.0.0/8;
//!         deny all;
//!     }
//! }
//! ```
//! `GET /admin/` from 203.0.113.7 with `X-Forwarded-For: 10.0.0.1` → 200.
//!
//! ## Fix
//! Trust only the load balancer or CDN ranges:
//! ```nginx
//! server {
//!     set_real_ip_from 192.0.2.10;
//!     real_ip_header X-Forwarded-For;
//!     location /admin/ {
//!         allow 10.0.0.0/8;
//!         deny all;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_realip_module.html>
//!   (`real_ip_header` defaults to `X-Real-IP`)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{self, Subject};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "A102",
        name: "realip-trusts-everyone",
        default_severity: Severity::Warning,
        summary:
            "set_real_ip_from trusts every client: allow/deny can be passed with a forged header",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Moderate,
    source: include_str!("a102_realip_trusts_everyone.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for index in 0..tree.nodes.len() {
        for trust in tree.own(index, &["set_real_ip_from"]) {
            let everyone = trust
                .arg(0)
                .and_then(|value| Subject::parse(&value))
                .is_some_and(Subject::is_everyone);
            if !everyone {
                continue;
            }
            let header = tree
                .effective_entry(index, "real_ip_header")
                .and_then(|entry| entry.arg(0).map(|h| (h.into_owned(), Some(entry))))
                .unwrap_or_else(|| ("X-Real-IP".to_string(), None));
            if header.0.eq_ignore_ascii_case("proxy_protocol") {
                continue;
            }
            // Lists in effect here or below.
            let mut lists: Vec<usize> = (0..tree.nodes.len())
                .filter(|&n| tree.is_within(n, index) && !tree.acl(n).is_empty())
                .collect();
            if let Some(above) = tree.effective_acl(index) {
                if !lists.contains(&above) {
                    lists.insert(0, above);
                }
            }
            let found = lists.iter().find_map(|&n| {
                let list = tree.acl(n);
                list.iter()
                    .find_map(|entry| match entry.subject {
                        Subject::Net(net, prefix) if entry.allow && prefix > 0 => {
                            let host = nginx::sample_host(net, prefix);
                            nginx::decide(list, host)
                                .is_some_and(|d| d.allow)
                                .then_some((host, entry.entry))
                        }
                        _ => None,
                    })
                    .map(|(host, entry)| (n, host, entry))
            });
            let Some((list_node, host, allow)) = found else {
                continue;
            };
            let path = tree.sample_path(list_node);
            let value = trust.arg(0).unwrap_or_default();
            let name = &header.0;
            let mut diagnostic = Diagnostic::new(
                RULE.code,
                trust.head_span(),
                format!(
                    "GET {path} from 203.0.113.7 with `{name}: {host}` → let through: `set_real_ip_from {value}` trusts the header from every client, so the allow list is passed by forging it"
                ),
            )
            .with_label("trusts every client")
            .with_related(allow.head_span(), "passed with a forged address")
            .with_help("list only your load balancer's or CDN's addresses in `set_real_ip_from`");
            if let Some(entry) = header.1 {
                diagnostic = diagnostic.with_related(entry.head_span(), "read from this header");
            }
            if tree.server_of(index).is_some() {
                out.push(diagnostic);
            } else {
                // Trusted outside the servers, it names the first list it opens.
                context.report_once(&[trust.span()], diagnostic, out);
            }
        }
    }
}
