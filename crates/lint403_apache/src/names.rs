//! Directive names looked up in httpd's tables, case-insensitively, as
//! httpd compares them: every line of a configuration is looked up, more
//! than once, and a scan of a table of a few hundred names with a
//! case-insensitive comparison per entry took a few percent of a check.

use std::collections::HashMap;

use lint403_core::hashing::FastHash;

/// Names up to this long are put in lower case on the stack.
const ON_STACK: usize = 64;

/// Entries of a table by their name in lower case, the first entry of a
/// name winning as a scan of the table would find it.
pub(crate) struct ByName<T: 'static> {
    entries: HashMap<Box<[u8]>, &'static T, FastHash>,
}

impl<T> ByName<T> {
    pub(crate) fn new(table: &'static [T], name: impl Fn(&T) -> &str) -> ByName<T> {
        let mut entries: HashMap<Box<[u8]>, &'static T, FastHash> = HashMap::default();
        for entry in table {
            let key = name(entry)
                .to_ascii_lowercase()
                .into_bytes()
                .into_boxed_slice();
            entries.entry(key).or_insert(entry);
        }
        ByName { entries }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&'static T> {
        let mut buffer = [0u8; ON_STACK];
        let Some(lower) = buffer.get_mut(..name.len()) else {
            return self
                .entries
                .get(name.to_ascii_lowercase().as_bytes())
                .copied();
        };
        lower.copy_from_slice(name.as_bytes());
        lower.make_ascii_lowercase();
        self.entries.get(&*lower).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::ByName;

    static TABLE: &[(&str, u8)] = &[
        ("RewriteRule", 1),
        ("Allow", 2),
        ("allow", 3),
        (
            "AVeryLongDirectiveNameThatDoesNotFitOnTheStackBufferOfSixtyFourBytes",
            4,
        ),
    ];

    #[test]
    fn names_are_found_in_any_case_first_entry_first() {
        let index = ByName::new(TABLE, |entry| entry.0);
        assert_eq!(index.get("REWRITERULE").map(|entry| entry.1), Some(1));
        assert_eq!(index.get("allow").map(|entry| entry.1), Some(2));
        assert!(index.get("Rewrite").is_none());
        assert!(index.get(&"x".repeat(200)).is_none());
        let long = "averylongdirectivenamethatdoesnotfitonthestackbufferofsixtyfourbytes";
        assert!(long.len() > super::ON_STACK);
        assert_eq!(index.get(long).map(|entry| entry.1), Some(4));
    }
}
