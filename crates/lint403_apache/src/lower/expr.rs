//! httpd's `ap_expr` language (`<If>`, `Require expr`) read into the
//! shared [`Condition`]: the comparisons, regex matches, address tests and
//! boolean operators configurations use for access decisions. Anything
//! else becomes `Condition::Unknown` with its text, so the tracer says
//! "unknown" instead of guessing.

use lint403_core::model::{Condition, TextTest};
use lint403_core::{Cidr, Pattern};

/// Deepest nesting of parentheses and `!` read before giving up (a
/// hostile expression must not exhaust the stack).
const MAX_DEPTH: usize = 64;

/// The condition `text` describes.
pub fn parse(text: &str) -> Condition {
    let Some(tokens) = tokenize(text) else {
        return Condition::Unknown(text.to_string());
    };
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        depth: 0,
    };
    match parser.or() {
        Some(condition) if parser.at == tokens.len() => condition,
        _ => Condition::Unknown(text.to_string()),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `%{NAME}`.
    Var(String),
    /// A quoted string or a bare word.
    Str(String),
    /// `/re/` or `m#re#`, with the `i` flag.
    Regex(String, bool),
    Op(String),
    Open,
    Close,
    OpenBrace,
    CloseBrace,
    Comma,
    /// `name(` of a function call.
    Func(String),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        match c {
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '{' => {
                tokens.push(Token::OpenBrace);
                i += 1;
            }
            '}' => {
                tokens.push(Token::CloseBrace);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            '%' if chars.get(i + 1) == Some(&'{') => {
                let end = chars[i + 2..].iter().position(|&c| c == '}')? + i + 2;
                tokens.push(Token::Var(chars[i + 2..end].iter().collect()));
                i = end + 1;
            }
            '\'' | '"' => {
                let end = chars[i + 1..].iter().position(|&q| q == c)? + i + 1;
                tokens.push(Token::Str(chars[i + 1..end].iter().collect()));
                i = end + 1;
            }
            '/' => {
                let (regex, next) = read_regex(&chars, i + 1, '/')?;
                let (insensitive, next) = regex_flags(&chars, next);
                tokens.push(Token::Regex(regex, insensitive));
                i = next;
            }
            'm' if chars
                .get(i + 1)
                .is_some_and(|d| !d.is_alphanumeric() && !d.is_whitespace() && *d != '(') =>
            {
                let delimiter = chars[i + 1];
                let (regex, next) = read_regex(&chars, i + 2, delimiter)?;
                let (insensitive, next) = regex_flags(&chars, next);
                tokens.push(Token::Regex(regex, insensitive));
                i = next;
            }
            '=' | '!' | '<' | '>' | '&' | '|' => {
                let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
                let op = match two.as_str() {
                    "==" | "!=" | "<=" | ">=" | "=~" | "!~" | "&&" | "||" => two,
                    _ => c.to_string(),
                };
                i += op.chars().count();
                tokens.push(Token::Op(op));
            }
            '-' if chars.get(i + 1).is_some_and(char::is_ascii_alphabetic) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push(Token::Op(chars[start..i].iter().collect()));
            }
            _ => {
                let start = i;
                while i < chars.len()
                    && !chars[i].is_whitespace()
                    && !matches!(
                        chars[i],
                        '(' | ')' | '{' | '}' | ',' | '=' | '!' | '<' | '>'
                    )
                {
                    i += 1;
                }
                if i == start {
                    return None;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&'(') {
                    i += 1;
                    tokens.push(Token::Func(word.to_ascii_lowercase()));
                } else {
                    tokens.push(Token::Str(word));
                }
            }
        }
    }
    Some(tokens)
}

fn read_regex(chars: &[char], start: usize, delimiter: char) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut i = start;
    while i < chars.len() {
        if chars[i] == '\\' && chars.get(i + 1) == Some(&delimiter) {
            out.push(delimiter);
            i += 2;
            continue;
        }
        if chars[i] == delimiter {
            return Some((out, i + 1));
        }
        out.push(chars[i]);
        i += 1;
    }
    None
}

fn regex_flags(chars: &[char], mut at: usize) -> (bool, usize) {
    let mut insensitive = false;
    while at < chars.len() && chars[at].is_ascii_alphabetic() {
        insensitive |= chars[at] == 'i';
        at += 1;
    }
    (insensitive, at)
}

struct Parser<'t> {
    tokens: &'t [Token],
    at: usize,
    depth: usize,
}

/// One side of a comparison.
#[derive(Debug, Clone)]
enum Operand {
    /// What a variable or function names, as a condition subject.
    Subject(SubjectRef),
    Literal(String),
}

#[derive(Debug, Clone)]
enum SubjectRef {
    Header(String),
    Path,
    Query,
    ClientIp,
    Method,
    Var(String),
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn or(&mut self) -> Option<Condition> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Token::Op("||".to_string())) {
            self.at += 1;
            parts.push(self.and()?);
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            Condition::Any(parts)
        })
    }

    fn and(&mut self) -> Option<Condition> {
        let mut parts = vec![self.unary()?];
        while self.peek() == Some(&Token::Op("&&".to_string())) {
            self.at += 1;
            parts.push(self.unary()?);
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            Condition::All(parts)
        })
    }

    fn unary(&mut self) -> Option<Condition> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Option<Condition> {
        match self.peek()? {
            Token::Op(op) if op == "!" => {
                self.at += 1;
                Some(Condition::Not(Box::new(self.unary()?)))
            }
            Token::Open => {
                self.at += 1;
                let inner = self.or()?;
                (self.next()? == Token::Close).then_some(inner)
            }
            Token::Str(word) if word == "true" => {
                self.at += 1;
                Some(Condition::Always)
            }
            Token::Str(word) if word == "false" => {
                self.at += 1;
                Some(Condition::Not(Box::new(Condition::Always)))
            }
            Token::Op(op) if op.starts_with('-') => {
                let op = op.clone();
                self.at += 1;
                self.unary_test(&op)
            }
            _ => self.comparison(),
        }
    }

    fn unary_test(&mut self, op: &str) -> Option<Condition> {
        let operand = self.operand()?;
        match (op, operand) {
            ("-n", Operand::Subject(subject)) => Some(test_of(subject, TextTest::Present)),
            ("-z", Operand::Subject(subject)) => Some(test_of(subject, TextTest::Empty)),
            ("-R", Operand::Literal(text)) => Some(cidr_condition(&text)),
            _ => None,
        }
    }

    fn operand(&mut self) -> Option<Operand> {
        match self.next()? {
            Token::Var(name) => Some(Operand::Subject(variable(&name))),
            Token::Str(text) => Some(Operand::Literal(text)),
            Token::Func(name) => {
                let Token::Str(argument) = self.next()? else {
                    return None;
                };
                if self.next()? != Token::Close {
                    return None;
                }
                match name.as_str() {
                    "req" | "http" | "req_novary" => Some(Operand::Subject(SubjectRef::Header(
                        argument.to_ascii_lowercase(),
                    ))),
                    "env" | "reqenv" | "osenv" | "note" => {
                        Some(Operand::Subject(SubjectRef::Var(argument)))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn comparison(&mut self) -> Option<Condition> {
        let left = self.operand()?;
        let op = match self.next()? {
            Token::Op(op) => op,
            Token::Str(word) if word == "in" => "in".to_string(),
            _ => return None,
        };
        let Operand::Subject(subject) = left else {
            return None;
        };
        match op.as_str() {
            "=~" | "!~" => {
                let Token::Regex(regex, insensitive) = self.next()? else {
                    return None;
                };
                let test = test_of(
                    subject,
                    TextTest::Matches(Pattern::new(&regex, insensitive)),
                );
                Some(if op == "!~" {
                    Condition::Not(Box::new(test))
                } else {
                    test
                })
            }
            "==" | "=" | "!=" => {
                let Operand::Literal(value) = self.operand()? else {
                    return None;
                };
                let test = match subject {
                    SubjectRef::Method => Condition::Method(vec![value]),
                    SubjectRef::ClientIp => Cidr::parse(&value)
                        .map_or(Condition::Unknown(value.clone()), Condition::ClientIp),
                    other => test_of(
                        other,
                        TextTest::Equals {
                            value,
                            case_insensitive: false,
                        },
                    ),
                };
                Some(if op == "!=" {
                    Condition::Not(Box::new(test))
                } else {
                    test
                })
            }
            "-ipmatch" => {
                let Operand::Literal(value) = self.operand()? else {
                    return None;
                };
                matches!(subject, SubjectRef::ClientIp).then(|| cidr_condition(&value))
            }
            "in" => {
                if self.next()? != Token::OpenBrace {
                    return None;
                }
                let mut values = Vec::new();
                loop {
                    match self.next()? {
                        Token::Str(value) => values.push(value),
                        Token::Comma => {}
                        Token::CloseBrace => break,
                        _ => return None,
                    }
                }
                Some(match subject {
                    SubjectRef::Method => Condition::Method(values),
                    other => Condition::Any(
                        values
                            .into_iter()
                            .map(|value| {
                                test_of(
                                    other.clone(),
                                    TextTest::Equals {
                                        value,
                                        case_insensitive: false,
                                    },
                                )
                            })
                            .collect(),
                    ),
                })
            }
            _ => None,
        }
    }
}

fn cidr_condition(text: &str) -> Condition {
    crate::lower::parse_address(text)
        .map_or_else(|| Condition::Unknown(text.to_string()), Condition::ClientIp)
}

fn test_of(subject: SubjectRef, test: TextTest) -> Condition {
    match subject {
        SubjectRef::Header(name) => Condition::Header { name, test },
        SubjectRef::Path => Condition::Path(test),
        SubjectRef::Query => Condition::Query(test),
        SubjectRef::ClientIp => Condition::Var {
            name: "%{REMOTE_ADDR}".to_string(),
            test,
        },
        SubjectRef::Method => Condition::Var {
            name: "%{REQUEST_METHOD}".to_string(),
            test,
        },
        SubjectRef::Var(name) => Condition::Var { name, test },
    }
}

/// What `%{NAME}` refers to (`ap_expr` and `mod_rewrite` share these names).
fn variable(name: &str) -> SubjectRef {
    let upper = name.to_ascii_uppercase();
    if let Some(header) = upper.strip_prefix("HTTP:") {
        return SubjectRef::Header(header.to_ascii_lowercase());
    }
    if let Some(var) = name
        .strip_prefix("ENV:")
        .or_else(|| name.strip_prefix("env:"))
    {
        return SubjectRef::Var(var.to_string());
    }
    match upper.as_str() {
        "REQUEST_URI" => SubjectRef::Path,
        "QUERY_STRING" => SubjectRef::Query,
        "REMOTE_ADDR" => SubjectRef::ClientIp,
        "REQUEST_METHOD" => SubjectRef::Method,
        "HTTP_HOST" => SubjectRef::Header("host".to_string()),
        "HTTP_REFERER" => SubjectRef::Header("referer".to_string()),
        "HTTP_USER_AGENT" => SubjectRef::Header("user-agent".to_string()),
        "HTTP_COOKIE" => SubjectRef::Header("cookie".to_string()),
        "HTTP_ACCEPT" => SubjectRef::Header("accept".to_string()),
        "HTTP_FORWARDED" => SubjectRef::Header("forwarded".to_string()),
        "HTTP_PROXY_CONNECTION" => SubjectRef::Header("proxy-connection".to_string()),
        _ => SubjectRef::Var(format!("%{{{upper}}}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_forms() {
        assert!(matches!(
            parse("%{HTTP_HOST} == 'example.com'"),
            Condition::Header { ref name, .. } if name == "host"
        ));
        assert!(matches!(
            parse("%{REQUEST_URI} =~ m#^/admin#"),
            Condition::Path(TextTest::Matches(_))
        ));
        assert!(matches!(
            parse("-R '10.0.0.0/8' || true"),
            Condition::Any(_)
        ));
        assert!(matches!(
            parse("!(%{REQUEST_METHOD} in {'GET', 'HEAD'})"),
            Condition::Not(_)
        ));
        assert!(matches!(parse("foo bar baz"), Condition::Unknown(_)));
        assert!(matches!(parse(&"(".repeat(500)), Condition::Unknown(_)));
    }
}
