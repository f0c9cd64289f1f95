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

use std::net::IpAddr;

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
    nginx::walk(config, context.sources, |visit| {
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
        let Some((address, prefix)) = parse_cidr(&entry) else {
            return;
        };
        let network = masked(address, prefix);
        if network == address {
            return;
        }
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

/// `a.b.c.d/n` or `x::y/n` as an address and a prefix length.
fn parse_cidr(entry: &str) -> Option<(IpAddr, u32)> {
    let (address, prefix) = entry.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    let prefix: u32 = prefix.parse().ok()?;
    let bits = if address.is_ipv4() { 32 } else { 128 };
    (prefix <= bits).then_some((address, prefix))
}

fn masked(address: IpAddr, prefix: u32) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        let (address, prefix) = parse_cidr("192.168.1.10/24").unwrap_or((IpAddr::from([0; 4]), 0));
        assert_eq!(masked(address, prefix).to_string(), "192.168.1.0");
        let (address, prefix) = parse_cidr("10.0.0.0/8").unwrap_or((IpAddr::from([0; 4]), 0));
        assert_eq!(masked(address, prefix), address);
        let (address, prefix) = parse_cidr("2001:db8::1/64").unwrap_or((IpAddr::from([0; 4]), 0));
        assert_eq!(masked(address, prefix).to_string(), "2001:db8::");
        assert!(parse_cidr("1.2.3.4/33").is_none());
        assert!(parse_cidr("all").is_none());
        let (address, prefix) = parse_cidr("1.2.3.4/0").unwrap_or((IpAddr::from([1; 4]), 9));
        assert_eq!(masked(address, prefix).to_string(), "0.0.0.0");
    }
}
