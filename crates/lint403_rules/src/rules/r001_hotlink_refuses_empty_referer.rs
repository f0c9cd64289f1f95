//! ## What it does
//! Flags an nginx hotlink check — `valid_referers` plus `if
//! ($invalid_referer) { return 403; }` — whose `valid_referers` lacks
//! `none`, in a block that serves pages (a server, `location /`, a PHP or
//! HTML location), not only media.
//!
//! ## Why it causes 403
//! A request without a `Referer` header is valid only when `valid_referers`
//! lists `none`. Direct visits, bookmarks, links from mail clients and
//! every page under `Referrer-Policy: no-referrer` send no Referer: they
//! all get 403.
//!
//! Media-only locations (`location ~* \.(jpg|png|gif)$`, `/images/`) are
//! not reported: refusing the empty Referer there is a deliberate, strict
//! hotlink policy.
//!
//! ## Example
//! ```nginx
//! server {
//!     server_name example.com;
//!     valid_referers server_names;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//! `GET /` with no Referer → 403.
//!
//! ## Fix
//! ```nginx
//! server {
//!     server_name example.com;
//!     valid_referers none blocked server_names;
//!     if ($invalid_referer) {
//!         return 403;
//!     }
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_referer_module.html>
//!   ("none: the Referer field is missing in the request header")

use std::collections::HashSet;

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx::{LocationKind, Tree};
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "R001",
        name: "hotlink-refuses-empty-referer",
        default_severity: Severity::Warning,
        summary: "a referer check without `none` refuses visits that send no Referer",
        doc: "",
    },
    family: Family::Referer,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Common,
    fix: FixDifficulty::Trivial,
    source: include_str!("r001_hotlink_refuses_empty_referer.rs"),
    check,
};

const MEDIA: [&str; 24] = [
    "jpg", "jpeg", "png", "gif", "webp", "svg", "ico", "bmp", "avif", "mp4", "mp3", "webm", "ogg",
    "avi", "mov", "flv", "swf", "woff", "ttf", "zip", "pdf", "css", "js", "wav",
];
const PAGES: [&str; 5] = ["html", "htm", "php", "/$", "asp"];
const MEDIA_DIRS: [&str; 12] = [
    "image", "img", "media", "upload", "photo", "video", "static", "asset", "file", "download",
    "picture", "thumb",
];

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Nginx(config) = context.config else {
        return;
    };
    let tree = Tree::build(config, context.sources);
    let mut seen = HashSet::new();
    for (index, condition, refusal) in tree.invalid_referer_ifs() {
        let Some(refusal) = refusal else {
            continue;
        };
        let Ok(Some(referers)) = tree.valid_referers(index) else {
            continue;
        };
        if referers.args().iter().any(|arg| arg == "none") {
            continue;
        }
        if media_only(&tree, index) {
            continue;
        }
        if !seen.insert(referers.span()) {
            continue;
        }
        let path = tree.sample_path(index);
        out.push(
            Diagnostic::new(
                RULE.code,
                referers.head_span(),
                format!(
                    "GET {path} with no Referer → 403: `valid_referers` has no `none`, so a direct visit, a bookmark or a page under `Referrer-Policy: no-referrer` is refused"
                ),
            )
            .with_label("no `none`")
            .with_related(condition.head_span(), "refuses when the Referer is not listed")
            .with_related(refusal.head_span(), "the 403")
            .with_help("add `none` (and usually `blocked`) to `valid_referers`"),
        );
    }
}

/// Whether the location enclosing `index` serves only media files.
fn media_only(tree: &Tree<'_>, index: usize) -> bool {
    let Some((kind, arg)) = tree
        .ancestors(index)
        .find_map(|i| tree.node(i).block.and_then(|block| block.location()))
    else {
        return false;
    };
    let arg = arg.to_ascii_lowercase();
    match kind {
        LocationKind::Regex => {
            MEDIA.iter().any(|ext| arg.contains(ext)) && !PAGES.iter().any(|p| arg.contains(p))
        }
        LocationKind::Prefix | LocationKind::PrefixNoRegex | LocationKind::Exact => {
            arg != "/" && MEDIA_DIRS.iter().any(|dir| arg.contains(dir))
        }
        LocationKind::Named => false,
    }
}
