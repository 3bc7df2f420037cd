//! Outgoing HTTP to integrations, behind Mattermost's guard against server-side request
//! forgery: addresses in reserved or private ranges, and the server's own addresses, are
//! refused unless `ServiceSettings.AllowedUntrustedInternalConnections` lists the host name
//! exactly or a CIDR range containing the address.
//!
//! Two Rustmost settings go further: `ServiceSettings.AllowedOutgoingIntegrationPorts` (ports
//! and ranges such as `"80 443 8000-8999"`; empty allows any port) limits every request and
//! redirect to those ports, and integration requests ignore `HTTP_PROXY`, `HTTPS_PROXY` and
//! `ALL_PROXY` unless `ServiceSettings.OutgoingIntegrationsUseProxy` is on (a proxy resolves
//! names itself, so the address guard then only sees IP literals).

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;
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
            // Beyond upstream's list: carrier-grade NAT, the IETF protocol block, benchmarking,
            // multicast and the reserved block with broadcast.
            "100.64.0.0/10",
            "192.0.0.0/24",
            "198.18.0.0/15",
            "224.0.0.0/4",
            "240.0.0.0/4",
            "::/128",
            "::1/128",
            // IPv4-compatible addresses (`::a.b.c.d`, deprecated) and NAT64 (`64:ff9b::/96`,
            // which a translator turns into any IPv4 address, internal ones included).
            "::/96",
            "64:ff9b::/96",
            "fc00::/7",
            "fe80::/10",
            "ff00::/8",
        ]
        .iter()
        .filter_map(|c| c.parse().ok())
        .collect()
    })
}

/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are judged as the IPv4 address they carry,
/// as Go does.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// Whether `ip` is one of the IPv6 forms that carry an IPv4 address and are refused whatever
/// that address is (IPv4-compatible and NAT64); mapped addresses are judged by their IPv4.
fn is_embedded_v4(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    ip.to_ipv4_mapped().is_none() && (s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0])
}

pub fn is_reserved_ip(ip: IpAddr) -> bool {
    if let IpAddr::V6(v6) = ip
        && is_embedded_v4(v6)
    {
        return true;
    }
    let ip = canonical(ip);
    reserved_ranges().iter().any(|n| n.contains(&ip))
}

/// Whether the address belongs to this machine: only a local address can be bound.
pub fn is_own_ip(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(canonical(ip), 0)).is_ok()
}

/// Parses `AllowedOutgoingIntegrationPorts`: ports and `low-high` ranges separated by spaces
/// or commas. Empty means any port.
pub fn parse_ports(s: &str) -> Result<Vec<RangeInclusive<u16>>, String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            let bad = || format!("not a port or port range: {t:?}");
            let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad);
            match t.split_once('-') {
                Some((lo, hi)) => {
                    let (lo, hi) = (port(lo)?, port(hi)?);
                    if lo > hi {
                        return Err(bad());
                    }
                    Ok(lo..=hi)
                }
                None => port(t).map(|p| p..=p),
            }
        })
        .collect()
}

/// Whether `port` passes the port rule (`None`: every port).
pub fn port_allowed(rule: Option<&[RangeInclusive<u16>]>, port: u16) -> bool {
    rule.is_none_or(|r| r.iter().any(|range| range.contains(&port)))
}

/// The rules of one request, read from the live config.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allowed: Vec<String>,
    /// `None`: any port.
    ports: Option<Vec<RangeInclusive<u16>>>,
    use_proxy: bool,
}

impl Guard {
    /// `AllowedUntrustedInternalConnections`: space-separated host names and CIDR ranges.
    pub fn new(allowed: &str) -> Self {
        Self {
            allowed: allowed.split_whitespace().map(str::to_owned).collect(),
            ports: None,
            use_proxy: false,
        }
    }

    /// Every rule from the config: the allow-list, the port rule and the proxy switch.
    pub fn from_config(cfg: &crate::config::Config) -> Self {
        let ports = cfg.str("/ServiceSettings/AllowedOutgoingIntegrationPorts");
        Self {
            // A list that does not parse (the config refuses one) allows no port at all.
            ports: (!ports.trim().is_empty()).then(|| parse_ports(ports).unwrap_or_default()),
            use_proxy: cfg.bool("/ServiceSettings/OutgoingIntegrationsUseProxy"),
            ..Self::new(cfg.str("/ServiceSettings/AllowedUntrustedInternalConnections"))
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

    /// Checks a URL's port and host before connecting: IP literals never reach the resolver.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), String> {
        let Some(host) = url.host_str() else {
            return Err("URL has no host".into());
        };
        let port = url.port_or_known_default().unwrap_or(0);
        if !port_allowed(self.ports.as_deref(), port) {
            return Err(format!(
                "port {port} is not in ServiceSettings.AllowedOutgoingIntegrationPorts"
            ));
        }
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

/// The client for one integration request to `url` (slash commands, outgoing webhooks, post
/// actions): every guard rule from the config, checked against `url` before connecting, and
/// `OutgoingIntegrationRequestsTimeout` (30 s when unset).
pub fn integration_client(
    cfg: &crate::config::Config,
    url: &reqwest::Url,
) -> Result<reqwest::Client, String> {
    let guard = Guard::from_config(cfg);
    guard.check_url(url)?;
    let timeout = match cfg.i64("/ServiceSettings/OutgoingIntegrationRequestsTimeout") {
        t if t > 0 => t as u64,
        _ => 30,
    };
    untrusted_client(guard, Duration::from_secs(timeout)).map_err(|e| e.to_string())
}

/// An integration's answer, refused once it grows past `cap` bytes so a hostile or broken
/// integration cannot make the server buffer without bound.
pub async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if out.len() + chunk.len() > cap {
            return Err(format!("integration response larger than {cap} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A client for untrusted URLs: guarded resolution, guarded redirects, a 3 s connect
/// timeout and the given overall timeout; no proxy from the environment unless the guard
/// allows one.
pub fn untrusted_client(guard: Guard, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let redirect_guard = guard.clone();
    let mut builder = reqwest::Client::builder();
    if !guard.use_proxy {
        builder = builder.no_proxy();
    }
    builder
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
    fn special_purpose_and_embedded_v4_forms_are_refused() {
        for ip in [
            "100.64.0.1",
            "100.127.255.254",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.251",
            // NAT64 of a public and of an internal address.
            "64:ff9b::808:808",
            "64:ff9b::7f00:1",
            // IPv4-compatible forms.
            "::8.8.8.8",
            "::127.0.0.1",
            "::10.0.0.1",
            // Mapped forms of the new ranges.
            "::ffff:100.64.0.1",
            "::ffff:198.18.0.1",
            "::ffff:240.0.0.1",
            "ff02::1",
        ] {
            assert!(is_reserved_ip(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "100.63.255.255",
            "100.128.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "192.0.1.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "64:ff9b:1::808:808",
            "2001:db9::1",
        ] {
            assert!(!is_reserved_ip(ip.parse().unwrap()), "{ip}");
        }
        // The guard refuses them in URLs too, unless allowed.
        let none = Guard::new("");
        for u in [
            "http://[::8.8.8.8]/",
            "http://[64:ff9b::808:808]/",
            "http://100.64.1.1/",
        ] {
            let url = reqwest::Url::parse(u).unwrap();
            assert!(none.check_url(&url).is_err(), "{u}");
        }
        assert!(Guard::new("100.64.0.0/10").allow_ip("100.64.1.1".parse().unwrap()));
    }

    #[test]
    fn port_rule() {
        assert_eq!(parse_ports("").unwrap(), Vec::<RangeInclusive<u16>>::new());
        let r = parse_ports(" 80, 443 8000-8999 ").unwrap();
        assert_eq!(r, vec![80..=80, 443..=443, 8000..=8999]);
        for bad in ["http", "0", "65536", "90-80", "80-", "-80", "1-2-3", "8o"] {
            assert!(parse_ports(bad).is_err(), "{bad}");
        }
        assert!(port_allowed(None, 22));
        for (port, ok) in [
            (80, true),
            (443, true),
            (8000, true),
            (8999, true),
            (22, false),
        ] {
            assert_eq!(port_allowed(Some(&r), port), ok, "{port}");
        }
        assert!(!port_allowed(Some(&[]), 80));
        let g = Guard {
            ports: Some(r),
            ..Guard::new("")
        };
        let ok = |u: &str| g.check_url(&reqwest::Url::parse(u).unwrap()).is_ok();
        assert!(ok("https://example.com/hook"));
        assert!(ok("http://example.com:8080/hook"));
        assert!(!ok("http://example.com:22/hook"));
        assert!(!ok("https://example.com:9000/hook"));
    }

    #[test]
    fn settings_reach_the_guard() {
        let cfg = crate::config::ConfigService::load(
            None,
            [
                ("MM_SERVICESETTINGS_ALLOWEDOUTGOINGINTEGRATIONPORTS", "443"),
                ("MM_SERVICESETTINGS_OUTGOINGINTEGRATIONSUSEPROXY", "true"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        )
        .unwrap();
        let g = Guard::from_config(&cfg.get());
        assert_eq!(g.ports, Some(vec![443..=443]));
        assert!(g.use_proxy);
        let g = Guard::from_config(
            &crate::config::ConfigService::load(None, Vec::new())
                .unwrap()
                .get(),
        );
        assert_eq!(g.ports, None);
        assert!(!g.use_proxy);
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
