//! Inline suppressions (DESIGN §5, `docs/configuration.md`):
//!
//! - `# lint403: ignore[CODE-or-name,...] reason` on its own line silences
//!   those codes on the next statement (nginx, Apache); in nginx also at
//!   the end of the statement's line. httpd reads a `#` after a directive
//!   as arguments, not as a comment, so in Apache files only the
//!   own-line form exists.
//! - `<!-- lint403: ignore[...] reason -->` before an element (web.config).
//! - `# lint403: file-ignore[...]` / `<!-- lint403: file-ignore[...] -->`
//!   before the first directive or element silences them in the whole file.
//!
//! A suppression that silences nothing, names no known code, or stands
//! where it cannot apply is itself reported (P011 unused-suppression).

use lint403_core::codes::UNUSED_SUPPRESSION;
use lint403_core::{Code, Diagnostic, Dialect, FileId, SourceMap, Span, TextRange};

use crate::config::select_codes;

/// One suppression comment.
#[derive(Debug)]
struct Suppression {
    file: FileId,
    /// The comment (for the unused report).
    span: TextRange,
    /// Codes, each with whether it silenced something.
    codes: Vec<(&'static Code, bool)>,
    /// 1-based lines it covers; `None`: the whole file.
    lines: Option<(usize, usize)>,
}

/// Removes the diagnostics that suppressions in their files silence, and
/// adds one P011 per suppression (or code of one) that silenced nothing.
pub fn apply(
    sources: &SourceMap,
    files: &[(FileId, Dialect)],
    codes: &[&'static Code],
    judged: &dyn Fn(&Code) -> bool,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut suppressions = Vec::new();
    let mut problems = Vec::new();
    for &(file, dialect) in files {
        let text = &sources.get(file).text;
        // A SIMD search: every file of the run is looked through, and
        // `str::contains` took a tenth of a second on a 44 MB tree.
        if memchr::memmem::find(text.as_bytes(), b"lint403:").is_none() {
            continue;
        }
        scan(file, text, dialect, codes, &mut suppressions, &mut problems);
    }
    if suppressions.is_empty() && problems.is_empty() {
        return;
    }
    diagnostics.retain(|diagnostic| {
        let file = diagnostic.span.file;
        let line = sources.get(file).line_col(diagnostic.span.range.start).line;
        let mut silenced = false;
        for suppression in suppressions.iter_mut().filter(|s| s.file == file) {
            let covers = suppression
                .lines
                .is_none_or(|(first, last)| (first..=last).contains(&line));
            if !covers {
                continue;
            }
            for (code, used) in &mut suppression.codes {
                if code.code == diagnostic.code.code {
                    *used = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    for suppression in &suppressions {
        let unused: Vec<&str> = suppression
            .codes
            .iter()
            // A code the configuration leaves out is not checked, so
            // whether its suppression still silences something is unknown.
            .filter(|(code, used)| !used && judged(code))
            .map(|(code, _)| code.code)
            .collect();
        if unused.is_empty() {
            continue;
        }
        let what = if unused.len() == suppression.codes.len() {
            "this suppression silences nothing".to_string()
        } else {
            format!("{} in this suppression silences nothing", unused.join(", "))
        };
        diagnostics.push(
            Diagnostic::new(
                UNUSED_SUPPRESSION,
                Span::new(suppression.file, suppression.span),
                format!("{what}: no {} diagnostic here", unused.join("/")),
            )
            .with_label("unused")
            .with_help("remove it (or the codes it no longer needs); the problem it silenced is gone or moved"),
        );
    }
    diagnostics.extend(problems);
}

/// One comment that names lint403: what it covers, or why it is refused.
fn scan(
    file: FileId,
    text: &str,
    dialect: Dialect,
    codes: &[&'static Code],
    suppressions: &mut Vec<Suppression>,
    problems: &mut Vec<Diagnostic>,
) {
    let comments = match dialect {
        Dialect::Iis => xml_comments(text),
        Dialect::Nginx | Dialect::Apache => hash_comments(text, dialect),
    };
    let mut seen_statement_before = Vec::new();
    // Whether a statement precedes each comment (for file-ignore placement).
    let first_statement = first_statement_offset(text, dialect, &comments);
    for comment in &comments {
        seen_statement_before
            .push(first_statement.is_some_and(|first| first < comment.range.start));
    }
    for (comment, after_statement) in comments.iter().zip(seen_statement_before) {
        let Some(directive) = parse_directive(&text[comment.body.start..comment.body.end]) else {
            continue;
        };
        let span = comment.range;
        let refuse = |problems: &mut Vec<Diagnostic>, message: String, help: &str| {
            problems.push(
                Diagnostic::new(UNUSED_SUPPRESSION, Span::new(file, span), message)
                    .with_label("not applied")
                    .with_help(help.to_string()),
            );
        };
        let (kind, words) = match directive {
            Ok(found) => found,
            Err(reason) => {
                refuse(
                    problems,
                    format!("malformed lint403 suppression: {reason}"),
                    "write `lint403: ignore[CODE,...] reason` or `lint403: file-ignore[CODE,...]`",
                );
                continue;
            }
        };
        let mut resolved = Vec::new();
        for word in &words {
            let matched = select_codes(codes, word);
            if matched.is_empty() {
                refuse(
                    problems,
                    format!("`{word}` in this suppression is not a lint403 code or name"),
                    "`lint403 rules` lists every code and name",
                );
            }
            for code in matched {
                if !resolved
                    .iter()
                    .any(|(own, _): &(&Code, bool)| own.code == code.code)
                {
                    resolved.push((code, false));
                }
            }
        }
        if resolved.is_empty() {
            continue;
        }
        let lines = match kind {
            Kind::File => {
                if after_statement {
                    refuse(
                        problems,
                        "`file-ignore` must stand before the first directive of the file".to_string(),
                        "move it to the top of the file, or use `ignore[...]` on the line before the statement",
                    );
                    continue;
                }
                None
            }
            Kind::Next => {
                if comment.trailing {
                    let line = line_of(text, comment.range.start);
                    Some((line, line))
                } else {
                    let Some(lines) = next_statement_lines(text, comment.range.end, dialect) else {
                        refuse(
                            problems,
                            "this suppression is followed by no statement".to_string(),
                            "put it on the line before the statement it silences",
                        );
                        continue;
                    };
                    Some(lines)
                }
            }
        };
        suppressions.push(Suppression {
            file,
            span,
            codes: resolved,
            lines,
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Next,
    File,
}

/// `lint403: ignore[A, B] reason` → the kind and the words in brackets.
fn parse_directive(body: &str) -> Option<Result<(Kind, Vec<String>), String>> {
    let rest = body.trim_start().strip_prefix("lint403:")?.trim_start();
    let (kind, rest) = if let Some(rest) = rest.strip_prefix("file-ignore") {
        (Kind::File, rest)
    } else if let Some(rest) = rest.strip_prefix("ignore") {
        (Kind::Next, rest)
    } else {
        return Some(Err(format!(
            "expected `ignore[...]` or `file-ignore[...]` after `lint403:`, got `{}`",
            rest.split_whitespace().next().unwrap_or("")
        )));
    };
    let Some(inside) = rest.strip_prefix('[') else {
        return Some(Err("the codes go in brackets: `ignore[A001]`".to_string()));
    };
    let Some((list, _reason)) = inside.split_once(']') else {
        return Some(Err("missing `]`".to_string()));
    };
    let words: Vec<String> = list
        .split(',')
        .map(|word| word.trim().to_string())
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() {
        return Some(Err("no code between the brackets".to_string()));
    }
    Some(Ok((kind, words)))
}

/// A comment: its whole range, the text inside, and whether a statement
/// stands before it on its line.
#[derive(Debug)]
struct Comment {
    range: TextRange,
    body: TextRange,
    trailing: bool,
}

/// `#` comments. nginx starts one at a `#` that begins a word (outside
/// quotes), also after a statement; httpd only on a line of its own.
fn hash_comments(text: &str, dialect: Dialect) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start().len();
        let start = match dialect {
            Dialect::Apache => content.trim_start().starts_with('#').then_some(indent),
            _ => nginx_comment_start(content),
        };
        if let Some(start) = start {
            let range = TextRange::new(offset + start, offset + content.len());
            out.push(Comment {
                range,
                body: TextRange::new(offset + start + 1, offset + content.len()),
                trailing: start > indent,
            });
        }
        offset += line.len();
    }
    out
}

fn nginx_comment_start(line: &str) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    let mut word_start = true;
    for (index, byte) in line.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, byte) {
            (_, b'\\') => escaped = true,
            (Some(open), _) if byte == open => quote = None,
            (None, b'"' | b'\'') if word_start => quote = Some(byte),
            (None, b'#') if word_start => return Some(index),
            (None, b' ' | b'\t' | b';' | b'{' | b'}') => {
                word_start = true;
                continue;
            }
            _ => {}
        }
        word_start = false;
    }
    None
}

/// `<!-- ... -->` comments.
fn xml_comments(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = text[from..].find("<!--") {
        let start = from + found;
        let Some(length) = text[start + 4..].find("-->") else {
            break;
        };
        let end = start + 4 + length + 3;
        let line_start = text[..start].rfind('\n').map_or(0, |at| at + 1);
        out.push(Comment {
            range: TextRange::new(start, end),
            body: TextRange::new(start + 4, end - 3),
            trailing: !text[line_start..start].trim().is_empty(),
        });
        from = end;
    }
    out
}

/// Where the first statement (directive or element) of the file begins.
fn first_statement_offset(text: &str, dialect: Dialect, comments: &[Comment]) -> Option<usize> {
    let mut offset = 0;
    if dialect == Dialect::Iis {
        // The first element: a `<` that opens neither a comment, a
        // declaration nor a processing instruction.
        let mut from = 0;
        while let Some(found) = text[from..].find('<') {
            let at = from + found;
            let rest = &text[at..];
            if let Some(comment) = comments.iter().find(|c| c.range.start == at) {
                from = comment.range.end;
            } else if rest.starts_with("<?") || rest.starts_with("<!") {
                from = at + 2;
            } else {
                return Some(at);
            }
        }
        return None;
    }
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let content = trimmed.trim_end();
        if !content.is_empty() && !content.starts_with('#') && content != "\u{feff}" {
            return Some(offset + line.len() - trimmed.len());
        }
        offset += line.len();
    }
    None
}

/// The first and last line of the statement after `from`: the next line
/// that is neither blank nor a comment, through the line that ends it (an
/// nginx `;`/`{`/`}`, the last Apache continuation line, the `>` of an
/// XML start tag).
fn next_statement_lines(text: &str, from: usize, dialect: Dialect) -> Option<(usize, usize)> {
    let rest = &text[from..];
    let mut offset = from + rest.find('\n').map_or(rest.len(), |at| at + 1);
    let mut start = None;
    while offset < text.len() {
        let line_end = text[offset..]
            .find('\n')
            .map_or(text.len(), |at| offset + at);
        let content = text[offset..line_end].trim();
        let is_comment = match dialect {
            Dialect::Iis => content.starts_with("<!--"),
            _ => content.starts_with('#'),
        };
        if !content.is_empty() && !is_comment {
            start = Some(offset);
            break;
        }
        offset = line_end + 1;
    }
    let start = start?;
    let end = match dialect {
        Dialect::Nginx => statement_end(text, start, b";{}"),
        Dialect::Iis => statement_end(text, start, b">"),
        Dialect::Apache => {
            let mut at = start;
            loop {
                let line_end = text[at..].find('\n').map_or(text.len(), |found| at + found);
                if !text[at..line_end].trim_end().ends_with('\\') || line_end >= text.len() {
                    break line_end;
                }
                at = line_end + 1;
            }
        }
    };
    Some((line_of(text, start), line_of(text, end)))
}

fn statement_end(text: &str, start: usize, enders: &[u8]) -> usize {
    let mut quote: Option<u8> = None;
    for (index, byte) in text.bytes().enumerate().skip(start) {
        match quote {
            Some(open) if byte == open => quote = None,
            None if byte == b'"' || byte == b'\'' => quote = Some(byte),
            None if enders.contains(&byte) => return index,
            _ => {}
        }
    }
    text.len()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use lint403_core::{Severity, SourceFile};

    const A: Code = Code {
        code: "A001",
        name: "acl-entry-shadowed",
        default_severity: Severity::Warning,
        summary: "",
        doc: "",
    };
    const B: Code = Code {
        code: "B002",
        name: "dotfile-block-covers-well-known",
        default_severity: Severity::Error,
        summary: "",
        doc: "",
    };
    static CODES: [&Code; 3] = [&A, &B, &UNUSED_SUPPRESSION];

    /// Diagnostics of `code` at each `(line)` of `text`, then the codes and
    /// lines left after suppressions.
    fn run(text: &str, dialect: Dialect, at: &[(&'static Code, usize)]) -> Vec<(String, usize)> {
        let mut sources = SourceMap::new();
        let file = sources.add(SourceFile::from_bytes("/t/x", text.as_bytes().to_vec()));
        let mut diagnostics: Vec<Diagnostic> = at
            .iter()
            .map(|(code, line)| {
                let offset = sources.get(file).line_start(*line).unwrap_or(0);
                Diagnostic::new(**code, Span::new(file, TextRange::empty(offset)), "x")
            })
            .collect();
        apply(
            &sources,
            &[(file, dialect)],
            &CODES,
            &|_| true,
            &mut diagnostics,
        );
        diagnostics
            .iter()
            .map(|d| {
                (
                    d.code.code.to_string(),
                    sources.get(file).line_col(d.span.range.start).line,
                )
            })
            .collect()
    }

    #[test]
    fn nginx_line_before_and_trailing() {
        let text = "server {\n  # lint403: ignore[A001] known\n  deny all;\n  allow 10.0.0.1; # lint403: ignore[acl-entry-shadowed]\n  allow 10.0.0.2;\n}\n";
        let left = run(text, Dialect::Nginx, &[(&A, 3), (&A, 4), (&A, 5)]);
        assert_eq!(left, vec![("A001".to_string(), 5)]);
    }

    #[test]
    fn unused_and_unknown_are_reported() {
        let text = "# lint403: ignore[B002] stale\nlocation / { }\n# lint403: ignore[Z9]\nx;\n";
        let left = run(text, Dialect::Nginx, &[]);
        assert_eq!(left, vec![("P011".to_string(), 1), ("P011".to_string(), 3)]);
    }

    #[test]
    fn apache_trailing_hash_is_not_a_comment() {
        let text = "<Directory /x>\n  Require all denied # lint403: ignore[A001]\n  # lint403: ignore[A001]\n  Require \\\n    ip 10.0.0.1\n</Directory>\n";
        let left = run(text, Dialect::Apache, &[(&A, 2), (&A, 5)]);
        assert_eq!(left, vec![("A001".to_string(), 2)]);
    }

    #[test]
    fn file_ignore_only_at_the_top() {
        let text = "# lint403: file-ignore[B]\nserver { }\n# lint403: file-ignore[A001]\n";
        let left = run(text, Dialect::Nginx, &[(&B, 2), (&A, 2)]);
        assert_eq!(left, vec![("A001".to_string(), 2), ("P011".to_string(), 3)]);
    }

    #[test]
    fn xml_before_an_element() {
        let text = "<?xml version=\"1.0\"?>\n<!-- lint403: file-ignore[B002] vendor file -->\n<configuration>\n  <!-- lint403: ignore[A001] -->\n  <add\n    ipAddress=\"10.0.0.1\" />\n  <add ipAddress=\"10.0.0.2\" />\n</configuration>\n";
        let left = run(text, Dialect::Iis, &[(&A, 6), (&A, 7), (&B, 7)]);
        assert_eq!(left, vec![("A001".to_string(), 7)]);
    }

    #[test]
    fn hash_inside_words_and_quotes_is_not_a_comment() {
        assert_eq!(nginx_comment_start("return 200 \"a # b\";"), None);
        assert_eq!(nginx_comment_start("set $a b#c;"), None);
        assert_eq!(nginx_comment_start("deny all;# x"), Some(9));
    }
}
