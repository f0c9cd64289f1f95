//! Rule metadata: what the registry knows of each rule besides its check.

use std::fmt;

use lint403_core::{Code, Diagnostic, Dialect};

use crate::RuleContext;

/// The families of DESIGN §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// `P` parse and directive context.
    Parse,
    /// `A` access lists.
    Access,
    /// `S` scope selection and inheritance.
    Scope,
    /// `B` over-broad blocks.
    Broad,
    /// `R` referer and hotlink.
    Referer,
    /// `I` index, listing and filesystem.
    Index,
    /// `T` auth and TLS.
    Auth,
}

impl Family {
    pub fn title(self) -> &'static str {
        match self {
            Family::Parse => "parse and directive context",
            Family::Access => "access lists",
            Family::Scope => "scope selection and inheritance",
            Family::Broad => "over-broad blocks",
            Family::Referer => "referer and hotlink",
            Family::Index => "index, listing and filesystem",
            Family::Auth => "auth and TLS",
        }
    }
}

/// How often this cause is behind a real 403, in the order the 403
/// troubleshooting flow checks causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Likelihood {
    Common,
    Occasional,
    Rare,
}

/// How much work the fix is once the cause is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FixDifficulty {
    /// One line changes.
    Trivial,
    /// A few lines, or one block restructured.
    Moderate,
    /// A design change (where the restriction lives, how scopes nest).
    Involved,
}

impl fmt::Display for Likelihood {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Likelihood::Common => "common",
            Likelihood::Occasional => "occasional",
            Likelihood::Rare => "rare",
        })
    }
}

impl fmt::Display for FixDifficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FixDifficulty::Trivial => "trivial",
            FixDifficulty::Moderate => "moderate",
            FixDifficulty::Involved => "involved",
        })
    }
}

/// One rule of the catalogue.
pub struct Rule {
    pub code: Code,
    pub family: Family,
    pub dialects: &'static [Dialect],
    pub likelihood: Likelihood,
    pub fix: FixDifficulty,
    /// The rule's source file; its `//!` lines are the documentation.
    pub source: &'static str,
    pub check: fn(&RuleContext<'_>, &mut Vec<Diagnostic>),
}

impl Rule {
    /// The Markdown documentation page body, from the file's `//!` lines.
    pub fn doc(&self) -> String {
        module_doc(self.source)
    }
}

/// The `//!` lines at the top of a Rust source file, without the markers.
pub fn module_doc(source: &str) -> String {
    let mut doc = String::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("//!") else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        doc.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        doc.push('\n');
    }
    doc
}

pub use crate::rules::RULES;
