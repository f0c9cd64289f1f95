//! Telling a web.config from other `*.config` XML without a full parse.

use crate::chars::is_space;
use crate::parser::markup_declaration_end;

/// Whether `text` looks like an IIS / ASP.NET configuration file: its root
/// element is `<configuration>`, after an optional BOM, XML declaration,
/// comments, processing instructions and whitespace. A linear scan of the
/// prolog only; the file need not be well-formed.
pub fn looks_like_iis_config(text: &str) -> bool {
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    loop {
        rest = rest.trim_start_matches(is_space);
        let skipped = if rest.starts_with("<!--") {
            rest.get(4..)
                .and_then(|body| body.find("-->").map(|at| 4 + at + 3))
        } else if rest.starts_with("<?") {
            rest.find("?>").map(|at| at + 2)
        } else if rest.starts_with("<!DOCTYPE") {
            Some(markup_declaration_end(rest, 0))
        } else {
            break;
        };
        match skipped.and_then(|at| rest.get(at..)) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.strip_prefix("<configuration").is_some_and(|after| {
        after.is_empty() || after.starts_with(|c: char| is_space(c) || c == '>' || c == '/')
    })
}

#[cfg(test)]
mod tests {
    use super::looks_like_iis_config;

    #[test]
    fn configuration_roots_are_recognized_after_the_prolog() {
        assert!(looks_like_iis_config("<configuration/>"));
        assert!(looks_like_iis_config(
            "\u{feff}<?xml version=\"1.0\"?>\r\n<!-- c --><?p x?>\n<configuration>\n"
        ));
        assert!(looks_like_iis_config(
            "<configuration xmlns=\"http://schemas.microsoft.com/.NetConfiguration/v2.0\">"
        ));
        assert!(looks_like_iis_config(
            "<!DOCTYPE c [<!ENTITY a '>'>]><configuration>"
        ));
    }

    #[test]
    fn other_xml_and_text_are_not() {
        assert!(!looks_like_iis_config("<packages/>"));
        assert!(!looks_like_iis_config("<configurations/>"));
        assert!(!looks_like_iis_config("<Configuration/>"));
        assert!(!looks_like_iis_config("This file should never be staged."));
        assert!(!looks_like_iis_config("<!-- unterminated <configuration>"));
        assert!(!looks_like_iis_config(""));
    }
}
