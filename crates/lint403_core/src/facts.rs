//! What rules need to know about a site that its files do not show, from
//! `.lint403.yaml`'s `site:` (DESIGN §5).

use crate::net::Cidr;

#[derive(Debug, Clone, Default)]
pub struct SiteFacts {
    /// The site's public names.
    pub names: Vec<String>,
    /// Whether it is reached over IPv6 (`None`: as its listen lines say).
    pub ipv6: Option<bool>,
    /// Proxies or load balancers in front of it: every client arrives
    /// from one of these unless the configuration restores the address.
    pub behind_proxy: Vec<Cidr>,
    /// `2.2` or `2.4`.
    pub apache_version: Option<String>,
    pub nginx_version: Option<String>,
    /// `hotlink` (images only) or `strict`.
    pub referer_mode: Option<String>,
}

impl SiteFacts {
    /// An Apache 2.2 deployment (the 2.2 access directives are native).
    pub fn is_apache_22(&self) -> bool {
        self.apache_version
            .as_deref()
            .is_some_and(|version| version.trim().starts_with("2.2"))
    }
}
