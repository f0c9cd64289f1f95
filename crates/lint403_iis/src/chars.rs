//! Character classes of XML 1.0 (fifth edition).

/// `S ::= (#x20 | #x9 | #xD | #xA)+`
pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// `Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]`
/// (a `char` is never a surrogate).
pub(crate) fn is_xml_char(c: char) -> bool {
    match c {
        '\t' | '\n' | '\r' => true,
        '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => false,
        _ => true,
    }
}

/// `NameStartChar`, without `:` (a qualified name's parts cannot start
/// with a colon).
pub(crate) fn is_name_start(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '_';
    }
    matches!(c,
        '\u{C0}'..='\u{D6}'
        | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// `NameChar`, `:` included.
pub(crate) fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '.');
    }
    is_name_start(c) || matches!(c, '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

/// The first character of `s` that XML does not allow, with its offset.
/// Scans bytes: in valid UTF-8 the only non-characters are C0 controls
/// (single bytes) and U+FFFE / U+FFFF (`EF BF BE`, `EF BF BF`).
pub(crate) fn first_non_xml_char(s: &str) -> Option<(usize, char)> {
    // Blocks without a control byte or 0xEF are skipped with a branch-free
    // test the compiler vectorizes; the others are looked at byte by byte.
    const BLOCK: usize = 16;
    let bytes = s.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let end = match bytes.get(index..index + BLOCK) {
            Some(block) if !is_dirty(block) => {
                index += BLOCK;
                continue;
            }
            Some(_) => index + BLOCK,
            None => bytes.len(),
        };
        while index < end {
            if let Some(found) = non_xml_char_at(s, index) {
                return Some(found);
            }
            index += 1;
        }
    }
    None
}

/// Whether a block holds a byte that may start a non-XML character,
/// computed without branches.
fn is_dirty(block: &[u8]) -> bool {
    block.iter().fold(0u8, |dirty, &b| {
        dirty | u8::from(b < 0x20) | u8::from(b == 0xEF)
    }) != 0
}

fn non_xml_char_at(s: &str, index: usize) -> Option<(usize, char)> {
    let bytes = s.as_bytes();
    let byte = *bytes.get(index)?;
    if byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r') {
        return Some((index, char::from(byte)));
    }
    if byte == 0xEF
        && bytes.get(index + 1) == Some(&0xBF)
        && matches!(bytes.get(index + 2), Some(0xBE | 0xBF))
    {
        return Some((index, s.get(index..)?.chars().next()?));
    }
    None
}

/// Byte classes for the one-pass scans of attribute values and text.
const LT: u8 = 1;
const QUOTE: u8 = 2;
/// A byte that makes an attribute value need decoding or a character
/// check: `&`, TAB, LF, CR, another C0 control, or 0xEF (which may start
/// U+FFFE / U+FFFF).
const ATTR_DIRTY: u8 = 4;
/// Likewise in text: `&`, a C0 control other than TAB, LF and CR, 0xEF,
/// and `>` (which may end a `]]>`).
const TEXT_DIRTY: u8 = 8;
/// CR, which text turns into LF.
const CR: u8 = 16;

const BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = ATTR_DIRTY | TEXT_DIRTY;
        byte += 1;
    }
    table[b'\t' as usize] = ATTR_DIRTY;
    table[b'\n' as usize] = ATTR_DIRTY;
    table[b'\r' as usize] = ATTR_DIRTY | CR;
    table[b'&' as usize] = ATTR_DIRTY | TEXT_DIRTY;
    table[0xEF] = ATTR_DIRTY | TEXT_DIRTY;
    table[b'>' as usize] = TEXT_DIRTY;
    table[b'<' as usize] = LT;
    table[b'"' as usize] = QUOTE;
    table[b'\'' as usize] = QUOTE;
    table
};

/// Where a quoted value's body ends (the offset of `quote` or of the
/// first `<`, `None` when neither comes), and whether the body before it
/// holds a byte that needs decoding or a character check.
pub(crate) fn scan_attribute_value(body: &[u8], quote: u8) -> (Option<usize>, bool) {
    let mut dirty = 0u8;
    for (index, &byte) in body.iter().enumerate() {
        let class = BYTE_CLASS[usize::from(byte)];
        if class == 0 {
            continue;
        }
        if class & LT != 0 || byte == quote {
            return (Some(index), dirty != 0);
        }
        dirty |= class & ATTR_DIRTY;
    }
    (None, dirty != 0)
}

/// What [`scan_text`] found in a run of text.
pub(crate) struct TextScan {
    /// The offset of the first `<`, or the length of the text.
    pub(crate) end: usize,
    /// A byte that needs decoding or a check, other than CR.
    pub(crate) dirty: bool,
    /// A CR, to be turned into LF.
    pub(crate) cr: bool,
}

/// Where a run of text ends, and whether it needs work.
pub(crate) fn scan_text(text: &[u8]) -> TextScan {
    let mut seen = 0u8;
    let end = text
        .iter()
        .position(|&byte| {
            let class = BYTE_CLASS[usize::from(byte)];
            seen |= class;
            class & LT != 0
        })
        .unwrap_or(text.len());
    TextScan {
        end,
        dirty: seen & TEXT_DIRTY != 0,
        cr: seen & CR != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_characters_are_found_with_their_offsets() {
        assert_eq!(first_non_xml_char("ab\tc\r\n"), None);
        assert_eq!(first_non_xml_char("a\u{0}b"), Some((1, '\u{0}')));
        assert_eq!(first_non_xml_char("é\u{1B}"), Some((2, '\u{1B}')));
        assert_eq!(first_non_xml_char("x\u{FFFE}"), Some((1, '\u{FFFE}')));
        assert_eq!(first_non_xml_char("x\u{FFFF}"), Some((1, '\u{FFFF}')));
        assert_eq!(first_non_xml_char("\u{FFFD}\u{EFBF}"), None);
        let long = format!("{}\u{FFFF}{}", "abcdefgh\n".repeat(7), "x".repeat(40));
        assert_eq!(first_non_xml_char(&long), Some((63, '\u{FFFF}')));
        let long = format!("{}\u{1}", "0123456789abcdef".repeat(4));
        assert_eq!(first_non_xml_char(&long), Some((64, '\u{1}')));
        assert!(!is_xml_char('\u{FFFE}'));
        assert!(is_xml_char('\u{10FFFF}'));
    }

    #[test]
    fn scans_stop_at_the_right_byte_and_flag_what_needs_work() {
        assert_eq!(scan_attribute_value(b"abc\"x", b'"'), (Some(3), false));
        assert_eq!(scan_attribute_value(b"a'c\"x", b'"'), (Some(3), false));
        assert_eq!(scan_attribute_value(b"a&c'x", b'\''), (Some(3), true));
        assert_eq!(scan_attribute_value(b"a\nc<x", b'"'), (Some(3), true));
        assert_eq!(scan_attribute_value(b"abc", b'"'), (None, false));
        let text = |t: &[u8]| {
            let scan = scan_text(t);
            (scan.end, scan.dirty, scan.cr)
        };
        assert_eq!(text(b"\n  \t<a"), (4, false, false));
        assert_eq!(text(b"a\r\n<\r"), (3, false, true));
        assert_eq!(text(b"a]]>"), (4, true, false));
        assert_eq!(text(b"&amp;\r"), (6, true, true));
        assert_eq!(text("\u{FFFF}".as_bytes()), (3, true, false));
    }

    #[test]
    fn name_classes_follow_the_fifth_edition() {
        assert!(is_name_start('_'));
        assert!(!is_name_start(':'));
        assert!(!is_name_start('-'));
        assert!(is_name_char('-'));
        assert!(is_name_char('\u{B7}'));
        assert!(!is_name_start('\u{B7}'));
        assert!(is_name_start('é'));
        assert!(!is_name_char('\u{D7}'));
        assert!(!is_name_char(' '));
    }
}
