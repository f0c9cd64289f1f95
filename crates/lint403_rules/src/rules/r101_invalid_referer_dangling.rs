//! ## What it does
//! Flags an `if ($invalid_referer)` where no `valid_referers` is in effect
//! — for example a server-level `if` while `valid_referers` sits only in a
//! location. Also flags the reverse: `valid_referers` in a configuration
//! that never reads `$invalid_referer` (it then refuses nothing).
//!
//! ## Why it causes 403
//! Without `valid_referers` in effect, `$invalid_referer` is always empty
//! (valid): the hotlink check never fires and every foreign Referer gets
//! through (a missing 403). nginx evaluates the variable with the
//! configuration of the block where the `if` stands; a server-level `if`
//! does not see a location's `valid_referers`.
//!
//! ## Example
//! ```nginx
//! server {
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//!     location / {
//!         valid_referers none blocked server_names;
//!     }
//! }
//! ```
//! `GET /` with `Referer: https://evil.test/` → 200.
//!
//! ## Fix
//! ```nginx
//! server {
//!     valid_referers none blocked server_names;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_referer_module.html>
//! - research B8: a server-level `if ($invalid_referer)` ignores a
//!   location-level `valid_referers` (observed 200)

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::Tree;
use crate::RuleContext;

pub const RULE: Rule = Rule {
    code: Code {
        code: "R101",
        name: "invalid-referer-dangling",
        default_severity: Severity::Warning,
        summary: "$invalid_referer read where no valid_referers is in effect: always empty",
        doc: "",
    },
    family: Family::Referer,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("r101_invalid_referer_dangling.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Some(tree) = context.nginx_tree() else {
        return;
    };
    for (index, condition, _) in tree.invalid_referer_ifs() {
        let Ok(None) = tree.valid_referers(index) else {
            continue;
        };
        let path = tree.sample_path(index);
        let mut diagnostic = Diagnostic::new(
            RULE.code,
            condition.head_span(),
            format!(
                "GET {path} with `Referer: https://evil.test/` → not refused: no `valid_referers` is in effect here, so `$invalid_referer` is always empty and this check never fires"
            ),
        )
        .with_label("always empty here")
        .with_help("put `valid_referers` in the same block as this `if` (or in its server)");
        if let Some(server) = tree.server_of(index) {
            for (other, node) in tree.nodes.iter().enumerate() {
                if other != index && tree.is_within(other, server) {
                    for entry in node.entries.iter().filter(|e| e.is("valid_referers")) {
                        diagnostic = diagnostic
                            .with_related(entry.head_span(), "not in effect where the `if` stands");
                    }
                }
            }
        }
        out.push(diagnostic);
    }
    unused(context, tree, out);
}

/// `valid_referers` while nothing in the configuration reads
/// `$invalid_referer` (a fragment's includer might: fragments are skipped).
fn unused(context: &RuleContext<'_>, tree: &Tree<'_>, out: &mut Vec<Diagnostic>) {
    if tree.fragment && tree.kind(0) != "http" {
        return;
    }
    // Asked of the whole configuration: a window of servers may hold the
    // `valid_referers` while the `if` stands in another.
    if context.nginx_reads_invalid_referer() {
        return;
    }
    for node in &tree.nodes {
        for entry in node.entries.iter().filter(|e| e.is("valid_referers")) {
            out.push(
                Diagnostic::new(
                    RULE.code,
                    entry.head_span(),
                    "GET /images/photo.png with `Referer: https://evil.test/` → not refused: nothing reads `$invalid_referer`, so this `valid_referers` refuses nobody",
                )
                .with_label("never used")
                .with_help("add `if ($invalid_referer) { return 403; }` where the check should apply, or remove the line"),
            );
        }
    }
}
