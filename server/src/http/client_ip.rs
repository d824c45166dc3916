//! The client's address behind reverse proxies. Only a peer listed in
//! `STUDIO_TRUSTED_PROXIES` may speak for someone else: from such a peer,
//! `Forwarded` (RFC 7239) or else `X-Forwarded-For` is read from the right,
//! skipping trusted proxies, and the right-most address that is not a
//! trusted proxy is the client. Anything left of it could have been
//! written by the client itself and is ignored.
//!
//! The router replaces the connection's `ConnectInfo` with the address
//! found here before any handler runs, so throttling, the audit log,
//! consent records and sessions all see the same client address.

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{HeaderMap, Request},
};
use ipnet::IpNet;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Parses a comma-separated list of CIDR blocks or single addresses.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(n) => n,
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("'{item}' is neither a CIDR block nor an IP address"))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a connection from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let hops = forwarded_chain(headers);
        let mut client = canonical(peer);
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) if self.trusts(*ip) => client = *ip,
                Some(ip) => return *ip,
                // An entry no proxy of ours would write: nothing to its
                // left can be believed.
                None => return client,
            }
        }
        client
    }
}

/// IPv4 addresses that arrive as IPv6-mapped (`::ffff:a.b.c.d`) are
/// compared and recorded as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The addresses the proxies recorded, left (client side) to right; `None`
/// for an entry that is not an address. `Forwarded` wins over
/// `X-Forwarded-For` when both are present.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (k, v) = pair.trim().split_once('=')?;
                        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
                    })
                    .and_then(parse_node)
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|s| parse_node(s))
        .collect()
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:80`, `"[::1]:80"`,
/// `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, _) = rest.split_once(']')?;
        return inside.parse::<IpAddr>().ok().map(canonical);
    }
    s.parse::<SocketAddr>().ok().map(|a| canonical(a.ip()))
}

/// Puts the client's address in the request's `ConnectInfo`.
pub fn resolve(trusted: &TrustedProxies, req: &mut Request<Body>) {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = trusted.client(peer.ip(), req.headers());
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_headers_say() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(none.client(ip("10.0.0.5"), &h), ip("10.0.0.5"));
    }

    #[test]
    fn a_spoofed_header_from_an_untrusted_peer_is_ignored() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(trusted.client(ip("198.51.100.7"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client wrote "6.6.6.6" itself; the edge proxy appended the
        // address it saw; an inner proxy appended the edge proxy.
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.1.1")]);
        assert_eq!(trusted.client(ip("192.168.1.1"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn forwarded_is_read_with_quotes_ports_and_ipv6() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.0.0.2",
        )]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers(&[("forwarded", "for=\"203.0.113.43:47011\"")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("203.0.113.43"));
    }

    #[test]
    fn garbage_in_the_chain_stops_the_walk_at_the_last_trusted_hop() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 10.0.0.3")]);
        assert_eq!(trusted.client(ip("10.0.0.1"), &h), ip("10.0.0.3"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_blocks() {
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            trusted.client(ip("::ffff:127.0.0.1"), &h),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_bad_list_is_refused_with_the_item() {
        let e = TrustedProxies::parse("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(e.contains("proxy.local"));
    }
}
