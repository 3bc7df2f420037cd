//! Outgoing HTTP to integrations, behind Mattermost's guard against server-side request
//! forgery: addresses in reserved or private ranges, and the server's own addresses, are
//! refused unless `ServiceSettings.AllowedUntrustedInternalConnections` lists the host name
//! exactly or a CIDR range containing the address.

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// RFC 6890 ranges Mattermost treats as internal (`httpservice.reservedIPRanges`).
fn reserved_ranges() -> &'static [IpNet] {
    static R: OnceLock<Vec<IpNet>> = OnceLock::new();
    R.get_or_init(|| {
        [
            "0.0.0.0/8",
            "10.0.0.0/8",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "::/128",
            "::1/128",
            "fc00::/7",
            "fe80::/10",
        ]
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect()
    })
}

/// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry, as Go does.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

pub fn is_reserved_ip(ip: IpAddr) -> bool {
    let ip = canonical(ip);
    reserved_ranges().iter().any(|n| n.contains(&ip))
}

/// Whether the address belongs to this machine: only a local address can be bound.
pub fn is_own_ip(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(canonical(ip), 0)).is_ok()
}

/// The allow-list of one request, read from the live config.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allowed: Vec<String>,
}

impl Guard {
    /// `AllowedUntrustedInternalConnections`: space-separated host names and CIDR ranges.
    pub fn new(allowed: &str) -> Self {
        Self {
            allowed: allowed.split_whitespace().map(str::to_owned).collect(),
        }
    }

    pub fn allow_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed.iter().any(|a| a == host)
    }

    pub fn allow_ip(&self, ip: IpAddr) -> bool {
        if !is_reserved_ip(ip) && !is_own_ip(ip) {
            return true;
        }
        let ip = canonical(ip);
        self.allowed
            .iter()
            .filter_map(|a| a.parse::<IpNet>().ok())
            .any(|n| n.contains(&ip))
    }

    /// Checks a URL's host before connecting: IP literals never reach the resolver.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), String> {
        let Some(host) = url.host_str() else {
            return Err("URL has no host".into());
        };
        if self.allow_host(host) {
            return Ok(());
        }
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>();
        match literal {
            Ok(ip) if !self.allow_ip(ip) => Err(forbidden()),
            _ => Ok(()),
        }
    }
}

fn forbidden() -> String {
    "address forbidden, you may need to set AllowedUntrustedInternalConnections to allow an \
     integration access to your internal network"
        .into()
}

/// Resolves names, then drops every address the guard refuses.
struct GuardedResolver(Guard);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if guard.allow_host(&host) {
                return Ok(Box::new(addrs.into_iter()) as Addrs);
            }
            let ok: Vec<SocketAddr> = addrs
                .into_iter()
                .filter(|a| guard.allow_ip(a.ip()))
                .collect();
            if ok.is_empty() {
                return Err(forbidden().into());
            }
            Ok(Box::new(ok.into_iter()) as Addrs)
        })
    }
}

/// A client for untrusted URLs: guarded resolution, guarded redirects, a 3 s connect
/// timeout and the given overall timeout.
pub fn untrusted_client(guard: Guard, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let redirect_guard = guard.clone();
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver(guard)))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= 10 {
                return attempt.error("too many redirects");
            }
            match redirect_guard.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        }))
        .connect_timeout(Duration::from_secs(3))
        .timeout(timeout)
        .user_agent(concat!("rustmost-", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ranges_as_upstream() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_reserved_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "2001:4860::8888"] {
            assert!(!is_reserved_ip(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn allow_list_takes_hosts_and_cidrs() {
        let g = Guard::new("127.0.0.1 internal.example 10.0.0.0/8");
        assert!(g.allow_host("127.0.0.1"));
        assert!(g.allow_host("internal.example"));
        assert!(!g.allow_host("10.1.1.1"));
        assert!(g.allow_ip("10.1.1.1".parse().unwrap()));
        assert!(!g.allow_ip("192.168.0.1".parse().unwrap()));
        assert!(g.allow_ip("8.8.8.8".parse().unwrap()));
        let none = Guard::new("");
        let url = reqwest::Url::parse("http://127.0.0.1:9/x").unwrap();
        assert!(none.check_url(&url).is_err());
        assert!(g.check_url(&url).is_ok());
        let v6 = reqwest::Url::parse("http://[::1]:9/x").unwrap();
        assert!(none.check_url(&v6).is_err());
    }
}
