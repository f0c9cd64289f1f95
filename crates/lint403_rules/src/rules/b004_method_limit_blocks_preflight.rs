//! ## What it does
//! Flags a `limit_except` that does not list `OPTIONS`, refuses other
//! methods with `deny`, and stands in a location that answers cross-origin
//! requests: one that sets `Access-Control-Allow-*` headers, or proxies to
//! an API.
//!
//! ## Why it causes 403
//! A browser sends a CORS preflight — `OPTIONS` with `Origin` and
//! `Access-Control-Request-Method` — before any cross-origin `PUT`,
//! `DELETE`, or `POST` with a JSON body. `limit_except GET POST` applies its
//! access list to every method it does not name, `OPTIONS` included, so the
//! preflight gets 403 and the browser never sends the real request
//! (observed on nginx 1.22.1: `OPTIONS /api/x` → 403).
//!
//! ## Example
//! ```nginx
//! server {
//!     listen 80;
//!     location /api/ {
//!         add_header Access-Control-Allow-Origin https://app.example always;
//!         limit_except GET POST {
//!             deny all;
//!         }
//!     }
//! }
//! ```
//! `OPTIONS /api/x` from any browser → 403.
//!
//! ## Fix
//! Name `OPTIONS` among the methods the block lets through:
//! ```nginx
//! server {
//!     listen 80;
//!     location /api/ {
//!         add_header Access-Control-Allow-Origin https://app.example always;
//!         limit_except GET POST OPTIONS {
//!             deny all;
//!         }
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_core_module.html#limit_except>
//!   (`GET` also allows `HEAD`; the block's access list applies to the
//!   other methods)
//! - <https://fetch.spec.whatwg.org/#cors-preflight-fetch>

use std::net::IpAddr;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{decide, Tree};
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "B004",
        name: "method-limit-blocks-preflight",
        default_severity: Severity::Warning,
        summary: "a method restriction that refuses CORS preflight (OPTIONS) requests",
        doc: "",
    },
    family: Family::Broad,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("b004_method_limit_blocks_preflight.rs"),
    check,
};

/// A browser's address: in no documentation network a config lists.
const CLIENT: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7));

/// Directives that hand a request to an application.
const PROXIES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for index in 0..tree.nodes.len() {
        let Some(block) = tree.node(index).block else {
            continue;
        };
        if !block.is("limit_except") {
            continue;
        }
        let methods: Vec<String> = block
            .args()
            .iter()
            .map(|method| method.to_ascii_uppercase())
            .collect();
        if methods.iter().any(|method| method == "OPTIONS") {
            continue;
        }
        let refuses = tree.effective_acl(index).is_some_and(|list_node| {
            let list = tree.acl(list_node);
            decide(list, CLIENT).is_some_and(|decider| !decider.allow)
        });
        if !refuses {
            continue;
        }
        let Some(location) = tree.node(index).parent() else {
            continue;
        };
        let Some(reason) = cross_origin(tree, location) else {
            continue;
        };
        let path = format!("{}x", with_slash(&tree.sample_path(location)));
        out.push(
            Diagnostic::new(
                RULE.code,
                block.head_span(),
                format!(
                    "OPTIONS {path} (a CORS preflight) from any browser → 403: `limit_except {}` does not name OPTIONS, and this location {reason}",
                    methods.join(" ")
                ),
            )
            .with_label("refuses OPTIONS")
            .with_help(format!(
                "write `limit_except {} OPTIONS` so preflight requests reach the application",
                methods.join(" ")
            )),
        );
    }
}

/// Why the location answers cross-origin requests, if it does.
fn cross_origin(tree: &Tree<'_>, location: usize) -> Option<&'static str> {
    let sets_cors = tree.ancestors(location).any(|node| {
        tree.own(node, &["add_header"]).any(|entry| {
            entry.arg(0).is_some_and(|name| {
                name.to_ascii_lowercase()
                    .starts_with("access-control-allow-")
            })
        })
    });
    if sets_cors {
        return Some("sets Access-Control-Allow-* headers");
    }
    let proxies = tree.own(location, PROXIES).next().is_some();
    let api_path = tree
        .sample_path(location)
        .to_ascii_lowercase()
        .contains("api");
    (proxies && api_path).then_some("proxies an API")
}

fn with_slash(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}
