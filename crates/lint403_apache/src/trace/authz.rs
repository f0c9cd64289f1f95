//! `mod_authz_core`'s evaluation (`apply_authz_sections`), its merge of
//! sections (`merge_authz_core_dir_config`, `AuthMerging`), and
//! `mod_access_compat`'s `Order`/`Allow`/`Deny` check.

use std::net::IpAddr;

use lint403_core::model::{
    Action, CombineOp, Condition, Matcher, Order, Rule, RuleKind, Satisfy, Subject,
};
use lint403_core::{Request, Span};

use super::Vars;

/// The result of one provider or container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Authz {
    Granted,
    Denied,
    DeniedNoUser,
    Neutral,
}

/// An `authz_section_conf`: a provider, or a container of them.
#[derive(Debug, Clone)]
pub(super) enum Node<'m> {
    Leaf {
        rule: &'m Rule,
        /// The `<Limit>`/`<LimitExcept>` around it.
        limit: Option<&'m Matcher>,
    },
    Group {
        and: bool,
        negate: bool,
        children: Vec<Node<'m>>,
        span: Option<Span>,
    },
}

/// What the evaluation found, with the lines that decided it.
pub(super) struct Evaluation {
    pub result: Result<Authz, String>,
    pub deciding: Vec<Span>,
    pub trail: Vec<(Span, String)>,
}

/// Whether a method is covered by a `<Limit>`/`<LimitExcept>` (HEAD is
/// GET to httpd; names are case-sensitive).
pub(super) fn limit_covers(limit: Option<&Matcher>, method: &str) -> bool {
    let method = if method == "HEAD" { "GET" } else { method };
    match limit {
        Some(Matcher::Methods { methods, except }) => {
            methods.iter().any(|own| own == method) != *except
        }
        _ => true,
    }
}

impl<'m> Node<'m> {
    /// Builds the tree of one rule (`Combine` or `Access`).
    pub fn from_rule(rule: &'m Rule, limit: Option<&'m Matcher>) -> Node<'m> {
        match &rule.kind {
            RuleKind::Combine { op, children } => Node::Group {
                and: *op == CombineOp::All,
                negate: *op == CombineOp::None,
                children: children
                    .iter()
                    .map(|child| Node::from_rule(child, limit))
                    .collect(),
                span: Some(rule.span),
            },
            _ => Node::Leaf { rule, limit },
        }
    }

    fn applies_to(&self, method: &str) -> bool {
        match self {
            Node::Leaf { limit, .. } => limit_covers(*limit, method),
            Node::Group { children, .. } => children.iter().any(|child| child.applies_to(method)),
        }
    }
}

pub(super) struct Context<'a> {
    pub request: &'a Request,
    pub vars: &'a Vars<'a>,
    pub user: Option<&'a str>,
    /// Groups of the user, when the group file was read.
    pub groups: Option<&'a [String]>,
    /// Whether [`Evaluation::trail`] is written.
    pub explain: bool,
}

/// `apply_authz_sections`.
pub(super) fn evaluate(node: &Node<'_>, parent_and: bool, context: &Context<'_>) -> Evaluation {
    let mut evaluation = Evaluation {
        result: Ok(Authz::Neutral),
        deciding: Vec::new(),
        trail: Vec::new(),
    };
    if !node.applies_to(&context.request.method) {
        evaluation.result = Ok(if parent_and {
            Authz::Granted
        } else {
            Authz::Neutral
        });
        return evaluation;
    }
    match node {
        Node::Leaf { rule, .. } => {
            let (result, negate) = leaf(rule, context);
            let result = result.map(|result| if negate { negated(result) } else { result });
            if let (Ok(result), true) = (&result, context.explain) {
                let result = *result;
                evaluation
                    .trail
                    .push((rule.span, format!("{}: {}", describe(rule), name(result))));
            }
            evaluation.deciding.push(rule.span);
            evaluation.result = result;
        }
        Node::Group {
            and,
            negate,
            children,
            span,
            ..
        } => {
            let mut result = Authz::Neutral;
            let mut unknown: Option<String> = None;
            let mut deciding = Vec::new();
            for child in children {
                let inner = evaluate(child, *and, context);
                evaluation.trail.extend(inner.trail);
                let child_result = match inner.result {
                    Ok(result) => result,
                    Err(reason) => {
                        unknown.get_or_insert(reason);
                        continue;
                    }
                };
                if child_result == Authz::Neutral {
                    continue;
                }
                if *and {
                    if child_result == Authz::Denied {
                        result = Authz::Denied;
                        deciding = inner.deciding;
                        unknown = None;
                        break;
                    }
                    if (child_result == Authz::DeniedNoUser && result != Authz::Denied)
                        || result == Authz::Neutral
                    {
                        result = child_result;
                        deciding = inner.deciding;
                    }
                } else {
                    if child_result == Authz::Granted {
                        result = Authz::Granted;
                        deciding = inner.deciding;
                        unknown = None;
                        break;
                    }
                    if (child_result == Authz::DeniedNoUser && result == Authz::Denied)
                        || result == Authz::Neutral
                    {
                        result = child_result;
                        deciding.extend(inner.deciding);
                    } else if child_result == Authz::Denied {
                        deciding.extend(inner.deciding);
                    }
                }
            }
            if let Some(reason) = unknown {
                evaluation.result = Err(reason);
                return evaluation;
            }
            if *negate {
                result = negated(result);
            }
            if let Some(span) = span {
                if deciding.is_empty() {
                    deciding.push(*span);
                }
            }
            evaluation.deciding = deciding;
            evaluation.result = Ok(result);
        }
    }
    evaluation
}

fn negated(result: Authz) -> Authz {
    match result {
        Authz::Granted => Authz::Denied,
        Authz::Denied | Authz::DeniedNoUser | Authz::Neutral => Authz::Neutral,
    }
}

/// A provider line as httpd's debug log names it (`Require ip …`).
fn describe(rule: &Rule) -> String {
    let RuleKind::Access {
        action,
        subject,
        negated,
    } = &rule.kind
    else {
        return "Require".to_string();
    };
    let not = if *negated { "not " } else { "" };
    let what = match subject {
        Subject::All if *action == Action::Allow => "all granted".to_string(),
        Subject::All => "all denied".to_string(),
        Subject::Ip(cidr) => format!("ip {cidr}"),
        Subject::Host(host) => format!("host {host}"),
        Subject::Env(var) => format!("env {var}"),
        Subject::User(users) => format!("user {}", users.join(" ")),
        Subject::Group(groups) => format!("group {}", groups.join(" ")),
        Subject::ValidUser => "valid-user".to_string(),
        Subject::Method(methods) => format!("method {}", methods.join(" ")),
        Subject::Expr(_) => "expr".to_string(),
        Subject::Unknown(words) => words.clone(),
        Subject::Anonymous | Subject::Unix => "?".to_string(),
    };
    format!("authorization result of Require {not}{what}")
}

pub(super) fn name(result: Authz) -> &'static str {
    match result {
        Authz::Granted => "granted",
        Authz::Denied => "denied",
        Authz::DeniedNoUser => "denied (no authenticated user yet)",
        Authz::Neutral => "neutral",
    }
}

/// One provider: its result and whether the line is `Require not`.
fn leaf(rule: &Rule, context: &Context<'_>) -> (Result<Authz, String>, bool) {
    let RuleKind::Access {
        action,
        subject,
        negated,
    } = &rule.kind
    else {
        return (Ok(Authz::Neutral), false);
    };
    let granted = |yes: bool| Ok(if yes { Authz::Granted } else { Authz::Denied });
    let result = match subject {
        Subject::All => granted(*action == Action::Allow),
        Subject::Ip(cidr) => granted(cidr.contains(context.request.client_ip)),
        Subject::Host(name) => match reverse_name(context.request.client_ip) {
            Some(host) => granted(host_in_domain(name, &host)),
            None => Err(format!(
                "`Require host {name}` depends on the reverse DNS of {}",
                context.request.client_ip
            )),
        },
        Subject::Env(var) => granted(context.vars.env.contains_key(var)),
        Subject::User(users) => match context.user {
            None => Ok(Authz::DeniedNoUser),
            Some(user) => granted(users.iter().any(|own| own == user)),
        },
        Subject::Group(groups) => match (context.user, context.groups) {
            (None, _) => Ok(Authz::DeniedNoUser),
            (Some(_), Some(member_of)) => {
                granted(groups.iter().any(|group| member_of.contains(group)))
            }
            (Some(user), None) => Err(format!(
                "the AuthGroupFile that says whether {user} is in {} is not readable",
                groups.join(" ")
            )),
        },
        Subject::ValidUser => Ok(if context.user.is_some() {
            Authz::Granted
        } else {
            Authz::DeniedNoUser
        }),
        Subject::Method(methods) => {
            let method = if context.request.method == "HEAD" {
                "GET"
            } else {
                context.request.method.as_str()
            };
            granted(methods.iter().any(|own| own == method))
        }
        Subject::Expr(condition) => match eval_condition(condition, context) {
            Some(holds) => granted(holds),
            None => Err("a `Require expr` lint403 cannot evaluate".to_string()),
        },
        Subject::Anonymous | Subject::Unix => Ok(Authz::Denied),
        Subject::Unknown(words) => Err(format!("`Require {words}` is not modelled")),
    };
    (result, *negated)
}

fn eval_condition(condition: &Condition, context: &Context<'_>) -> Option<bool> {
    context.vars.eval(condition)
}

/// The name the client's address reverses to, where lint403 can know it:
/// the loopback addresses are `localhost` (`/etc/hosts`); any other
/// address needs DNS.
pub(super) fn reverse_name(address: IpAddr) -> Option<String> {
    let address = lint403_core::net::unmap(address);
    match address {
        IpAddr::V4(v4) if v4.octets() == [127, 0, 0, 1] => Some("localhost".to_string()),
        IpAddr::V6(v6) if v6.is_loopback() => Some("localhost".to_string()),
        _ => None,
    }
}

/// `in_domain`: `example.com` covers `example.com` and `*.example.com`.
pub(super) fn host_in_domain(domain: &str, host: &str) -> bool {
    let domain = domain.trim_start_matches('.').to_ascii_lowercase();
    let host = host.to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// A `mod_authz_core` configuration: one section's own, or merged.
#[derive(Debug, Clone, Default)]
pub(super) struct AuthzConf<'m> {
    pub section: Option<Node<'m>>,
    /// `AuthMerging`: `None` when unset.
    pub op: Option<lint403_core::model::AuthMerging>,
    pub forbidden_on_fail: Option<bool>,
}

/// `merge_authz_core_dir_config`.
pub(super) fn merge<'m>(base: &AuthzConf<'m>, new: &AuthzConf<'m>) -> AuthzConf<'m> {
    use lint403_core::model::AuthMerging;
    let forbidden_on_fail = new.forbidden_on_fail.or(base.forbidden_on_fail);
    if new.op.is_none() && new.section.is_none() && base.section.is_some() {
        return AuthzConf {
            forbidden_on_fail,
            ..base.clone()
        };
    }
    if matches!(new.op, None | Some(AuthMerging::Off))
        || (base.section.is_none() && new.section.is_none())
    {
        return AuthzConf {
            forbidden_on_fail,
            ..new.clone()
        };
    }
    let and = new.op == Some(AuthMerging::And);
    let section = match (base.section.clone(), new.section.clone()) {
        // The combinations are associative: joining onto a group of the
        // same kind keeps the tree flat (no recursion per merged section).
        (
            Some(Node::Group {
                and: base_and,
                negate: false,
                mut children,
                span: None,
            }),
            Some(new_section),
        ) if base_and == and => {
            children.push(new_section);
            Some(Node::Group {
                and,
                negate: false,
                children,
                span: None,
            })
        }
        (Some(base_section), Some(new_section)) => Some(Node::Group {
            and,
            negate: false,
            children: vec![base_section, new_section],
            span: None,
        }),
        (Some(base_section), None) => Some(base_section),
        (None, new_section) => new_section,
    };
    AuthzConf {
        section,
        op: new.op,
        forbidden_on_fail,
    }
}

/// `mod_access_compat`'s entries of the section in force.
#[derive(Debug, Clone, Default)]
pub(super) struct Compat<'m> {
    pub orders: Vec<(Order, &'m Rule, Option<&'m Matcher>)>,
    pub entries: Vec<(&'m Rule, Option<&'m Matcher>)>,
    pub satisfy: Vec<(Satisfy, &'m Rule, Option<&'m Matcher>)>,
}

impl Compat<'_> {
    pub fn order(&self, method: &str) -> (Order, Option<Span>) {
        self.orders
            .iter()
            .rev()
            .find(|(_, _, limit)| limit_covers(*limit, method))
            .map_or((Order::DenyAllow, None), |(order, rule, _)| {
                (*order, Some(rule.span))
            })
    }

    pub fn satisfy(&self, method: &str) -> (Satisfy, Option<Span>) {
        self.satisfy
            .iter()
            .rev()
            .find(|(_, _, limit)| limit_covers(*limit, method))
            .map_or((Satisfy::All, None), |(satisfy, rule, _)| {
                (*satisfy, Some(rule.span))
            })
    }

    /// `check_dir_access`: `Ok(allowed)` with the deciding lines.
    pub fn check(&self, request: &Request, env: &super::Env) -> Result<(bool, Vec<Span>), String> {
        let method = request.method.as_str();
        let (order, order_span) = self.order(method);
        let find = |action: Action| -> Result<Option<Span>, String> {
            for (rule, limit) in &self.entries {
                if !limit_covers(*limit, method) {
                    continue;
                }
                let RuleKind::Access {
                    action: own,
                    subject,
                    negated,
                } = &rule.kind
                else {
                    continue;
                };
                if *own != action {
                    continue;
                }
                let matched = match subject {
                    Subject::All => true,
                    Subject::Ip(cidr) => cidr.contains(request.client_ip),
                    Subject::Env(var) => env.contains_key(var) != *negated,
                    Subject::Host(name) => match reverse_name(request.client_ip) {
                        Some(host) => host_in_domain(name, &host),
                        None => {
                            return Err(format!(
                                "`from {name}` depends on the reverse DNS of {}",
                                request.client_ip
                            ))
                        }
                    },
                    _ => false,
                };
                if matched {
                    return Ok(Some(rule.span));
                }
            }
            Ok(None)
        };
        let allow = find(Action::Allow)?;
        let deny = find(Action::Deny)?;
        let mut deciding: Vec<Span> = Vec::new();
        let allowed = match order {
            Order::AllowDeny => {
                if let Some(span) = deny {
                    deciding.push(span);
                    false
                } else if let Some(span) = allow {
                    deciding.push(span);
                    true
                } else {
                    false
                }
            }
            Order::DenyAllow => {
                if let Some(span) = allow {
                    deciding.push(span);
                    true
                } else if let Some(span) = deny {
                    deciding.push(span);
                    false
                } else {
                    true
                }
            }
            Order::MutualFailure => {
                deciding.extend(deny.or(allow));
                allow.is_some() && deny.is_none()
            }
        };
        if let Some(span) = order_span {
            deciding.push(span);
        }
        Ok((allowed, deciding))
    }
}
