//! What may be fetched at all: `http`/`https` only, and no private, loopback or link-local
//! address unless the user allows them. A host name is checked twice: resolved and checked
//! (every address) before each request is sent, and again inside the client's own resolver
//! when it connects, so a redirect to a name, or a name that resolves differently the second
//! time (DNS rebinding), is refused too. The client uses no proxy (see `Fetcher::new`): behind a
//! proxy the name would be resolved by the proxy, out of our sight (see: issue 11).
//!
//! An IPv6 address is judged by the IPv4 address it carries when it is one of the forms that
//! reach an IPv4 host: IPv4-mapped and -translated, NAT64, 6to4 and Teredo.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a URL may not be fetched, or `None` when it may.
pub(super) fn refusal(url: &Url, allow_private: bool) -> Option<String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Some(format!(
            "only http and https URLs are fetched, not `{}:`",
            url.scheme()
        ));
    }
    if allow_private {
        return None;
    }
    let ip = match url.host()? {
        Host::Ipv4(ip) => IpAddr::V4(ip),
        Host::Ipv6(ip) => IpAddr::V6(ip),
        Host::Domain(name) if is_local_name(name) => {
            return Some(format!(
                "`{name}` names this machine; pass --allow-private-addresses to fetch from it"
            ));
        }
        Host::Domain(_) => return None,
    };
    (!is_public(ip)).then(|| private_message(&ip.to_string(), ip))
}

/// `localhost` and its subdomains, which always mean this machine (RFC 6761 §6.3), whatever a
/// resolver says.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Resolves the host name of `url` (when it has one) and checks every address, before a
/// request is made. `Err` is a refusal, or a name that does not resolve.
pub(super) async fn check_host(url: &Url, allow_private: bool) -> Result<(), HostProblem> {
    if let Some(why) = refusal(url, allow_private) {
        return Err(HostProblem::Refused(why));
    }
    let Some(Host::Domain(name)) = url.host() else {
        return Ok(());
    };
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(0);
    let addrs = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| HostProblem::Unresolved(format!("cannot resolve `{name}`: {e}")))?;
    for addr in addrs {
        if !is_public(addr.ip()) {
            return Err(HostProblem::Refused(private_message(name, addr.ip())));
        }
    }
    Ok(())
}

/// Why [`check_host`] stopped a request.
#[derive(Debug)]
pub(super) enum HostProblem {
    /// The host may not be fetched from.
    Refused(String),
    /// The name did not resolve (perhaps for now).
    Unresolved(String),
}

fn private_message(host: &str, ip: IpAddr) -> String {
    format!(
        "`{host}` is a private, loopback or link-local address ({ip}); pass \
         --allow-private-addresses to fetch from it"
    )
}

/// Whether `ip` is an ordinary address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6) && embedded_v4(v6).into_iter().all(is_public_v4),
    }
}

/// The IPv4 addresses an IPv6 address reaches, for the forms that carry one: a packet to
/// `64:ff9b::7f00:1` or `2002:7f00:1::1` ends up at 127.0.0.1.
fn embedded_v4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    match ip.segments() {
        // IPv4-mapped `::ffff:a.b.c.d` and IPv4-translated `::ffff:0:a.b.c.d` (RFC 4291, 6145).
        [0, 0, 0, 0, 0, 0xffff, high, low] | [0, 0, 0, 0, 0xffff, 0, high, low] => {
            vec![v4(high, low)]
        }
        // NAT64's well-known prefix `64:ff9b::/96` (RFC 6052).
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => vec![v4(high, low)],
        // 6to4 `2002:AABB:CCDD::/48` (RFC 3056).
        [0x2002, high, low, ..] => vec![v4(high, low)],
        // Teredo `2001:0:SSSS:SSSS:…:CCCC:CCCC` (RFC 4380): the server, and the client stored
        // as the bitwise NOT of its address.
        [
            0x2001,
            0,
            server_high,
            server_low,
            _,
            _,
            client_high,
            client_low,
        ] => vec![v4(server_high, server_low), v4(!client_high, !client_low)],
        _ => Vec::new(),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || (first == 0x64 && ip.segments()[1] == 0xff9b && ip.segments()[2] == 1) // local NAT64 (RFC 8215)
        || ip.segments()[..4] == [0x100, 0, 0, 0] // discard-only (RFC 6666)
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible
}

/// The client's resolver: the system's, then every address checked.
pub(super) struct GuardedResolver {
    pub(super) allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(private_message(&host, bad.ip()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_told_apart() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    /// See: issue 11. IPv6 forms that wrap a loopback or private IPv4 address were taken for
    /// public addresses.
    #[test]
    fn ipv6_forms_wrapping_private_ipv4_are_refused() {
        for private in [
            "::ffff:127.0.0.1",                     // IPv4-mapped
            "::ffff:10.0.0.1",                      // IPv4-mapped, private
            "::ffff:0:127.0.0.1",                   // IPv4-translated
            "::127.0.0.1",                          // IPv4-compatible
            "::8.8.8.8",       // IPv4-compatible: deprecated, refused whatever it holds
            "64:ff9b::7f00:1", // NAT64 → 127.0.0.1
            "64:ff9b::a9fe:a9fe", // NAT64 → 169.254.169.254
            "64:ff9b:1::808:808", // local-use NAT64: never public
            "2002:7f00:1::1",  // 6to4 → 127.0.0.1
            "2002:c0a8:101::1", // 6to4 → 192.168.1.1
            "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, client !0x80fffffe = 127.0.0.1
            "2001:0:7f00:1:8000:63bf:f7f7:f7f7", // Teredo, server 127.0.0.1
            "100::1",          // discard-only
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo, client 8.8.8.8
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn localhost_names_are_refused_before_any_lookup() {
        for url in [
            "http://localhost:8080/x",
            "http://LOCALHOST./x",
            "https://api.localhost/x",
        ] {
            let why = refusal(&Url::parse(url).unwrap(), false).expect(url);
            assert!(why.contains("--allow-private-addresses"), "{why}");
            assert_eq!(refusal(&Url::parse(url).unwrap(), true), None);
        }
        assert_eq!(
            refusal(&Url::parse("https://localhost.example/").unwrap(), false),
            None
        );
    }

    #[test]
    fn only_web_urls_to_public_hosts() {
        let check = |u: &str, allow| refusal(&Url::parse(u).unwrap(), allow);
        assert!(
            check("file:///etc/passwd", true)
                .unwrap()
                .contains("only http")
        );
        assert!(
            check("http://127.0.0.1:8080/x", false)
                .unwrap()
                .contains("--allow-private")
        );
        assert!(check("http://[::1]/x", false).is_some());
        assert_eq!(check("http://127.0.0.1:8080/x", true), None);
        assert_eq!(check("https://example.org/x", false), None);
    }
}
