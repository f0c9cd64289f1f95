//! Client networks as the access modules of all three servers read them.

use std::fmt;
use std::net::IpAddr;

/// An address with a prefix length. Host bits are cleared on parse, as
/// nginx, httpd and IIS all do; [`Cidr::had_host_bits`] remembers whether
/// the text had any (a common mistake rules report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub network: IpAddr,
    pub prefix: u8,
    pub had_host_bits: bool,
}

impl Cidr {
    /// `203.0.113.0/24`, `2001:db8::/32`, a bare address (all bits).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().ok()?;
        let bits = if address.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse().ok()?
            }
            Some(_) => return None,
            None => bits,
        };
        Cidr::new(address, prefix)
    }

    /// `address/prefix`, host bits cleared; `None` for a prefix longer
    /// than the address.
    pub fn new(address: IpAddr, prefix: u8) -> Option<Cidr> {
        let bits = if address.is_ipv4() { 32 } else { 128 };
        if prefix > bits {
            return None;
        }
        let network = mask(address, prefix);
        Some(Cidr {
            network,
            prefix,
            had_host_bits: network != address,
        })
    }

    /// An address and a dotted netmask (`10.0.0.0` + `255.0.0.0`), as IIS
    /// `subnetMask` and httpd `Require ip 10.0.0.0/255.0.0.0` give them.
    pub fn with_mask(address: IpAddr, netmask: IpAddr) -> Option<Cidr> {
        let prefix = match (address, netmask) {
            (IpAddr::V4(_), IpAddr::V4(mask)) => {
                let bits = u32::from(mask);
                let ones = bits.leading_ones();
                (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones)?
            }
            (IpAddr::V6(_), IpAddr::V6(mask)) => {
                let bits = u128::from(mask);
                let ones = bits.leading_ones();
                (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones)?
            }
            _ => return None,
        };
        Cidr::new(address, u8::try_from(prefix).ok()?)
    }

    pub fn host(address: IpAddr) -> Cidr {
        Cidr {
            network: address,
            prefix: if address.is_ipv4() { 32 } else { 128 },
            had_host_bits: false,
        }
    }

    /// Whether `address` is in this network. An IPv4-mapped IPv6 client
    /// (`::ffff:a.b.c.d`) is compared as the IPv4 address, as the servers do.
    pub fn contains(self, address: IpAddr) -> bool {
        let address = unmap(address);
        self.network.is_ipv4() == address.is_ipv4() && mask(address, self.prefix) == self.network
    }

    /// Whether every address of `self` is also in `other`.
    pub fn within(self, other: Cidr) -> bool {
        self.network.is_ipv4() == other.network.is_ipv4()
            && other.prefix <= self.prefix
            && mask(self.network, other.prefix) == other.network
    }

    /// `0.0.0.0/0` or `::/0`.
    pub fn is_whole_family(self) -> bool {
        self.prefix == 0
    }

    /// One host of the network: the first address after the network
    /// address (the address itself for a single host or a /31, /127).
    pub fn sample_host(self) -> IpAddr {
        match self.network {
            IpAddr::V4(v4) if self.prefix < 31 => IpAddr::V4((u32::from(v4) | 1).into()),
            IpAddr::V6(v6) if self.prefix < 127 => IpAddr::V6((u128::from(v6) | 1).into()),
            _ => self.network,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`; every other address as it is.
pub fn unmap(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & bits).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & bits).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn host_bits_are_cleared_and_remembered() {
        let cidr = Cidr::parse("10.1.2.3/8").expect("valid");
        assert_eq!(cidr.network, ip("10.0.0.0"));
        assert!(cidr.had_host_bits);
        assert!(!Cidr::parse("10.0.0.0/8").expect("valid").had_host_bits);
    }

    #[test]
    fn mapped_clients_match_ipv4_networks() {
        let cidr = Cidr::parse("127.0.0.0/8").expect("valid");
        assert!(cidr.contains(ip("::ffff:127.0.0.5")));
        assert!(!cidr.contains(ip("::1")));
    }

    #[test]
    fn netmasks_must_be_contiguous() {
        assert_eq!(
            Cidr::with_mask(ip("10.0.0.0"), ip("255.255.0.0")).map(|c| c.prefix),
            Some(16)
        );
        assert_eq!(Cidr::with_mask(ip("10.0.0.0"), ip("255.0.255.0")), None);
    }

    #[test]
    fn bad_prefixes_are_refused() {
        for text in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/+8", "::/129", "x/8"] {
            assert_eq!(Cidr::parse(text), None, "{text}");
        }
    }

    #[test]
    fn within_compares_networks() {
        let small = Cidr::parse("10.1.0.0/16").expect("valid");
        let big = Cidr::parse("10.0.0.0/8").expect("valid");
        assert!(small.within(big));
        assert!(!big.within(small));
    }
}
