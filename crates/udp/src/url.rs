//! `rtp://` URLs as the CLI takes them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::str::FromStr;

/// Errors in an `rtp://` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid URL {url:?}: {reason}")]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

/// A parsed `rtp://HOST:PORT[?key=value&...]`.
///
/// Keys: `iface` (interface name or IPv4 address for multicast),
/// `ttl` (multicast TTL, default 1), `rcvbuf` (receive buffer bytes),
/// `loop` (`0`/`1`, multicast loopback, default 1), `source` (local
/// address to send from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpUrl {
    pub address: SocketAddr,
    pub iface: Option<String>,
    pub ttl: u32,
    pub rcvbuf: Option<usize>,
    pub multicast_loop: bool,
    pub source: Option<IpAddr>,
}

impl RtpUrl {
    /// Whether the address is a multicast group.
    pub fn is_multicast(&self) -> bool {
        self.address.ip().is_multicast()
    }

    /// The IPv4 group, if this is an IPv4 multicast URL.
    pub fn group_v4(&self) -> Option<Ipv4Addr> {
        match self.address.ip() {
            IpAddr::V4(a) if a.is_multicast() => Some(a),
            _ => None,
        }
    }
}

impl FromStr for RtpUrl {
    type Err = UrlError;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| UrlError {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let rest = url
            .strip_prefix("rtp://")
            .or_else(|| url.strip_prefix("udp://"))
            .ok_or_else(|| err("expected rtp://HOST:PORT"))?;
        let (hostport, query) = rest.split_once('?').unwrap_or((rest, ""));
        let hostport = hostport.trim_end_matches('/');
        // `[v6]:port` parses too; host names are not resolved (no DNS at
        // the edges of a video pipeline).
        let address: SocketAddr = hostport
            .parse()
            .map_err(|_| err("HOST must be an IP address and PORT a number"))?;
        if address.port() == 0 {
            return Err(err("port 0"));
        }
        let mut parsed = RtpUrl {
            address,
            iface: None,
            ttl: 1,
            rcvbuf: None,
            multicast_loop: true,
            source: None,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| err("query items are KEY=VALUE"))?;
            match key {
                "iface" | "localaddr" => parsed.iface = Some(value.to_owned()),
                "ttl" => {
                    parsed.ttl = value
                        .parse()
                        .ok()
                        .filter(|t| *t <= 255)
                        .ok_or_else(|| err("ttl must be 0-255"))?
                }
                "rcvbuf" | "buffer_size" => {
                    parsed.rcvbuf = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|b| *b <= 1 << 30)
                            .ok_or_else(|| err("rcvbuf must be a byte count up to 1 GiB"))?,
                    )
                }
                "loop" => parsed.multicast_loop = value != "0",
                "source" => {
                    parsed.source = Some(
                        value
                            .parse()
                            .map_err(|_| err("source must be an IP address"))?,
                    )
                }
                other => {
                    return Err(err(&format!(
                        "unknown key {other:?} (iface, ttl, rcvbuf, loop, source)"
                    )));
                }
            }
        }
        Ok(parsed)
    }
}

impl std::fmt::Display for RtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rtp://{}", self.address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_unicast_and_multicast() {
        let u: RtpUrl = "rtp://0.0.0.0:5004".parse().unwrap();
        assert_eq!(u.address, "0.0.0.0:5004".parse().unwrap());
        assert!(!u.is_multicast());
        let m: RtpUrl = "rtp://239.1.1.1:5004?iface=veth0&ttl=4&rcvbuf=4194304"
            .parse()
            .unwrap();
        assert_eq!(m.group_v4(), Some(Ipv4Addr::new(239, 1, 1, 1)));
        assert_eq!(
            (m.iface.as_deref(), m.ttl, m.rcvbuf),
            (Some("veth0"), 4, Some(4194304))
        );
        assert!("rtp://[::1]:5004".parse::<RtpUrl>().is_ok());
        for bad in [
            "http://1.2.3.4:5",
            "rtp://host:5004",
            "rtp://1.2.3.4",
            "rtp://1.2.3.4:0",
            "rtp://1.2.3.4:5?ttl=999",
            "rtp://1.2.3.4:5?x=1",
        ] {
            assert!(bad.parse::<RtpUrl>().is_err(), "{bad}");
        }
    }
}
