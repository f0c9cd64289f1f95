//! Client addresses as nginx reads them in `allow`, `deny` and `geo`
//! (`ngx_ptocidr`): an IPv6 or IPv4 address, optionally `/prefix`.
//!
//! nginx's readers are looser and stricter than the standard ones in
//! ways that decide whether a configuration starts, each pinned against
//! `nginx -t` in `tests/real_server.rs`: IPv4 octets may be empty or have
//! leading zeros (`1..3.4` is 1.0.3.4, `010.0.0.1` is 10.0.0.1), but
//! `255.255.255.255` is refused (it is the error value of nginx's
//! reader); an IPv6 text may start with a single `:` (`:1::` is `1::`),
//! but its `::` must stand for at least one group that the text does not
//! end with (`1:2:3:4:5:6:7::` is refused); a prefix is decimal digits
//! only (`/+24` is refused, `/032` is 32).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use lint403_core::Cidr;

/// The network of an `allow`/`deny`/`geo` address, host bits cleared
/// ([`Cidr::had_host_bits`] says whether nginx warns about them); `None`
/// where nginx answers `invalid parameter` and does not start.
pub fn parse_cidr(text: &str) -> Option<Cidr> {
    let text = text.as_bytes();
    // One pass for the `/` and for a colon: with one only IPv6 can
    // succeed, without one only IPv4 (an access list of thousands of
    // entries is read by the lowering, the block tree and two checks).
    let mut slash = None;
    let mut colon = false;
    for (at, &byte) in text.iter().enumerate() {
        if byte == b'/' {
            slash = Some(at);
            break;
        }
        colon |= byte == b':';
    }
    let (bytes, prefix) = match slash {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let address = if colon {
        IpAddr::V6(ipv6(bytes)?)
    } else {
        IpAddr::V4(ipv4(bytes)?)
    };
    let bits: u8 = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => bits,
        Some(digits) => decimal_at_most(digits, bits)?,
    };
    Cidr::new(address, prefix)
}

/// A network of a `geo` block: [`parse_cidr`], and `255.255.255.255`
/// written just so, which `geo` alone accepts (as one host).
pub fn parse_geo_network(text: &str) -> Option<Cidr> {
    if text == "255.255.255.255" {
        return Some(Cidr::host(IpAddr::V4(Ipv4Addr::BROADCAST)));
    }
    parse_cidr(text)
}

/// `digits` as a number no greater than `limit`: one or more ASCII digits
/// and nothing else.
fn decimal_at_most(digits: &[u8], limit: u8) -> Option<u8> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u32 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u32::from(byte - b'0');
        if value > u32::from(limit) {
            return None;
        }
    }
    u8::try_from(value).ok()
}

/// Four decimal octets split by dots; an octet may be empty (0) or have
/// any number of leading zeros.
fn ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut index = 0;
    let mut value: u16 = 0;
    for &byte in text {
        if byte == b'.' {
            *octets.get_mut(index)? = u8::try_from(value).ok()?;
            index += 1;
            value = 0;
        } else if byte.is_ascii_digit() {
            value = value * 10 + u16::from(byte - b'0');
            if value > 255 {
                return None;
            }
        } else {
            return None;
        }
    }
    if index != 3 {
        return None;
    }
    octets[3] = u8::try_from(value).ok()?;
    if octets == [255; 4] {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// Groups of at most four hex digits split by colons, one `::` for a run
/// of zero groups, an IPv4 address (read as [`ipv4`] does) in place of
/// the last two.
fn ipv6(text: &[u8]) -> Option<Ipv6Addr> {
    let text = text.strip_prefix(b":").unwrap_or(text);
    let mut groups = Groups::default();
    // Where `::` stands, as a number of groups before it.
    let mut zeros_at: Option<usize> = None;
    // Where the group being read starts, once a colon has been read.
    let mut group_start: Option<usize> = None;
    let mut word: u16 = 0;
    let mut digits = 0;
    let mut ended_by_ipv4 = false;
    for (at, &byte) in text.iter().enumerate() {
        if byte == b':' {
            if digits > 0 {
                groups.push(word);
                if groups.len() == 8 {
                    return None;
                }
                word = 0;
                digits = 0;
            } else if zeros_at.is_none() {
                zeros_at = Some(groups.len());
            } else {
                return None;
            }
            group_start = Some(at + 1);
            continue;
        }
        if byte == b'.' && digits > 0 {
            if 8 - groups.len() < 2 {
                return None;
            }
            let embedded = u32::from(ipv4(&text[group_start?..])?);
            groups.push(u16::try_from(embedded >> 16).ok()?);
            groups.push(u16::try_from(embedded & 0xffff).ok()?);
            ended_by_ipv4 = true;
            break;
        }
        digits += 1;
        if digits > 4 {
            return None;
        }
        let value = char::from(byte).to_digit(16)?;
        word = word * 16 + u16::try_from(value).ok()?;
    }
    if !ended_by_ipv4 {
        if digits == 0 && zeros_at.is_none() {
            return None;
        }
        groups.push(word);
    }
    match zeros_at {
        // `::` stands for one group at least.
        Some(at) if groups.len() < 8 => groups.insert_zeros(at, 8 - groups.len()),
        Some(_) => return None,
        None if groups.len() < 8 => return None,
        None => {}
    }
    Some(Ipv6Addr::from(groups.words))
}

/// Up to eight groups of an IPv6 address, in order.
#[derive(Default)]
struct Groups {
    words: [u16; 8],
    len: usize,
}

impl Groups {
    fn len(&self) -> usize {
        self.len
    }

    fn push(&mut self, word: u16) {
        if let Some(slot) = self.words.get_mut(self.len) {
            *slot = word;
            self.len += 1;
        }
    }

    /// `count` zero groups put in before the group at `at`.
    fn insert_zeros(&mut self, at: usize, count: usize) {
        self.words.copy_within(at..self.len, at + count);
        self.words[at..at + count].fill(0);
        self.len += count;
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_cidr, parse_geo_network};

    #[test]
    fn geo_alone_takes_the_broadcast_address() {
        let broadcast = parse_geo_network("255.255.255.255").map(|cidr| cidr.to_string());
        assert_eq!(broadcast.as_deref(), Some("255.255.255.255/32"));
        assert!(parse_geo_network("255.255.255.255/32").is_none());
        assert!(parse_geo_network("1.2.3.4/+8").is_none());
        assert!(parse_cidr("255.255.255.255").is_none());
    }

    fn network(text: &str) -> Option<String> {
        parse_cidr(text).map(|cidr| {
            let mark = if cidr.had_host_bits {
                " (host bits)"
            } else {
                ""
            };
            format!("{}/{}{mark}", cidr.network, cidr.prefix)
        })
    }

    #[test]
    fn addresses_read_as_nginx_reads_them() {
        let read = [
            ("192.168.1.10/24", "192.168.1.0/24 (host bits)"),
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("1.2.3.4", "1.2.3.4/32"),
            ("010.0.0.1", "10.0.0.1/32"),
            ("1..3.4", "1.0.3.4/32"),
            ("1.2.3.", "1.2.3.0/32"),
            (".1.2.3", "0.1.2.3/32"),
            ("1.2.3.4/032", "1.2.3.4/32"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::", "::/128"),
            ("::/0", "::/0"),
            (":1::", "1::/128"),
            ("1::", "1::/128"),
            ("::1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7/128"),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128"),
            ("A::b", "a::b/128"),
            ("::1.2.3.4", "::102:304/128"),
            ("::ffff:001.2.3.4", "::ffff:1.2.3.4/128"),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304/128"),
            ("1:2:3:4:5::1.2.3.4", "1:2:3:4:5:0:102:304/128"),
            ("::ffff:1.2.3.4/96", "::ffff:0.0.0.0/96 (host bits)"),
            ("2001:db8::1/64", "2001:db8::/64 (host bits)"),
        ];
        for (text, expected) in read {
            assert_eq!(network(text).as_deref(), Some(expected), "{text}");
        }
        let refused = [
            "255.255.255.255",
            "255.255.255.255/8",
            "::255.255.255.255",
            "1.2.3.4/+24",
            "1.2.3.4/",
            "1.2.3.4/33",
            "1.2.3.4/8/8",
            "1.2.3.4/99999999999999999999",
            "1.2.3.4.5",
            "1.2.3.256",
            "10.1/8",
            "1::2::3",
            "::ffff:1.2.3",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:6::1.2.3.4",
            "00001::",
            "fffff::",
            "::1/129",
            ":::",
            "1:::2",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7:8",
            "0:0:0:0:0:0:0:0:",
            "1:",
            ":1",
            "1.2.3.4::",
            "::.1.2.3",
            "::1%lo",
            "all",
            "",
        ];
        for text in refused {
            assert_eq!(network(text), None, "{text}");
        }
    }
}
