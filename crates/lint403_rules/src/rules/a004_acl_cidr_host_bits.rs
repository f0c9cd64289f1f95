//! ## What it does
//! Flags an `allow` or `deny` address whose prefix length leaves host bits
//! set, such as `192.168.1.10/24`.
//!
//! ## Why it causes 403
//! nginx does not refuse the entry: `nginx -t` only warns that the "low
//! address bits of 192.168.1.10/24 are meaningless" and then applies the
//! whole network `192.168.1.0/24`. Whoever wrote a single host with a
//! prefix meant one machine; nginx lets in (or shuts out) 255 others. A
//! `deny` written this way refuses neighbours with 403; an `allow` opens the
//! list to them.
//!
//! ## Example
//! ```nginx
//! location /admin/ {
//!     allow 192.168.1.10/24;
//!     deny all;
//! }
//! ```
//! `GET /admin/` from 192.168.1.77 is allowed, although only .10 was meant.
//!
//! ## Fix
//! Write the host without a prefix, or the network with its host bits
//! cleared:
//! ```nginx
//! location /admin/ {
//!     allow 192.168.1.10;
//!     deny all;
//! }
//! ```
//!
//! ## References
//! - <https://nginx.org/en/docs/http/ngx_http_access_module.html>
//! - nginx source `ngx_ptocidr` ("low address bits … are meaningless")

use lint403_core::{Code, Diagnostic, Dialect, Severity};

use crate::registry::{Family, FixDifficulty, Likelihood, Rule};
use crate::walk::nginx;
use crate::{Loaded, RuleContext};

pub const RULE: Rule = Rule {
    code: Code {
        code: "A004",
        name: "acl-cidr-host-bits",
        default_severity: Severity::Warning,
        summary: "an access-list address whose prefix leaves host bits set",
        doc: "",
    },
    family: Family::Access,
    dialects: &[Dialect::Nginx],
    likelihood: Likelihood::Occasional,
    fix: FixDifficulty::Trivial,
    source: include_str!("a004_acl_cidr_host_bits.rs"),
    check,
};

fn check(context: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
    let Loaded::Nginx(config) = context.config else {
        return;
    };
    // What a line means does not depend on where it is included: each
    // file is read once (a snippet included by every server was walked
    // once per server, and its findings were the same each time).
    nginx::each_directive(config, context.sources, |visit| {
        // Asked of every directive of the configuration: names by their
        // table entry, and only the first word read.
        let name = if visit.is("allow") {
            "allow"
        } else if visit.is("deny") {
            "deny"
        } else {
            return;
        };
        let Some(entry) = visit.arg(0) else {
            return;
        };
        // Only a prefixed address can have host bits; an address nginx
        // refuses is the validator's finding.
        let Some((address, _)) = entry.split_once('/') else {
            return;
        };
        let Some(cidr) = lint403_nginx::address::parse_cidr(&entry) else {
            return;
        };
        if !cidr.had_host_bits {
            return;
        }
        let (network, prefix) = (cidr.network, cidr.prefix);
        let effect = if name == "allow" {
            "lets in"
        } else {
            "refuses"
        };
        out.push(
            Diagnostic::new(
                RULE.code,
                visit.arg_span(0),
                format!(
                    "`{name} {entry}` has host bits set: nginx uses {network}/{prefix} and {effect} every address in it, not only {address}"
                ),
            )
            .with_label(format!("means {network}/{prefix}"))
            .with_help(format!(
                "write `{name} {address};` for the one host, or `{name} {network}/{prefix};` for the network"
            )),
        );
    });
}

#[cfg(test)]
mod tests {
    fn findings(text: &str) -> Vec<String> {
        crate::walk::nginx::run_check(super::check, text)
            .into_iter()
            .map(|diagnostic| diagnostic.message)
            .collect()
    }

    /// Addresses as nginx reads them (`nginx -t` warns about the first
    /// two, refuses the third and accepts the last two silently).
    #[test]
    fn host_bits_of_addresses_nginx_reads() {
        let found = findings(
            "http { server { location / {\n allow 192.168.001.10/24;\n deny 2001:db8::1/64;\n allow 1.2.3.4/+24;\n allow 10.0.0.0/008;\n allow 1.2.3.4/032;\n deny all;\n } } }\n",
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("nginx uses 192.168.1.0/24"), "{found:?}");
        assert!(found[1].contains("nginx uses 2001:db8::/64"), "{found:?}");
    }
}
