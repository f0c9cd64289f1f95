//! What `trace` answers: the status, the outcome, and the chain of
//! configuration lines that led there.

use crate::source::Span;

/// The answer to one request.
#[derive(Debug, Clone)]
pub struct Verdict {
    /// `None` when [`Outcome::Unknown`].
    pub status: Option<u16>,
    /// IIS substatus (403.6, 403.14, …).
    pub substatus: Option<u16>,
    pub outcome: Outcome,
    /// The lines that decide the outcome, the deciding one first.
    pub decided_by: Vec<Span>,
    /// Every step of the evaluation in order, for the explanation.
    pub steps: Vec<Step>,
    /// How to change the outcome, when it is a refusal.
    pub fix: Option<String>,
    /// Why lint403 could not decide, for [`Outcome::Unknown`].
    pub unknown: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Forbidden,
    Allowed,
    Unauthorized,
    NotFound,
    Other,
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Forbidden => "forbidden",
            Outcome::Allowed => "allowed",
            Outcome::Unauthorized => "unauthorized",
            Outcome::NotFound => "not_found",
            Outcome::Other => "other",
            Outcome::Unknown => "unknown",
        }
    }

    /// The outcome a status means.
    pub fn of_status(status: u16) -> Outcome {
        match status {
            403 => Outcome::Forbidden,
            401 => Outcome::Unauthorized,
            404 => Outcome::NotFound,
            200..=399 => Outcome::Allowed,
            _ => Outcome::Other,
        }
    }
}

/// One step of an evaluation.
#[derive(Debug, Clone)]
pub struct Step {
    pub role: StepRole,
    /// The line it is about; `None` for a server default.
    pub span: Option<Span>,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRole {
    /// The site chosen for the request.
    Site,
    /// A scope that applies.
    Scope,
    /// A rule that was evaluated and did not decide.
    Evaluated,
    /// The rule that decided.
    Decided,
    /// A rule that would have changed the outcome had it come first.
    WouldChange,
    /// A server default that applied (no line of the configuration).
    Default,
    /// A fact about the filesystem under the document root.
    Filesystem,
}

impl StepRole {
    pub fn as_str(self) -> &'static str {
        match self {
            StepRole::Site => "site",
            StepRole::Scope => "scope",
            StepRole::Evaluated => "evaluated",
            StepRole::Decided => "decided",
            StepRole::WouldChange => "would-change",
            StepRole::Default => "default",
            StepRole::Filesystem => "filesystem",
        }
    }
}

impl Verdict {
    /// A verdict with `status` decided by `span` (if any).
    pub fn status(status: u16, steps: Vec<Step>) -> Verdict {
        let decided_by = steps
            .iter()
            .rev()
            .filter(|step| step.role == StepRole::Decided)
            .filter_map(|step| step.span)
            .collect();
        Verdict {
            status: Some(status),
            substatus: None,
            outcome: Outcome::of_status(status),
            decided_by,
            steps,
            fix: None,
            unknown: None,
        }
    }

    /// lint403 cannot decide, and says why.
    pub fn unknown(reason: impl Into<String>, steps: Vec<Step>) -> Verdict {
        Verdict {
            status: None,
            substatus: None,
            outcome: Outcome::Unknown,
            decided_by: Vec::new(),
            steps,
            fix: None,
            unknown: Some(reason.into()),
        }
    }

    #[must_use]
    pub fn with_fix(mut self, fix: impl Into<String>) -> Verdict {
        self.fix = Some(fix.into());
        self
    }

    pub fn is_forbidden(&self) -> bool {
        self.outcome == Outcome::Forbidden
    }
}

impl Step {
    pub fn new(role: StepRole, span: Option<Span>, text: impl Into<String>) -> Step {
        Step {
            role,
            span,
            text: text.into(),
        }
    }
}

/// What a tracer may assume beyond the configuration it reads.
#[derive(Debug, Clone, Default)]
pub struct TraceOptions {
    /// Where document roots, `.htaccess` files, folder `web.config`s and
    /// user files are read from.
    pub fs: crate::fsview::FsView,
    /// Assume the distribution's main configuration around a fragment
    /// (Debian's `apache2.conf`: `<Directory /> Require all denied`,
    /// `<Directory /var/www/> Require all granted`, `<FilesMatch "^\.ht">
    /// Require all denied`; nginx's `nginx.conf` `http {}` defaults).
    /// Off when the traced file is itself a main configuration.
    pub distribution_defaults: bool,
    /// Keep only the steps that decide ([`Verdict::decided_by`]): the
    /// probes of lint rules read the verdict and its deciding lines, never
    /// the explanation, and writing every step's text for each of them
    /// was a large part of a run's time. The Apache tracer keeps only the
    /// deciding steps; the nginx tracer keeps every step (it turns earlier
    /// steps into deciding ones when a later line says they decided) but
    /// writes no step text. The nginx lowering honours it too: the model
    /// keeps no setting its tracer does not read
    /// (`lint403_nginx::lower::read_by_tracer`).
    pub verdict_only: bool,
}
