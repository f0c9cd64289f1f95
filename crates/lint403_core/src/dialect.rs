use std::fmt;

/// The configuration languages lint403 reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    Nginx,
    Apache,
    Iis,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::Nginx, Dialect::Apache, Dialect::Iis];

    /// The lower-case name used on the command line and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Nginx => "nginx",
            Dialect::Apache => "apache",
            Dialect::Iis => "iis",
        }
    }

    pub fn from_name(name: &str) -> Option<Dialect> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
